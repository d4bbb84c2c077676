// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay;
// the update is PyTorch's torch.optim.SGD (1.13) step for step.
#pragma once
#include "tapegrad/optim/optimizer.h"

namespace tg::optim {

// SGDOptions(0.1).momentum(0.9).nesterov(true): each option is read with opts.x() and set with
// opts.x(value), which returns *this (libtorch's TORCH_ARG).
class SGDOptions : public OptimizerCloneableOptions<SGDOptions> {
 public:
  SGDOptions(double lr) : lr_(lr) {}  // NOLINT: libtorch allows SGD(params, 0.1)
  SGDOptions& lr(double v) {
    lr_ = v;
    return *this;
  }
  SGDOptions& momentum(double v) {
    momentum_ = v;
    return *this;
  }
  SGDOptions& dampening(double v) {
    dampening_ = v;
    return *this;
  }
  SGDOptions& weight_decay(double v) {
    weight_decay_ = v;
    return *this;
  }
  SGDOptions& nesterov(bool v) {
    nesterov_ = v;
    return *this;
  }
  const double& lr() const { return lr_; }
  const double& momentum() const { return momentum_; }
  const double& dampening() const { return dampening_; }
  const double& weight_decay() const { return weight_decay_; }
  const bool& nesterov() const { return nesterov_; }
  double& lr() { return lr_; }
  double& momentum() { return momentum_; }
  double& dampening() { return dampening_; }
  double& weight_decay() { return weight_decay_; }
  bool& nesterov() { return nesterov_; }

  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> named_values() const override;
  void set_named_value(const std::string& name, double value) override;
  friend bool operator==(const SGDOptions& a, const SGDOptions& b) { return a.named_values() == b.named_values(); }

 private:
  double lr_;
  double momentum_ = 0;
  double dampening_ = 0;
  double weight_decay_ = 0;
  bool nesterov_ = false;
};

class SGDParamState : public OptimizerCloneableParamState<SGDParamState> {
 public:
  SGDParamState& momentum_buffer(Tensor v) {
    momentum_buffer_ = std::move(v);
    return *this;
  }
  const Tensor& momentum_buffer() const { return momentum_buffer_; }
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
  void set_named_tensor(const std::string& name, const Tensor& value) override;

 private:
  Tensor momentum_buffer_;  // created on the first step, as a copy of the first update
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults);
  SGD(std::vector<Tensor> params, SGDOptions defaults);
  Tensor step(LossClosure closure = nullptr) override;
  std::string type_name() const override { return "SGD"; }

 protected:
  StateLayout state_layout(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_state() const override;
  void validate_options(const OptimizerOptions& options) const override;
};

}  // namespace tg::optim
