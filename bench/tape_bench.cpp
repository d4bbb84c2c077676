// What a live Tape costs (docs/PERFORMANCE.md, "The Tape"): the small-op chain h = tanh(h*w + x) on
// 16 floats, 1000 steps (3 recorded ops per step), forward and backward,
//   - with no Tape (what every program pays: one relaxed atomic load per recorded op),
//   - with a Tape alive during the forward (each node also copies its output's value), and
//     tape.backward() instead of backward() (each step also copies the gradients and the rule's
//     numbers).
//   tape_bench [--reps N]        every figure is the median of N runs (default 21)
#include <tapegrad/tapegrad.h>

#include "timing.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

namespace {
using bench::Clock;
using bench::median;
using bench::us_since;
using tg::Tensor;

constexpr int kSteps = 1000, kOpsPerStep = 3;

struct Figures {
  double forward, backward;  // us per recorded op / per backward node
};

Figures chain(int reps, bool with_tape) {
  tg::manual_seed(0);
  Tensor w = tg::randn({16}).requires_grad_(), x = tg::randn({16});
  std::vector<double> forward, backward;
  for (int r = 0; r < reps; ++r) {
    std::optional<tg::autograd::Tape> tape;
    if (with_tape) tape.emplace();
    auto start = Clock::now();
    Tensor h = tg::zeros({16});
    for (int i = 0; i < kSteps; ++i) h = tg::tanh(h * w + x);
    Tensor loss = h.sum();
    forward.push_back(us_since(start) / (kSteps * kOpsPerStep));
    start = Clock::now();
    if (tape) {
      tape->backward(loss);
    } else {
      loss.backward();
    }
    backward.push_back(us_since(start) / (kSteps * kOpsPerStep + 2));
    w.mutable_grad() = Tensor();
  }
  return {median(forward), median(backward)};
}
}  // namespace

int main(int argc, char** argv) {
  int reps = 21;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
  tg::set_num_threads(1);
  chain(3, false);  // warm the allocator's pools
  Figures off = chain(reps, false), on = chain(reps, true), off_again = chain(reps, false);
  std::printf("small chain, 16 floats, %d steps, median of %d runs, 1 thread\n", kSteps, reps);
  std::printf("  %-34s %10s %10s\n", "", "no Tape", "Tape");
  std::printf("  %-34s %10.3f %10.3f   (no Tape again: %.3f)\n", "forward, us per recorded op", off.forward, on.forward,
              off_again.forward);
  std::printf("  %-34s %10.3f %10.3f   (no Tape again: %.3f)\n", "backward, us per node", off.backward, on.backward,
              off_again.backward);
  return 0;
}
