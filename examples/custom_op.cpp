// Custom ops from user code, libtorch's way: two activations defined here, outside the library,
// as tg::autograd::Function<T> (see docs/custom-ops.md).
//
// - Swish, x * sigmoid(x) (Ramachandran et al. 2017), with a backward written in Tensor ops: it is
//   checked by gradcheck and gradgradcheck like any built-in op.
// - StepSTE, the step activation of the tutorial articles (1 where x >= 0, else 0) made trainable by
//   the straight-through estimator (Bengio et al. 2013, "Estimating or propagating gradients through
//   stochastic neurons"): forward is the step, backward passes the gradient through where
//   |x| <= 1, as if the step were the hard tanh. gradcheck rejects it, as it should: the estimator is
//   deliberately not the step's derivative (which is 0 almost everywhere).
//
// Then a 2 -> 8 -> 1 network with step units in the hidden layer learns XOR with StepSTE, while the
// same network with the library's tg::step (gradient 0) cannot move its first layer. Finally the
// tape of one forward pass shows both custom nodes under their own names, with their formulas.
//   custom_op [--epochs 300] [--seed 0]
#include <tapegrad/tapegrad.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "common/args.h"

using tg::autograd::AutogradContext;
using tg::autograd::variable_list;

// swish(x) = x sigmoid(x);  swish'(x) = s + x s (1 - s), s = sigmoid(x)
struct Swish : tg::autograd::Function<Swish> {
  static constexpr const char* formula = "grad_x = grad * (s + x * s * (1 - s)),  s = sigmoid(x)";
  static tg::Tensor forward(AutogradContext* ctx, const tg::Tensor& x) {
    ctx->save_for_backward({x});
    return x * tg::sigmoid(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    tg::Tensor x = ctx->get_saved_variables()[0];
    tg::Tensor s = tg::sigmoid(x);
    return {grad_outputs[0] * (s + x * s * (1.0 - s))};
  }
};

// step(x) = 1 where x >= 0, else 0; backward: the straight-through estimator clipped to |x| <= 1.
struct StepSTE : tg::autograd::Function<StepSTE> {
  static constexpr const char* formula = "grad_x = grad * (|x| <= 1)  (straight-through estimator)";
  static tg::Tensor forward(AutogradContext* ctx, const tg::Tensor& x) {
    ctx->save_for_backward({x});
    return tg::step(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    tg::Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * (tg::abs(x) <= 1.0).to(x.dtype())};
  }
};

// 2 -> 8 step units -> 1 sigmoid output; `ste` picks StepSTE or the library's tg::step.
struct StepNetImpl : tg::nn::Module {
  explicit StepNetImpl(bool ste)
      : ste(ste),
        hidden(register_module("hidden", tg::nn::Linear(2, 8))),
        out(register_module("out", tg::nn::Linear(8, 1))) {}
  tg::Tensor forward(const tg::Tensor& x) {
    tg::Tensor h = hidden->forward(x);
    return out->forward(ste ? StepSTE::apply(h) : tg::step(h));
  }
  bool ste;
  tg::nn::Linear hidden, out;
};
TG_MODULE(StepNet);

struct Trained {
  double accuracy;
  double first_layer_grad_norm;  // of the last step: 0 when no gradient reaches the first layer
};

static Trained train(bool ste, int epochs, const tg::Tensor& X, const tg::Tensor& y) {
  StepNet net(ste);
  tg::optim::Adam optimizer(net->parameters(), tg::optim::AdamOptions(0.05));
  double grad_norm = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    optimizer.zero_grad();
    tg::Tensor loss = tg::nn::functional::binary_cross_entropy_with_logits(net->forward(X), y);
    loss.backward();
    grad_norm = net->hidden->weight.grad().norm().item<double>();
    optimizer.step();
  }
  tg::NoGradGuard no_grad;
  double accuracy = ((net->forward(X) > 0.0).to(tg::kFloat32) == y).to(tg::kFloat64).mean().item<double>();
  return {accuracy, grad_norm};
}

int main(int argc, char** argv) try {
  examples::Args args(argc, argv, {{"epochs", "300"}, {"seed", "0"}}, "usage: custom_op [--epochs N] [--seed S]");
  tg::manual_seed(static_cast<uint64_t>(args.integer("seed")));

  // 1. The checks a built-in op gets: gradcheck and gradgradcheck in float64.
  tg::Tensor x = tg::randn({3, 4}, tg::kFloat64).requires_grad_();
  auto swish = [](const std::vector<tg::Tensor>& in) { return Swish::apply(in[0]); };
  auto ste = [](const std::vector<tg::Tensor>& in) { return StepSTE::apply(in[0]); };
  const bool swish_ok = tg::autograd::gradcheck(swish, {x}) && tg::autograd::gradgradcheck(swish, {x});
  const bool ste_passes = tg::autograd::gradcheck(ste, {x}, 1e-6, 1e-5, 1e-3, /*raise_exception=*/false);
  std::printf("Swish: gradcheck and gradgradcheck %s\n", swish_ok ? "pass" : "FAIL");
  std::printf("StepSTE: gradcheck %s (by design: the estimator is not the step's derivative)\n",
              ste_passes ? "passes (unexpected)" : "fails");

  // 2. XOR, 50 noisy points around each corner of the unit square.
  tg::Tensor corners = tg::tensor({{0.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}, {1.0, 1.0}});
  tg::Tensor labels = tg::tensor({{0.0}, {1.0}, {1.0}, {0.0}});
  tg::Tensor which = tg::arange(200, tg::kInt64).div(50).to(tg::kInt64);
  tg::Tensor X = corners.index_select(0, which) + tg::randn({200, 2}) * 0.1;
  tg::Tensor y = labels.index_select(0, which);
  const int epochs = static_cast<int>(args.integer("epochs"));
  Trained with_ste = train(true, epochs, X, y);
  Trained with_step = train(false, epochs, X, y);
  std::printf("XOR with step units, %d full-batch Adam steps:\n", epochs);
  std::printf("  StepSTE   accuracy %.3f  |grad of the first layer| %.4g\n", with_ste.accuracy,
              with_ste.first_layer_grad_norm);
  std::printf("  tg::step  accuracy %.3f  |grad of the first layer| %.4g  (no gradient passes a step)\n",
              with_step.accuracy, with_step.first_layer_grad_norm);

  // 3. The tape: custom nodes appear under their own names and carry their formulas.
  StepNet net(true);
  tg::Tensor loss = tg::nn::functional::binary_cross_entropy_with_logits(net->forward(X), y);
  std::printf("\nThe tape behind one loss (newest first):\n");
  for (const auto& node : tg::autograd::collect_tape(loss))
    std::printf("  #%-4llu %-38s %s\n", static_cast<unsigned long long>(node->sequence_nr()),
                node->backward_name().c_str(), node->op().formula);

  const bool ok = swish_ok && !ste_passes && with_ste.accuracy >= 0.95 && with_step.first_layer_grad_norm == 0;
  if (!ok) std::printf("FAILED: expected Swish to pass its checks and StepSTE to learn XOR (>= 0.95)\n");
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
