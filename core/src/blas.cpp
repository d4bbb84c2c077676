// Matrix products through OpenBLAS (via xtensor-blas's cxxblas wrappers would add nothing but
// compile time; we call cblas directly). A transposed operand is passed as a BLAS flag when its
// memory is a plain transpose of a contiguous matrix, so t() costs no copy.
#include <cblas.h>
#include <fmt/format.h>

#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"

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

template <typename T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb, T* c,
          int64_t ldc) {
  auto flag = [](bool t) { return t ? CblasTrans : CblasNoTrans; };
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0f,
                a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0f, c, static_cast<int>(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), 1.0,
                a, static_cast<int>(lda), b, static_cast<int>(ldb), 0.0, c, static_cast<int>(ldc));
  }
}

// c[b] = a[b] @ b[b] for a batch (batch = 1 for 2-D); a, b are [batch?, m, k], [batch?, k, n].
TensorBase batched(const TensorBase& a_in, const TensorBase& b_in, bool is_batched) {
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
  if (k == 0) {
    fill(out, 0);
    return out;
  }
  TG_DISPATCH_FLOATING(a.dtype(), "matmul", [&] {
    using T = scalar_t;
    for (int64_t i = 0; i < batch; ++i) {
      const T* pa = a.unsafe_impl()->data<T>() + (is_batched ? i * a.stride(0) : 0);
      const T* pb = b.unsafe_impl()->data<T>() + (is_batched ? i * b.stride(0) : 0);
      T* pc = out.unsafe_impl()->data<T>() + i * m * n;
      gemm<T>(oa.transposed, ob.transposed, m, n, k, pa, oa.ld, pb, ob.ld, pc, n);
    }
  });
  return out;
}

}  // namespace

TensorBase matmul2d(const TensorBase& a, const TensorBase& b) { return batched(a, b, false); }
TensorBase bmm(const TensorBase& a, const TensorBase& b) { return batched(a, b, true); }

}  // namespace tg::kernels
