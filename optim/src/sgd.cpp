// SGD: PyTorch 1.13's _single_tensor_sgd. The momentum buffer starts as a copy of the first
// update (no dampening on the first step), as PyTorch's does.
#include "tapegrad/optim/sgd.h"

#include "optim_common.h"
#include "tapegrad/ops.h"

namespace tg::optim {

std::vector<std::pair<std::string, double>> SGDOptions::named_values() const {
  return {{"lr", lr_},
          {"momentum", momentum_},
          {"dampening", dampening_},
          {"weight_decay", weight_decay_},
          {"nesterov", nesterov_ ? 1.0 : 0.0}};
}
void SGDOptions::set_named_value(const std::string& name, double value) {
  if (name == "lr")
    lr_ = value;
  else if (name == "momentum")
    momentum_ = value;
  else if (name == "dampening")
    dampening_ = value;
  else if (name == "weight_decay")
    weight_decay_ = value;
  else if (name == "nesterov")
    nesterov_ = value != 0;
  else
    detail::unknown_option("SGDOptions", name);
}

std::vector<std::pair<std::string, Tensor>> SGDParamState::named_tensors() const {
  if (!momentum_buffer_.defined()) return {};
  return {{"momentum_buffer", momentum_buffer_}};
}
void SGDParamState::set_named_tensor(const std::string& name, const Tensor& value) {
  if (name == "momentum_buffer")
    momentum_buffer_ = value;
  else
    detail::unknown_state("SGDParamState", name);
}

SGD::SGD(std::vector<OptimizerParamGroup> param_groups, SGDOptions defaults)
    : Optimizer(std::make_unique<SGDOptions>(defaults)) {
  validate_options(*defaults_);
  for (const auto& group : param_groups) add_param_group(group);
}
SGD::SGD(std::vector<Tensor> params, SGDOptions defaults)
    : SGD(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

void SGD::validate_options(const OptimizerOptions& options) const {
  const auto& o = detail::options_as<SGDOptions>(options, "SGD", "SGDOptions");
  detail::check_option(o.lr() >= 0, "SGD", "learning rate", o.lr());
  detail::check_option(o.momentum() >= 0, "SGD", "momentum value", o.momentum());
  detail::check_option(o.weight_decay() >= 0, "SGD", "weight_decay value", o.weight_decay());
  if (o.nesterov() && (o.momentum() <= 0 || o.dampening() != 0))
    throw Error(
        fmt::format("SGD: nesterov momentum requires a momentum and zero dampening "
                    "(got momentum {}, dampening {})",
                    o.momentum(), o.dampening()));
}

Optimizer::StateLayout SGD::state_layout(const OptimizerOptions& options) const {
  const auto& o = static_cast<const SGDOptions&>(options);
  if (o.momentum() != 0) return {{"momentum_buffer"}, {}, {}};
  return {{}, {"momentum_buffer"}, {}};
}
std::unique_ptr<OptimizerParamState> SGD::make_state() const { return std::make_unique<SGDParamState>(); }

Tensor SGD::step(LossClosure closure) {
  Tensor loss = evaluate_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const SGDOptions&>(group.options());
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      Tensor update = p.grad();
      if (o.weight_decay() != 0) update = update.add(p, o.weight_decay());
      if (o.momentum() != 0) {
        auto& state = state_for<SGDParamState>(p);
        if (!state.momentum_buffer().defined()) {
          state.momentum_buffer(update.detach().clone());
        } else {
          state.momentum_buffer().mul_(o.momentum()).add_(update, 1 - o.dampening());
        }
        update = o.nesterov() ? update.add(state.momentum_buffer(), o.momentum()) : state.momentum_buffer();
      }
      p.add_(update, -o.lr());
    }
  }
  return loss;
}

}  // namespace tg::optim
