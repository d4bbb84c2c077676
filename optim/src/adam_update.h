// The moment update shared by Adam and AdamW (PyTorch 1.13's _single_tensor_adam, the
// non-capturable branch): everything after the weight decay.
#pragma once
#include "tapegrad/optim/adam.h"

namespace tg::optim::detail {

// Creates the state's buffers if missing, then: step += 1, the moment estimates, and
// param -= lr / (1 - beta1^t) * exp_avg / (sqrt(v) / sqrt(1 - beta2^t) + eps), v = exp_avg_sq or
// its running maximum (amsgrad).
void adam_update(const Tensor& param, const Tensor& grad, AdamParamState& state, double lr,
                 double beta1, double beta2, double eps, bool amsgrad);

// The state.<i>.* names of Adam and AdamW.
Optimizer::StateLayout adam_state_layout(bool amsgrad);

}  // namespace tg::optim::detail
