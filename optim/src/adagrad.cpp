// Adagrad: PyTorch 1.13's _single_tensor_adagrad (dense gradients).
#include "tapegrad/optim/adagrad.h"

#include "optim_common.h"
#include "tapegrad/ops.h"

namespace tg::optim {

std::vector<std::pair<std::string, double>> AdagradOptions::named_values() const {
  return {{"lr", lr_},
          {"lr_decay", lr_decay_},
          {"weight_decay", weight_decay_},
          {"initial_accumulator_value", initial_accumulator_value_},
          {"eps", eps_}};
}
void AdagradOptions::set_named_value(const std::string& name, double value) {
  if (name == "lr")
    lr_ = value;
  else if (name == "lr_decay")
    lr_decay_ = value;
  else if (name == "weight_decay")
    weight_decay_ = value;
  else if (name == "initial_accumulator_value")
    initial_accumulator_value_ = value;
  else if (name == "eps")
    eps_ = value;
  else
    detail::unknown_option("AdagradOptions", name);
}

std::vector<std::pair<std::string, Tensor>> AdagradParamState::named_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("step", scalar_tensor(static_cast<double>(step_), kFloat64));
  if (sum_.defined()) out.emplace_back("sum", sum_);
  return out;
}
void AdagradParamState::set_named_tensor(const std::string& name, const Tensor& value) {
  if (name == "step")
    step_ = static_cast<int64_t>(value.item_double());
  else if (name == "sum")
    sum_ = value;
  else
    detail::unknown_state("AdagradParamState", name);
}

Adagrad::Adagrad(std::vector<OptimizerParamGroup> param_groups, AdagradOptions defaults)
    : Optimizer(std::make_unique<AdagradOptions>(defaults)) {
  validate_options(*defaults_);
  for (const auto& group : param_groups) add_param_group(group);
  for (const auto& group : param_groups_)
    for (const auto& p : group.params()) init_state(p);
}
Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions defaults)
    : Adagrad(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

// PyTorch and libtorch both fill the accumulator from the optimizer's *default*
// initial_accumulator_value, even for a group that sets its own; so do we.
void Adagrad::init_state(const Tensor& param) {
  auto& state = state_for<AdagradParamState>(param);
  if (!state.sum().defined())
    state.sum(full_like(param, static_cast<const AdagradOptions&>(*defaults_).initial_accumulator_value()));
}

void Adagrad::validate_options(const OptimizerOptions& options) const {
  const auto& o = detail::options_as<AdagradOptions>(options, "Adagrad", "AdagradOptions");
  detail::check_option(o.lr() >= 0, "Adagrad", "learning rate", o.lr());
  detail::check_option(o.lr_decay() >= 0, "Adagrad", "lr_decay value", o.lr_decay());
  detail::check_option(o.weight_decay() >= 0, "Adagrad", "weight_decay value", o.weight_decay());
  detail::check_option(o.initial_accumulator_value() >= 0, "Adagrad", "initial_accumulator_value value",
                       o.initial_accumulator_value());
  detail::check_option(o.eps() >= 0, "Adagrad", "epsilon value", o.eps());
}

Optimizer::StateLayout Adagrad::state_layout(const OptimizerOptions&) const { return {{"step", "sum"}, {}, {"step"}}; }
std::unique_ptr<OptimizerParamState> Adagrad::make_state() const { return std::make_unique<AdagradParamState>(); }

Tensor Adagrad::step(LossClosure closure) {
  Tensor loss = evaluate_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const AdagradOptions&>(group.options());
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      init_state(p);  // a group added after construction gets its state here
      auto& state = state_for<AdagradParamState>(p);
      state.step(state.step() + 1);
      const auto step = static_cast<double>(state.step());

      Tensor grad = p.grad();
      if (o.weight_decay() != 0) grad = grad.add(p, o.weight_decay());
      const double clr = o.lr() / (1 + (step - 1) * o.lr_decay());
      state.sum().addcmul_(grad, grad, 1);
      Tensor denom = state.sum().sqrt().add_(o.eps());
      p.addcdiv_(grad, denom, -clr);
    }
  }
  return loss;
}

}  // namespace tg::optim
