// Iteration over N operands that share one (broadcast) shape but have their own strides.
// Adjacent dims that are contiguous for every operand are merged first, so a contiguous
// [4096, 4096] tensor is walked as one run of 16M elements and the inner loop vectorises.
#pragma once
#include <array>
#include <cstdint>

#include "cpu_capability.h"
#include "tapegrad/internal/parallel.h"
#include "tapegrad/internal/tensor_impl.h"

namespace tg::detail {

template <int K>
struct StridedLayout {
  DimVector sizes;
  std::array<DimVector, K> strides;  // in elements

  // strides[k] must have sizes.size() entries (0 for broadcast dims).
  void coalesce() {
    int64_t ndim = static_cast<int64_t>(sizes.size());
    if (ndim <= 1) return;
    DimVector new_sizes;
    std::array<DimVector, K> new_strides;
    new_sizes.push_back(sizes[ndim - 1]);
    for (int k = 0; k < K; ++k) new_strides[k].push_back(strides[k][ndim - 1]);
    for (int64_t d = ndim - 2; d >= 0; --d) {
      int64_t last = static_cast<int64_t>(new_sizes.size()) - 1;
      bool mergeable = true;
      for (int k = 0; k < K; ++k)
        if (strides[k][d] != new_strides[k][last] * new_sizes[last]) mergeable = false;
      if (sizes[d] == 1) continue;  // a size-1 dim contributes nothing
      if (mergeable) {
        new_sizes[last] *= sizes[d];
      } else if (new_sizes[last] == 1) {
        new_sizes[last] = sizes[d];
        for (int k = 0; k < K; ++k) new_strides[k][last] = strides[k][d];
      } else {
        new_sizes.push_back(sizes[d]);
        for (int k = 0; k < K; ++k) new_strides[k].push_back(strides[k][d]);
      }
    }
    // reverse back into row-major order
    std::size_t n = new_sizes.size();
    sizes.resize(n);
    for (std::size_t i = 0; i < n; ++i) sizes[i] = new_sizes[n - 1 - i];
    for (int k = 0; k < K; ++k) {
      strides[k].resize(n);
      for (std::size_t i = 0; i < n; ++i) strides[k][i] = new_strides[k][n - 1 - i];
    }
  }

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }

  // Calls row(offsets, length, inner_strides) for each innermost run in [begin, end) of the
  // row-major linear range; offsets are element offsets of the run's first element per operand.
  template <typename Row>
  void for_each_row(int64_t begin, int64_t end, Row&& row) const {
    int64_t ndim = static_cast<int64_t>(sizes.size());
    if (ndim == 0) {
      if (begin < end) {
        std::array<int64_t, K> offsets{};
        std::array<int64_t, K> inner{};
        row(offsets, int64_t{1}, inner);
      }
      return;
    }
    DimVector index(static_cast<std::size_t>(ndim), 0);
    int64_t rest = begin;
    for (int64_t d = ndim - 1; d >= 0; --d) {
      index[d] = rest % sizes[d];
      rest /= sizes[d];
    }
    std::array<int64_t, K> offsets{};
    std::array<int64_t, K> inner{};
    for (int k = 0; k < K; ++k) {
      inner[k] = strides[k][ndim - 1];
      for (int64_t d = 0; d < ndim; ++d) offsets[k] += index[d] * strides[k][d];
    }
    int64_t pos = begin;
    const int64_t last = sizes[ndim - 1];
    while (pos < end) {
      int64_t length = std::min(last - index[ndim - 1], end - pos);
      row(offsets, length, inner);
      pos += length;
      index[ndim - 1] += length;
      for (int k = 0; k < K; ++k) offsets[k] += length * inner[k];
      for (int64_t d = ndim - 1; d > 0 && index[d] == sizes[d]; --d) {
        for (int k = 0; k < K; ++k) offsets[k] -= sizes[d] * strides[k][d];
        index[d] = 0;
        ++index[d - 1];
        for (int k = 0; k < K; ++k) offsets[k] += strides[k][d - 1];
      }
    }
  }

  // T, the element type, picks the loop copy (cpu_capability.h).
  template <typename T, typename Row>
  void parallel_rows(Row&& row) const {
    int64_t n = numel();
    parallel_for_simd<T>(0, n, kGrainSize, [&](int64_t begin, int64_t end) { for_each_row(begin, end, row); });
  }
};

// Strides of `t` aligned to an output of rank `ndim` (leading dims and broadcast dims get 0).
inline DimVector broadcast_strides(const TensorImpl& t, IntArrayRef out_sizes) {
  std::size_t ndim = out_sizes.size();
  DimVector strides(ndim, 0);
  std::size_t offset = ndim - t.sizes.size();
  for (std::size_t d = 0; d < t.sizes.size(); ++d)
    strides[offset + d] = (t.sizes[d] == 1 && out_sizes[offset + d] != 1) ? 0 : t.strides[d];
  return strides;
}

}  // namespace tg::detail
