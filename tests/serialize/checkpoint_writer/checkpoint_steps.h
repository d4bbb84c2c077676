// What tg_checkpoint_writer saves at each step, shared with the test that kills it
// (tests/serialize/test_kill_mid_save.cpp) so the test can recompute every checkpoint exactly.
#pragma once
#include <tapegrad/tapegrad.h>

#include <cstdint>

namespace tg_checkpoint {

// 64-128-32 MLP: 12,448 parameters, so a model file is ~50 KB and an Adam file ~100 KB.
inline tg::nn::Sequential make_model() {
  return tg::nn::Sequential(tg::nn::Linear(64, 128), tg::nn::ReLU(), tg::nn::Linear(128, 32));
}

inline tg::optim::Adam make_optimizer(const tg::nn::Sequential& model) {
  return tg::optim::Adam(model->parameters(), tg::optim::AdamOptions(1e-3));
}

// An exactly representable float (a multiple of 1/4096 in [-1, 1)) from (step, element index,
// salt): the same bits in every process.
inline float value_for(int64_t step, int64_t index, int64_t salt) {
  const uint64_t h = (static_cast<uint64_t>(step) * 7919u + static_cast<uint64_t>(index) * 104729u +
                      static_cast<uint64_t>(salt) * 15485863u) %
                     8191u;
  return static_cast<float>(static_cast<int64_t>(h) - 4095) / 4096.0f;
}

// Fills every tensor in `tensors` (in order) with value_for(step, running index, salt).
inline void fill_for_step(const std::vector<tg::Tensor>& tensors, int64_t step, int64_t salt) {
  int64_t index = 0;
  for (const tg::Tensor& t : tensors) {
    float* p = t.data_ptr<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = value_for(step, index++, salt);
  }
}

// The step a model holds: the last bias's first element is the step number itself.
inline int64_t step_of(const tg::nn::Sequential& model) {
  const tg::Tensor bias = model->parameters().back();
  return static_cast<int64_t>(bias.data_ptr<float>()[0]);
}

// The parameters of step k, f(k), with k itself in the last bias's first element: the model file
// of step k is a function of k alone.
inline void set_params_for_step(const tg::nn::Sequential& model, int64_t step) {
  tg::NoGradGuard no_grad;
  const std::vector<tg::Tensor> params = model->parameters();
  fill_for_step(params, step, /*salt=*/0);
  params.back().data_ptr<float>()[0] = static_cast<float>(step);
}

// One training step as the writer takes it: gradients g(step), an Adam step (so the optimizer's
// state after step k depends on g(1..k)), then the parameters set to f(step).
inline void take_step(const tg::nn::Sequential& model, tg::optim::Adam& optimizer, int64_t step) {
  {
    tg::NoGradGuard no_grad;
    std::vector<tg::Tensor> grads;
    for (const tg::Tensor& p : model->parameters()) {
      p.mutable_grad() = tg::empty(p.sizes());
      grads.push_back(p.grad());
    }
    fill_for_step(grads, step, /*salt=*/1);
    optimizer.step();
  }
  set_params_for_step(model, step);
}

}  // namespace tg_checkpoint
