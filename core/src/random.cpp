#include "tapegrad/internal/random.h"

#include <cmath>
#include <numbers>

#include "tapegrad/tensor_base.h"

namespace tg {
namespace detail {

double Generator::normal() {
  double u1 = uniform(), u2 = uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Generator& generator() {
  static Generator g;
  return g;
}

}  // namespace detail

void manual_seed(uint64_t seed) {
  detail::Generator& g = detail::generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.engine.seed(seed);
}

}  // namespace tg
