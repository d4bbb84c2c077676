// Elementwise kernels: unary, binary with NumPy broadcasting, where, copy and fill, over any
// strides. Contiguous operands take a flat loop that the compiler vectorises; others go through
// StridedLayout. Large tensors are split across TBB threads (parallel.h).
#include <fmt/format.h>

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "strided.h"
#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"

namespace tg::kernels {

using detail::StridedLayout;

ScalarType promote(ScalarType a, ScalarType b) {
  auto rank = [](ScalarType t) {
    switch (t) {
      case kBool: return 0;
      case kInt64: return 1;
      case kFloat32: return 2;
      case kFloat64: return 3;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

DimVector broadcast_shape(IntArrayRef a, IntArrayRef b, const char* op) {
  std::size_t ndim = std::max(a.size(), b.size());
  DimVector out(ndim, 1);
  for (std::size_t i = 0; i < ndim; ++i) {
    int64_t da = i < ndim - a.size() ? 1 : a[i - (ndim - a.size())];
    int64_t db = i < ndim - b.size() ? 1 : b[i - (ndim - b.size())];
    if (da != db && da != 1 && db != 1)
      detail::fail(fmt::format("{}: shapes {} and {} cannot be broadcast together (dim {}: {} vs {})", op, shape_str(a),
                               shape_str(b), i, da, db));
    out[i] = da == 1 ? db : da;
  }
  (void)checked_numel(out, op);  // [2^40, 1] + [1, 2^40]: a broadcast can overflow
  return out;
}

#define TG_KERNEL_IS_BOOL(name, result, expr) \
  case name: return std::string_view(#result) == "Bool";
bool is_comparison(Binary op) {
  using enum Binary;
  switch (op) { TG_BINARY_KERNELS(TG_KERNEL_IS_BOOL) }
  return false;
}

bool is_comparison(Unary op) {
  using enum Unary;
  switch (op) { TG_UNARY_KERNELS(TG_KERNEL_IS_BOOL) }
  return false;
}
#undef TG_KERNEL_IS_BOOL

namespace {

// out[i] = f(in[i]) for out contiguous, in any strides.
template <typename In, typename Out, typename F>
void unary_loop(const TensorImpl& in, TensorImpl& out, F f) {
  const In* src = in.data<In>();
  Out* dst = out.data<Out>();
  if (in.contiguous) {
    detail::parallel_for_simd<In>(0, in.numel, detail::kGrainSize, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) dst[i] = f(src[i]);
    });
    return;
  }
  StridedLayout<2> layout;
  layout.sizes = in.sizes;
  layout.strides[0] = out.strides;
  layout.strides[1] = in.strides;
  layout.coalesce();
  layout.parallel_rows<In>([&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& st) {
    Out* o = dst + off[0];
    const In* s = src + off[1];
    for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(s[i * st[1]]);
  });
}

// double -> T without undefined behaviour for out-of-range values (clamp bounds of +-inf on int64).
template <typename T>
T saturate(double v) {
  if constexpr (std::is_integral_v<T>) {
    if (std::isnan(v)) return T(0);
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  }
  return static_cast<T>(v);
}

template <typename T>
T sigmoid_value(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

template <typename T>
T clamp_value(T x, T lo, T hi) {
  if (std::isnan(static_cast<double>(x))) return x;
  T above = x < lo ? lo : x;
  return above > hi ? hi : above;
}

// Applies `op` as a scalar function; `Out` is T or bool. The cases come from TG_UNARY_KERNELS.
template <typename T, typename Out, typename Fn>
void dispatch_unary_op(Unary op, double a, double b, Fn&& run) {
  const T ta = saturate<T>(a), tb = saturate<T>(b);
  (void)tb;
  // x^2, x^1 and x^0.5 are common exponents with exact, faster forms
  if (op == Unary::PowScalar && a == 2) op = Unary::Square;
  if (op == Unary::PowScalar && a == 0.5) op = Unary::Sqrt;
  if (op == Unary::PowScalar && a == 1) return run([](T x) { return static_cast<Out>(x); });
#define TG_UNARY_CASE(name, result, expr) \
  case Unary::name:                       \
    run([ta, tb, a](T x) {                \
      (void)ta, (void)tb, (void)a;        \
      return static_cast<Out>(expr);      \
    });                                   \
    break;
  switch (op) { TG_UNARY_KERNELS(TG_UNARY_CASE) }
#undef TG_UNARY_CASE
}

// Transcendental functions on contiguous float/double memory through xsimd: glibc's scalar tanhf
// alone took a third of a small op's time, and the vector forms are 1-2 ulp accurate.
template <typename T, typename VecF, typename ScalarF>
void simd_map(const T* src, T* dst, int64_t n, VecF vec_f, ScalarF scalar_f) {
  using Batch = xsimd::batch<T>;
  constexpr int64_t width = static_cast<int64_t>(Batch::size);
  detail::parallel_for_simd<T>(0, n, detail::kGrainSize, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    for (; i + width <= end; i += width) vec_f(Batch::load_unaligned(src + i)).store_unaligned(dst + i);
    for (; i < end; ++i) dst[i] = scalar_f(src[i]);
  });
}

template <typename T>
bool try_simd_unary(Unary op, const T* src, T* dst, int64_t n) {
  using Batch = xsimd::batch<T>;
  switch (op) {
    case Unary::Exp:
      simd_map(
          src, dst, n, [](Batch v) { return xsimd::exp(v); }, [](T v) { return std::exp(v); });
      return true;
    case Unary::Log:
      simd_map(
          src, dst, n, [](Batch v) { return xsimd::log(v); }, [](T v) { return std::log(v); });
      return true;
    case Unary::Log1p:
      simd_map(
          src, dst, n, [](Batch v) { return xsimd::log1p(v); }, [](T v) { return std::log1p(v); });
      return true;
    case Unary::Tanh:
      simd_map(
          src, dst, n, [](Batch v) { return xsimd::tanh(v); }, [](T v) { return std::tanh(v); });
      return true;
    case Unary::Sin:
      simd_map(
          src, dst, n, [](Batch v) { return xsimd::sin(v); }, [](T v) { return std::sin(v); });
      return true;
    case Unary::Cos:
      simd_map(
          src, dst, n, [](Batch v) { return xsimd::cos(v); }, [](T v) { return std::cos(v); });
      return true;
    case Unary::Erf:
      simd_map(
          src, dst, n, [](Batch v) { return xsimd::erf(v); }, [](T v) { return std::erf(v); });
      return true;
    case Unary::Sigmoid:
      simd_map(
          src, dst, n, [](Batch v) { return Batch(T(1)) / (Batch(T(1)) + xsimd::exp(-v)); },
          [](T v) { return sigmoid_value(v); });
      return true;
    default: return false;
  }
}

}  // namespace

TensorBase unary(const TensorBase& x, Unary op, double a, double b) {
  const TensorImpl& in = *x.unsafe_impl();
  if (in.contiguous && (in.dtype == kFloat32 || in.dtype == kFloat64)) {
    TensorBase out = detail::make_tensor(in.sizes, in.dtype);
    bool done = in.dtype == kFloat32
                    ? try_simd_unary<float>(op, in.data<float>(), out.unsafe_impl()->data<float>(), in.numel)
                    : try_simd_unary<double>(op, in.data<double>(), out.unsafe_impl()->data<double>(), in.numel);
    if (done) return out;
  }
  bool to_bool = is_comparison(op);
  TensorBase out = detail::make_tensor(in.sizes, to_bool ? kBool : in.dtype);
  TensorImpl& o = *out.unsafe_impl();
  TG_DISPATCH_ALL(in.dtype, "unary", [&] {
    using T = scalar_t;
    if constexpr (std::is_same_v<T, bool>) {
      // bool tensors: computed through int64 semantics, the result is Bool either way
      dispatch_unary_op<int64_t, bool>(
          op, a, b, [&](auto f) { unary_loop<bool, bool>(in, o, [f](bool v) { return f(static_cast<int64_t>(v)); }); });
    } else if (to_bool) {
      dispatch_unary_op<T, bool>(op, a, b, [&](auto f) { unary_loop<T, bool>(in, o, f); });
    } else {
      dispatch_unary_op<T, T>(op, a, b, [&](auto f) { unary_loop<T, T>(in, o, f); });
    }
  });
  return out;
}

namespace {

// NaN when either input is NaN, else `value` (maximum and minimum propagate NaN, as libtorch).
template <typename T>
T nan_or(T x, T y, T value) {
  if (std::isnan(static_cast<double>(x)) || std::isnan(static_cast<double>(y)))
    return static_cast<T>(std::numeric_limits<double>::quiet_NaN());
  return value;
}

// Applies `op` as a scalar function of two elements; the cases come from TG_BINARY_KERNELS.
template <typename T, typename Out, typename Fn>
void dispatch_binary_op(Binary op, double alpha, Fn&& run) {
  const T talpha = saturate<T>(alpha);
#define TG_BINARY_CASE(name, result, expr) \
  case Binary::name:                       \
    run([talpha](T x, T y) {               \
      (void)talpha;                        \
      return static_cast<Out>(expr);       \
    });                                    \
    break;
  switch (op) { TG_BINARY_KERNELS(TG_BINARY_CASE) }
#undef TG_BINARY_CASE
}

// out (contiguous, broadcast shape) = f(a, b); a and b share dtype T.
template <typename T, typename Out, typename F>
void binary_loop(const TensorImpl& a, const TensorImpl& b, TensorImpl& out, F f) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  Out* po = out.data<Out>();
  const int64_t n = out.numel;
  if (a.contiguous && b.contiguous && a.numel == n && b.numel == n) {
    detail::parallel_for_simd<T>(0, n, detail::kGrainSize, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) po[i] = f(pa[i], pb[i]);
    });
    return;
  }
  if (a.contiguous && a.numel == n && b.numel == 1) {
    const T vb = *pb;
    detail::parallel_for_simd<T>(0, n, detail::kGrainSize, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) po[i] = f(pa[i], vb);
    });
    return;
  }
  if (b.contiguous && b.numel == n && a.numel == 1) {
    const T va = *pa;
    detail::parallel_for_simd<T>(0, n, detail::kGrainSize, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) po[i] = f(va, pb[i]);
    });
    return;
  }
  StridedLayout<3> layout;
  layout.sizes = out.sizes;
  layout.strides[0] = out.strides;
  layout.strides[1] = detail::broadcast_strides(a, out.sizes);
  layout.strides[2] = detail::broadcast_strides(b, out.sizes);
  layout.coalesce();
  layout.parallel_rows<T>([&](const std::array<int64_t, 3>& off, int64_t len, const std::array<int64_t, 3>& st) {
    Out* o = po + off[0];
    const T* x = pa + off[1];
    const T* y = pb + off[2];
    if (st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < len; ++i) o[i] = f(x[i], y[i]);
    } else if (st[1] == 1 && st[2] == 0) {
      const T vy = *y;
      for (int64_t i = 0; i < len; ++i) o[i] = f(x[i], vy);
    } else if (st[1] == 0 && st[2] == 1) {
      const T vx = *x;
      for (int64_t i = 0; i < len; ++i) o[i] = f(vx, y[i]);
    } else {
      for (int64_t i = 0; i < len; ++i) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
    }
  });
}

TensorBase converted(const TensorBase& t, ScalarType dtype) {
  if (t.dtype() == dtype) return t;
  TensorBase out = detail::make_tensor(t.sizes(), dtype);
  copy(out, t);
  return out;
}

// `t` itself when it has `dtype` (no reference-count traffic: an op on small tensors pays for
// every atomic), else a converted copy kept alive in `holder`.
const TensorBase& converted(const TensorBase& t, ScalarType dtype, TensorBase& holder) {
  if (t.dtype() == dtype) return t;
  holder = converted(t, dtype);
  return holder;
}

}  // namespace

TensorBase contiguous(const TensorBase& x) {
  if (x.is_contiguous()) return x;
  TensorBase out = detail::make_tensor(x.sizes(), x.dtype());
  copy(out, x);
  return out;
}

TensorBase binary(const TensorBase& a_in, const TensorBase& b_in, Binary op, double alpha) {
  ScalarType common = promote(a_in.dtype(), b_in.dtype());
  TensorBase a_holder, b_holder;
  const TensorBase& a = converted(a_in, common, a_holder);
  const TensorBase& b = converted(b_in, common, b_holder);
  DimVector out_sizes =
      a.sizes().equals(b.sizes()) ? DimVector(a.sizes()) : broadcast_shape(a.sizes(), b.sizes(), "binary");
  bool to_bool = is_comparison(op);
  TensorBase out = detail::make_tensor(out_sizes, to_bool ? kBool : common);
  const TensorImpl& ia = *a.unsafe_impl();
  const TensorImpl& ib = *b.unsafe_impl();
  TensorImpl& io = *out.unsafe_impl();
  TG_DISPATCH_ALL(common, "binary", [&] {
    using T = scalar_t;
    if constexpr (std::is_same_v<T, bool>) {
      dispatch_binary_op<int64_t, bool>(op, alpha, [&](auto f) {
        binary_loop<bool, bool>(ia, ib, io,
                                [f](bool x, bool y) { return f(static_cast<int64_t>(x), static_cast<int64_t>(y)); });
      });
    } else if (to_bool) {
      dispatch_binary_op<T, bool>(op, alpha, [&](auto f) { binary_loop<T, bool>(ia, ib, io, f); });
    } else {
      dispatch_binary_op<T, T>(op, alpha, [&](auto f) { binary_loop<T, T>(ia, ib, io, f); });
    }
  });
  return out;
}

TensorBase where(const TensorBase& condition, const TensorBase& a_in, const TensorBase& b_in) {
  ScalarType common = promote(a_in.dtype(), b_in.dtype());
  TensorBase a_holder, b_holder, cond_holder;
  const TensorBase& a = converted(a_in, common, a_holder);
  const TensorBase& b = converted(b_in, common, b_holder);
  const TensorBase& cond = converted(condition, kBool, cond_holder);
  DimVector ab = broadcast_shape(a.sizes(), b.sizes(), "where");
  DimVector out_sizes = broadcast_shape(cond.sizes(), ab, "where");
  TensorBase out = detail::make_tensor(out_sizes, common);
  const TensorImpl& ic = *cond.unsafe_impl();
  const TensorImpl& ia = *a.unsafe_impl();
  const TensorImpl& ib = *b.unsafe_impl();
  TensorImpl& io = *out.unsafe_impl();
  StridedLayout<4> layout;
  layout.sizes = out_sizes;
  layout.strides[0] = io.strides;
  layout.strides[1] = detail::broadcast_strides(ic, out_sizes);
  layout.strides[2] = detail::broadcast_strides(ia, out_sizes);
  layout.strides[3] = detail::broadcast_strides(ib, out_sizes);
  layout.coalesce();
  TG_DISPATCH_ALL(common, "where", [&] {
    using T = scalar_t;
    T* po = io.data<T>();
    const bool* pc = ic.data<bool>();
    const T* pa = ia.data<T>();
    const T* pb = ib.data<T>();
    layout.parallel_rows<T>([&](const std::array<int64_t, 4>& off, int64_t len, const std::array<int64_t, 4>& st) {
      for (int64_t i = 0; i < len; ++i)
        po[off[0] + i * st[0]] = pc[off[1] + i * st[1]] ? pa[off[2] + i * st[2]] : pb[off[3] + i * st[3]];
    });
  });
  return out;
}

void copy(const TensorBase& dst, const TensorBase& src) {
  const TensorImpl& d = *dst.unsafe_impl();
  const TensorImpl& s = *src.unsafe_impl();
  StridedLayout<2> layout;
  layout.sizes = d.sizes;
  layout.strides[0] = d.strides;
  layout.strides[1] = detail::broadcast_strides(s, d.sizes);
  layout.coalesce();
  TG_DISPATCH_ALL(d.dtype, "copy_", [&] {
    using D = scalar_t;
    D* pd = d.data<D>();
    TG_DISPATCH_ALL(s.dtype, "copy_", [&] {
      using S = scalar_t;
      const S* ps = s.data<S>();
      layout.parallel_rows<D>([&](const std::array<int64_t, 2>& off, int64_t len, const std::array<int64_t, 2>& st) {
        D* o = pd + off[0];
        const S* x = ps + off[1];
        if (st[0] == 1 && st[1] == 1) {
          for (int64_t i = 0; i < len; ++i) o[i] = static_cast<D>(x[i]);
        } else {
          for (int64_t i = 0; i < len; ++i) o[i * st[0]] = static_cast<D>(x[i * st[1]]);
        }
      });
    });
  });
}

void fill(const TensorBase& dst, double value) {
  const TensorImpl& d = *dst.unsafe_impl();
  StridedLayout<1> layout;
  layout.sizes = d.sizes;
  layout.strides[0] = d.strides;
  layout.coalesce();
  TG_DISPATCH_ALL(d.dtype, "fill_", [&] {
    scalar_t* pd = d.data<scalar_t>();
    const scalar_t v = saturate<scalar_t>(value);
    layout.parallel_rows<scalar_t>(
        [&](const std::array<int64_t, 1>& off, int64_t len, const std::array<int64_t, 1>& st) {
          scalar_t* o = pd + off[0];
          if (st[0] == 1)
            std::fill_n(o, len, v);
          else
            for (int64_t i = 0; i < len; ++i) o[i * st[0]] = v;
        });
  });
}

void binary_inplace(const TensorBase& dst, const TensorBase& src_in, Binary op, double alpha) {
  const TensorImpl& d = *dst.unsafe_impl();
  TensorBase holder;
  const TensorImpl& s = *converted(src_in, d.dtype, holder).unsafe_impl();
  // Two dense tensors of one shape (a gradient summed into its buffer): one plain loop.
  const bool dense = d.contiguous && s.contiguous && s.sizes.size() == d.sizes.size() &&
                     std::equal(s.sizes.begin(), s.sizes.end(), d.sizes.begin());
  StridedLayout<2> layout;
  if (!dense) {
    layout.sizes = d.sizes;
    layout.strides[0] = d.strides;
    layout.strides[1] = detail::broadcast_strides(s, d.sizes);
    layout.coalesce();
  }
  TG_DISPATCH_NUMERIC(d.dtype, "in-place op", [&] {
    using T = scalar_t;
    T* pd = d.data<T>();
    const T* ps = s.data<T>();
    dispatch_binary_op<T, T>(op, alpha, [&](auto f) {
      if (dense) {
        detail::parallel_for_simd<T>(0, d.numel, detail::kGrainSize, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) pd[i] = f(pd[i], ps[i]);
        });
        return;
      }
      layout.parallel_rows<T>([&](const std::array<int64_t, 2>& off, int64_t len, const std::array<int64_t, 2>& st) {
        T* o = pd + off[0];
        const T* x = ps + off[1];
        if (st[0] == 1 && st[1] == 1) {
          for (int64_t i = 0; i < len; ++i) o[i] = f(o[i], x[i]);
        } else {
          for (int64_t i = 0; i < len; ++i) o[i * st[0]] = f(o[i * st[0]], x[i * st[1]]);
        }
      });
    });
  });
}

void unary_inplace(const TensorBase& dst, Unary op, double a, double b) {
  const TensorImpl& d = *dst.unsafe_impl();
  StridedLayout<1> layout;
  layout.sizes = d.sizes;
  layout.strides[0] = d.strides;
  layout.coalesce();
  TG_DISPATCH_NUMERIC(d.dtype, "in-place op", [&] {
    using T = scalar_t;
    T* pd = d.data<T>();
    dispatch_unary_op<T, T>(op, a, b, [&](auto f) {
      layout.parallel_rows<T>([&](const std::array<int64_t, 1>& off, int64_t len, const std::array<int64_t, 1>& st) {
        T* o = pd + off[0];
        if (st[0] == 1) {
          for (int64_t i = 0; i < len; ++i) o[i] = f(o[i]);
        } else {
          for (int64_t i = 0; i < len; ++i) o[i * st[0]] = f(o[i * st[0]]);
        }
      });
    });
  });
}

}  // namespace tg::kernels
