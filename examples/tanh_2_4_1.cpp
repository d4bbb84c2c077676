// Seed 001: the 2 -> 4 -> 1 network of the second tutorial, in tapegrad.
//
// The article trains it twice on random data (X = randn(100, 2), y = randn(100, 1), learning rate
// 0.01, 1000 epochs, full batch): in NumPy with a tanh hidden layer and a hand-written backward,
// and in PyTorch with ReLU, nn.MSELoss and optim.SGD. Here both are tg modules trained by the tape
// (SGD lr 0.01, MSE, 1000 full-batch epochs).
//
// The targets are random and independent of X, so the loss cannot go to 0: the best constant
// prediction leaves Var(y) (~1 for randn), and a 17-parameter network can only shave a little off
// that by chance correlations in 100 samples.
//
// Part 2 checks the article's hand-written gradient for the hidden weights:
//   d_hidden_activation = d_y_pred * y_pred * (1 - y_pred)
//   weights_input_hidden -= learning_rate * np.dot(X.T, d_hidden_activation)
// y_pred * (1 - y_pred) is the derivative of a sigmoid at the output, but the output is linear and
// the hidden layer is tanh; the chain rule gives
//   dL/dW1 = X^T [ (dL/dy_pred W2^T) * (1 - h^2) ],   h = tanh(X W1 + b1)
// (the article's formula also leaves out W2, and its [2, 1] result is broadcast over the four
// hidden units). The program computes one step's gradient three ways (tape, article, central
// finite differences) and prints them. As printed in the article, the bias updates would not even
// run: np.dot(np.ones((1, 1)), d_y_pred) multiplies a (1, 1) by a (100, 1) array, which NumPy
// rejects, so only the weight gradients are compared.
//   tanh_2_4_1 [--epochs 1000] [--lr 0.01] [--seed 0]
#include <tapegrad/tapegrad.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "common/args.h"

struct MlpImpl : tg::nn::Module {
  explicit MlpImpl(std::string activation)
      : fc1(register_module("fc1", tg::nn::Linear(2, 4))),
        fc2(register_module("fc2", tg::nn::Linear(4, 1))),
        activation(std::move(activation)) {}

  tg::Tensor forward(tg::Tensor x) {
    x = fc1->forward(x);
    x = activation == "tanh" ? tg::tanh(x) : tg::relu(x);
    return fc2->forward(x);
  }

  tg::nn::Linear fc1, fc2;
  std::string activation;
};
TG_MODULE(Mlp);

// Trains a fresh network on (X, y); returns {first loss, last loss}.
static std::pair<double, double> train(const std::string& activation, const tg::Tensor& X, const tg::Tensor& y,
                                       int epochs, double lr) {
  Mlp model(activation);
  tg::optim::SGD optimizer(model->parameters(), tg::optim::SGDOptions(lr));
  std::printf("\n2 -> 4 %s -> 1, SGD lr %g, MSE, full batch:\n", activation.c_str(), lr);
  double first = 0, last = 0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    tg::Tensor loss = tg::nn::functional::mse_loss(model->forward(X), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    const double value = loss.item_double();
    if (epoch == 0) first = value;
    if (epoch == 0 || epoch == 9 || (epoch + 1) % 100 == 0 || epoch == epochs - 1)
      std::printf("  epoch %4d  loss %.4f\n", epoch + 1, value);
  }
  {
    tg::NoGradGuard no_grad;
    last = tg::nn::functional::mse_loss(model->forward(X), y).item_double();
  }
  std::printf("  final loss %.4f (started at %.4f)\n", last, first);
  return {first, last};
}

int main(int argc, char** argv) try {
  examples::Args args(argc, argv, {{"epochs", "1000"}, {"lr", "0.01"}, {"seed", "0"}},
                      "usage: tanh_2_4_1 [--epochs N] [--lr LR] [--seed S]");
  const int epochs = static_cast<int>(args.integer("epochs"));
  const double lr = args.number("lr");
  tg::manual_seed(static_cast<uint64_t>(args.integer("seed")));
  bool ok = true;

  // ------------------------------------------------------------------ part 1: training
  tg::Tensor X = tg::randn({100, 2});
  tg::Tensor y = tg::randn({100, 1});
  const double floor = y.var(/*unbiased=*/false).item_double();
  std::printf(
      "part 1: random targets y ~ N(0,1), independent of X ~ N(0,1)^2. Nothing in X predicts y, so\n"
      "the loss heads for the MSE of the best constant prediction (the mean of y), Var(y) = %.4f,\n"
      "not for 0; a 17-parameter net only shaves a little off it through chance correlations\n",
      floor);
  for (const char* activation : {"tanh", "relu"}) {
    auto [first, last] = train(activation, X, y, epochs, lr);
    // Training lowers the loss, towards Var(y) and not to 0: nothing in X predicts y.
    if (!(last < first)) {
      std::printf("FAILED: the %s network's loss did not decrease\n", activation);
      ok = false;
    }
    if (epochs >= 1000 && !(last < floor + 0.05 && last > 0.8 * floor)) {
      std::printf("FAILED: after %d epochs the %s loss should be near Var(y) = %.4f\n", epochs, activation, floor);
      ok = false;
    }
  }

  // ------------------------------------------------------------------ part 2: the gradients
  // The article's NumPy network, in float64: W1 [2, 4], W2 [4, 1] ~ randn, zero biases. Its
  // update uses d_y_pred = 2 (y_pred - y) summed over the samples by np.dot, i.e. the gradient of
  // the sum of squared errors, so that is the loss differentiated here.
  const auto f64 = tg::TensorOptions().dtype(tg::kFloat64);
  tg::Tensor Xd = X.to(tg::kFloat64), yd = y.to(tg::kFloat64);
  tg::Tensor W1 = tg::randn({2, 4}, f64).requires_grad_();
  tg::Tensor W2 = tg::randn({4, 1}, f64).requires_grad_();
  tg::Tensor b1 = tg::zeros({1, 4}, f64.requires_grad(true));
  tg::Tensor b2 = tg::zeros({1, 1}, f64.requires_grad(true));
  auto sse = [&](const tg::Tensor& w1) {
    tg::Tensor h = tg::tanh(Xd.matmul(w1) + b1);
    tg::Tensor y_pred = h.matmul(W2) + b2;
    return (y_pred - yd).square().sum();
  };

  // 1. The tape.
  sse(W1).backward();
  tg::Tensor tape_dW1 = W1.grad();
  tg::Tensor tape_dW2 = W2.grad();

  // 2. The article's formulas, and the chain rule written out.
  tg::Tensor article_dW1, article_dW2, chain_dW1;
  {
    tg::NoGradGuard no_grad;
    tg::Tensor h = tg::tanh(Xd.matmul(W1) + b1);
    tg::Tensor y_pred = h.matmul(W2) + b2;
    tg::Tensor d_y_pred = 2 * (y_pred - yd);                            // [100, 1]
    tg::Tensor d_hidden_activation = d_y_pred * y_pred * (1 - y_pred);  // the article's line
    article_dW1 = Xd.t().matmul(d_hidden_activation).expand({2, 4});    // [2, 1], broadcast
    article_dW2 = h.t().matmul(d_y_pred);                               // the article's, correct
    chain_dW1 = Xd.t().matmul(d_y_pred.matmul(W2.t()) * (1 - h * h));   // tanh' = 1 - h^2
  }

  // 3. Central finite differences.
  tg::Tensor fd_dW1 = tg::zeros({2, 4}, f64);
  {
    tg::NoGradGuard no_grad;
    const double eps = 1e-6;
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        tg::Tensor plus = W1.detach().clone(), minus = W1.detach().clone();
        plus.data_ptr<double>()[i * 4 + j] += eps;
        minus.data_ptr<double>()[i * 4 + j] -= eps;
        fd_dW1.data_ptr<double>()[i * 4 + j] = (sse(plus).item_double() - sse(minus).item_double()) / (2 * eps);
      }
  }

  auto max_diff = [](const tg::Tensor& a, const tg::Tensor& b) { return (a - b).abs().max().item_double(); };
  std::printf("\npart 2: one step's gradient of the hidden weights W1 [2, 4] (sum of squared errors, float64)\n");
  auto print_matrix = [](const char* name, const tg::Tensor& m) {
    std::printf("  %-26s", name);
    for (int64_t i = 0; i < 2; ++i) {
      std::printf(i == 0 ? "[" : " [");
      for (int64_t j = 0; j < 4; ++j) std::printf("%s%10.4f", j ? " " : "", m[i][j].item_double());
      std::printf("]");
    }
    std::printf("\n");
  };
  print_matrix("finite differences", fd_dW1);
  print_matrix("tape (W1.grad())", tape_dW1);
  print_matrix("chain rule, 1 - h^2", chain_dW1);
  print_matrix("article, y(1-y), no W2", article_dW1);
  const double tape_err = max_diff(tape_dW1, fd_dW1);
  const double chain_err = max_diff(chain_dW1, fd_dW1);
  const double article_err = max_diff(article_dW1, fd_dW1);
  const double w2_err = max_diff(article_dW2, tape_dW2);
  std::printf("  max |tape - finite differences|    = %.2e\n", tape_err);
  std::printf("  max |chain rule - tape|            = %.2e\n", max_diff(chain_dW1, tape_dW1));
  std::printf("  max |article - finite differences| = %.2e\n", article_err);
  std::printf(
      "  (the output-layer gradient h^T d_y_pred is right in the article: max |article - tape| for W2\n"
      "   = %.2e; the error is the hidden delta, which multiplies by the sigmoid derivative\n"
      "   y_pred (1 - y_pred) of a linear output instead of by W2^T and tanh's 1 - h^2)\n",
      w2_err);
  // Relative to the gradient's size: the tape agrees with finite differences to rounding, the
  // article's formula does not agree at all.
  const double scale = fd_dW1.abs().max().item_double();
  if (!(tape_err < 1e-6 * std::max(1.0, scale) && chain_err < 1e-6 * std::max(1.0, scale) &&
        w2_err < 1e-9 * std::max(1.0, scale))) {
    std::printf("FAILED: the tape's gradient should match finite differences\n");
    ok = false;
  }
  if (!(article_err > 0.1 * scale)) {
    std::printf("FAILED: expected the article's formula to disagree with finite differences\n");
    ok = false;
  }
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "tanh_2_4_1: %s\n", e.what());
  return 1;
}
