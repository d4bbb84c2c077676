// A hand-written backward against the tape: seed 001's NumPy 2 -> 4 tanh -> 1 network.
//
// The article derives its backward by hand:
//   d_y_pred            = 2 * (y_pred - y)
//   d_hidden_activation = d_y_pred * y_pred * (1 - y_pred)      <- the sigmoid's derivative
//   weights_input_hidden -= lr * X.T @ d_hidden_activation
// but its hidden layer is tanh and its output is linear. This program
//   1. runs that hand-written backward as a custom op and lets gradcheck judge it (it fails, and
//      says at which Jacobian entry and by how much), while the tape's own gradient passes;
//   2. compares each quantity of the hand derivation with the gradient the tape's trace computed
//      for the same tensor, and names the first backward step where they part, with its rule.
// Returns non-zero unless the hand backward is caught and the tape's is right.
#include <tapegrad/tapegrad.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using tg::Tensor;
using tg::autograd::AutogradContext;
using tg::autograd::variable_list;

namespace {

// The article's forward, as a function of the hidden weights: the sum of squared errors (its
// d_y_pred = 2 (y_pred - y) is the gradient of the sum, not of the mean it prints).
Tensor sse(const Tensor& W1, const Tensor& X, const Tensor& y, const Tensor& W2) {
  Tensor h = tg::tanh(X.matmul(W1));
  return (h.matmul(W2) - y).square().sum();
}

// The same loss with the article's hand-written gradient for W1 as its backward.
struct ArticleBackward : tg::autograd::Function<ArticleBackward> {
  static constexpr const char* formula = "grad_W1 = X^T (2 (y_pred - y) * y_pred * (1 - y_pred))  (seed 001, by hand)";
  static Tensor forward(AutogradContext* ctx, Tensor W1, Tensor X, Tensor y, Tensor W2) {
    ctx->save_for_backward({W1, X, y, W2});
    return sse(W1, X, y, W2);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const Tensor &W1 = saved[0], &X = saved[1], &y = saved[2], &W2 = saved[3];
    Tensor y_pred = tg::tanh(X.matmul(W1)).matmul(W2);
    Tensor d_y_pred = 2 * (y_pred - y);
    Tensor d_hidden_activation = d_y_pred * y_pred * (1 - y_pred);  // [N, 1]: the article's line
    Tensor dW1 = X.t().matmul(d_hidden_activation).expand(W1.sizes());
    return {grad_outputs[0] * dW1, Tensor(), Tensor(), Tensor()};
  }
};

double max_abs_diff(const Tensor& a, const Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

int main() {
  tg::manual_seed(0);
  const auto f64 = tg::TensorOptions().dtype(tg::kFloat64);
  // The article's data and weights: X = randn(100, 2), y = randn(100, 1), W ~ randn, zero biases
  // (left out here: they change nothing in the argument).
  Tensor X = tg::randn({100, 2}, f64), y = tg::randn({100, 1}, f64);
  Tensor W1 = tg::randn({2, 4}, f64).requires_grad_();
  Tensor W2 = tg::randn({4, 1}, f64).requires_grad_();
  bool ok = true;

  // ---- 1. gradcheck judges both backwards ----
  std::cout << "1. gradcheck (central differences against the backward's Jacobian)\n";
  auto hand = [&](const std::vector<Tensor>& in) { return ArticleBackward::apply(in[0], X, y, W2); };
  auto tape = [&](const std::vector<Tensor>& in) { return sse(in[0], X, y, W2); };
  const bool hand_passes = tg::autograd::gradcheck(hand, {W1}, 1e-6, 1e-5, 1e-3, /*raise_exception=*/false);
  const bool tape_passes = tg::autograd::gradcheck(tape, {W1}, 1e-6, 1e-5, 1e-3, /*raise_exception=*/false);
  std::cout << "   the article's hand-written backward: " << (hand_passes ? "passes" : "FAILS") << "\n";
  try {
    tg::autograd::gradcheck(hand, {W1});
  } catch (const tg::Error& e) {
    std::cout << "     " << e.what() << "\n";
  }
  std::cout << "   the tape's backward: " << (tape_passes ? "passes" : "FAILS") << "\n";
  ok = ok && !hand_passes && tape_passes;

  // ---- 2. where the hand derivation leaves the tape's trace ----
  tg::autograd::Tape trace;
  trace.watch(W1, "W1");
  trace.watch(W2, "W2");
  trace.watch(X, "X");
  Tensor X_hidden = X.matmul(W1);
  Tensor hidden_activation = tg::tanh(X_hidden);
  Tensor y_pred = hidden_activation.matmul(W2);
  Tensor loss = (y_pred - y).square().sum();
  trace.watch(X_hidden, "X_hidden");
  trace.watch(hidden_activation, "hidden_activation");
  trace.watch(y_pred, "y_pred");
  trace.watch(loss, "loss");
  trace.backward(loss);

  // the article's quantities, each the gradient of the loss at one tensor of the forward pass
  struct Quantity {
    std::string hand_name, formula, tensor;
    Tensor value;
  };
  std::vector<Quantity> quantities;
  {
    tg::NoGradGuard no_grad;
    Tensor yp = y_pred.detach();
    Tensor d_y_pred = 2 * (yp - y);
    quantities.push_back({"d_y_pred", "2 (y_pred - y)", "y_pred", d_y_pred});
    // the article updates W1 with X^T d_hidden_activation, so d_hidden_activation stands for dL/dX_hidden
    quantities.push_back({"d_hidden_activation", "d_y_pred * y_pred * (1 - y_pred)", "X_hidden",
                          (d_y_pred * yp * (1 - yp)).expand(X_hidden.sizes())});
    quantities.push_back(
        {"dW1", "X^T d_hidden_activation", "W1", X.t().matmul(d_y_pred * yp * (1 - yp)).expand(W1.sizes())});
  }
  std::printf("\n2. the hand derivation against the tape's trace, newest tensor first\n");
  std::printf("   %-20s %-34s %-22s %s\n", "hand quantity", "by hand", "tape's grad of", "max |hand - tape|");
  const Quantity* first_wrong = nullptr;
  const tg::autograd::TapeTensor* where = nullptr;
  for (const Quantity& q : quantities) {
    const tg::autograd::TapeTensor* t = nullptr;
    for (const auto& candidate : trace.tensors())
      if (candidate.name == q.tensor) t = &candidate;
    if (!t || t->grad_step < 0 || !t->grad.value.defined()) {
      std::printf("   %s: the tape has no gradient for %s\n", q.hand_name.c_str(), q.tensor.c_str());
      ok = false;
      continue;
    }
    const double diff = max_abs_diff(q.value, t->grad.value);
    std::printf("   %-20s %-34s %-22s %.3g%s\n", q.hand_name.c_str(), q.formula.c_str(),
                (q.tensor + " " + tg::shape_str(t->grad.sizes)).c_str(), diff, diff < 1e-9 ? "" : "   <-- differs");
    if (diff >= 1e-9 && !first_wrong) {
      first_wrong = &q;
      where = t;
    }
  }
  if (!first_wrong) {
    std::printf("   no difference found\n");
    return 1;
  }
  const auto& step = trace.step(static_cast<std::size_t>(where->grad_step));
  std::printf(
      "\n   The first quantity that differs is %s, the gradient at %s. The tape computed it at\n"
      "   step %d of %zu, %s (#%llu), where it applied\n      %s\n   to the gradient arriving from "
      "hidden_activation (dL/dh = d_y_pred W2^T, %s).\n",
      first_wrong->hand_name.c_str(), where->name.c_str(), step.index, trace.steps().size(), step.backward_name.c_str(),
      static_cast<unsigned long long>(step.sequence_nr), step.formula.c_str(), step.grad_outputs.at(0).str().c_str());
  std::printf(
      "   The hand derivation instead multiplies d_y_pred by y_pred (1 - y_pred): the derivative of a\n"
      "   sigmoid, at the output, which is linear; it skips W2 and tanh's 1 - h^2 (TanhBackward0's\n"
      "   'result' is h). d_y_pred itself is right: the tape's trace agrees with it.\n");
  ok = ok && first_wrong->tensor == "X_hidden" && step.backward_name == "TanhBackward0";

  // ---- 3. and the tape's gradient is the right one ----
  const double fd_check = max_abs_diff(W1.grad(), quantities[2].value);
  std::printf("\n3. W1.grad() from the tape differs from the hand dW1 by %.3g; gradcheck above passed it.\n", fd_check);
  return ok ? 0 : 1;
}
