// The workloads tg_bench and libtorch_bench share (small, big, gemm, sweep-ops, sweep-batch; the
// training ones are train_epoch.h's) and the helpers around them, written only with names libtorch
// and tapegrad share: include it after `namespace torch = tg;` (bench/tg_bench.cpp, built by CMake)
// or after <torch/torch.h> (bench/libtorch_bench.cpp, built against libtorch by
// bench/run_libtorch_baseline.sh, as C++17).
//
// Each workload prints one result line prefixed with its Program's prefix ("" or "libtorch ", the
// lines bench/compare and bench/sweep parse), then the spread over runs, and checks its result
// before printing, so that a broken kernel cannot report a figure.
#pragma once
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "timing.h"
#include "train_epoch.h"

namespace bench {

// What differs between the two programs' workloads.
struct Program {
  const char* name;    // in messages on stderr: "tg_bench", "libtorch_bench"
  const char* prefix;  // before every result line: "" for tapegrad, "libtorch " for libtorch
  // tapegrad keeps OpenBLAS at one thread and splits products over its own workers: gemm's direct
  // cblas_sgemm call then gets get_num_threads() OpenBLAS threads for its duration, and before each
  // library call 0.2 s for those spinning threads to go to sleep. libtorch leaves OpenBLAS alone.
  bool openblas_single_threaded;
  const char* big_note;  // appended to big's result line (tg_bench: the memory traffic bench/compare reads)
  // Whether mlp, cnn and memory fail (exit status 2) when train_subcommand's checks do (a non-finite
  // loss, memory growing across epochs); libtorch_bench only reports its figures.
  bool train_checks_fatal;
};

// Exits with status 2 when a result check fails.
inline void check(const Program& program, bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "%s: check failed: %s\n", program.name, what);
    std::exit(2);
  }
}

// Whether `t` is defined and has only finite elements (float).
inline bool all_finite(const torch::Tensor& t) {
  if (!t.defined()) return false;
  const torch::Tensor dense = t.contiguous();
  const float* values = dense.data_ptr<float>();
  return std::all_of(values, values + dense.numel(), [](float v) { return std::isfinite(v); });
}

// "  (min .. unit, max .. unit over N runs)": the spread of `values` times `scale`.
inline void print_spread(const std::vector<double>& values, double scale, const char* unit) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  std::printf("  (min %.4g %s, max %.4g %s over %zu runs)\n", *lo * scale, unit, *hi * scale, unit, values.size());
}

// h = tanh(h*w + x) on 16 floats, 1000 steps, then backward of h.sum(): the per-op overhead of
// recording and replaying the tape, with kernels too small to matter.
inline void bench_small(const Program& program, int reps) {
  constexpr int64_t kSize = 16;
  constexpr int kSteps = 1000;
  constexpr int kOpsPerStep = 3;  // mul, add, tanh
  torch::manual_seed(0);
  torch::Tensor w = (torch::randn({kSize}) * 0.5).requires_grad_(true);
  torch::Tensor x = (torch::randn({kSize}) * 0.5).requires_grad_(true);

  // One repetition: {wall, process CPU} seconds.
  auto run_once = [&] {
    w.mutable_grad() = torch::Tensor();
    x.mutable_grad() = torch::Tensor();
    const auto start = Clock::now();
    const std::clock_t cpu_start = std::clock();
    {
      torch::Tensor h = torch::zeros({kSize});
      for (int step = 0; step < kSteps; ++step) h = torch::tanh(h * w + x);
      h.sum().backward();
    }  // the tape is freed inside the timed region, as it is in a training loop
    return std::pair<double, double>(seconds_since(start), double(std::clock() - cpu_start) / CLOCKS_PER_SEC);
  };
  // Warm-up: untimed repetitions for at least 0.3 s. OpenBLAS's server thread, started when the
  // library loads, spins in sched_yield for about 0.1 s (2^28 TSC cycles) before it sleeps; on
  // this 2-vCPU machine a run overlapping that spin was up to 1.7x slower (both libraries link it).
  const auto warm_up_start = Clock::now();
  do run_once();
  while (seconds_since(warm_up_start) < 0.3);
  std::vector<double> times, cpu_times;
  for (int rep = 0; rep < reps; ++rep) {
    const auto [elapsed, cpu_elapsed] = run_once();
    times.push_back(elapsed);
    cpu_times.push_back(cpu_elapsed);
  }
  check(program, all_finite(w.grad()), "small: grad of w");
  check(program, all_finite(x.grad()), "small: grad of x");

  const double per_op = 1e6 / (kOpsPerStep * kSteps);
  std::printf("%ssmall chain (16 floats, 1000 steps, fwd+bwd): %.3f us per op\n", program.prefix,
              median(times) * per_op);
  print_spread(times, per_op, "us");
  // Process CPU time moves less than wall time when other processes share the cores.
  std::printf("  (median process CPU time %.3f us per op)\n", median(cpu_times) * per_op);
}

// relu(a*b + a).sum() forward and backward, a and b 16M floats: memory bandwidth and the cost of
// allocating large fresh buffers (page faults) for every intermediate and gradient.
inline void bench_big(const Program& program, int reps) {
  constexpr int64_t kSize = int64_t{16} << 20;
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({kSize}).requires_grad_(true);
  torch::Tensor b = torch::randn({kSize}).requires_grad_(true);

  std::vector<double> times;
  double warm_up = 0;
  for (int rep = 0; rep < reps + 1; ++rep) {  // the first iteration is a warm-up
    // Gradients start unset each iteration (set_to_none), outside the timed region.
    a.mutable_grad() = torch::Tensor();
    b.mutable_grad() = torch::Tensor();
    const auto start = Clock::now();
    {
      torch::Tensor loss = torch::relu(a * b + a).sum();
      loss.backward();
    }
    const double elapsed = seconds_since(start);
    if (rep == 0)
      warm_up = elapsed;
    else
      times.push_back(elapsed);
  }
  // d/da = (b + 1) * [a*b + a > 0], d/db = a * [a*b + a > 0]: spot-check a few elements.
  check(program, a.grad().defined() && b.grad().defined(), "big: gradients defined");
  const torch::Tensor grad_a = a.grad().contiguous();
  const torch::Tensor grad_b = b.grad().contiguous();
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  const float* ga = grad_a.data_ptr<float>();
  const float* gb = grad_b.data_ptr<float>();
  for (int64_t i : {int64_t{0}, int64_t{12345}, kSize / 2, kSize - 1}) {
    const bool active = pa[i] * pb[i] + pa[i] > 0;
    check(program, std::fabs(ga[i] - (active ? pb[i] + 1 : 0.f)) < 1e-5f, "big: grad of a");
    check(program, std::fabs(gb[i] - (active ? pa[i] : 0.f)) < 1e-5f, "big: grad of b");
  }

  std::printf("%sbig (relu(a*b+a).sum(), 16M floats, fwd+bwd): %.4f s per iter%s\n", program.prefix, median(times),
              program.big_note);
  print_spread(times, 1.0, "s");
  std::printf("  (warm-up iteration %.4g s)\n", warm_up);
}

// 1024x1024 float32 matrix product, against a direct cblas_sgemm call on the same data. The two
// are timed alternately, so a burst of load from elsewhere hits both.
inline void bench_gemm(const Program& program, int reps) {
  constexpr int64_t kN = 1024;
  constexpr double kFlops = 2.0 * kN * kN * kN;
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({kN, kN});
  torch::Tensor b = torch::randn({kN, kN});
  std::vector<float> c_direct(kN * kN);

  auto run_library = [&] { return torch::mm(a, b); };
  const int threads = torch::get_num_threads();
  auto run_direct = [&] {
    if (program.openblas_single_threaded) openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a.data_ptr<float>(), kN,
                b.data_ptr<float>(), kN, 0.0f, c_direct.data(), kN);
    if (program.openblas_single_threaded) openblas_set_num_threads(1);
  };
  auto settle = [&] {
    if (program.openblas_single_threaded) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  };
  torch::Tensor c = run_library();  // warm-up (and OpenBLAS's thread start) for both
  run_direct();
  check(program, torch::allclose(c, torch::from_blob(c_direct.data(), {kN, kN}), 1e-3, 1e-3),
        "gemm: mm agrees with cblas_sgemm");

  std::vector<double> library_gflops, direct_gflops;
  for (int rep = 0; rep < reps; ++rep) {
    settle();
    auto start = Clock::now();
    c = run_library();
    library_gflops.push_back(kFlops / seconds_since(start) * 1e-9);
    start = Clock::now();
    run_direct();
    direct_gflops.push_back(kFlops / seconds_since(start) * 1e-9);
  }
  const double library = median(library_gflops);
  const double direct = median(direct_gflops);
  std::printf("%ssgemm 1024: %.1f GFLOP/s (direct OpenBLAS: %.1f GFLOP/s, ratio %.2f)\n", program.prefix, library,
              direct, library / direct);
  print_spread(library_gflops, 1.0, "GFLOP/s");
}

// The alloc workload's buffer (each program has its own bench_alloc: the allocators differ): 64 MB.
constexpr int64_t kAllocFloats = int64_t{16} << 20;

// GB/s of writing kAllocFloats floats over `reps` runs after a warm-up: untimed() runs before each
// run, then write() is timed. write() returns the tensor it wrote, so that freeing it stays
// outside the timed region.
template <typename Untimed, typename Write>
std::vector<double> write_rates(int reps, Untimed untimed, Write write) {
  std::vector<double> rates;
  for (int rep = 0; rep < reps + 1; ++rep) {
    untimed();
    const auto start = Clock::now();
    const torch::Tensor written = write();
    const double elapsed = seconds_since(start);
    if (rep > 0) rates.push_back(kAllocFloats * sizeof(float) / elapsed * 1e-9);
  }
  return rates;
}

// The sweeps of docs/PERFORMANCE.md's "Scale" section (bench/sweep plots them).
//
// sweep-ops: the small workload's chain h = tanh(h*w + x), forward and backward of h.sum(), at
// 1, 16, 256, 4K, 64K, 1M and 16M floats (powers of 16), 4M / numel steps (at least 1, at most
// 1000), so each size from 4K on is about as much memory traffic as the next; reps runs, or from
// 3 runs on only as many as fit in 2 s. One line per size:
//   [libtorch ]sweep-ops <numel> <steps> <us per op> <ns per element per op>
// (medians over reps; an op is one of the forward's mul, add, tanh with its share of the
// backward), each followed by the spread in us per op.
inline int64_t sweep_steps(int64_t numel) { return std::clamp<int64_t>((int64_t{1} << 22) / numel, 1, 1000); }

inline void bench_sweep_ops(const Program& program, int reps) {
  constexpr int kOpsPerStep = 3;  // mul, add, tanh
  std::printf("# %ssweep-ops <numel> <steps> <us per op> <ns per element per op>\n", program.prefix);
  for (int64_t numel = 1; numel <= (int64_t{16} << 20); numel *= 16) {
    const int64_t steps = sweep_steps(numel);
    torch::manual_seed(0);
    torch::Tensor w = (torch::randn({numel}) * 0.5).requires_grad_(true);
    torch::Tensor x = (torch::randn({numel}) * 0.5).requires_grad_(true);
    std::vector<double> times;
    // The first repetition is a warm-up; after 3 timed ones, stop once 2 s have been spent.
    double spent = 0;
    for (int rep = 0; rep < reps + 1 && (rep < 4 || spent < 2.0); ++rep) {
      w.mutable_grad() = torch::Tensor();
      x.mutable_grad() = torch::Tensor();
      const auto start = Clock::now();
      {
        torch::Tensor h = torch::zeros({numel});
        for (int64_t step = 0; step < steps; ++step) h = torch::tanh(h * w + x);
        h.sum().backward();
      }
      const double elapsed = seconds_since(start);
      spent += elapsed;
      if (rep > 0) times.push_back(elapsed);
    }
    check(program, all_finite(w.grad()), "sweep-ops: grad of w");
    check(program, all_finite(x.grad()), "sweep-ops: grad of x");
    const double per_op = 1e6 / (kOpsPerStep * static_cast<double>(steps));
    const double us = median(times) * per_op;
    std::printf("%ssweep-ops %lld %lld %.4g %.4g\n", program.prefix, static_cast<long long>(numel),
                static_cast<long long>(steps), us, us * 1e3 / static_cast<double>(numel));
    print_spread(times, per_op, "us");
  }
}

// sweep-batch: train_epoch.h's MLP workload (Adam, cross-entropy) at batch 16, 32, ..., 1024,
// 8192 images per timed pass after 5 untimed steps, `reps` passes; the median throughput. One line
// per batch size, followed by the spread:
//   [libtorch ]sweep-batch <batch> <images per second>
inline void bench_sweep_batch(const Program& program, int reps) {
  constexpr int64_t kImages = 8192;
  std::printf("# %ssweep-batch <batch> <images per second>  (MLP, %lld images per pass)\n", program.prefix,
              static_cast<long long>(kImages));
  for (int64_t batch = 16; batch <= 1024; batch *= 2) {
    const TrainTiming t = train_epochs(
        make_mlp(), kImages, reps, 5, [](int) {}, false, batch);
    check(program, std::isfinite(t.final_loss), "sweep-batch: loss");
    std::vector<double> throughput;
    for (double seconds : t.epoch_seconds) throughput.push_back(static_cast<double>(kImages) / seconds);
    std::printf("%ssweep-batch %lld %.0f\n", program.prefix, static_cast<long long>(batch), median(throughput));
    print_spread(throughput, 1.0, "images/s");
  }
}

// The command line: `<program> [SUBCOMMAND] [--reps N] [--threads N] [--data DIR]` (--data: the
// Fashion-MNIST folder of mlp's and cnn's real-data rows, default Debian's; "none" skips them).

// The subcommand (argv[1] unless it is a flag), default "all".
inline std::string subcommand(int argc, char** argv) { return argc > 1 && argv[1][0] != '-' ? argv[1] : "all"; }

// The value after `flag` on the command line (at least 1), or `fallback`.
inline int parse_int_flag(int argc, char** argv, const char* flag, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return std::max(1, std::atoi(argv[i + 1]));
  return fallback;
}
inline int parse_reps(int argc, char** argv, int fallback) { return parse_int_flag(argc, argv, "--reps", fallback); }

// The value after `flag` on the command line, or "".
inline std::string parse_string_flag(int argc, char** argv, const char* flag) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return argv[i + 1];
  return "";
}

// --threads N: torch::set_num_threads(N); without it the library's own default.
inline void apply_threads_flag(int argc, char** argv) {
  if (const int threads = parse_int_flag(argc, argv, "--threads", 0); threads > 0) torch::set_num_threads(threads);
}

// The subcommands both programs have (alloc's workload is each program's own).
inline bool is_shared_subcommand(const std::string& command) {
  for (const char* name : {"all", "small", "big", "gemm", "alloc", "mlp", "cnn", "memory", "sweep-ops", "sweep-batch"})
    if (command == name) return true;
  return false;
}

// Runs `command`'s workloads if it names shared ones (all = small, big, gemm; mlp, cnn and memory
// are train_epoch.h's train_subcommand, mlp and cnn with a Fashion-MNIST row when the data set is
// there), each with its default --reps, then own(command) for the program's own subcommands.
// Returns main's exit status: 0, or 2 after an exception (reported on stderr; a failed check exits
// with 2 from check()).
template <typename Own>
int run_subcommand(const Program& program, const std::string& command, int argc, char** argv, Own own) {
  const bool all = command == "all";
  try {
    if (all || command == "small") bench_small(program, parse_reps(argc, argv, 20));
    if (all || command == "big") bench_big(program, parse_reps(argc, argv, 7));
    if (all || command == "gemm") bench_gemm(program, parse_reps(argc, argv, 20));
    if (command == "sweep-ops") bench_sweep_ops(program, parse_reps(argc, argv, 5));
    if (command == "sweep-batch") bench_sweep_batch(program, parse_reps(argc, argv, 3));
    if (command == "mlp" || command == "cnn" || command == "memory") {
      const bool ok =
          train_subcommand(program.prefix, command, parse_reps(argc, argv, 3), parse_string_flag(argc, argv, "--data"));
      if (program.train_checks_fatal) check(program, ok, command.c_str());
    }
    own(command);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: %s\n", program.name, error.what());
    return 2;
  }
  return 0;
}

}  // namespace bench
