// The baseline for bench/tg_bench.cpp: the same workloads (bench/workloads.h, bench/train_epoch.h)
// built against libtorch, printing the same lines prefixed "libtorch ". Not part of tapegrad's
// build (libtorch costs ~24 s and 1.2 GB of compiler memory per translation unit);
// bench/run_libtorch_baseline.sh compiles and runs it.
//
//   libtorch_bench [small|big|gemm|alloc|mlp|cnn|memory|sweep-ops|sweep-batch|all] [--reps N] [--threads N]
//                  [--data DIR]
//
// Keep what is here (alloc, main) in step with tg_bench.cpp: the figures are compared line by line.
#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

#include "workloads.h"

namespace {

using bench::median;

// libtorch leaves OpenBLAS's threads as they are; big's line has no traffic note; mlp, cnn and
// memory print libtorch's figures without failing on train_subcommand's checks, as libtorch_bench
// always has (tg_bench fails on them).
constexpr bench::Program kProgram{"libtorch_bench", "libtorch ", /*openblas_single_threaded=*/false,
                                  /*big_note=*/"", /*train_checks_fatal=*/false};

// Writing a 64 MB buffer: libtorch's CPU allocator has no cache, so every large tensor is fresh
// memory from malloc/mmap and pays its page faults.
void bench_alloc(int reps) {
  const std::vector<double> fresh = bench::write_rates(
      reps, [] {},
      [] {
        torch::Tensor t = torch::empty({bench::kAllocFloats});
        t.fill_(1.0);
        return t;
      });
  torch::Tensor warm = torch::empty({bench::kAllocFloats});
  const std::vector<double> reused = bench::write_rates(
      reps, [] {}, [&] { return warm.fill_(1.0); });
  std::printf("libtorch alloc 64 MB + fill: fresh %.2f GB/s, same buffer reused %.2f GB/s\n", median(fresh),
              median(reused));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = bench::subcommand(argc, argv);
  if (!bench::is_shared_subcommand(command)) {
    std::fprintf(stderr,
                 "usage: %s [small|big|gemm|alloc|mlp|cnn|memory|sweep-ops|sweep-batch|all] [--reps N] [--threads N] "
                 "[--data DIR]\n",
                 argv[0]);
    return 1;
  }
  // Default: libtorch's own choice (on this machine 1 intra-op thread; OpenBLAS runs its own).
  bench::apply_threads_flag(argc, argv);
  std::printf("# libtorch %s, %d intra-op threads\n", TORCH_VERSION, torch::get_num_threads());
  return bench::run_subcommand(kProgram, command, argc, argv, [&](const std::string& own) {
    if (own == "alloc") bench_alloc(bench::parse_reps(argc, argv, 7));
  });
}
