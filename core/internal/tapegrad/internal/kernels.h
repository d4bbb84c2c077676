// Kernels: the numeric work behind ops, on any strides, producing fresh contiguous outputs.
// No autograd here; autograd/src/ops_*.cpp wrap these and record nodes.
#pragma once
#include <optional>
#include <utility>

#include "tapegrad/internal/tensor_impl.h"

namespace tg::kernels {

// The pointwise kernels, one line each: X(Name, result, expression). The expression computes one
// element from x (unary) or x, y (binary), of the input's type T, with the op's numeric arguments
// a, b, alpha as double and ta, tb, talpha converted to T. The result is Same (the input dtype)
// or Bool (comparisons). The enums and the switch in kernels_elementwise.cpp are generated from
// these lists, so a new pointwise kernel is one line here.
// clang-format off
#define TG_UNARY_KERNELS(X)                                                                  \
  X(Neg, Same, -x)                                                                           \
  X(Exp, Same, std::exp(x))                                                                  \
  X(Log, Same, std::log(x))                                                                  \
  X(Log1p, Same, std::log1p(x))                                                              \
  X(Sqrt, Same, std::sqrt(x))                                                                \
  X(Rsqrt, Same, T(1) / std::sqrt(x))                                                        \
  X(Abs, Same, x < T(0) ? -x : x)                                                            \
  X(Sign, Same, (T(0) < x) - (x < T(0)))                                                     \
  X(Sin, Same, std::sin(x))                                                                  \
  X(Cos, Same, std::cos(x))                                                                  \
  X(Tanh, Same, std::tanh(x))                                                                \
  X(Sigmoid, Same, sigmoid_value(x))                                                         \
  X(Relu, Same, x > T(0) ? x : T(0))                                                         \
  X(Erf, Same, std::erf(x))                                                                  \
  X(Square, Same, x * x)                                                                     \
  X(PowScalar, Same, std::pow(x, ta))        /* x ^ a */                                     \
  X(AddScalar, Same, x + ta)                 /* x + a */                                     \
  X(MulScalar, Same, x * ta)                 /* x * a */                                     \
  X(RSubScalar, Same, ta - x)                /* a - x */                                     \
  X(Clamp, Same, clamp_value(x, ta, tb))     /* min(max(x, a), b), NaN stays NaN */          \
  X(Step, Same, x >= ta ? T(1) : T(0))       /* 1 where x >= a */                            \
  X(InRange, Same, x >= ta && x <= tb ? T(1) : T(0)) /* the mask of clamp's rule */          \
  X(IsNan, Bool, std::isnan(static_cast<double>(x)))                                         \
  X(IsFinite, Bool, std::isfinite(static_cast<double>(x)))                                   \
  X(LogicalNot, Bool, x == T(0))                                                             \
  X(EqScalar, Bool, static_cast<double>(x) == a)                                             \
  X(NeScalar, Bool, static_cast<double>(x) != a)                                             \
  X(LtScalar, Bool, static_cast<double>(x) < a)                                              \
  X(LeScalar, Bool, static_cast<double>(x) <= a)                                             \
  X(GtScalar, Bool, static_cast<double>(x) > a)                                              \
  X(GeScalar, Bool, static_cast<double>(x) >= a)

#define TG_BINARY_KERNELS(X)                                                                 \
  X(Add, Same, x + y)                                                                        \
  X(Sub, Same, x - y)                                                                        \
  X(Mul, Same, x * y)                                                                        \
  X(Div, Same, x / y)                                                                        \
  X(Pow, Same, std::pow(x, y))                                                               \
  X(Maximum, Same, nan_or(x, y, x > y ? x : y))  /* NaN if either is NaN, as libtorch */     \
  X(Minimum, Same, nan_or(x, y, x < y ? x : y))                                              \
  X(Heaviside, Same, x == T(0) ? y : (x > T(0) ? T(1) : T(0)))                               \
  X(AddScaled, Same, x + talpha * y)             /* x + alpha y */                           \
  X(Eq, Bool, x == y)                                                                        \
  X(Ne, Bool, x != y)                                                                        \
  X(Lt, Bool, x < y)                                                                         \
  X(Le, Bool, x <= y)                                                                        \
  X(Gt, Bool, x > y)                                                                         \
  X(Ge, Bool, x >= y)                                                                        \
  X(LogicalAnd, Bool, x != T(0) && y != T(0))                                                \
  X(LogicalOr, Bool, x != T(0) || y != T(0))                                                 \
  X(LogicalXor, Bool, (x != T(0)) != (y != T(0)))                                            \
  X(TanhBackward, Same, x * (T(1) - y * y))      /* grad (1 - y^2), y = tanh's output */     \
  X(SigmoidBackward, Same, x * y * (T(1) - y))   /* grad y (1 - y), y = sigmoid's output */  \
  X(ReluBackward, Same, y > T(0) ? x : T(0))     /* grad where y > 0, y = relu's output */

// clang-format on
#define TG_KERNEL_ENUM_ENTRY(name, result, expr) name,
enum class Unary { TG_UNARY_KERNELS(TG_KERNEL_ENUM_ENTRY) };
enum class Binary { TG_BINARY_KERNELS(TG_KERNEL_ENUM_ENTRY) };
#undef TG_KERNEL_ENUM_ENTRY

bool is_comparison(Binary op);
bool is_comparison(Unary op);

TensorBase unary(const TensorBase& x, Unary op, double a = 0, double b = 0);
// Output dtype is the promoted dtype (or Bool for comparisons).
TensorBase binary(const TensorBase& a, const TensorBase& b, Binary op, double alpha = 1);
TensorBase where(const TensorBase& condition, const TensorBase& a, const TensorBase& b);
// out (any strides, same shape as the broadcast of src to it) = src converted to out's dtype.
void copy(const TensorBase& dst, const TensorBase& src);
void fill(const TensorBase& dst, double value);
// dst op= src in place (dst any strides; src broadcast to dst). Used by in-place ops.
void binary_inplace(const TensorBase& dst, const TensorBase& src, Binary op, double alpha = 1);
void unary_inplace(const TensorBase& dst, Unary op, double a = 0, double b = 0);

enum class Reduce { Sum, Prod, Max, Min };
// dims: normalised, unique. Empty dims reduces everything.
TensorBase reduce(const TensorBase& x, IntArrayRef dims, bool keepdim, Reduce op,
                  std::optional<ScalarType> out_dtype = std::nullopt);
// Index of the max/min along dim (or over everything when dim is nullopt), as int64.
TensorBase arg_reduce(const TensorBase& x, std::optional<int64_t> dim, bool keepdim, bool is_max);

TensorBase cat(const std::vector<TensorBase>& tensors, int64_t dim, IntArrayRef out_sizes);
TensorBase pad(const TensorBase& x, IntArrayRef pad_before, IntArrayRef pad_after, double value);
TensorBase gather(const TensorBase& x, int64_t dim, const TensorBase& index);
// out = x.clone(); out[index[i][j]][j] += src[i][j] (dim 0 example)
TensorBase scatter_add(const TensorBase& x, int64_t dim, const TensorBase& index, const TensorBase& src);

// C = A @ B for 2-D (m,k)x(k,n) or batched 3-D (b,m,k)x(b,k,n); transposed operands go to BLAS
// as flags, not copies.
TensorBase matmul2d(const TensorBase& a, const TensorBase& b);
TensorBase bmm(const TensorBase& a, const TensorBase& b);
// beta * self + alpha * (a @ b), self broadcast to [m, n] (libtorch's addmm): self is copied into
// the output and the gemm adds to it (BLAS beta = 1), one pass fewer than a separate add.
TensorBase addmm(const TensorBase& self, const TensorBase& a, const TensorBase& b, double beta, double alpha);

// ---- sliding windows (core/src/kernels_nn.cpp) ----
// A 2-D window: kernel (kh, kw), dilation (dh, dw), padding (ph, pw), stride (sh, sw) and the
// output size (oh, ow), all checked by the caller (autograd/src/ops_nn.cpp) before a kernel runs.
struct Window2d {
  int64_t kh, kw, dh, dw, ph, pw, sh, sw;
  int64_t oh = 0, ow = 0;
};
// libtorch's unfold: [N, C, H, W] (float) -> [N, C*kh*kw, oh*ow], one column per window position,
// zeros where the window covers padding.
TensorBase im2col(const TensorBase& x, const Window2d& w);
// fold, im2col's adjoint: [N, C*kh*kw, oh*ow] -> [N, C, H, W], summing overlapping windows.
TensorBase col2im(const TensorBase& cols, int64_t C, int64_t H, int64_t W, const Window2d& w);
// Max over each window of [N, C, H, W]: the maxima [N, C, oh, ow] and, as int64, each one's
// position in its [H, W] plane (the first maximum wins; a NaN always wins, as libtorch).
std::pair<TensorBase, TensorBase> max_pool2d(const TensorBase& x, const Window2d& w);

// x itself when contiguous, else a contiguous copy.
TensorBase contiguous(const TensorBase& x);

// Output shape of broadcasting a with b (throws naming op on mismatch).
DimVector broadcast_shape(IntArrayRef a, IntArrayRef b, const char* op);
ScalarType promote(ScalarType a, ScalarType b);

}  // namespace tg::kernels
