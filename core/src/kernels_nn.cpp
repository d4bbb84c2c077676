// The sliding-window kernels behind conv2d, conv_transpose2d, avg_pool2d and max_pool2d
// (autograd/src/ops_nn.cpp records them): im2col, its adjoint col2im, and max pooling with argmax
// indices. Each runs over [N*C] planes in parallel.
#include <algorithm>
#include <limits>

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
    detail::parallel_for(0, N * C, plane_grain(K, L), [&](int64_t begin, int64_t end) {
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
    detail::parallel_for(0, N * C, plane_grain(K, L), [&](int64_t begin, int64_t end) {
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
    detail::parallel_for(0, N * C, plane_grain(w.oh * w.ow, w.kh * w.kw), [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const T* src = px + plane * H * W;
        T* dst = po + plane * w.oh * w.ow;
        int64_t* dst_i = pi + plane * w.oh * w.ow;
        if (inside) {
          for (int64_t oy = 0; oy < w.oh; ++oy)
            for (int64_t ox = 0; ox < w.ow; ++ox) {
              const int64_t y0 = oy * w.sh, x0 = ox * w.sw;
              int64_t best = y0 * W + x0;
              T best_val = -std::numeric_limits<T>::infinity();
              for (int64_t iy = y0; iy < y0 + w.kh; ++iy)
                for (int64_t ix = x0; ix < x0 + w.kw; ++ix) {
                  const T v = src[iy * W + ix];
                  const bool take = (v > best_val) | (v != v);
                  best_val = take ? v : best_val;
                  best = take ? iy * W + ix : best;
                }
              dst[oy * w.ow + ox] = best_val;
              dst_i[oy * w.ow + ox] = best;
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
            // libtorch's rule: the first maximum wins, a NaN always takes over; selects, not branches
            // (the comparisons are data-dependent coin flips for a branch predictor)
            int64_t best = y0 * W + x0;
            T best_val = -std::numeric_limits<T>::infinity();
            // step without computing iy + dh past y1 (a huge dilation would overflow)
            for (int64_t iy = y0; iy<y1; iy = y1 - iy> w.dh ? iy + w.dh : y1)
              for (int64_t ix = x0; ix<x1; ix = x1 - ix> w.dw ? ix + w.dw : x1) {
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
