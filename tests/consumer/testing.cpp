// Checks a user-defined op with tg::testing::check_op (tapegrad::testing, from the same package):
// prints "check_op: ok" when softsign passes and a deliberately wrong reference is caught.
#include <tapegrad/tapegrad.h>
#include <tapegrad/testing.h>

#include <iostream>

namespace {
tg::Tensor softsign(const tg::Tensor& x) { return x / (1.0 + x.abs()); }

tg::testing::OpInfo softsign_entry(double reference_scale) {
  return {.name = "softsign", .samples = [reference_scale] {
            return std::vector<tg::testing::OpSample>{
                {.description = "[3]",
                 .inputs = {tg::tensor({-1.5, 0.25, 2.0}, tg::kFloat64).requires_grad_()},
                 .call = [](const tg::testing::Inputs& in) { return softsign(in[0]); },
                 .reference =
                     [reference_scale](const tg::testing::Inputs& in) {
                       tg::Tensor x = in[0].detach();
                       return x / (x.abs() + 1.0) * reference_scale;
                     }}};
          }};
}
}  // namespace

int main() {
  tg::testing::check_op(softsign_entry(1.0));  // throws tg::Error on failure
  try {
    tg::testing::check_op(softsign_entry(2.0));
    std::cout << "check_op missed a wrong reference\n";
    return 1;
  } catch (const tg::Error&) {
  }
  std::cout << "check_op: ok\n";
  return 0;
}
