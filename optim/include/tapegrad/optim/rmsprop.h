// RMSprop (Hinton): divide the gradient by a running RMS of recent gradients; optional centering
// (subtract the running mean's square), momentum and L2 weight decay. PyTorch's
// torch.optim.RMSprop (1.13) step for step.
#pragma once
#include <cstdint>

#include "tapegrad/optim/optimizer.h"

namespace tg::optim {

class RMSpropOptions : public OptimizerCloneableOptions<RMSpropOptions> {
 public:
  RMSpropOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT
  RMSpropOptions& lr(double v) {
    lr_ = v;
    return *this;
  }
  RMSpropOptions& alpha(double v) {
    alpha_ = v;
    return *this;
  }
  RMSpropOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  RMSpropOptions& weight_decay(double v) {
    weight_decay_ = v;
    return *this;
  }
  RMSpropOptions& momentum(double v) {
    momentum_ = v;
    return *this;
  }
  RMSpropOptions& centered(bool v) {
    centered_ = v;
    return *this;
  }
  const double& lr() const { return lr_; }
  const double& alpha() const { return alpha_; }
  const double& eps() const { return eps_; }
  const double& weight_decay() const { return weight_decay_; }
  const double& momentum() const { return momentum_; }
  const bool& centered() const { return centered_; }
  double& lr() { return lr_; }
  double& alpha() { return alpha_; }
  double& eps() { return eps_; }
  double& weight_decay() { return weight_decay_; }
  double& momentum() { return momentum_; }
  bool& centered() { return centered_; }

  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> named_values() const override;
  void set_named_value(const std::string& name, double value) override;
  friend bool operator==(const RMSpropOptions& a, const RMSpropOptions& b) {
    return a.named_values() == b.named_values();
  }

 private:
  double lr_;
  double alpha_ = 0.99;
  double eps_ = 1e-8;
  double weight_decay_ = 0;
  double momentum_ = 0;
  bool centered_ = false;
};

class RMSpropParamState : public OptimizerCloneableParamState<RMSpropParamState> {
 public:
  RMSpropParamState& step(int64_t v) {
    step_ = v;
    return *this;
  }
  RMSpropParamState& square_avg(Tensor v) {
    square_avg_ = std::move(v);
    return *this;
  }
  RMSpropParamState& momentum_buffer(Tensor v) {
    momentum_buffer_ = std::move(v);
    return *this;
  }
  RMSpropParamState& grad_avg(Tensor v) {
    grad_avg_ = std::move(v);
    return *this;
  }
  const int64_t& step() const { return step_; }
  const Tensor& square_avg() const { return square_avg_; }
  const Tensor& momentum_buffer() const { return momentum_buffer_; }
  const Tensor& grad_avg() const { return grad_avg_; }
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
  void set_named_tensor(const std::string& name, const Tensor& value) override;

 private:
  int64_t step_ = 0;
  Tensor square_avg_;
  Tensor momentum_buffer_;  // only with momentum > 0
  Tensor grad_avg_;         // only when centered
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults = {});
  RMSprop(std::vector<Tensor> params, RMSpropOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;
  std::string type_name() const override { return "RMSprop"; }

 protected:
  StateLayout state_layout(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_state() const override;
  void validate_options(const OptimizerOptions& options) const override;
};

}  // namespace tg::optim
