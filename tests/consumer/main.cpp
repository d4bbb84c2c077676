// Prints d/dx sum(x^2 + 3x) at x = [1, 2]: expected "5 7".
#include <tapegrad/tapegrad.h>

#include <iostream>

int main() {
  auto x = tg::tensor({1.0, 2.0}, tg::requires_grad());
  (x * x + x * 3.0).sum().backward();
  std::cout << x.grad()[0].item<float>() << " " << x.grad()[1].item<float>() << "\n";
  return 0;
}
