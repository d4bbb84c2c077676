// Sample builders shared by the op table's parts (op_table.cpp for tensor ops, op_table_nn.cpp for
// tg::nn::functional).
#pragma once
#include <string>
#include <vector>

#include "tapegrad/ops.h"
#include "tapegrad/testing.h"

namespace tg::testing::table {

using Inputs = std::vector<Tensor>;

// A small deterministic generator, independent of tg::manual_seed, so that every sample is the
// same whichever tests run before it.
struct SampleRng {
  uint64_t state;
  double uniform() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  }
};

enum class Domain { Any, Positive, AwayFromZero, Unit, Distinct };

inline Tensor make(IntArrayRef sizes, Domain domain, uint64_t seed, bool requires_grad = true) {
  SampleRng rng{seed * 2654435761ULL + 12345};
  Tensor t = empty(sizes, kFloat64);
  double* p = t.data_ptr<double>();
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    double u = rng.uniform();
    switch (domain) {
      case Domain::Any: p[i] = 4 * u - 2; break;                       // [-2, 2)
      case Domain::Positive: p[i] = 0.5 + 1.5 * u; break;              // [0.5, 2)
      case Domain::Unit: p[i] = 1.6 * u - 0.8; break;                  // (-0.8, 0.8)
      case Domain::AwayFromZero: p[i] = (rng.uniform() < 0.5 ? -1 : 1) * (0.25 + 1.5 * u); break;
      case Domain::Distinct:  // well-separated values: no ties within 0.05
        p[i] = static_cast<double>((i * 7919) % (n + 3)) * 0.1 + 0.05 * u - 1;
        break;
    }
  }
  if (requires_grad) t.requires_grad_(true);
  return t;
}

inline Tensor index_tensor(std::vector<int64_t> values, IntArrayRef sizes) {
  return tensor(values, kInt64).reshape(sizes);
}

inline OpSample sample(Inputs inputs, std::string description) { return OpSample{std::move(inputs), std::move(description)}; }

inline OpInfo primitive(std::string name, TensorFn fn, std::function<std::vector<OpSample>()> samples) {
  return OpInfo{std::move(name), true, std::move(fn), std::move(samples)};
}
inline OpInfo composite(std::string name, TensorFn fn, std::function<std::vector<OpSample>()> samples) {
  return OpInfo{std::move(name), false, std::move(fn), std::move(samples)};
}

}  // namespace tg::testing::table
