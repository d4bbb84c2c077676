// The moment update shared by Adam and AdamW (PyTorch 1.13's _single_tensor_adam, the
// non-capturable branch): everything after the weight decay.
#pragma once
#include <string>

#include "optim_common.h"
#include "tapegrad/optim/adam.h"

namespace tg::optim::detail {

// Creates the state's buffers if missing, then: step += 1, the moment estimates, and
// param -= lr / (1 - beta1^t) * exp_avg / (sqrt(v) / sqrt(1 - beta2^t) + eps), v = exp_avg_sq or
// its running maximum (amsgrad).
void adam_update(const Tensor& param, const Tensor& grad, AdamParamState& state, double lr, double beta1, double beta2,
                 double eps, bool amsgrad);

// The option checks of Adam and AdamW (PyTorch's messages, naming the optimizer).
template <typename Options>
void check_adam_options(const Options& o, const std::string& name) {
  const auto [beta1, beta2] = o.betas();
  check_option(o.lr() >= 0, name, "learning rate", o.lr());
  check_option(o.eps() >= 0, name, "epsilon value", o.eps());
  check_option(beta1 >= 0 && beta1 < 1, name, "beta parameter at index 0", beta1);
  check_option(beta2 >= 0 && beta2 < 1, name, "beta parameter at index 1", beta2);
  check_option(o.weight_decay() >= 0, name, "weight_decay value", o.weight_decay());
}

// The state.<i>.* names of Adam and AdamW.
Optimizer::StateLayout adam_state_layout(bool amsgrad);

}  // namespace tg::optim::detail
