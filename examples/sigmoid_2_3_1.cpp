// A 2 -> 3 sigmoid -> 1 network trained by plain gradient descent with raw tensor ops: the tape
// computes every gradient that the tutorials (seeds 001, 004) derive by hand.
#include <tapegrad/tapegrad.h>

#include <iostream>

int main() {
  tg::manual_seed(0);
  // XOR-like data: label 1 when exactly one coordinate is positive
  tg::Tensor x = tg::tensor({{0.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}, {1.0, 1.0}});
  tg::Tensor y = tg::tensor({{0.0}, {1.0}, {1.0}, {0.0}});

  auto opts = tg::TensorOptions().requires_grad(true);
  tg::Tensor w1 = (tg::randn({2, 3}) * 1.0).detach().requires_grad_();
  tg::Tensor b1 = tg::zeros({3}, opts);
  tg::Tensor w2 = (tg::randn({3, 1}) * 1.0).detach().requires_grad_();
  tg::Tensor b2 = tg::zeros({1}, opts);
  const double lr = 2.0;

  for (int epoch = 0; epoch <= 5000; ++epoch) {
    tg::Tensor hidden = tg::sigmoid(x.matmul(w1) + b1);
    tg::Tensor out = tg::sigmoid(hidden.matmul(w2) + b2);
    tg::Tensor loss = ((out - y) * (out - y)).mean();
    loss.backward();
    {
      tg::NoGradGuard no_grad;
      for (tg::Tensor* p : {&w1, &b1, &w2, &b2}) {
        p->sub_(p->grad() * lr);
        p->mutable_grad().zero_();
      }
    }
    if (epoch % 1000 == 0) std::cout << "epoch " << epoch << "  loss " << loss.item<float>() << "\n";
  }
  tg::NoGradGuard no_grad;
  tg::Tensor out = tg::sigmoid(tg::sigmoid(x.matmul(w1) + b1).matmul(w2) + b2);
  tg::Tensor predicted = (out > 0.5).to(tg::kFloat32);
  double accuracy = (predicted == y).to(tg::kFloat32).mean().item<double>();
  std::cout << "predictions:\n" << out << "\naccuracy: " << accuracy << "\n";
  return accuracy == 1.0 ? 0 : 1;
}
