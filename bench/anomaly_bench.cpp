// What anomaly mode costs (docs/PERFORMANCE.md, "Anomaly mode"): per recorded op with it off and on
// (on: the call stack captured with glibc's backtrace(3)), at two call depths; per backward node
// (on: every gradient scanned for NaN/Inf); and the error itself, whose message resolves the call
// stack with libbacktrace: the first error of a process (which reads the debug information) and a
// later one. Built with -g1, as a program that wants file and line in the error would be.
//
//   anomaly_bench [--reps N]
//
// Every figure is the median of N runs (default 21); the workload is tg_bench's small-op chain:
// h = tanh(h*w + x) on 16 floats, 1000 steps, 3 recorded ops per step.
#include <tapegrad/tapegrad.h>

#include "timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using bench::Clock;
using bench::median;
using bench::us_since;
using tg::Tensor;

// Runs f `depth` frames below the caller: the stack a node's capture walks grows with it (a test
// under GoogleTest records ops about 15 frames below main; a training loop, 3-5).
__attribute__((noinline)) void at_depth(int depth, const std::function<void()>& f) {
  if (depth <= 0) {
    f();
  } else {
    at_depth(depth - 1, f);
  }
  asm volatile("" ::: "memory");  // not a tail call: every level keeps its frame
}

constexpr int64_t kSize = 16;
constexpr int kSteps = 1000;
constexpr int kOpsPerStep = 3;

struct Figures {
  double forward_us_per_op;
  double backward_us_per_node;
};

Figures chain(int reps, bool anomaly, int depth) {
  tg::autograd::AnomalyMode::set_enabled(anomaly);
  tg::manual_seed(0);
  Tensor w = (tg::rand({kSize}) * 0.5).requires_grad_();
  Tensor x = tg::rand({kSize}).requires_grad_();
  std::vector<double> forward, backward;
  for (int r = 0; r < reps + 1; ++r) {  // one warm-up
    w.mutable_grad() = Tensor();
    x.mutable_grad() = Tensor();
    Tensor loss;
    double fwd = 0;
    at_depth(depth, [&] {
      const auto start = Clock::now();
      Tensor h = tg::zeros({kSize});
      for (int s = 0; s < kSteps; ++s) h = tg::tanh(h * w + x);
      loss = h.sum();
      fwd = us_since(start);
    });
    const auto start = Clock::now();
    loss.backward();
    const double bwd = us_since(start);
    if (!w.grad().defined() || !std::isfinite(w.grad().sum().item<float>())) {
      std::fprintf(stderr, "anomaly_bench: the chain's gradient is not finite\n");
      std::exit(2);
    }
    if (r == 0) continue;
    forward.push_back(fwd / (kSteps * kOpsPerStep));
    backward.push_back(bwd / (kSteps * kOpsPerStep + 1));
  }
  tg::autograd::AnomalyMode::set_enabled(false);
  return {median(forward), median(backward)};
}

// The time to raise and catch anomaly mode's error for sqrt at 0 (its message resolves the
// forward's call stack), recorded `depth` frames down.
double error_us(int depth, std::string* message = nullptr) {
  tg::autograd::DetectAnomalyGuard guard;
  Tensor x = tg::zeros({4}).requires_grad_();
  Tensor loss;
  at_depth(depth, [&] { loss = tg::sqrt(x).sum(); });
  const auto start = Clock::now();
  try {
    loss.backward();
  } catch (const tg::Error& e) {
    const double us = us_since(start);
    if (message) *message = e.what();
    return us;
  }
  std::fprintf(stderr, "anomaly_bench: no error for sqrt at 0\n");
  std::exit(2);
}

int parse_reps(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--reps") == 0) return std::max(1, std::atoi(argv[i + 1]));
  return 21;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = parse_reps(argc, argv);
  std::string message;
  const double first_error = error_us(4, &message);  // the first: libbacktrace reads the debug information
  std::vector<double> later;
  for (int r = 0; r < reps; ++r) later.push_back(error_us(4));
  std::printf("anomaly error, first in the process: %.1f ms; later: %.0f us (median of %d)\n", first_error / 1000,
              median(later), reps);
  if (message.find("anomaly_bench.cpp:") == std::string::npos) {
    std::fprintf(stderr, "anomaly_bench: the error does not name this file's line:\n%s\n", message.c_str());
    return 2;
  }
  for (int depth : {4, 16, 48}) {
    const Figures off = chain(reps, false, depth);
    const Figures on = chain(reps, true, depth);
    std::printf(
        "depth %2d: forward per op off %.2f us, on %.2f us (+%.2f); backward per node off %.2f us, on %.2f us "
        "(+%.2f)\n",
        depth, off.forward_us_per_op, on.forward_us_per_op, on.forward_us_per_op - off.forward_us_per_op,
        off.backward_us_per_node, on.backward_us_per_node, on.backward_us_per_node - off.backward_us_per_node);
  }
  std::printf("the first error's message:\n%s\n", message.c_str());
}
