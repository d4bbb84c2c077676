// Thread control: one TBB global_control bounds every kernel, matrix products included. OpenBLAS
// runs single-threaded inside TBB tasks (core/src/blas.cpp splits a product across them): its own
// pthread pool spins in sched_yield for a while after every call, taking a core from the next
// kernel's TBB workers; see docs/PERFORMANCE.md.
#include "tapegrad/internal/parallel.h"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "tapegrad/tensor_base.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace tg {
namespace {

std::mutex thread_mutex;
std::unique_ptr<tbb::global_control> thread_limit;
std::atomic<int> num_threads{0};

int initial_threads() {
  int cores = tbb::info::default_concurrency();
  if (const char* env = std::getenv("TG_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  return cores;
}

void apply_threads(int n) {
  thread_limit =
      std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(n));
  openblas_set_num_threads(1);
  num_threads = n;
}

int ensure_initialised() {
  int n = num_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  std::lock_guard<std::mutex> lock(thread_mutex);
  if (num_threads == 0) apply_threads(initial_threads());
  return num_threads;
}

}  // namespace

void set_num_threads(int n) {
  if (n < 1) throw Error("set_num_threads: expected a positive number of threads, got " + std::to_string(n));
  std::lock_guard<std::mutex> lock(thread_mutex);
  apply_threads(n);
}

int get_num_threads() { return ensure_initialised(); }

namespace detail {

int current_num_threads() { return ensure_initialised(); }

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(begin, end, static_cast<std::size_t>(grain)),
                    [&](const tbb::blocked_range<int64_t>& r) { fn(r.begin(), r.end()); });
}

}  // namespace detail
}  // namespace tg
