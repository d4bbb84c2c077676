// Adam (Kingma & Ba) with L2 weight decay folded into the gradient and the AMSGrad variant; the
// update is PyTorch's torch.optim.Adam (1.13, single-tensor path) step for step.
#pragma once
#include <cstdint>
#include <tuple>

#include "tapegrad/optim/optimizer.h"

namespace tg::optim {

class AdamOptions : public OptimizerCloneableOptions<AdamOptions> {
 public:
  AdamOptions(double lr = 1e-3) : lr_(lr) {}  // NOLINT
  AdamOptions& lr(double v) {
    lr_ = v;
    return *this;
  }
  AdamOptions& betas(std::tuple<double, double> v) {
    betas_ = v;
    return *this;
  }
  AdamOptions& eps(double v) {
    eps_ = v;
    return *this;
  }
  AdamOptions& weight_decay(double v) {
    weight_decay_ = v;
    return *this;
  }
  AdamOptions& amsgrad(bool v) {
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
  friend bool operator==(const AdamOptions& a, const AdamOptions& b) { return a.named_values() == b.named_values(); }

 private:
  double lr_;
  std::tuple<double, double> betas_{0.9, 0.999};
  double eps_ = 1e-8;
  double weight_decay_ = 0;
  bool amsgrad_ = false;
};

// Shared by Adam and AdamW.
class AdamParamState : public OptimizerCloneableParamState<AdamParamState> {
 public:
  AdamParamState& step(int64_t v) {
    step_ = v;
    return *this;
  }
  AdamParamState& exp_avg(Tensor v) {
    exp_avg_ = std::move(v);
    return *this;
  }
  AdamParamState& exp_avg_sq(Tensor v) {
    exp_avg_sq_ = std::move(v);
    return *this;
  }
  AdamParamState& max_exp_avg_sq(Tensor v) {
    max_exp_avg_sq_ = std::move(v);
    return *this;
  }
  const int64_t& step() const { return step_; }
  const Tensor& exp_avg() const { return exp_avg_; }
  const Tensor& exp_avg_sq() const { return exp_avg_sq_; }
  const Tensor& max_exp_avg_sq() const { return max_exp_avg_sq_; }
  std::vector<std::pair<std::string, Tensor>> named_tensors() const override;
  void set_named_tensor(const std::string& name, const Tensor& value) override;

 private:
  int64_t step_ = 0;
  Tensor exp_avg_;
  Tensor exp_avg_sq_;
  Tensor max_exp_avg_sq_;  // only with amsgrad
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults = {});
  Adam(std::vector<Tensor> params, AdamOptions defaults = {});
  Tensor step(LossClosure closure = nullptr) override;
  std::string type_name() const override { return "Adam"; }

 protected:
  StateLayout state_layout(const OptimizerOptions& options) const override;
  std::unique_ptr<OptimizerParamState> make_state() const override;
  void validate_options(const OptimizerOptions& options) const override;
};

}  // namespace tg::optim
