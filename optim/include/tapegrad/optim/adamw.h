// AdamW (Loshchilov & Hutter): Adam with decoupled weight decay (the parameter shrinks by
// lr * weight_decay before the Adam update); PyTorch's torch.optim.AdamW (1.13) step for step.
#pragma once
#include <tuple>

#include "tapegrad/optim/adam.h"

namespace tg::optim {

class AdamWOptions : public OptimizerCloneableOptions<AdamWOptions> {
 public:
  AdamWOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT
  AdamWOptions& lr(double v) {
    lr_ = v;
    return *this;
  }
  AdamWOptions& betas(std::tuple<double, double> v) {
    betas_ = v;
    return *this;
  }
  AdamWOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  AdamWOptions& weight_decay(double v) {
    weight_decay_ = v;
    return *this;
  }
  AdamWOptions& amsgrad(bool v) {
    amsgrad_ = v;
    return *this;
  }
  const double& lr() const { return lr_; }
  const std::tuple<double, double>& betas() const { return betas_; }
  const double& eps() const { return eps_; }
  const double& weight_decay() const { return weight_decay_; }
  const bool& amsgrad() const { return amsgrad_; }
  double& lr() { return lr_; }
  std::tuple<double, double>& betas() { return betas_; }
  double& eps() { return eps_; }
  double& weight_decay() { return weight_decay_; }
  bool& amsgrad() { return amsgrad_; }

  double get_lr() const override { return lr_; }
  void set_lr(double lr) override { lr_ = lr; }
  std::vector<std::pair<std::string, double>> named_values() const override;
  void set_named_value(const std::string& name, double value) override;
  friend bool operator==(const AdamWOptions& a, const AdamWOptions& b) { return a.named_values() == b.named_values(); }

 private:
  double lr_;
  std::tuple<double, double> betas_{0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_ = 1e-2;
  bool amsgrad_ = false;
};

using AdamWParamState = AdamParamState;

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults = {});
  AdamW(std::vector<Tensor> params, AdamWOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;
  std::string type_name() const override { return "AdamW"; }

 protected:
  StateLayout state_layout(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_state() const override;
  void validate_options(const OptimizerOptions& options) const override;
};

}  // namespace tg::optim
