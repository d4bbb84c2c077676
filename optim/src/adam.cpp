// Adam: PyTorch 1.13's _single_tensor_adam (L2 weight decay added to the gradient).
#include "tapegrad/optim/adam.h"

#include <cmath>

#include "adam_update.h"
#include "optim_common.h"
#include "tapegrad/ops.h"

namespace tg::optim {

std::vector<std::pair<std::string, double>> AdamOptions::named_values() const {
  return {{"lr", lr_},   {"betas.0", std::get<0>(betas_)}, {"betas.1", std::get<1>(betas_)},
          {"eps", eps_}, {"weight_decay", weight_decay_},  {"amsgrad", amsgrad_ ? 1.0 : 0.0}};
}
void AdamOptions::set_named_value(const std::string& name, double value) {
  if (name == "lr")
    lr_ = value;
  else if (name == "betas.0")
    std::get<0>(betas_) = value;
  else if (name == "betas.1")
    std::get<1>(betas_) = value;
  else if (name == "eps")
    eps_ = value;
  else if (name == "weight_decay")
    weight_decay_ = value;
  else if (name == "amsgrad")
    amsgrad_ = value != 0;
  else
    detail::unknown_option("AdamOptions", name);
}

std::vector<std::pair<std::string, Tensor>> AdamParamState::named_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("step", scalar_tensor(static_cast<double>(step_), kFloat64));
  if (exp_avg_.defined()) out.emplace_back("exp_avg", exp_avg_);
  if (exp_avg_sq_.defined()) out.emplace_back("exp_avg_sq", exp_avg_sq_);
  if (max_exp_avg_sq_.defined()) out.emplace_back("max_exp_avg_sq", max_exp_avg_sq_);
  return out;
}
void AdamParamState::set_named_tensor(const std::string& name, const Tensor& value) {
  if (name == "step")
    step_ = static_cast<int64_t>(value.item_double());
  else if (name == "exp_avg")
    exp_avg_ = value;
  else if (name == "exp_avg_sq")
    exp_avg_sq_ = value;
  else if (name == "max_exp_avg_sq")
    max_exp_avg_sq_ = value;
  else
    detail::unknown_state("AdamParamState", name);
}

namespace detail {

void adam_update(const Tensor& param, const Tensor& grad, AdamParamState& state, double lr, double beta1, double beta2,
                 double eps, bool amsgrad) {
  if (!state.exp_avg().defined()) state.exp_avg(zeros_like(param));
  if (!state.exp_avg_sq().defined()) state.exp_avg_sq(zeros_like(param));
  if (amsgrad && !state.max_exp_avg_sq().defined()) state.max_exp_avg_sq(zeros_like(param));
  state.step(state.step() + 1);
  const Tensor& exp_avg = state.exp_avg();
  const Tensor& exp_avg_sq = state.exp_avg_sq();
  exp_avg.mul_(beta1).add_(grad, 1 - beta1);
  exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);

  const auto step = static_cast<double>(state.step());
  const double bias_correction1 = 1 - std::pow(beta1, step);
  const double bias_correction2 = 1 - std::pow(beta2, step);
  const double step_size = lr / bias_correction1;
  const double bias_correction2_sqrt = std::sqrt(bias_correction2);
  Tensor denom;
  if (amsgrad) {
    const Tensor& max_exp_avg_sq = state.max_exp_avg_sq();
    max_exp_avg_sq.copy_(maximum(max_exp_avg_sq, exp_avg_sq));
    denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps);
  } else {
    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps);
  }
  param.addcdiv_(exp_avg, denom, -step_size);
}

Optimizer::StateLayout adam_state_layout(bool amsgrad) {
  if (amsgrad) return {{"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, {}, {"step"}};
  return {{"step", "exp_avg", "exp_avg_sq"}, {"max_exp_avg_sq"}, {"step"}};
}

}  // namespace detail

Adam::Adam(std::vector<OptimizerParamGroup> param_groups, AdamOptions defaults)
    : Optimizer(std::make_unique<AdamOptions>(defaults)) {
  validate_options(*defaults_);
  for (const auto& group : param_groups) add_param_group(group);
}
Adam::Adam(std::vector<Tensor> params, AdamOptions defaults)
    : Adam(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

void Adam::validate_options(const OptimizerOptions& options) const {
  detail::check_adam_options(detail::options_as<AdamOptions>(options, "Adam", "AdamOptions"), "Adam");
}

Optimizer::StateLayout Adam::state_layout(const OptimizerOptions& options) const {
  return detail::adam_state_layout(static_cast<const AdamOptions&>(options).amsgrad());
}
std::unique_ptr<OptimizerParamState> Adam::make_state() const { return std::make_unique<AdamParamState>(); }

Tensor Adam::step(LossClosure closure) {
  Tensor loss = evaluate_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const AdamOptions&>(group.options());
    const auto [beta1, beta2] = o.betas();
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor grad = p.grad();
      if (o.weight_decay() != 0) grad = grad.add(p, o.weight_decay());
      detail::adam_update(p, grad, state_for<AdamParamState>(p), o.lr(), beta1, beta2, o.eps(), o.amsgrad());
    }
  }
  return loss;
}

}  // namespace tg::optim
