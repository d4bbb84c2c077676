// Adagrad (Duchi et al.): per-coordinate steps scaled by the root of the summed squared
// gradients, with learning-rate decay and L2 weight decay. PyTorch's torch.optim.Adagrad (1.13)
// step for step; as there, every parameter gets its state (step = 0, sum = the *defaults'*
// initial_accumulator_value, even in a group that sets its own) when the optimizer is built.
#pragma once
#include <cstdint>

#include "tapegrad/optim/optimizer.h"

namespace tg::optim {

class AdagradOptions : public OptimizerCloneableOptions<AdagradOptions> {
 public:
  AdagradOptions(double lr = 1e-2) : lr_(lr) {}  // NOLINT
  AdagradOptions& lr(double v) {
    lr_ = v;
    return *this;
  }
  AdagradOptions& lr_decay(double v) {
    lr_decay_ = v;
    return *this;
  }
  AdagradOptions& weight_decay(double v) {
    weight_decay_ = v;
    return *this;
  }
  AdagradOptions& initial_accumulator_value(double v) {
    initial_accumulator_value_ = v;
    return *this;
  }
  AdagradOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  const double& lr() const { return lr_; }
  const double& lr_decay() const { return lr_decay_; }
  const double& weight_decay() const { return weight_decay_; }
  const double& initial_accumulator_value() const { return initial_accumulator_value_; }
  const double& eps() const { return eps_; }
  double& lr() { return lr_; }
  double& lr_decay() { return lr_decay_; }
  double& weight_decay() { return weight_decay_; }
  double& initial_accumulator_value() { return initial_accumulator_value_; }
  double& eps() { return eps_; }

  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> named_values() const override;
  void set_named_value(const std::string& name, double value) override;
  friend bool operator==(const AdagradOptions& a, const AdagradOptions& b) {
    return a.named_values() == b.named_values();
  }

 private:
  double lr_;
  double lr_decay_ = 0;
  double weight_decay_ = 0;
  double initial_accumulator_value_ = 0;
  double eps_ = 1e-10;
};

class AdagradParamState : public OptimizerCloneableParamState<AdagradParamState> {
 public:
  AdagradParamState& sum(Tensor v) {
    sum_ = std::move(v);
    return *this;
  }
  AdagradParamState& step(int64_t v) {
    step_ = v;
    return *this;
  }
  const Tensor& sum() const { return sum_; }
  const int64_t& step() const { return step_; }
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
  void set_named_tensor(const std::string& name, const Tensor& value) override;

 private:
  Tensor sum_;
  int64_t step_ = 0;
};

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults = {});
  Adagrad(std::vector<Tensor> params, AdagradOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;
  std::string type_name() const override { return "Adagrad"; }

 protected:
  StateLayout state_layout(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_state() const override;
  void validate_options(const OptimizerOptions& options) const override;

 private:
  void init_state(const Tensor& param);
};

}  // namespace tg::optim
