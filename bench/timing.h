// Timing helpers shared by the bench programs (anomaly_bench, tape_bench; tg_bench and
// libtorch_bench through workloads.h and train_epoch.h): standard C++ only, so that the libtorch
// build (C++17) can include it too.
#pragma once
#include <algorithm>
#include <chrono>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

// Seconds since `start`.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Microseconds since `start`.
inline double us_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// The median of `values` (the mean of the middle two for an even count). The median, not the mean:
// the machine is shared, and a burst of load elsewhere should move one run, not the figure.
inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

}  // namespace bench
