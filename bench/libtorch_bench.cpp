// The baseline for bench/tg_bench.cpp: the same workloads written against libtorch, printing the
// same lines prefixed "libtorch ". Not part of tapegrad's build (libtorch costs ~24 s and 1.2 GB
// of compiler memory per translation unit); bench/run_libtorch_baseline.sh compiles and runs it.
//
//   libtorch_bench [small|big|gemm|alloc|mlp|cnn|memory|sweep-ops|sweep-batch|all] [--reps N] [--threads N]
//
// Keep the workloads in step with tg_bench.cpp: the figures are compared line by line.
#include <torch/torch.h>

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "train_epoch.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

void print_spread(const std::vector<double>& values, double scale, const char* unit) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  std::printf("  (min %.4g %s, max %.4g %s over %zu runs)\n", *lo * scale, unit, *hi * scale, unit, values.size());
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "libtorch_bench: check failed: %s\n", what);
    std::exit(2);
  }
}

// h = tanh(h*w + x) on 16 floats, 1000 steps, then backward of h.sum(): the per-op overhead of
// recording and replaying the tape, with kernels too small to matter.
void bench_small(int reps) {
  constexpr int64_t kSize = 16;
  constexpr int kSteps = 1000;
  constexpr int kOpsPerStep = 3;  // mul, add, tanh
  torch::manual_seed(0);
  torch::Tensor w = (torch::randn({kSize}) * 0.5).requires_grad_(true);
  torch::Tensor x = (torch::randn({kSize}) * 0.5).requires_grad_(true);

  std::vector<double> times, cpu_times;
  for (int rep = 0; rep < reps + 1; ++rep) {  // the first repetition is a warm-up
    w.mutable_grad() = torch::Tensor();
    x.mutable_grad() = torch::Tensor();
    const auto start = Clock::now();
    const std::clock_t cpu_start = std::clock();
    {
      torch::Tensor h = torch::zeros({kSize});
      for (int step = 0; step < kSteps; ++step) h = torch::tanh(h * w + x);
      h.sum().backward();
    }  // the tape is freed inside the timed region, as it is in a training loop
    const double elapsed = seconds_since(start);
    const double cpu_elapsed = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    if (rep > 0) {
      times.push_back(elapsed);
      cpu_times.push_back(cpu_elapsed);
    }
  }
  check(w.grad().defined() && torch::isfinite(w.grad()).all().item<bool>(), "small: grad of w");
  check(x.grad().defined() && torch::isfinite(x.grad()).all().item<bool>(), "small: grad of x");

  const double per_op = 1e6 / (kOpsPerStep * kSteps);
  std::printf("libtorch small chain (16 floats, 1000 steps, fwd+bwd): %.3f us per op\n", median(times) * per_op);
  print_spread(times, per_op, "us");
  // Process CPU time moves less than wall time when other processes share the cores.
  std::printf("  (median process CPU time %.3f us per op)\n", median(cpu_times) * per_op);
}

// relu(a*b + a).sum() forward and backward, a and b 16M floats: memory bandwidth and the cost of
// allocating large fresh buffers (page faults) for every intermediate and gradient.
void bench_big(int reps) {
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
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  const float* ga = a.grad().data_ptr<float>();
  const float* gb = b.grad().data_ptr<float>();
  for (int64_t i : {int64_t{0}, int64_t{12345}, kSize / 2, kSize - 1}) {
    const bool active = pa[i] * pb[i] + pa[i] > 0;
    check(std::fabs(ga[i] - (active ? pb[i] + 1 : 0.f)) < 1e-5f, "big: grad of a");
    check(std::fabs(gb[i] - (active ? pa[i] : 0.f)) < 1e-5f, "big: grad of b");
  }

  std::printf("libtorch big (relu(a*b+a).sum(), 16M floats, fwd+bwd): %.4f s per iter\n", median(times));
  print_spread(times, 1.0, "s");
  std::printf("  (warm-up iteration %.4g s)\n", warm_up);
}

// 1024x1024 float32 matrix product, against a direct cblas_sgemm call on the same data. The two
// are timed alternately, so a burst of load from elsewhere hits both.
void bench_gemm(int reps) {
  constexpr int64_t kN = 1024;
  constexpr double kFlops = 2.0 * kN * kN * kN;
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({kN, kN});
  torch::Tensor b = torch::randn({kN, kN});
  std::vector<float> c_direct(kN * kN);

  auto run_library = [&] { return torch::mm(a, b); };
  auto run_direct = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a.data_ptr<float>(), kN,
                b.data_ptr<float>(), kN, 0.0f, c_direct.data(), kN);
  };
  torch::Tensor c = run_library();  // warm-up (and OpenBLAS's thread start) for both
  run_direct();
  check(torch::allclose(c, torch::from_blob(c_direct.data(), {kN, kN}), 1e-3, 1e-3),
        "gemm: mm agrees with cblas_sgemm");

  std::vector<double> library_gflops, direct_gflops;
  for (int rep = 0; rep < reps; ++rep) {
    auto start = Clock::now();
    c = run_library();
    library_gflops.push_back(kFlops / seconds_since(start) * 1e-9);
    start = Clock::now();
    run_direct();
    direct_gflops.push_back(kFlops / seconds_since(start) * 1e-9);
  }
  const double library = median(library_gflops);
  const double direct = median(direct_gflops);
  std::printf("libtorch sgemm 1024: %.1f GFLOP/s (direct OpenBLAS: %.1f GFLOP/s, ratio %.2f)\n", library, direct,
              library / direct);
  print_spread(library_gflops, 1.0, "GFLOP/s");
}

// Writing a 64 MB buffer: libtorch's CPU allocator has no cache, so every large tensor is fresh
// memory from malloc/mmap and pays its page faults.
void bench_alloc(int reps) {
  constexpr int64_t kSize = int64_t{16} << 20;
  constexpr double kBytes = kSize * sizeof(float);
  std::vector<double> fresh;
  for (int rep = 0; rep < reps + 1; ++rep) {
    const auto start = Clock::now();
    torch::Tensor t = torch::empty({kSize});
    t.fill_(1.0);
    const double elapsed = seconds_since(start);
    if (rep > 0) fresh.push_back(kBytes / elapsed * 1e-9);
  }
  torch::Tensor warm = torch::empty({kSize});
  std::vector<double> reused;
  for (int rep = 0; rep < reps + 1; ++rep) {
    const auto start = Clock::now();
    warm.fill_(1.0);
    const double elapsed = seconds_since(start);
    if (rep > 0) reused.push_back(kBytes / elapsed * 1e-9);
  }
  std::printf("libtorch alloc 64 MB + fill: fresh %.2f GB/s, same buffer reused %.2f GB/s\n", median(fresh),
              median(reused));
}

// The sweeps of docs/PERFORMANCE.md's "Scale" section, as tg_bench's (bench/sweep plots them).
//
// sweep-ops: the small workload's chain h = tanh(h*w + x), forward and backward of h.sum(), at
// 1, 16, 256, 4K, 64K, 1M and 16M floats (powers of 16), 4M / numel steps (at least 1, at most
// 1000; reps runs, or from 3 runs on only as many as fit in 2 s). One line per size, then the
// spread in us per op:
//   libtorch sweep-ops <numel> <steps> <us per op> <ns per element per op>
int64_t sweep_steps(int64_t numel) { return std::clamp<int64_t>((int64_t{1} << 22) / numel, 1, 1000); }

void bench_sweep_ops(int reps) {
  constexpr int kOpsPerStep = 3;  // mul, add, tanh
  std::printf("# libtorch sweep-ops <numel> <steps> <us per op> <ns per element per op>\n");
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
    check(w.grad().defined() && torch::isfinite(w.grad()).all().item<bool>(), "sweep-ops: grad of w");
    check(x.grad().defined() && torch::isfinite(x.grad()).all().item<bool>(), "sweep-ops: grad of x");
    const double per_op = 1e6 / (kOpsPerStep * static_cast<double>(steps));
    const double us = median(times) * per_op;
    std::printf("libtorch sweep-ops %lld %lld %.4g %.4g\n", static_cast<long long>(numel),
                static_cast<long long>(steps), us, us * 1e3 / static_cast<double>(numel));
    print_spread(times, per_op, "us");
  }
}

// sweep-batch: train_epoch.h's MLP workload at batch 16, 32, ..., 1024, 8192 images per timed
// pass after 5 untimed steps, `reps` passes; the median throughput, then the spread:
//   libtorch sweep-batch <batch> <images per second>
void bench_sweep_batch(int reps) {
  constexpr int64_t kImages = 8192;
  std::printf("# libtorch sweep-batch <batch> <images per second>  (MLP, %lld images per pass)\n",
              static_cast<long long>(kImages));
  for (int64_t batch = 16; batch <= 1024; batch *= 2) {
    const TrainTiming t = train_epochs(
        make_mlp(), kImages, reps, 5, [](int) {}, false, batch);
    check(std::isfinite(t.final_loss), "sweep-batch: loss");
    std::vector<double> throughput;
    for (double seconds : t.epoch_seconds) throughput.push_back(static_cast<double>(kImages) / seconds);
    std::printf("libtorch sweep-batch %lld %.0f\n", static_cast<long long>(batch), median(throughput));
    print_spread(throughput, 1.0, "images/s");
  }
}

// The value after `flag` on the command line, or `fallback`.
int parse_int_flag(int argc, char** argv, const char* flag, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return std::max(1, std::atoi(argv[i + 1]));
  return fallback;
}
int parse_reps(int argc, char** argv, int fallback) { return parse_int_flag(argc, argv, "--reps", fallback); }

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 && argv[1][0] != '-' ? argv[1] : "all";
  const bool all = command == "all";
  if (!all && command != "small" && command != "big" && command != "gemm" && command != "alloc" && command != "mlp" &&
      command != "cnn" && command != "memory" && command != "sweep-ops" && command != "sweep-batch") {
    std::fprintf(stderr,
                 "usage: %s [small|big|gemm|alloc|mlp|cnn|memory|sweep-ops|sweep-batch|all] [--reps N] [--threads N]\n",
                 argv[0]);
    return 1;
  }
  // Default: libtorch's own choice (on this machine 1 intra-op thread; OpenBLAS runs its own).
  if (const int threads = parse_int_flag(argc, argv, "--threads", 0); threads > 0) torch::set_num_threads(threads);
  std::printf("# libtorch %s, %d intra-op threads\n", TORCH_VERSION, torch::get_num_threads());
  try {
    if (all || command == "small") bench_small(parse_reps(argc, argv, 20));
    if (all || command == "big") bench_big(parse_reps(argc, argv, 7));
    if (all || command == "gemm") bench_gemm(parse_reps(argc, argv, 20));
    if (command == "alloc") bench_alloc(parse_reps(argc, argv, 7));
    if (command == "sweep-ops") bench_sweep_ops(parse_reps(argc, argv, 5));
    if (command == "sweep-batch") bench_sweep_batch(parse_reps(argc, argv, 3));
    if (command == "mlp" || command == "cnn" || command == "memory")
      train_subcommand("libtorch ", command, parse_reps(argc, argv, 3));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "libtorch_bench: %s\n", error.what());
    return 2;
  }
  return 0;
}
