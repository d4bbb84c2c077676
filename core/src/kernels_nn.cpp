// The sliding-window kernels behind conv2d, conv_transpose2d, avg_pool2d and max_pool2d
// (autograd/src/ops_nn.cpp records them): im2col, its adjoint col2im, and max pooling with argmax
// indices. Each runs over [N*C] planes in parallel.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cpu_capability.h"
#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/parallel.h"

namespace tg::kernels {

namespace {
// Planes per task, from the work per plane (a * b elements; saturated: with no planes at all the
// product of an empty tensor's other sizes need not fit int64).
int64_t plane_grain(int64_t a, int64_t b) {
  int64_t per_plane;
  if (__builtin_mul_overflow(a, b, &per_plane)) return 1;
  return std::max<int64_t>(1, detail::kGrainSize / std::max<int64_t>(per_plane, 1));
}

// One plane of max pooling whose windows all lie inside it, without dilation (nn.MaxPool2d(k)):
// KH x KW known at compile time for 2x2 and 3x3 (0: the window's size from w). Two short passes per
// window instead of one select chain: the maximum (a vmaxss chain, and whether a NaN is there),
// then the first position holding it, found with conditional moves from the last candidate back.
// (The first candidate with m's bits is the one that set m: an earlier equal one would have
// stopped the strict v > m, and -0.0 and 0.0 differ in bits as they do in order of arrival.)
// The one-pass form, a compare and two selects per candidate, compiled to branches that
// mispredicted every other element, or to a long dependency chain: 2 ns per input element, a
// quarter of a CNN epoch (docs/PERFORMANCE.md).
template <typename T, int KH, int KW>
void max_pool_inside(const T* src, T* dst, int64_t* dst_i, int64_t W, const Window2d& w, int64_t oy_begin,
                     int64_t oy_end) {
  const int64_t kh = KH > 0 ? KH : w.kh, kw = KW > 0 ? KW : w.kw;
  for (int64_t oy = oy_begin; oy < oy_end; ++oy)
    for (int64_t ox = 0; ox < w.ow; ++ox) {
      const int64_t first = oy * w.sh * W + ox * w.sw;
      const T* window = src + first;
      T m = -std::numeric_limits<T>::infinity();
      bool nan = false;
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j) {
          const T v = window[i * W + j];
          m = v > m ? v : m;
          nan |= v != v;
        }
      int64_t at = first;
      if (nan) {  // the last NaN wins (libtorch: a NaN always takes over)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j)
            if (window[i * W + j] != window[i * W + j]) at = first + i * W + j;
        m = src[at];  // that NaN itself, with its sign and payload, as the general loop returns
      } else {        // the first maximum wins: the first candidate with m's bits (a float == is a branch)
        using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
        const Bits mb = std::bit_cast<Bits>(m);
        for (int64_t i = kh - 1; i >= 0; --i)
          for (int64_t j = kw - 1; j >= 0; --j)
            at = std::bit_cast<Bits>(window[i * W + j]) == mb ? first + i * W + j : at;
      }
      dst[oy * w.ow + ox] = m;
      dst_i[oy * w.ow + ox] = at;
    }
}

// One output row of 2x2 windows with stride 2 (nn.MaxPool2d(2)), as plain data-parallel loops
// that g++ vectorizes: the maximum of each window in the scan order's terms (a strict > keeps the
// earlier of equal values), then its first position by comparing bits. Returns false, having
// written garbage, when the row holds a NaN: the caller redoes it with max_pool_inside.
template <typename T>
bool max_pool_row_2x2(const T* __restrict r0, int64_t W, int64_t row_offset, T* __restrict m, int64_t* __restrict at,
                      int64_t ow) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  const T* __restrict r1 = r0 + W;
  bool nan = false;
  for (int64_t ox = 0; ox < ow; ++ox) {
    const T a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
    const T ab = b > a ? b : a, cd = d > c ? d : c;
    m[ox] = cd > ab ? cd : ab;
    nan |= (a != a) | (b != b) | (c != c) | (d != d);
  }
  if (nan) return false;
  for (int64_t ox = 0; ox < ow; ++ox) {
    const Bits mb = std::bit_cast<Bits>(m[ox]);
    const int64_t first = row_offset + 2 * ox;
    int64_t where = first + W + 1;
    where = std::bit_cast<Bits>(r1[2 * ox]) == mb ? first + W : where;
    where = std::bit_cast<Bits>(r0[2 * ox + 1]) == mb ? first + 1 : where;
    where = std::bit_cast<Bits>(r0[2 * ox]) == mb ? first : where;
    at[ox] = where;
  }
  return true;
}

}  // namespace

// cols[n, (c*kh + i)*kw + j, oy*ow + ox] = x[n, c, oy*sh - ph + i*dh, ox*sw - pw + j*dw] (0 outside)
TensorBase im2col(const TensorBase& x_in, const Window2d& w) {
  const int64_t L = w.oh * w.ow, K = w.kh * w.kw;  // both checked by set_output
  const int64_t rows = checked_mul(x_in.size(1), K, "im2col", x_in.sizes(), "the number of rows (C * kh * kw)");
  TensorBase cols = detail::make_tensor({x_in.size(0), rows, L}, x_in.dtype(), "im2col");
  TensorBase x = contiguous(x_in);
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  TG_DISPATCH_FLOATING(x.dtype(), "im2col", [&] {
    using T = scalar_t;
    const T* px = x.data_ptr<T>();
    T* pc = cols.data_ptr<T>();
    detail::parallel_for_simd<T>(0, N * C, plane_grain(K, L), [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const T* src = px + plane * H * W;
        T* dst = pc + plane * K * L;
        for (int64_t i = 0; i < w.kh; ++i)
          for (int64_t j = 0; j < w.kw; ++j) {
            T* row = dst + (i * w.kw + j) * L;
            for (int64_t oy = 0; oy < w.oh; ++oy) {
              const int64_t iy = oy * w.sh - w.ph + i * w.dh;
              T* out = row + oy * w.ow;
              if (iy < 0 || iy >= H) {
                std::fill(out, out + w.ow, T(0));
                continue;
              }
              const T* in = src + iy * W;
              for (int64_t ox = 0; ox < w.ow; ++ox) {
                const int64_t ix = ox * w.sw - w.pw + j * w.dw;
                out[ox] = (ix >= 0 && ix < W) ? in[ix] : T(0);
              }
            }
          }
      }
    });
  });
  return cols;
}

// The adjoint of im2col: out[n, c, iy, ix] = sum of every column entry that im2col read from there.
TensorBase col2im(const TensorBase& cols_in, int64_t C, int64_t H, int64_t W, const Window2d& w) {
  TensorBase cols = contiguous(cols_in);
  const int64_t N = cols.size(0);
  const int64_t L = w.oh * w.ow, K = w.kh * w.kw;
  TensorBase out = detail::make_tensor({N, C, H, W}, cols.dtype(), "col2im");
  TG_DISPATCH_FLOATING(cols.dtype(), "col2im", [&] {
    using T = scalar_t;
    const T* pc = cols.data_ptr<T>();
    T* po = out.data_ptr<T>();
    detail::parallel_for_simd<T>(0, N * C, plane_grain(K, L), [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        T* dst = po + plane * H * W;
        std::fill(dst, dst + H * W, T(0));
        const T* src = pc + plane * K * L;
        for (int64_t i = 0; i < w.kh; ++i)
          for (int64_t j = 0; j < w.kw; ++j) {
            const T* row = src + (i * w.kw + j) * L;
            for (int64_t oy = 0; oy < w.oh; ++oy) {
              const int64_t iy = oy * w.sh - w.ph + i * w.dh;
              if (iy < 0 || iy >= H) continue;
              T* out_row = dst + iy * W;
              const T* in = row + oy * w.ow;
              for (int64_t ox = 0; ox < w.ow; ++ox) {
                const int64_t ix = ox * w.sw - w.pw + j * w.dw;
                if (ix >= 0 && ix < W) out_row[ix] += in[ox];
              }
            }
          }
      }
    });
  });
  return out;
}

std::pair<TensorBase, TensorBase> max_pool2d(const TensorBase& x, const Window2d& w) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  TensorBase xc = contiguous(x);
  TensorBase out = detail::make_tensor({N, C, w.oh, w.ow}, x.dtype(), "max_pool2d");
  TensorBase indices = detail::make_tensor({N, C, w.oh, w.ow}, kInt64, "max_pool2d");
  TG_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    using T = scalar_t;
    const T* px = xc.data_ptr<T>();
    T* po = out.data_ptr<T>();
    int64_t* pi = indices.data_ptr<int64_t>();
    // Every window inside the plane, no dilation (the nn.MaxPool2d(k) case): fixed bounds, no clipping.
    const bool inside = w.ph == 0 && w.pw == 0 && w.dh == 1 && w.dw == 1 && (w.oh - 1) * w.sh + w.kh <= H &&
                        (w.ow - 1) * w.sw + w.kw <= W;
    detail::parallel_for_simd<T>(0, N * C, plane_grain(w.oh * w.ow, w.kh * w.kw), [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const T* src = px + plane * H * W;
        T* dst = po + plane * w.oh * w.ow;
        int64_t* dst_i = pi + plane * w.oh * w.ow;
        if (inside) {
          if (w.kh == 2 && w.kw == 2 && w.sh == 2 && w.sw == 2) {
            for (int64_t oy = 0; oy < w.oh; ++oy)
              if (!max_pool_row_2x2(src + 2 * oy * W, W, 2 * oy * W, dst + oy * w.ow, dst_i + oy * w.ow, w.ow))
                max_pool_inside<T, 2, 2>(src, dst, dst_i, W, w, oy, oy + 1);
          } else if (w.kh == 3 && w.kw == 3) {
            max_pool_inside<T, 3, 3>(src, dst, dst_i, W, w, 0, w.oh);
          } else {
            max_pool_inside<T, 0, 0>(src, dst, dst_i, W, w, 0, w.oh);
          }
          continue;
        }
        for (int64_t oy = 0; oy < w.oh; ++oy) {
          int64_t y0 = oy * w.sh - w.ph;
          // min(y0 + reach, H) without computing y0 + reach (ceil_mode: up to in + 2p + in - 1)
          const int64_t reach_h = (w.kh - 1) * w.dh + 1, reach_w = (w.kw - 1) * w.dw + 1;  // <= the padded size
          const int64_t y1 = reach_h > H - y0 ? H : y0 + reach_h;
          if (y0 < 0) y0 += ((-y0 - 1) / w.dh + 1) * w.dh;  // the first row inside (a loop took 2^61 steps)
          for (int64_t ox = 0; ox < w.ow; ++ox) {
            int64_t x0 = ox * w.sw - w.pw;
            const int64_t x1 = reach_w > W - x0 ? W : x0 + reach_w;
            if (x0 < 0) x0 += ((-x0 - 1) / w.dw + 1) * w.dw;
            int64_t best = y0 * W + x0;
            T best_val = -std::numeric_limits<T>::infinity();
            // step without computing iy + dh past y1 (a huge dilation would overflow)
            for (int64_t iy = y0; iy<y1; iy = y1 - iy> w.dh ? iy + w.dh : y1)
              for (int64_t ix = x0; ix<x1; ix = x1 - ix> w.dw ? ix + w.dw : x1) {
                // libtorch's rule: the first maximum wins, a NaN always takes over
                const T v = src[iy * W + ix];
                const bool take = (v > best_val) | (v != v);
                best_val = take ? v : best_val;
                best = take ? iy * W + ix : best;
              }
            dst[oy * w.ow + ox] = best_val;
            dst_i[oy * w.ow + ox] = best;
          }
        }
      }
    });
  });
  return {out, indices};
}

}  // namespace tg::kernels
