// Matrix products through OpenBLAS (via xtensor-blas's cxxblas wrappers would add nothing but
// compile time; we call cblas directly). A transposed operand is passed as a BLAS flag when its
// memory is a plain transpose of a contiguous matrix, so t() costs no copy.
#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/parallel.h"

namespace tg::kernels {
namespace {

// How a 2-D block with strides (rs, cs) can be handed to BLAS: row-major with leading dimension,
// or as the transpose of a row-major matrix. Otherwise it must be copied.
struct BlasOperand {
  bool transposed = false;
  int64_t ld = 0;
  bool ok = false;
};

BlasOperand classify(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (cs == 1 && (rs >= std::max<int64_t>(cols, 1) || rows == 1))
    return {false, std::max<int64_t>(rs, std::max<int64_t>(cols, 1)), true};
  if (rs == 1 && (cs >= std::max<int64_t>(rows, 1) || cols == 1))
    return {true, std::max<int64_t>(cs, std::max<int64_t>(rows, 1)), true};
  return {};
}

// How many units (batch items, rows or columns of C) a task needs so that it does at least about
// 4M multiply-adds (some 40 us on one core): below that, handing work to another thread loses.
int64_t units_per_task(double multiply_adds_per_unit) {
  constexpr double kMinWork = 1 << 22;
  return static_cast<int64_t>(std::ceil(kMinWork / std::max(multiply_adds_per_unit, 1.0)));
}

template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, T* c,
          int64_t ldc, T alpha, T beta) {
  auto flag = [](bool t) { return t ? CblasTrans : CblasNoTrans; };
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
                a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha,
                a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
  }
}

// c[b] = alpha * a[b] @ b[b] (+ beta * init, broadcast to c, when init is given) for a batch
// (batch = 1 for 2-D); a, b are [batch?, m, k], [batch?, k, n].
TensorBase batched(const TensorBase& a_in, const TensorBase& b_in, bool is_batched, const TensorBase* init = nullptr,
                   double beta = 0, double alpha = 1) {
  TensorBase a = a_in, b = b_in;
  int64_t off = is_batched ? 1 : 0;
  int64_t batch = is_batched ? a.size(0) : 1;
  int64_t m = a.size(off), k = a.size(off + 1), n = b.size(off + 1);
  auto operand = [&](TensorBase& t, int64_t rows, int64_t cols) {
    BlasOperand op = classify(rows, cols, t.stride(off), t.stride(off + 1));
    if (!op.ok) {
      t = contiguous(t);  // a dense copy: BLAS takes its row strides
      op = classify(rows, cols, t.stride(off), t.stride(off + 1));
    }
    return op;
  };
  BlasOperand oa = operand(a, m, k);
  BlasOperand ob = operand(b, k, n);
  DimVector out_sizes;
  if (is_batched) out_sizes.push_back(batch);
  out_sizes.push_back(m);
  out_sizes.push_back(n);
  TensorBase out = detail::make_tensor(out_sizes, a.dtype());
  if (out.numel() == 0) return out;
  const bool accumulate = init != nullptr && beta != 0;  // beta = 0 ignores init, NaN or not (BLAS, libtorch)
  if (accumulate) {
    copy(out, *init);
    if (beta != 1) unary_inplace(out, Unary::MulScalar, beta);
  }
  if (k == 0) {
    if (!accumulate) fill(out, 0);
    return out;
  }
  TG_DISPATCH_FLOATING(a.dtype(), "matmul", [&] {
    using T = scalar_t;
    const T blas_alpha = static_cast<T>(alpha), blas_beta = accumulate ? T(1) : T(0);
    const T* a0 = a.unsafe_impl()->data<T>();
    const T* b0 = b.unsafe_impl()->data<T>();
    T* c0 = out.unsafe_impl()->data<T>();
    if (batch > 1) {  // one gemm per task: a conv's N images, a bmm's batch
      detail::parallel_for(0, batch, units_per_task(double(m) * double(n) * double(k)),
                           [&](int64_t begin, int64_t end) {
                             for (int64_t i = begin; i < end; ++i)
                               gemm<T>(oa.transposed, ob.transposed, m, n, k, a0 + i * a.stride(0), oa.ld,
                                       b0 + i * b.stride(0), ob.ld, c0 + i * m * n, n, blas_alpha, blas_beta);
                           });
      return;
    }
    // One product: the larger side of C in blocks of rows (or columns), one block per thread.
    const int threads = detail::current_num_threads();
    const bool split_rows = m >= n;
    const int64_t side = split_rows ? m : n, other = split_rows ? n : m;
    const int64_t block = std::max((side + threads - 1) / threads, units_per_task(double(other) * double(k)));
    if (threads <= 1 || block >= side) {
      gemm<T>(oa.transposed, ob.transposed, m, n, k, a0, oa.ld, b0, ob.ld, c0, n, blas_alpha, blas_beta);
      return;
    }
    detail::parallel_for(0, side, block, [&](int64_t begin, int64_t end) {
      const int64_t len = end - begin;
      if (split_rows)  // rows of op(A): row `begin` of a row-major A, column `begin` of a transposed one
        gemm<T>(oa.transposed, ob.transposed, len, n, k, a0 + begin * (oa.transposed ? 1 : oa.ld), oa.ld, b0, ob.ld,
                c0 + begin * n, n, blas_alpha, blas_beta);
      else
        gemm<T>(oa.transposed, ob.transposed, m, len, k, a0, oa.ld, b0 + begin * (ob.transposed ? ob.ld : 1), ob.ld,
                c0 + begin, n, blas_alpha, blas_beta);
    });
  });
  return out;
}

}  // namespace

TensorBase matmul2d(const TensorBase& a, const TensorBase& b) { return batched(a, b, false); }
TensorBase bmm(const TensorBase& a, const TensorBase& b) { return batched(a, b, true); }
TensorBase addmm(const TensorBase& self, const TensorBase& a, const TensorBase& b, double beta, double alpha) {
  return batched(a, b, false, &self, beta, alpha);
}

}  // namespace tg::kernels
