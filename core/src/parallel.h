// parallel_for over an index range: TBB above a grain size (small tensors stay on this thread;
// a tbb::parallel_for costs microseconds), bounded by tg::set_num_threads.
#pragma once
#include <cstdint>
#include <functional>

namespace tg::detail {

// Elements per task below which a kernel runs serially. Measured in bench/: see PERFORMANCE.md.
inline constexpr int64_t kGrainSize = 32768;

int current_num_threads();
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain,
                       const std::function<void(int64_t, int64_t)>& fn);

template <typename F>
inline void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  if (end - begin <= grain || current_num_threads() <= 1) {
    if (end > begin) fn(begin, end);
    return;
  }
  parallel_for_impl(begin, end, grain, fn);
}

}  // namespace tg::detail
