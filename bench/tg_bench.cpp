// The performance workloads of DESIGN.md, timed with steady_clock; each prints one result line
// (then the spread over runs) that docs/PERFORMANCE.md quotes. bench/libtorch_bench.cpp runs the
// same workloads against libtorch and prints the same lines prefixed "libtorch ": the workloads
// both programs have are bench/workloads.h's and bench/train_epoch.h's; this file keeps tapegrad's
// own (alloc with the caching allocator, grain, limits, pool).
//
//   tg_bench [small|big|gemm|alloc|grain|mlp|cnn|memory|limits|pool|sweep-ops|sweep-batch|all] [--reps N]
//            [--threads N] [--data DIR]   (all = small, big, gemm; the sweeps are bench/sweep's; mlp and
//            cnn also train on Fashion-MNIST from DIR, default /usr/share/datasets/fashion-mnist)
//
// Every workload checks its result before printing, so a broken kernel cannot report a figure.
#include <tapegrad/tapegrad.h>
namespace torch = tg;

#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "workloads.h"

namespace {

using bench::check;
using bench::Clock;
using bench::median;
using bench::seconds_since;

// The memory traffic of big's recorded ops, in 64 MB passes (a read or a write of one tensor):
// forward mul 3, add 3, relu 2, sum 1; backward relu's masked gradient 3, mul's two gradients
// 3 + 3, and a's two contributions summed 3: 21. One fused kernel could do with 6.
constexpr bench::Program kProgram{"tg_bench", "", /*openblas_single_threaded=*/true,
                                  /*big_note=*/" (1.41 GB: 21 passes of 64 MB)", /*train_checks_fatal=*/true};

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
  check(kProgram, a[kSize / 3] == 7.0f, "limits: triad result");
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
  check(kProgram, z[0] == 128.0f, "limits: sgemm result");
  std::printf("direct OpenBLAS sgemm 1024 (%d threads): %.1f GFLOP/s\n", threads, median(gflops));
}

// Allocating and writing a 64 MB tensor: fresh memory from the system (empty_cache before each
// allocation, so every page faults) against a buffer the caching allocator hands back.
void bench_alloc(int reps) {
  auto allocate_and_fill = [] {
    tg::Tensor t = tg::empty({bench::kAllocFloats});
    t.fill_(1.0);
    return t;
  };
  const std::vector<double> fresh = bench::write_rates(
      reps, [] { tg::empty_cache(); }, allocate_and_fill);
  const tg::MemoryStats before = tg::memory_stats();
  const std::vector<double> cached = bench::write_rates(
      reps, [] {}, allocate_and_fill);
  const tg::MemoryStats after = tg::memory_stats();
  std::printf("alloc 64 MB + fill: fresh %.2f GB/s, cached %.2f GB/s (cache hits %lld of %d)\n", median(fresh),
              median(cached), static_cast<long long>(after.cache_hits - before.cache_hits), reps + 1);
  tg::empty_cache();
}

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

}  // namespace

int main(int argc, char** argv) {
  const std::string command = bench::subcommand(argc, argv);
  if (!bench::is_shared_subcommand(command) && command != "grain" && command != "limits" && command != "pool") {
    std::fprintf(
        stderr,
        "usage: %s [small|big|gemm|alloc|grain|mlp|cnn|memory|limits|pool|sweep-ops|sweep-batch|all] [--reps N] "
        "[--threads N] [--data DIR]\n",
        argv[0]);
    return 1;
  }
  // Default: tapegrad's own choice (TG_NUM_THREADS or the number of cores).
  bench::apply_threads_flag(argc, argv);
  std::printf("# tapegrad, %d threads\n", tg::get_num_threads());
  return bench::run_subcommand(kProgram, command, argc, argv, [&](const std::string& own) {
    if (own == "alloc") bench_alloc(bench::parse_reps(argc, argv, 7));
    if (own == "grain") bench_grain();
    if (own == "limits") bench_limits(bench::parse_reps(argc, argv, 10));
    if (own == "pool") bench_pool(bench::parse_reps(argc, argv, 20));
  });
}
