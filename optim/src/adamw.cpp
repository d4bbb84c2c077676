// AdamW: PyTorch 1.13's _single_tensor_adamw; the parameter shrinks by lr * weight_decay first,
// then takes Adam's step on the plain gradient.
#include "tapegrad/optim/adamw.h"

#include "adam_update.h"
#include "optim_common.h"
#include "tapegrad/ops.h"

namespace tg::optim {

std::vector<std::pair<std::string, double>> AdamWOptions::named_values() const {
  return {{"lr", lr_},   {"betas.0", std::get<0>(betas_)}, {"betas.1", std::get<1>(betas_)},
          {"eps", eps_}, {"weight_decay", weight_decay_},  {"amsgrad", amsgrad_ ? 1.0 : 0.0}};
}
void AdamWOptions::set_named_value(const std::string& name, double value) {
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
    detail::unknown_option("AdamWOptions", name);
}

AdamW::AdamW(std::vector<OptimizerParamGroup> param_groups, AdamWOptions defaults)
    : Optimizer(std::make_unique<AdamWOptions>(defaults)) {
  validate_options(*defaults_);
  for (const auto& group : param_groups) add_param_group(group);
}
AdamW::AdamW(std::vector<Tensor> params, AdamWOptions defaults)
    : AdamW(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

void AdamW::validate_options(const OptimizerOptions& options) const {
  detail::check_adam_options(detail::options_as<AdamWOptions>(options, "AdamW", "AdamWOptions"), "AdamW");
}

Optimizer::StateLayout AdamW::state_layout(const OptimizerOptions& options) const {
  return detail::adam_state_layout(static_cast<const AdamWOptions&>(options).amsgrad());
}
std::unique_ptr<OptimizerParamState> AdamW::make_state() const { return std::make_unique<AdamParamState>(); }

Tensor AdamW::step(LossClosure closure) {
  Tensor loss = evaluate_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const AdamWOptions&>(group.options());
    const auto [beta1, beta2] = o.betas();
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      p.mul_(1 - o.lr() * o.weight_decay());
      detail::adam_update(p, p.grad(), state_for<AdamParamState>(p), o.lr(), beta1, beta2, o.eps(), o.amsgrad());
    }
  }
  return loss;
}

}  // namespace tg::optim
