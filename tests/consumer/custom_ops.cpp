// A user's program outside the repository, built with find_package(tapegrad), defining two custom
// ops as libtorch does (tg::autograd::Function<T>), checking them as tapegrad checks its own ops,
// and training with them. Prints "custom_ops: ok" and the loss before and after training.
//   SinCos        two outputs, sin(x) and cos(x), from one node; backward in Tensor ops, so it is
//                 twice differentiable (gradgradcheck).
//   MaxWithIndex  the maximum along the last dim and its index; the index is an int64 output marked
//                 non-differentiable (ctx->mark_non_differentiable), as libtorch's max(dim).
#include <tapegrad/tapegrad.h>

#include <cstdio>
#include <exception>

using tg::Tensor;
using tg::autograd::AutogradContext;
using tg::autograd::variable_list;

struct SinCos : tg::autograd::Function<SinCos> {
  static constexpr const char* formula = "grad_x = grad_sin * cos(x) - grad_cos * sin(x)";
  static variable_list forward(AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return {tg::sin(x), tg::cos(x)};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * tg::cos(x) - grad_outputs[1] * tg::sin(x)};
  }
};

struct MaxWithIndex : tg::autograd::Function<MaxWithIndex> {
  static constexpr const char* formula = "grad_x = grad_values scattered to the argmax of each row";
  static variable_list forward(AutogradContext* ctx, const Tensor& x) {
    auto [values, indices] = x.max(-1);
    ctx->mark_non_differentiable({indices});
    ctx->save_for_backward({indices});
    ctx->saved_data["sizes"] = x.sizes().vec();
    return {values, indices};
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    Tensor indices = ctx->get_saved_variables()[0].unsqueeze(-1);
    Tensor zeros = tg::zeros(ctx->saved_data["sizes"].toIntVector(), grad_outputs[0].dtype());
    return {zeros.scatter_add(-1, indices, grad_outputs[0].unsqueeze(-1))};
  }
};

int main() try {
  tg::manual_seed(0);
  // 1. The checks a built-in op gets: gradcheck and gradgradcheck in float64, over both outputs.
  Tensor x = tg::randn({3, 4}, tg::kFloat64).requires_grad_();
  auto both = [](const std::vector<Tensor>& in) {
    variable_list out = SinCos::apply(in[0]);
    return tg::cat({out[0], out[1]});
  };
  auto max_values = [](const std::vector<Tensor>& in) { return MaxWithIndex::apply(in[0])[0]; };
  if (!tg::autograd::gradcheck(both, {x}) || !tg::autograd::gradgradcheck(both, {x})) return 1;
  if (!tg::autograd::gradcheck(max_values, {x})) return 1;
  variable_list vi = MaxWithIndex::apply(x);
  if (vi[1].requires_grad() || vi[1].dtype() != tg::kInt64) return 2;        // the index: no gradient
  if (vi[0].grad_fn()->backward_name() != "MaxWithIndexBackward") return 3;  // on the tape, as libtorch

  // 2. Training: y = sum_j max_k (W2 [sin(W1 x); cos(W1 x)])_jk regresses a fixed target.
  tg::nn::Linear first(2, 6), second(12, 8);
  tg::Tensor inputs = tg::randn({64, 2});
  tg::Tensor target = (inputs.select(1, 0) * 1.5 - inputs.select(1, 1)).sin().unsqueeze(1);
  std::vector<Tensor> parameters = first->parameters();
  for (const Tensor& p : second->parameters()) parameters.push_back(p);
  tg::optim::Adam optimizer(parameters, tg::optim::AdamOptions(0.02));
  double first_loss = 0, last_loss = 0;
  for (int step = 0; step < 300; ++step) {
    optimizer.zero_grad();
    variable_list sc = SinCos::apply(first->forward(inputs));
    Tensor features = second->forward(tg::cat({sc[0], sc[1]}, 1)).view({64, 2, 4});
    Tensor prediction = MaxWithIndex::apply(features)[0].sum(1, /*keepdim=*/true);
    Tensor loss = tg::nn::functional::mse_loss(prediction, target);
    loss.backward();
    optimizer.step();
    (step == 0 ? first_loss : last_loss) = loss.item<double>();
  }
  if (!(last_loss < 0.1 * first_loss)) {
    std::printf("custom_ops: training did not converge (loss %.4f -> %.4f)\n", first_loss, last_loss);
    return 4;
  }
  std::printf("custom_ops: ok\n");
  std::fprintf(stderr, "loss %.4f -> %.4f\n", first_loss, last_loss);
  return 0;
} catch (const std::exception& e) {
  std::printf("custom_ops: %s\n", e.what());
  return 5;
}
