// RMSprop: PyTorch 1.13's _single_tensor_rmsprop (eps added outside the square root).
#include "tapegrad/optim/rmsprop.h"

#include "optim_common.h"
#include "tapegrad/ops.h"

namespace tg::optim {

std::vector<std::pair<std::string, double>> RMSpropOptions::named_values() const {
  return {{"lr", lr_},
          {"alpha", alpha_},
          {"eps", eps_},
          {"weight_decay", weight_decay_},
          {"momentum", momentum_},
          {"centered", centered_ ? 1.0 : 0.0}};
}
void RMSpropOptions::set_named_value(const std::string& name, double value) {
  if (name == "lr")
    lr_ = value;
  else if (name == "alpha")
    alpha_ = value;
  else if (name == "eps")
    eps_ = value;
  else if (name == "weight_decay")
    weight_decay_ = value;
  else if (name == "momentum")
    momentum_ = value;
  else if (name == "centered")
    centered_ = value != 0;
  else
    detail::unknown_option("RMSpropOptions", name);
}

std::vector<std::pair<std::string, Tensor>> RMSpropParamState::named_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out;
  out.emplace_back("step", scalar_tensor(static_cast<double>(step_), kFloat64));
  if (square_avg_.defined()) out.emplace_back("square_avg", square_avg_);
  if (momentum_buffer_.defined()) out.emplace_back("momentum_buffer", momentum_buffer_);
  if (grad_avg_.defined()) out.emplace_back("grad_avg", grad_avg_);
  return out;
}
void RMSpropParamState::set_named_tensor(const std::string& name, const Tensor& value) {
  if (name == "step")
    step_ = static_cast<int64_t>(value.item_double());
  else if (name == "square_avg")
    square_avg_ = value;
  else if (name == "momentum_buffer")
    momentum_buffer_ = value;
  else if (name == "grad_avg")
    grad_avg_ = value;
  else
    detail::unknown_state("RMSpropParamState", name);
}

RMSprop::RMSprop(std::vector<OptimizerParamGroup> param_groups, RMSpropOptions defaults)
    : Optimizer(std::make_unique<RMSpropOptions>(defaults)) {
  validate_options(*defaults_);
  for (const auto& group : param_groups) add_param_group(group);
}
RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions defaults)
    : RMSprop(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

void RMSprop::validate_options(const OptimizerOptions& options) const {
  const auto& o = detail::options_as<RMSpropOptions>(options, "RMSprop", "RMSpropOptions");
  detail::check_option(o.lr() >= 0, "RMSprop", "learning rate", o.lr());
  detail::check_option(o.eps() >= 0, "RMSprop", "epsilon value", o.eps());
  detail::check_option(o.momentum() >= 0, "RMSprop", "momentum value", o.momentum());
  detail::check_option(o.weight_decay() >= 0, "RMSprop", "weight_decay value", o.weight_decay());
  detail::check_option(o.alpha() >= 0, "RMSprop", "alpha value", o.alpha());
}

Optimizer::StateLayout RMSprop::state_layout(const OptimizerOptions& options) const {
  const auto& o = static_cast<const RMSpropOptions&>(options);
  StateLayout layout{{"step", "square_avg"}, {}, {"step"}};
  (o.momentum() > 0 ? layout.required : layout.optional).push_back("momentum_buffer");
  (o.centered() ? layout.required : layout.optional).push_back("grad_avg");
  return layout;
}
std::unique_ptr<OptimizerParamState> RMSprop::make_state() const { return std::make_unique<RMSpropParamState>(); }

Tensor RMSprop::step(LossClosure closure) {
  Tensor loss = evaluate_closure(closure);
  NoGradGuard no_grad;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const RMSpropOptions&>(group.options());
    for (const Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto& state = state_for<RMSpropParamState>(p);
      if (!state.square_avg().defined()) state.square_avg(zeros_like(p));
      if (o.momentum() > 0 && !state.momentum_buffer().defined()) state.momentum_buffer(zeros_like(p));
      if (o.centered() && !state.grad_avg().defined()) state.grad_avg(zeros_like(p));
      state.step(state.step() + 1);

      Tensor grad = p.grad();
      if (o.weight_decay() != 0) grad = grad.add(p, o.weight_decay());
      const Tensor& square_avg = state.square_avg();
      square_avg.mul_(o.alpha()).addcmul_(grad, grad, 1 - o.alpha());
      Tensor avg;
      if (o.centered()) {
        const Tensor& grad_avg = state.grad_avg();
        grad_avg.mul_(o.alpha()).add_(grad, 1 - o.alpha());
        // The running variance E[g^2] - E[g]^2.
        avg = square_avg.clone().addcmul_(grad_avg, grad_avg, -1).sqrt_();
      } else {
        avg = square_avg.sqrt();
      }
      avg.add_(o.eps());
      if (o.momentum() > 0) {
        const Tensor& buffer = state.momentum_buffer();
        buffer.mul_(o.momentum()).addcdiv_(grad, avg);
        p.add_(buffer, -o.lr());
      } else {
        p.addcdiv_(grad, avg, -o.lr());
      }
    }
  }
  return loss;
}

}  // namespace tg::optim
