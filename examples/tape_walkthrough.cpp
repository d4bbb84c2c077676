// Hello, tape: one neuron, y = sigmoid(w . x + b), loss = (y - 1)^2. Records the forward pass,
// prints what was recorded, then runs backward one traced step per node. tape_tour.cpp goes further.
#include <tapegrad/tapegrad.h>

#include <cmath>
#include <iostream>

int main() {
  auto options = tg::TensorOptions().dtype(tg::kFloat64).requires_grad(true);
  tg::Tensor w = tg::tensor({0.5, -0.3}, options), b = tg::tensor({0.1}, options);
  tg::Tensor x = tg::tensor({1.0, 2.0}, tg::kFloat64);

  tg::autograd::Tape tape;  // while alive, records every op on this thread
  tape.watch(w, "w");
  tape.watch(b, "b");
  tape.watch(x, "x");
  tg::Tensor y = tg::sigmoid((w * x).sum(0, true) + b);
  tg::Tensor loss = ((y - 1.0) * (y - 1.0)).sum();
  std::cout << tape.table() << "\n";  // the nodes the forward pass recorded
  tape.backward(loss);
  std::cout << tape.trace();  // per step: the gradient arriving, the rule with its numbers, what is sent on

  // by hand: dloss/dz = 2 (y - 1) y (1 - y), dloss/dw = dloss/dz x, dloss/db = dloss/dz
  const double yv = y.item<double>(), dz = 2 * (yv - 1) * yv * (1 - yv);
  std::cout << "\nby hand: dloss/dw = [" << dz * 1.0 << ", " << dz * 2.0 << "], dloss/db = " << dz << "\n";
  const bool agree =
      std::abs(w.grad()[1].item<double>() - dz * 2.0) < 1e-12 && std::abs(b.grad().item<double>() - dz) < 1e-12;
  return agree ? 0 : 1;
}
