// A tour of the tape: the documents' 2 -> 3 sigmoid -> 1 network (seed 004) on one sample.
//
// Records the forward pass on a tg::autograd::Tape, prints the tape, writes it as DOT, SVG, JSON and
// a stepping HTML viewer (tape_tour.*), runs the traced backward, and prints side by side the
// quantities the documents derive by hand, each layer's delta and dL/dw_ji = delta_j x_i,
// dL/db_j = delta_j, and the tape's gradients. Returns non-zero if they disagree.
//
//   ./tape_tour [--out DIR]     then open DIR/tape_tour.html (add #step=3 to open at step 3)
#include <tapegrad/tapegrad.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

namespace nn = tg::nn;

// seed 004, section 4.3: two inputs, a hidden layer of 3 sigmoid nodes, one sigmoid output.
struct NetImpl : nn::Module {
  NetImpl()
      : hidden(register_module("hidden", nn::Linear(2, 3))), output(register_module("output", nn::Linear(3, 1))) {}
  tg::Tensor forward(const tg::Tensor& x) { return tg::sigmoid(output(tg::sigmoid(hidden(x)))); }
  nn::Linear hidden, output;
};
TG_MODULE(Net);

int main(int argc, char** argv) try {
  std::filesystem::path out_dir = ".";
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--out") == 0) out_dir = argv[i + 1];
  std::filesystem::create_directories(out_dir);

  Net net;
  net->to(tg::kFloat64);
  {  // fixed weights, so that the numbers in the guide are the numbers you see
    tg::NoGradGuard no_grad;
    net->hidden->weight.copy_(tg::tensor({{0.15, 0.20}, {0.25, 0.30}, {0.35, -0.40}}, tg::kFloat64));
    net->hidden->bias.copy_(tg::tensor({0.35, -0.1, 0.2}, tg::kFloat64));
    net->output->weight.copy_(tg::tensor({{0.40, -0.45, 0.50}}, tg::kFloat64));
    net->output->bias.copy_(tg::tensor({0.60}, tg::kFloat64));
  }
  tg::Tensor x = tg::tensor({{0.05, 0.10}}, tg::kFloat64);
  tg::Tensor y = tg::tensor({{1.0}}, tg::kFloat64);

  tg::autograd::Tape tape;
  tape.watch(net);
  tape.watch(x, "x");
  tape.watch(y, "y");
  tg::Tensor y_hat = net->forward(x);
  tg::Tensor loss = 0.5 * (y_hat - y).pow(2).sum();  // J = 1/2 (y_hat - y)^2, the documents' MSE for n = 1
  tape.watch(y_hat, "y_hat");
  tape.watch(loss, "loss");

  std::cout << "== The tape after the forward pass ==\n" << tape.table() << "\n";
  tape.backward(loss);
  std::cout << "== Backward, one node per step ==\n" << tape.trace() << "\n";

  const std::string stem = (out_dir / "tape_tour").string();
  {
    std::ofstream(stem + ".dot") << tape.to_dot();
    std::ofstream(stem + ".json") << tape.to_json();
  }
  tape.write_svg(stem + ".svg");
  tape.write_html(stem + ".html");
  std::cout << "wrote " << stem << ".dot, .svg, .json and .html (open " << stem << ".html#step=1)\n\n";

  // ---- the documents' hand derivation, with the forward values ----
  tg::NoGradGuard no_grad;
  const tg::Tensor w1 = net->hidden->weight, b1 = net->hidden->bias;
  const tg::Tensor w2 = net->output->weight, b2 = net->output->bias;
  auto at = [](const tg::Tensor& t, int64_t i, int64_t j) { return t[i][j].item<double>(); };
  double h[3];
  for (int j = 0; j < 3; ++j) {
    double z = b1[j].item<double>();
    for (int i = 0; i < 2; ++i) z += at(w1, j, i) * at(x, 0, i);
    h[j] = 1 / (1 + std::exp(-z));
  }
  double z_out = b2[0].item<double>();
  for (int j = 0; j < 3; ++j) z_out += at(w2, 0, j) * h[j];
  const double out = 1 / (1 + std::exp(-z_out));
  const double delta_out = (out - at(y, 0, 0)) * out * (1 - out);  // dJ/dz_out
  double delta_hidden[3];
  for (int j = 0; j < 3; ++j) delta_hidden[j] = delta_out * at(w2, 0, j) * h[j] * (1 - h[j]);

  bool agree = true;
  std::cout << std::setprecision(10) << "== By hand (seed 004) and by the tape ==\n"
            << "output delta = (y_hat - y) y_hat (1 - y_hat) = " << delta_out << "\n";
  auto row = [&](const std::string& what, double by_hand, double by_tape) {
    bool same = std::abs(by_hand - by_tape) <= 1e-12 * (1 + std::abs(by_hand));
    agree = agree && same;
    std::cout << "  " << std::left << std::setw(42) << what << std::right << std::setw(18) << by_hand << std::setw(18)
              << by_tape << (same ? "" : "   <-- differ") << "\n";
  };
  std::cout << "  " << std::left << std::setw(42) << "quantity" << std::right << std::setw(18) << "by hand"
            << std::setw(18) << "tape"
            << "\n";
  for (int j = 0; j < 3; ++j)
    row("dL/d output.weight[0][" + std::to_string(j) + "] = delta h_" + std::to_string(j), delta_out * h[j],
        at(w2.grad(), 0, j));
  row("dL/d output.bias[0] = delta", delta_out, b2.grad()[0].item<double>());
  for (int j = 0; j < 3; ++j) {
    std::cout << "hidden delta_" << j << " = delta w_" << j << " h_" << j << " (1 - h_" << j
              << ") = " << delta_hidden[j] << "\n";
    for (int i = 0; i < 2; ++i)
      row("dL/d hidden.weight[" + std::to_string(j) + "][" + std::to_string(i) + "] = delta_" + std::to_string(j) +
              " x_" + std::to_string(i),
          delta_hidden[j] * at(x, 0, i), at(w1.grad(), j, i));
    row("dL/d hidden.bias[" + std::to_string(j) + "] = delta_" + std::to_string(j), delta_hidden[j],
        b1.grad()[j].item<double>());
  }
  std::cout << (agree ? "The tape's gradients are the hand-derived ones.\n" : "MISMATCH\n");
  return agree ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "tape_tour: " << e.what() << "\n";
  return 1;
}
