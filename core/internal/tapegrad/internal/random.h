// The global random generator behind tg::manual_seed, rand, randn, randint, randperm, normal_,
// uniform_ and dropout: one mt19937_64 stream (seed 5489 until manual_seed), guarded by a mutex.
#pragma once
#include <cstdint>
#include <mutex>
#include <random>

namespace tg::detail {

struct Generator {
  std::mutex mutex;
  std::mt19937_64 engine{5489u};
  // uniform in [0, 1) with 53 random bits
  double uniform() { return static_cast<double>(engine() >> 11) * 0x1.0p-53; }
  // Box-Muller; one value per call keeps the stream simple to reason about
  double normal();
};

Generator& generator();

}  // namespace tg::detail
