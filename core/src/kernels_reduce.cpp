// Reductions (sum, prod, max, min, argmax, argmin) as hand-written loops over contiguous memory:
// DESIGN.md measured xtensor's axis reductions 10-60x below bandwidth. A multi-dim reduction is a
// sequence of single-dim ones; each views its input as [outer, reduced, inner] so that the inner
// loop runs over contiguous memory.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu_capability.h"
#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/parallel.h"

namespace tg::kernels {
namespace {

template <typename T>
struct Combine {
  Reduce op;
  T identity() const {
    switch (op) {
      case Reduce::Sum: return T(0);
      case Reduce::Prod: return T(1);
      case Reduce::Max: return std::numeric_limits<T>::lowest();
      case Reduce::Min: return std::numeric_limits<T>::max();
    }
    return T(0);
  }
};

template <typename T>
inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return std::isnan(v);
  else
    return false;
}

// One reduced dim of a contiguous tensor viewed as [outer, r, inner] -> [outer, inner].
template <typename T>
void reduce_dim(const T* in, T* out, int64_t outer, int64_t r, int64_t inner, Reduce op) {
  auto run_rows = [&](auto combine) {
    if (inner == 1) {
      detail::parallel_for_simd<T>(0, outer, std::max<int64_t>(1, detail::kGrainSize / std::max<int64_t>(r, 1)),
                                   [&](int64_t begin, int64_t end) {
                                     for (int64_t o = begin; o < end; ++o) {
                                       const T* row = in + o * r;
                                       T acc = r > 0 ? row[0] : Combine<T>{op}.identity();
                                       for (int64_t k = 1; k < r; ++k) acc = combine(acc, row[k]);
                                       out[o] = acc;
                                     }
                                   });
      return;
    }
    // Inner contiguous: accumulate whole rows, vectorised over the inner index.
    auto body = [&](int64_t o, int64_t i0, int64_t i1) {
      T* dst = out + o * inner;
      const T* src = in + o * r * inner;
      if (r == 0) {
        for (int64_t i = i0; i < i1; ++i) dst[i] = Combine<T>{op}.identity();
        return;
      }
      for (int64_t i = i0; i < i1; ++i) dst[i] = src[i];
      for (int64_t k = 1; k < r; ++k) {
        const T* s = src + k * inner;
        for (int64_t i = i0; i < i1; ++i) dst[i] = combine(dst[i], s[i]);
      }
    };
    int64_t grain = std::max<int64_t>(1, detail::kGrainSize / std::max<int64_t>(r, 1));
    if (outer >= 2 * detail::current_num_threads() || inner < grain) {
      detail::parallel_for_simd<T>(0, outer, std::max<int64_t>(1, grain / inner), [&](int64_t begin, int64_t end) {
        for (int64_t o = begin; o < end; ++o) body(o, 0, inner);
      });
    } else {
      for (int64_t o = 0; o < outer; ++o)
        detail::parallel_for_simd<T>(0, inner, grain, [&](int64_t i0, int64_t i1) { body(o, i0, i1); });
    }
  };
  switch (op) {
    case Reduce::Sum: run_rows([](T a, T b) { return a + b; }); break;
    case Reduce::Prod: run_rows([](T a, T b) { return a * b; }); break;
    case Reduce::Max: run_rows([](T a, T b) { return (is_nan(a) || a >= b) && !is_nan(b) ? a : b; }); break;
    case Reduce::Min: run_rows([](T a, T b) { return (is_nan(a) || a <= b) && !is_nan(b) ? a : b; }); break;
  }
}

// Everything into one value; float sums accumulate in double, in parallel chunks.
template <typename T>
T reduce_all(const T* in, int64_t n, Reduce op) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  if (n == 0) return Combine<T>{op}.identity();
  if (op == Reduce::Sum || op == Reduce::Prod) {
    constexpr int64_t kChunk = 1 << 16;
    int64_t chunks = (n + kChunk - 1) / kChunk;
    std::vector<Acc> partial(static_cast<std::size_t>(chunks));
    detail::parallel_for_simd<T>(0, chunks, 1 + detail::kGrainSize / kChunk, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        int64_t begin = c * kChunk, end = std::min(n, begin + kChunk);
        Acc acc = op == Reduce::Sum ? Acc(0) : Acc(1);
        if (op == Reduce::Sum) {
          for (int64_t i = begin; i < end; ++i) acc += static_cast<Acc>(in[i]);
        } else {
          for (int64_t i = begin; i < end; ++i) acc *= static_cast<Acc>(in[i]);
        }
        partial[static_cast<std::size_t>(c)] = acc;
      }
    });
    Acc total = op == Reduce::Sum ? Acc(0) : Acc(1);
    for (Acc p : partial) total = op == Reduce::Sum ? total + p : total * p;
    return static_cast<T>(total);
  }
  T acc = in[0];
  for (int64_t i = 1; i < n; ++i) {
    T v = in[i];
    if (is_nan(v)) return v;
    if (op == Reduce::Max ? v > acc : v < acc) acc = v;
  }
  return acc;
}

const char* reduce_name(Reduce op) {
  switch (op) {
    case Reduce::Sum: return "sum";
    case Reduce::Prod: return "prod";
    case Reduce::Max: return "amax";
    case Reduce::Min: return "amin";
  }
  return "reduce";
}

}  // namespace

TensorBase reduce(const TensorBase& x_in, IntArrayRef dims_in, bool keepdim, Reduce op,
                  std::optional<ScalarType> out_dtype) {
  const char* name = reduce_name(op);
  ScalarType dtype = out_dtype.value_or(x_in.dtype());
  if (!out_dtype && (op == Reduce::Sum || op == Reduce::Prod) && (dtype == kBool || dtype == kInt64)) dtype = kInt64;
  if (dtype == kBool) dtype = kInt64;
  TensorBase x = x_in;
  if (x.dtype() != dtype || !x.is_contiguous()) {
    TensorBase converted = detail::make_tensor(x.sizes(), dtype);
    copy(converted, x);
    x = converted;
  }
  const int64_t ndim = x.dim();
  DimVector dims;
  if (dims_in.empty()) {
    for (int64_t d = 0; d < ndim; ++d) dims.push_back(d);
  } else {
    for (int64_t d : dims_in) dims.push_back(d);
  }
  std::sort(dims.begin(), dims.end());
  if ((op == Reduce::Max || op == Reduce::Min) && x.numel() == 0)
    detail::fail(
        fmt::format("{}: cannot reduce an empty tensor of shape {} (no identity)", name, shape_str(x.sizes())));
  DimVector out_sizes;  // keepdim form
  for (int64_t d = 0; d < ndim; ++d)
    out_sizes.push_back(std::binary_search(dims.begin(), dims.end(), d) ? 1 : x.size(d));

  TensorBase result;
  if (static_cast<int64_t>(dims.size()) == ndim) {
    result = detail::make_tensor(out_sizes, dtype);
    TG_DISPATCH_NUMERIC(dtype, name, [&] {
      *result.unsafe_impl()->data<scalar_t>() = reduce_all(x.unsafe_impl()->data<scalar_t>(), x.numel(), op);
    });
  } else {
    TensorBase current = x;
    DimVector current_sizes(x.sizes());
    for (std::size_t j = dims.size(); j-- > 0;) {
      int64_t d = dims[j];
      int64_t outer = 1, inner = 1;
      for (int64_t i = 0; i < d; ++i) outer *= current_sizes[i];
      for (int64_t i = d + 1; i < ndim; ++i) inner *= current_sizes[i];
      int64_t r = current_sizes[d];
      current_sizes[d] = 1;
      TensorBase next = detail::make_tensor(current_sizes, dtype);
      TG_DISPATCH_NUMERIC(dtype, name, [&] {
        reduce_dim(current.unsafe_impl()->data<scalar_t>(), next.unsafe_impl()->data<scalar_t>(), outer, r, inner, op);
      });
      current = next;
    }
    result = current;
  }
  if (!keepdim) {
    DimVector squeezed;
    for (int64_t d = 0; d < ndim; ++d)
      if (!std::binary_search(dims.begin(), dims.end(), d)) squeezed.push_back(out_sizes[d]);
    result.unsafe_impl()->set_sizes_contiguous(squeezed);
  }
  return result;
}

TensorBase arg_reduce(const TensorBase& x_in, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  TensorBase x = contiguous(x_in);
  if (x.numel() == 0)
    detail::fail(fmt::format("{}: cannot take the {} of an empty tensor of shape {}", name,
                             is_max ? "argmax" : "argmin", shape_str(x.sizes())));
  int64_t ndim = x.dim();
  int64_t outer = 1, r = x.numel(), inner = 1;
  DimVector out_sizes;
  if (dim) {
    int64_t d = *dim;
    r = ndim == 0 ? 1 : x.size(d);
    for (int64_t i = 0; i < d; ++i) outer *= x.size(i);
    for (int64_t i = d + 1; i < ndim; ++i) inner *= x.size(i);
    for (int64_t i = 0; i < ndim; ++i)
      if (i != d)
        out_sizes.push_back(x.size(i));
      else if (keepdim)
        out_sizes.push_back(1);
  } else if (keepdim) {
    out_sizes = DimVector(static_cast<std::size_t>(ndim), 1);
  }
  TensorBase out = detail::make_tensor(out_sizes, kInt64);
  int64_t* po = out.unsafe_impl()->data<int64_t>();
  TG_DISPATCH_ALL(x.dtype(), name, [&] {
    using T = scalar_t;
    const T* px = x.unsafe_impl()->data<T>();
    detail::parallel_for_simd<T>(0, outer * inner, std::max<int64_t>(1, detail::kGrainSize / r),
                                 [&](int64_t b, int64_t e) {
                                   for (int64_t j = b; j < e; ++j) {
                                     int64_t o = j / inner, i = j % inner;
                                     const T* base = px + o * r * inner + i;
                                     int64_t best = 0;
                                     T best_value = base[0];
                                     for (int64_t k = 1; k < r && !is_nan(best_value); ++k) {
                                       T v = base[k * inner];
                                       if (is_nan(v) || (is_max ? v > best_value : v < best_value)) {
                                         best = k;
                                         best_value = v;
                                       }
                                     }
                                     po[j] = best;
                                   }
                                 });
  });
  return out;
}

}  // namespace tg::kernels
