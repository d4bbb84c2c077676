// The performance workloads of DESIGN.md, timed with steady_clock; each prints one result line
// (then the spread over runs) that docs/PERFORMANCE.md quotes. bench/libtorch_bench.cpp runs the
// same workloads against libtorch and prints the same lines prefixed "libtorch ".
//
//   tg_bench [small|big|gemm|alloc|grain|mlp|cnn|memory|limits|pool|sweep-ops|sweep-batch|all] [--reps N]
//            [--threads N]   (all = small, big, gemm; the sweeps are bench/sweep's)
//
// Every workload checks its result before printing, so a broken kernel cannot report a figure.
#include <tapegrad/tapegrad.h>
namespace torch = tg;

#include <cblas.h>

#include <thread>

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

// The median, not the mean: the machine is shared, and a burst of load elsewhere should move one
// run, not the figure.
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
    std::fprintf(stderr, "tg_bench: check failed: %s\n", what);
    std::exit(2);
  }
}

bool all_finite(const tg::Tensor& t) {
  if (!t.defined()) return false;
  const tg::Tensor dense = t.contiguous();
  const float* values = dense.data_ptr<float>();
  return std::all_of(values, values + dense.numel(), [](float v) { return std::isfinite(v); });
}

// h = tanh(h*w + x) on 16 floats, 1000 steps, then backward of h.sum(): the per-op overhead of
// recording and replaying the tape, with kernels too small to matter.
void bench_small(int reps) {
  constexpr int64_t kSize = 16;
  constexpr int kSteps = 1000;
  constexpr int kOpsPerStep = 3;  // mul, add, tanh
  tg::manual_seed(0);
  tg::Tensor w = (tg::randn({kSize}) * 0.5).requires_grad_(true);
  tg::Tensor x = (tg::randn({kSize}) * 0.5).requires_grad_(true);

  std::vector<double> times, cpu_times;
  for (int rep = 0; rep < reps + 1; ++rep) {  // the first repetition is a warm-up
    w.mutable_grad() = tg::Tensor();
    x.mutable_grad() = tg::Tensor();
    const auto start = Clock::now();
    const std::clock_t cpu_start = std::clock();
    {
      tg::Tensor h = tg::zeros({kSize});
      for (int step = 0; step < kSteps; ++step) h = tg::tanh(h * w + x);
      h.sum().backward();
    }  // the tape is freed inside the timed region, as it is in a training loop
    const double elapsed = seconds_since(start);
    const double cpu_elapsed = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    if (rep > 0) {
      times.push_back(elapsed);
      cpu_times.push_back(cpu_elapsed);
    }
  }
  check(all_finite(w.grad()), "small: grad of w");
  check(all_finite(x.grad()), "small: grad of x");

  const double per_op = 1e6 / (kOpsPerStep * kSteps);
  std::printf("small chain (16 floats, 1000 steps, fwd+bwd): %.3f us per op\n", median(times) * per_op);
  print_spread(times, per_op, "us");
  // Process CPU time moves less than wall time when other processes share the cores.
  std::printf("  (median process CPU time %.3f us per op)\n", median(cpu_times) * per_op);
}

// relu(a*b + a).sum() forward and backward, a and b 16M floats: memory bandwidth and the cost of
// allocating large fresh buffers (page faults) for every intermediate and gradient.
void bench_big(int reps) {
  constexpr int64_t kSize = int64_t{16} << 20;
  tg::manual_seed(0);
  tg::Tensor a = tg::randn({kSize}).requires_grad_(true);
  tg::Tensor b = tg::randn({kSize}).requires_grad_(true);

  std::vector<double> times;
  double warm_up = 0;
  for (int rep = 0; rep < reps + 1; ++rep) {  // the first iteration is a warm-up
    // Gradients start unset each iteration (set_to_none), outside the timed region.
    a.mutable_grad() = tg::Tensor();
    b.mutable_grad() = tg::Tensor();
    const auto start = Clock::now();
    {
      tg::Tensor loss = tg::relu(a * b + a).sum();
      loss.backward();
    }
    const double elapsed = seconds_since(start);
    if (rep == 0)
      warm_up = elapsed;
    else
      times.push_back(elapsed);
  }
  // d/da = (b + 1) * [a*b + a > 0], d/db = a * [a*b + a > 0]: spot-check a few elements.
  check(a.grad().defined() && b.grad().defined(), "big: gradients defined");
  const tg::Tensor grad_a = a.grad().contiguous();
  const tg::Tensor grad_b = b.grad().contiguous();
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  const float* ga = grad_a.data_ptr<float>();
  const float* gb = grad_b.data_ptr<float>();
  for (int64_t i : {int64_t{0}, int64_t{12345}, kSize / 2, kSize - 1}) {
    const bool active = pa[i] * pb[i] + pa[i] > 0;
    check(std::fabs(ga[i] - (active ? pb[i] + 1 : 0.f)) < 1e-5f, "big: grad of a");
    check(std::fabs(gb[i] - (active ? pa[i] : 0.f)) < 1e-5f, "big: grad of b");
  }

  // The memory traffic of the recorded ops, in 64 MB passes (a read or a write of one tensor):
  // forward mul 3, add 3, relu 2, sum 1; backward relu's masked gradient 3, mul's two gradients
  // 3 + 3, and a's two contributions summed 3: 21. One fused kernel could do with 6.
  std::printf("big (relu(a*b+a).sum(), 16M floats, fwd+bwd): %.4f s per iter (1.41 GB: 21 passes of 64 MB)\n",
              median(times));
  print_spread(times, 1.0, "s");
  std::printf("  (warm-up iteration %.4g s)\n", warm_up);
}

// 1024x1024 float32 matrix product, against a direct cblas_sgemm call on the same data. The two
// are timed alternately, so a burst of load from elsewhere hits both.
void bench_gemm(int reps) {
  constexpr int64_t kN = 1024;
  constexpr double kFlops = 2.0 * kN * kN * kN;
  tg::manual_seed(0);
  tg::Tensor a = tg::randn({kN, kN});
  tg::Tensor b = tg::randn({kN, kN});
  std::vector<float> c_direct(kN * kN);

  auto run_library = [&] { return tg::mm(a, b); };
  // The direct call gets OpenBLAS's own threads (tapegrad keeps OpenBLAS at 1 thread and splits
  // products over its TBB workers); afterwards its spinning workers are given 0.2 s to go to sleep,
  // so that they do not slow the next library call.
  const int threads = tg::get_num_threads();
  auto run_direct = [&] {
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a.data_ptr<float>(), kN,
                b.data_ptr<float>(), kN, 0.0f, c_direct.data(), kN);
    openblas_set_num_threads(1);
  };
  auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); };
  tg::Tensor c = run_library();  // warm-up (and OpenBLAS's thread start) for both
  run_direct();
  check(tg::allclose(c, tg::from_blob(c_direct.data(), {kN, kN}), 1e-3, 1e-3), "gemm: mm agrees with cblas_sgemm");

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
  std::printf("sgemm 1024: %.1f GFLOP/s (direct OpenBLAS: %.1f GFLOP/s, ratio %.2f)\n", library, direct,
              library / direct);
  print_spread(library_gflops, 1.0, "GFLOP/s");
}

// max_pool2d(2) forward and backward on the CNN workload's first activation, [128, 32, 26, 26]:
// 2.8M candidates per call, read once; the bandwidth figure is the input's bytes over the time.
void bench_pool(int reps) {
  tg::manual_seed(0);
  tg::Tensor x = tg::randn({128, 32, 26, 26}).requires_grad_(true);
  std::vector<double> forward, backward;
  for (int rep = 0; rep < reps + 1; ++rep) {
    auto start = Clock::now();
    tg::Tensor y = tg::max_pool2d(x, {2, 2});
    const double f = seconds_since(start);
    tg::Tensor loss = y.sum();
    start = Clock::now();
    loss.backward();
    const double b = seconds_since(start);
    if (rep > 0) {
      forward.push_back(f);
      backward.push_back(b);
    }
    x.mutable_grad() = tg::Tensor();
  }
  std::printf("max_pool2d [128, 32, 26, 26] k2: forward %.3f ms, backward %.3f ms (%.2f ns per input element)\n",
              median(forward) * 1e3, median(backward) * 1e3, median(forward) * 1e9 / (128.0 * 32 * 26 * 26));
}

// The machine's limits, measured in the same run as the workloads (bench/compare divides by them):
// memory bandwidth from a plain triad loop a = b + s * c over 64 MB float arrays on as many threads
// as tapegrad uses (std::thread, no library), and the BLAS peak from direct cblas_sgemm 1024 calls
// with OpenBLAS's own threads (tapegrad runs OpenBLAS single-threaded inside its TBB tasks).
void bench_limits(int reps) {
  constexpr int64_t kSize = int64_t{16} << 20;
  const int threads = tg::get_num_threads();
  std::vector<float> a(kSize), b(kSize, 1.0f), c(kSize, 2.0f);
  auto triad = [&] {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const int64_t begin = kSize * t / threads, end = kSize * (t + 1) / threads;
        float* pa = a.data();
        const float* pb = b.data();
        const float* pc = c.data();
        for (int64_t i = begin; i < end; ++i) pa[i] = pb[i] + 3.0f * pc[i];
      });
    for (std::thread& t : pool) t.join();
  };
  triad();  // first touch
  std::vector<double> bandwidth;
  for (int rep = 0; rep < reps; ++rep) {
    const auto start = Clock::now();
    triad();
    bandwidth.push_back(3.0 * kSize * sizeof(float) / seconds_since(start) * 1e-9);
  }
  check(a[kSize / 3] == 7.0f, "limits: triad result");
  std::printf("triad bandwidth (3 x 64 MB, %d threads): %.1f GB/s\n", threads, median(bandwidth));

  constexpr int64_t kN = 1024;
  std::vector<float> x(kN * kN, 0.5f), y(kN * kN, 0.25f), z(kN * kN);
  openblas_set_num_threads(threads);
  std::vector<double> gflops;
  for (int rep = 0; rep < reps + 1; ++rep) {
    const auto start = Clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, x.data(), kN, y.data(), kN, 0.0f, z.data(),
                kN);
    if (rep > 0) gflops.push_back(2.0 * kN * kN * kN / seconds_since(start) * 1e-9);
  }
  openblas_set_num_threads(1);
  check(z[0] == 128.0f, "limits: sgemm result");
  std::printf("direct OpenBLAS sgemm 1024 (%d threads): %.1f GFLOP/s\n", threads, median(gflops));
}

// Allocating and writing a 64 MB tensor: fresh memory from the system (empty_cache before each
// allocation, so every page faults) against a buffer the caching allocator hands back.
void bench_alloc(int reps) {
  constexpr int64_t kSize = int64_t{16} << 20;
  constexpr double kBytes = kSize * sizeof(float);
  auto fill_once = [&] {
    const auto start = Clock::now();
    tg::Tensor t = tg::empty({kSize});
    t.fill_(1.0);
    return seconds_since(start);
  };

  std::vector<double> fresh;
  for (int rep = 0; rep < reps + 1; ++rep) {
    tg::empty_cache();
    const double elapsed = fill_once();
    if (rep > 0) fresh.push_back(kBytes / elapsed * 1e-9);
  }
  const tg::MemoryStats before = tg::memory_stats();
  std::vector<double> cached;
  for (int rep = 0; rep < reps + 1; ++rep) {
    const double elapsed = fill_once();
    if (rep > 0) cached.push_back(kBytes / elapsed * 1e-9);
  }
  const tg::MemoryStats after = tg::memory_stats();
  std::printf("alloc 64 MB + fill: fresh %.2f GB/s, cached %.2f GB/s (cache hits %lld of %d)\n", median(fresh),
              median(cached), static_cast<long long>(after.cache_hits - before.cache_hits), reps + 1);
  tg::empty_cache();
}

// The sweeps of docs/PERFORMANCE.md's "Scale" section (bench/sweep plots them).
//
// sweep-ops: the small workload's chain h = tanh(h*w + x), forward and backward of h.sum(), at
// 1, 16, 256, 4K, 64K, 1M and 16M floats (powers of 16), 4M / numel steps (at least 1, at most
// 1000), so each size from 4K on is about as much memory traffic as the next; reps runs, or from
// 3 runs on only as many as fit in 2 s. One line per size:
//   sweep-ops <numel> <steps> <us per op> <ns per element per op>
// (medians over reps; an op is one of the forward's mul, add, tanh with its share of the
// backward), each followed by the spread in us per op.
int64_t sweep_steps(int64_t numel) { return std::clamp<int64_t>((int64_t{1} << 22) / numel, 1, 1000); }

void bench_sweep_ops(int reps) {
  constexpr int kOpsPerStep = 3;  // mul, add, tanh
  std::printf("# sweep-ops <numel> <steps> <us per op> <ns per element per op>\n");
  for (int64_t numel = 1; numel <= (int64_t{16} << 20); numel *= 16) {
    const int64_t steps = sweep_steps(numel);
    tg::manual_seed(0);
    tg::Tensor w = (tg::randn({numel}) * 0.5).requires_grad_(true);
    tg::Tensor x = (tg::randn({numel}) * 0.5).requires_grad_(true);
    std::vector<double> times;
    // The first repetition is a warm-up; after 3 timed ones, stop once 2 s have been spent.
    double spent = 0;
    for (int rep = 0; rep < reps + 1 && (rep < 4 || spent < 2.0); ++rep) {
      w.mutable_grad() = tg::Tensor();
      x.mutable_grad() = tg::Tensor();
      const auto start = Clock::now();
      {
        tg::Tensor h = tg::zeros({numel});
        for (int64_t step = 0; step < steps; ++step) h = tg::tanh(h * w + x);
        h.sum().backward();
      }
      const double elapsed = seconds_since(start);
      spent += elapsed;
      if (rep > 0) times.push_back(elapsed);
    }
    check(all_finite(w.grad()), "sweep-ops: grad of w");
    check(all_finite(x.grad()), "sweep-ops: grad of x");
    const double per_op = 1e6 / (kOpsPerStep * static_cast<double>(steps));
    const double us = median(times) * per_op;
    std::printf("sweep-ops %lld %lld %.4g %.4g\n", static_cast<long long>(numel), static_cast<long long>(steps), us,
                us * 1e3 / static_cast<double>(numel));
    print_spread(times, per_op, "us");
  }
}

// sweep-batch: train_epoch.h's MLP workload (Adam, cross-entropy) at batch 16, 32, ..., 1024,
// 8192 images per timed pass after 5 untimed steps, `reps` passes; the median throughput. One line
// per batch size, followed by the spread:
//   sweep-batch <batch> <images per second>
void bench_sweep_batch(int reps) {
  constexpr int64_t kImages = 8192;
  std::printf("# sweep-batch <batch> <images per second>  (MLP, %lld images per pass)\n",
              static_cast<long long>(kImages));
  for (int64_t batch = 16; batch <= 1024; batch *= 2) {
    const TrainTiming t = train_epochs(
        make_mlp(), kImages, reps, 5, [](int) {}, false, batch);
    check(std::isfinite(t.final_loss), "sweep-batch: loss");
    std::vector<double> throughput;
    for (double seconds : t.epoch_seconds) throughput.push_back(static_cast<double>(kImages) / seconds);
    std::printf("sweep-batch %lld %.0f\n", static_cast<long long>(batch), median(throughput));
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

// The grain size below which kernels stay on one thread (core/internal/tapegrad/internal/parallel.h, kGrainSize): time
// z = x * y + x (two kernels, no autograd) at growing sizes with 1 thread and with 2, and print
// where 2 threads start to win. Each size is repeated until ~20 ms have passed; medians of 5.
void bench_grain() {
  std::printf("grain: time per element-op, 1 thread vs %d threads\n", tg::get_num_threads());
  const int threads = tg::get_num_threads();
  for (int64_t n : {4096, 16384, 65536, 262144, 524288, 1048576, 4194304}) {
    tg::Tensor x = tg::randn({n}), y = tg::randn({n});
    auto time_with = [&](int t) {
      tg::set_num_threads(t);
      std::vector<double> per_element;
      for (int rep = 0; rep < 5; ++rep) {
        int iterations = 0;
        const auto start = Clock::now();
        while (seconds_since(start) < 0.02) {
          tg::Tensor z = x * y + x;
          ++iterations;
        }
        per_element.push_back(seconds_since(start) / iterations / static_cast<double>(n) * 1e9);
      }
      return median(per_element);
    };
    double one = time_with(1), many = time_with(threads);
    std::printf("  n=%8lld: 1 thread %.3f ns/elem, %d threads %.3f ns/elem, speed-up %.2f\n", static_cast<long long>(n),
                one, threads, many, one / many);
  }
  tg::set_num_threads(threads);
}

int main(int argc, char** argv) {
  const std::string command = argc > 1 && argv[1][0] != '-' ? argv[1] : "all";
  const bool all = command == "all";
  if (!all && command != "small" && command != "big" && command != "gemm" && command != "alloc" && command != "grain" &&
      command != "mlp" && command != "cnn" && command != "memory" && command != "limits" && command != "pool" &&
      command != "sweep-ops" && command != "sweep-batch") {
    std::fprintf(
        stderr,
        "usage: %s [small|big|gemm|alloc|grain|mlp|cnn|memory|limits|pool|sweep-ops|sweep-batch|all] [--reps N] "
        "[--threads N]\n",
        argv[0]);
    return 1;
  }
  // Default: tapegrad's own choice (TG_NUM_THREADS or the number of cores).
  if (const int threads = parse_int_flag(argc, argv, "--threads", 0); threads > 0) tg::set_num_threads(threads);
  std::printf("# tapegrad, %d threads\n", tg::get_num_threads());
  try {
    if (all || command == "small") bench_small(parse_reps(argc, argv, 20));
    if (all || command == "big") bench_big(parse_reps(argc, argv, 7));
    if (all || command == "gemm") bench_gemm(parse_reps(argc, argv, 20));
    if (command == "alloc") bench_alloc(parse_reps(argc, argv, 7));
    if (command == "grain") bench_grain();
    if (command == "limits") bench_limits(parse_reps(argc, argv, 10));
    if (command == "pool") bench_pool(parse_reps(argc, argv, 20));
    if (command == "sweep-ops") bench_sweep_ops(parse_reps(argc, argv, 5));
    if (command == "sweep-batch") bench_sweep_batch(parse_reps(argc, argv, 3));
    if ((command == "mlp" || command == "cnn" || command == "memory") &&
        !train_subcommand("", command, parse_reps(argc, argv, 3))) {
      std::fprintf(stderr, "tg_bench: check failed: %s\n", command.c_str());
      return 2;
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "tg_bench: %s\n", error.what());
    return 2;
  }
  return 0;
}
