// parallel_for over an index range: TBB above a grain size (small tensors stay on this thread;
// a tbb::parallel_for costs microseconds), bounded by tg::set_num_threads.
#pragma once
#include <cstdint>
#include <functional>

namespace tg::detail {

// Elements per task below which a kernel runs serially. `tg_bench grain` (z = x*y + x, float):
// two threads do not beat one up to 256K elements (0.90-1.10x: the data sits in cache and the
// hand-off costs microseconds) and win 1.6x at 1M; see docs/PERFORMANCE.md.
inline constexpr int64_t kGrainSize = 262144;

int current_num_threads();
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

template <typename F>
inline void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  if (end - begin <= grain || current_num_threads() <= 1) {
    if (end > begin) fn(begin, end);
    return;
  }
  parallel_for_impl(begin, end, grain, fn);
}

}  // namespace tg::detail
