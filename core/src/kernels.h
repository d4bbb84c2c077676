// Kernels: the numeric work behind ops, on any strides, producing fresh contiguous outputs.
// No autograd here; autograd/src/ops_*.cpp wrap these and record nodes.
#pragma once
#include <optional>

#include "tensor_impl.h"

namespace tg::kernels {

enum class Unary {
  Neg, Exp, Log, Log1p, Sqrt, Rsqrt, Abs, Sign, Sin, Cos, Tanh, Sigmoid, Relu, Erf, Reciprocal,
  PowScalar,    // x ^ a
  RPowScalar,   // a ^ x
  AddScalar,    // x + a
  MulScalar,    // x * a
  RSubScalar,   // a - x
  RDivScalar,   // a / x
  ClampMin,     // max(x, a)
  ClampMax,     // min(x, a)
  Clamp,        // min(max(x, a), b)
  Step,         // x >= a ? 1 : 0
  Square,
  // boolean-valued
  IsNan, IsFinite, LogicalNot,
  EqScalar, NeScalar, LtScalar, LeScalar, GtScalar, GeScalar,
  // masks used by vjps: 1 where a <= x <= b else 0 (float)
  InRange,
};

enum class Binary {
  Add, Sub, Mul, Div, Pow, Maximum, Minimum, Heaviside,
  AddScaled,  // a + alpha * b
  Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr,
  TanhBackward,     // a * (1 - b*b)        (a = grad, b = tanh output)
  SigmoidBackward,  // a * b * (1 - b)      (a = grad, b = sigmoid output)
  ReluBackward,     // b > 0 ? a : 0        (a = grad, b = relu output)
};

bool is_comparison(Binary op);
bool is_comparison(Unary op);

Tensor unary(const Tensor& x, Unary op, double a = 0, double b = 0);
// Output dtype is the promoted dtype (or Bool for comparisons).
Tensor binary(const Tensor& a, const Tensor& b, Binary op, double alpha = 1);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
// out (any strides, same shape as the broadcast of src to it) = src converted to out's dtype.
void copy(const Tensor& dst, const Tensor& src);
void fill(const Tensor& dst, double value);
// dst op= src in place (dst any strides; src broadcast to dst). Used by in-place ops.
void binary_inplace(const Tensor& dst, const Tensor& src, Binary op, double alpha = 1);
void unary_inplace(const Tensor& dst, Unary op, double a = 0, double b = 0);

enum class Reduce { Sum, Prod, Max, Min };
// dims: normalised, unique. Empty dims reduces everything.
Tensor reduce(const Tensor& x, IntArrayRef dims, bool keepdim, Reduce op,
              std::optional<ScalarType> out_dtype = std::nullopt);
// Index of the max/min along dim (or over everything when dim is nullopt), as int64.
Tensor arg_reduce(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max);

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim, IntArrayRef out_sizes);
Tensor pad(const Tensor& x, IntArrayRef pad_before, IntArrayRef pad_after, double value);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
// out = x.clone(); out[index[i][j]][j] += src[i][j] (dim 0 example)
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);

// C = A @ B for 2-D (m,k)x(k,n) or batched 3-D (b,m,k)x(b,k,n); transposed operands go to BLAS
// as flags, not copies.
Tensor matmul2d(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);

// Output shape of broadcasting a with b (throws naming op on mismatch).
DimVector broadcast_shape(IntArrayRef a, IntArrayRef b, const char* op);
ScalarType promote(ScalarType a, ScalarType b);

}  // namespace tg::kernels
