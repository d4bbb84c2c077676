// The ops that libtorch has both as a function and as a Tensor method (`variants: function, method`
// in PyTorch's native_functions.yaml), each declared once, here, in an X-macro list:
//
//   OP(name, (parameters after self, with their defaults), (the same parameters as call arguments), return type)
//
// with its doc comment above it. <tapegrad/tensor.h> expands the list twice: before class Tensor
// into the free functions `tg::name(const Tensor& self, parameters...)` (declared there, so that
// the method bodies can call them: an in-class member body sees only the namespace-scope names
// declared before it), and inside the class into the methods `self.name(parameters...)`, defined
// inline as calls of those functions. The op's kernel, recording and checks are in
// autograd/src/ops_*.cpp, as for any free function.
//
// Written as an X-macro because it is one list in the header itself: no generator or build step
// (a native_functions.yaml plus codegen would add both, for about a hundred one-line entries), the
// declarations and defaults stay plain C++ that an editor shows, and the header compiles in about
// the time the declarations it replaces did. A forwarding template or CRTP base would lose the
// default arguments, the overload sets and the per-op docs.
//
// Rules of the list:
// - Doc comments are /* */ comments: a // comment would swallow the line continuation.
// - The return type comes last, as in the yaml's `name(...) -> ret`, because it may hold a comma
//   (std::tuple<Tensor, Tensor>): the last, variadic macro argument is the only one that can.
// - An op gets an entry only when libtorch has both variants and the method simply calls the
//   same-named function. view, expand and sum_to_size are methods only in libtorch; tapegrad's
//   free forms of them predate this list and have callers, so they are listed, not declared twice.
// - Not here: the factories and the function-only ops (<tapegrad/ops.h>); the method-only ones
//   (to, contiguous, view_as, reshape_as, expand_as, index, operator[], item, the autograd
//   methods, and comparisons with a number, eq(double) and the rest); and the in-place methods
//   (add_ and the rest, which bump the version counter). Those are written out in tensor.h.
#pragma once

// clang-format off
#define TG_FUNCTIONS_AND_METHODS(OP)                                                                                   \
  /* ============================================================ shape and indexing */                                \
  /* self with the given shape; one size may be -1 (inferred from numel()). A view when self's                         \
     strides allow it, else a copy (of contiguous()). Throws tg::Error for two -1s, a size below                       \
     -1, or sizes whose product is not numel(). libtorch: reshape. */                                                  \
  OP(reshape, (IntArrayRef shape), (shape), Tensor)                                                                    \
  /* As reshape, but always a view (shares storage): throws tg::Error, naming reshape, when self's                     \
     strides do not allow the new shape (a transposed matrix flattened, say). libtorch has view as a                   \
     method only; the free tg::view is tapegrad's. */                                                                  \
  OP(view, (IntArrayRef shape), (shape), Tensor)                                                                       \
  /* dims start_dim..end_dim (negative counts from the end) merged into one, as reshape does; a 0-d                    \
     tensor becomes [1]. Throws tg::Error when start_dim comes after end_dim. libtorch: flatten. */                    \
  OP(flatten, (int64_t start_dim = 0, int64_t end_dim = -1), (start_dim, end_dim), Tensor)                             \
  /* A view without the size-1 dims: all of them, or only dim (unchanged when its size is not 1).                      \
     libtorch: squeeze. */                                                                                             \
  OP(squeeze, (), (), Tensor)                                                                                          \
  OP(squeeze, (int64_t dim), (dim), Tensor)                                                                            \
  /* A view with a size-1 dim inserted at position dim, in [-dim()-1, dim()]. libtorch: unsqueeze. */                  \
  OP(unsqueeze, (int64_t dim), (dim), Tensor)                                                                          \
  /* The transpose of a matrix, as a view; a 0-d or 1-d tensor keeps its shape. Throws tg::Error                       \
     for more than 2 dims (use transpose). libtorch: t. */                                                             \
  OP(t, (), (), Tensor)                                                                                                \
  /* A view with dims dim0 and dim1 swapped. libtorch: transpose. */                                                   \
  OP(transpose, (int64_t dim0, int64_t dim1), (dim0, dim1), Tensor)                                                    \
  /* A view whose dim i is self's dim dims[i]. Throws tg::Error unless dims is a permutation of                        \
     self's dims. libtorch: permute. */                                                                                \
  OP(permute, (IntArrayRef dims), (dims), Tensor)                                                                      \
  /* A view broadcast to sizes (stride 0 along the expanded dims): size-1 dims grow, leading dims                      \
     are added, -1 keeps a size. Throws tg::Error when sizes has fewer dims than self or would                         \
     change a size other than 1. libtorch has expand as a method only; the free one is tapegrad's. */                  \
  OP(expand, (IntArrayRef sizes), (sizes), Tensor)                                                                     \
  /* A view of elements [start, start + length) along dim; a negative start counts from the end.                       \
     Throws tg::Error for a 0-d tensor or a range outside the dim. libtorch: narrow. */                                \
  OP(narrow, (int64_t dim, int64_t start, int64_t length), (dim, start, length), Tensor)                               \
  /* Python's self[start:end:step] along dim, as a view: negative bounds count from the end, bounds                    \
     are clamped to the dim, an omitted one means that end of it. Throws tg::Error for a 0-d tensor                    \
     or step <= 0. libtorch: slice. */                                                                                 \
  OP(slice,                                                                                                            \
     (int64_t dim = 0, std::optional<int64_t> start = std::nullopt, std::optional<int64_t> end = std::nullopt,         \
      int64_t step = 1),                                                                                               \
     (dim, start, end, step), Tensor)                                                                                  \
  /* Element index along dim, as a view without that dim (x.select(0, i) is x[i]); a negative index                    \
     counts from the end. Throws tg::Error for a 0-d tensor or an index out of range. libtorch: select. */             \
  OP(select, (int64_t dim, int64_t index), (dim, index), Tensor)                                                       \
  /* A copy of the entries at index (an Int64 tensor, 0-d or 1-d) along dim, which gets size                           \
     index.numel(). Throws tg::Error for another index dtype or shape, or an                                           \
     index out of range. libtorch: index_select. */                                                                    \
  OP(index_select, (int64_t dim, const Tensor& index), (dim, index), Tensor)                                           \
  /* out[i][j] = self[index[i][j]][j] for dim 0 of 2-d tensors, likewise in general: index is Int64,                   \
     has self's number of dims (a 0-d self or index counts as 1-d) and, except along dim, sizes no                     \
     larger than self's; out has index's shape. libtorch: gather. */                                                   \
  OP(gather, (int64_t dim, const Tensor& index), (dim, index), Tensor)                                                 \
  /* A copy of self with src[i][j] added at [index[i][j]][j] for dim 0 of 2-d tensors, likewise in                     \
     general: index (Int64), src and self have the same number of dims (a 0-d one counts as 1-d),                      \
     index is no larger than src, nor than self except along dim. Gradients flow to self and src.                      \
     libtorch: scatter_add. */                                                                                         \
  OP(scatter_add, (int64_t dim, const Tensor& index, const Tensor& src), (dim, index, src), Tensor)                    \
  /* Views of split_size elements along dim (the last one shorter when split_size does not divide the                  \
     dim), or of the lengths split_sizes, which must sum to size(dim) (tg::split_with_sizes). Throws                   \
     tg::Error for a 0-d tensor or a split_size < 0 (or 0 on a non-empty dim). libtorch: split. */                     \
  OP(split, (int64_t split_size, int64_t dim = 0), (split_size, dim), std::vector<Tensor>)                             \
  OP(split, (IntArrayRef split_sizes, int64_t dim = 0), (split_sizes, dim), std::vector<Tensor>)                       \
  /* split into pieces of ceil(size(dim) / chunks) elements, so possibly fewer than chunks pieces.                     \
     Throws tg::Error for a 0-d tensor or chunks <= 0. libtorch: chunk. */                                             \
  OP(chunk, (int64_t chunks, int64_t dim = 0), (chunks, dim), std::vector<Tensor>)                                     \
  /* The size(dim) views select(dim, i). Throws tg::Error for a 0-d tensor. libtorch: unbind. */                       \
  OP(unbind, (int64_t dim = 0), (dim), std::vector<Tensor>)                                                            \
  /* A copy in new contiguous memory, same dtype; the gradient passes through. libtorch: clone. */                     \
  OP(clone, (), (), Tensor)                                                                                            \
                                                                                                                       \
  /* ============================================================ pointwise                                            \
     Binary ops broadcast as NumPy (tg::Error when the shapes do not) and promote dtypes                               \
     Bool < Int64 < Float32 < Float64; an Int64 or Bool tensor with a non-integral scalar gives                        \
     Float32, a Bool one with an integral scalar Int64. Tensor's operators call these. */                              \
  /* self + alpha * other. libtorch: add. */                                                                           \
  OP(add, (const Tensor& other, double alpha = 1), (other, alpha), Tensor)                                             \
  OP(add, (double other, double alpha = 1), (other, alpha), Tensor)                                                    \
  /* self - alpha * other; two Bool tensors are refused (use logical_xor or ne). libtorch: sub. */                     \
  OP(sub, (const Tensor& other, double alpha = 1), (other, alpha), Tensor)                                             \
  OP(sub, (double other, double alpha = 1), (other, alpha), Tensor)                                                    \
  /* self * other. libtorch: mul. */                                                                                   \
  OP(mul, (const Tensor& other), (other), Tensor)                                                                      \
  OP(mul, (double other), (other), Tensor)                                                                             \
  /* self / other, true division: integer and Bool operands give Float32. libtorch: div. */                            \
  OP(div, (const Tensor& other), (other), Tensor)                                                                      \
  OP(div, (double other), (other), Tensor)                                                                             \
  /* -self; not for Bool. libtorch: neg. */                                                                            \
  OP(neg, (), (), Tensor)                                                                                              \
  /* self ^ exponent; self must be floating point (Float32 or Float64), else tg::Error. Where the                      \
     exponent is 0 the gradient is 0. libtorch: pow. */                                                                \
  OP(pow, (double exponent), (exponent), Tensor)                                                                       \
  OP(pow, (const Tensor& exponent), (exponent), Tensor)                                                                \
  /* e^x, ln x, ln(1 + x), sqrt x, 1 / sqrt x, sin x, cos x, tanh x, 1 / (1 + e^-x) and erf x per                      \
     element, in self's dtype, which must be floating point: tg::Error for Int64 and Bool (libtorch                    \
     promotes those to Float32). libtorch: exp, log, log1p, sqrt, rsqrt, sin, cos, tanh, sigmoid,                      \
     erf. */                                                                                                           \
  OP(exp, (), (), Tensor)                                                                                              \
  OP(log, (), (), Tensor)                                                                                              \
  OP(log1p, (), (), Tensor)                                                                                            \
  OP(sqrt, (), (), Tensor)                                                                                             \
  OP(rsqrt, (), (), Tensor)                                                                                            \
  OP(sin, (), (), Tensor)                                                                                              \
  OP(cos, (), (), Tensor)                                                                                              \
  OP(tanh, (), (), Tensor)                                                                                             \
  OP(sigmoid, (), (), Tensor)                                                                                          \
  OP(erf, (), (), Tensor)                                                                                              \
  /* |x|, the sign of x (-1, 0 or 1; gradient 0) and max(x, 0) per element, in self's dtype; not for                   \
     Bool. libtorch: abs, sign, relu. */                                                                               \
  OP(abs, (), (), Tensor)                                                                                              \
  OP(sign, (), (), Tensor)                                                                                             \
  OP(relu, (), (), Tensor)                                                                                             \
  /* x^2 and 1 / x, as pow(self, 2) and pow(self, -1): floating point only. libtorch: square,                          \
     reciprocal. */                                                                                                    \
  OP(square, (), (), Tensor)                                                                                           \
  OP(reciprocal, (), (), Tensor)                                                                                       \
  /* self limited to [min, max]; either bound may be omitted, not both (tg::Error). Not for Bool. The                  \
     gradient passes where min <= self <= max. libtorch: clamp, clamp_min, clamp_max. */                               \
  OP(clamp, (std::optional<double> min, std::optional<double> max = std::nullopt), (min, max), Tensor)                 \
  OP(clamp_min, (double min), (min), Tensor)                                                                           \
  OP(clamp_max, (double max), (max), Tensor)                                                                           \
  /* The larger (smaller) of self and other per element, NaN if either is; self not Bool. Ties give                    \
     each half the gradient. max(other) and min(other) are the same ops. libtorch: maximum, minimum,                   \
     max.other, min.other. */                                                                                          \
  OP(maximum, (const Tensor& other), (other), Tensor)                                                                  \
  OP(minimum, (const Tensor& other), (other), Tensor)                                                                  \
  OP(max, (const Tensor& other), (other), Tensor)                                                                      \
  OP(min, (const Tensor& other), (other), Tensor)                                                                      \
  /* 0 where self < 0, values where self == 0, 1 where self > 0; self not Bool; gradient 0.                            \
     libtorch: heaviside. */                                                                                           \
  OP(heaviside, (const Tensor& values), (values), Tensor)                                                              \
  /* self == other, !=, <, <=, >, >= per element as a Bool tensor; no gradient. (With a number,                        \
     x.eq(2.0) and the rest are Tensor methods only, in tensor.h.) libtorch: eq, ne, lt, le, gt, ge. */                \
  OP(eq, (const Tensor& other), (other), Tensor)                                                                       \
  OP(ne, (const Tensor& other), (other), Tensor)                                                                       \
  OP(lt, (const Tensor& other), (other), Tensor)                                                                       \
  OP(le, (const Tensor& other), (other), Tensor)                                                                       \
  OP(gt, (const Tensor& other), (other), Tensor)                                                                       \
  OP(ge, (const Tensor& other), (other), Tensor)                                                                       \
  /* not, and, or, xor per element as a Bool tensor, nonzero meaning true; no gradient. libtorch:                      \
     logical_not, logical_and, logical_or, logical_xor. */                                                             \
  OP(logical_not, (), (), Tensor)                                                                                      \
  OP(logical_and, (const Tensor& other), (other), Tensor)                                                              \
  OP(logical_or, (const Tensor& other), (other), Tensor)                                                               \
  OP(logical_xor, (const Tensor& other), (other), Tensor)                                                              \
                                                                                                                       \
  /* ============================================================ reductions                                           \
     dims: empty means all; negative counts from the end; a repeated dim is a tg::Error. keepdim                       \
     keeps each reduced dim as size 1. */                                                                              \
  /* The sum of all elements, or over dims. Int64 and Bool sum to Int64; dtype, when given, converts                   \
     self first. libtorch: sum. */                                                                                     \
  OP(sum, (std::optional<ScalarType> dtype = std::nullopt), (dtype), Tensor)                                           \
  OP(sum, (IntArrayRef dims, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt),                    \
     (dims, keepdim, dtype), Tensor)                                                                                   \
  /* The mean of all elements, or over dims. The dtype (self's, or the one given) must be floating                     \
     point, else tg::Error. libtorch: mean. */                                                                         \
  OP(mean, (std::optional<ScalarType> dtype = std::nullopt), (dtype), Tensor)                                          \
  OP(mean, (IntArrayRef dims, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt),                   \
     (dims, keepdim, dtype), Tensor)                                                                                   \
  /* The product of all elements, or along dim. Int64 and Bool multiply to Int64; dtype, when given,                   \
     converts self first. libtorch: prod. */                                                                           \
  OP(prod, (std::optional<ScalarType> dtype = std::nullopt), (dtype), Tensor)                                          \
  OP(prod, (int64_t dim, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt),                        \
     (dim, keepdim, dtype), Tensor)                                                                                    \
  /* The largest (smallest) element as a 0-d tensor: amax(self) (amin). Throws tg::Error for an                        \
     empty or a Bool tensor. libtorch: max, min. */                                                                    \
  OP(max, (), (), Tensor)                                                                                              \
  OP(min, (), (), Tensor)                                                                                              \
  /* (values, indices) of the largest (smallest) elements along dim; indices are Int64 and the                         \
     gradient goes to the selected elements. Throws tg::Error for a Bool tensor or a dim of size 0.                    \
     libtorch: max.dim, min.dim. */                                                                                    \
  OP(max, (int64_t dim, bool keepdim = false), (dim, keepdim), std::tuple<Tensor, Tensor>)                             \
  OP(min, (int64_t dim, bool keepdim = false), (dim, keepdim), std::tuple<Tensor, Tensor>)                             \
  /* The largest (smallest) values over dims; tied elements share the gradient evenly. Throws                          \
     tg::Error for an empty or a Bool tensor. libtorch: amax, amin. */                                                 \
  OP(amax, (IntArrayRef dims = {}, bool keepdim = false), (dims, keepdim), Tensor)                                     \
  OP(amin, (IntArrayRef dims = {}, bool keepdim = false), (dims, keepdim), Tensor)                                     \
  /* The Int64 index of the largest (smallest) element along dim, or in the flattened tensor when dim                  \
     is omitted. Throws tg::Error for an empty tensor. libtorch: argmax, argmin. */                                    \
  OP(argmax, (std::optional<int64_t> dim = std::nullopt, bool keepdim = false), (dim, keepdim), Tensor)                \
  OP(argmin, (std::optional<int64_t> dim = std::nullopt, bool keepdim = false), (dim, keepdim), Tensor)                \
  /* The variance of all elements, or over dims: the sum of squared deviations divided by n - 1                        \
     (unbiased) or n, NaN when that is 0. Floating point only. libtorch: var. */                                       \
  OP(var, (bool unbiased = true), (unbiased), Tensor)                                                                  \
  OP(var, (IntArrayRef dims, bool unbiased = true, bool keepdim = false), (dims, unbiased, keepdim), Tensor)           \
  /* sqrt(var(...)). libtorch: std. */                                                                                 \
  OP(std, (bool unbiased = true), (unbiased), Tensor)                                                                  \
  OP(std, (IntArrayRef dims, bool unbiased = true, bool keepdim = false), (dims, unbiased, keepdim), Tensor)           \
  /* The p-norm of all elements, or over dims: p = 2, 1, inf (max |x|), -inf (min |x|), 0 (the count                   \
     of nonzeros) or any other (sum |x|^p)^(1/p). Floating point only. The 2-norm of zeros has                         \
     gradient 0. libtorch: norm. */                                                                                    \
  OP(norm, (double p = 2), (p), Tensor)                                                                                \
  OP(norm, (double p, IntArrayRef dims, bool keepdim = false), (p, dims, keepdim), Tensor)                             \
  /* log(sum(exp(self))) over dims, shifted by the maximum so that it does not overflow. Floating                      \
     point only. libtorch: logsumexp. */                                                                               \
  OP(logsumexp, (IntArrayRef dims, bool keepdim = false), (dims, keepdim), Tensor)                                     \
  /* exp(self) / sum(exp(self)) along dim, and its log (self - logsumexp), both stable. dtype, when                    \
     given, converts self first; self must then be floating point, else tg::Error. libtorch:                           \
     softmax, log_softmax. */                                                                                          \
  OP(softmax, (int64_t dim, std::optional<ScalarType> dtype = std::nullopt), (dim, dtype), Tensor)                     \
  OP(log_softmax, (int64_t dim, std::optional<ScalarType> dtype = std::nullopt), (dim, dtype), Tensor)                 \
  /* self summed over the dims along which sizes broadcasts to it, reshaped to sizes (the gradient of                  \
     expand(sizes)). Throws tg::Error when sizes does not broadcast to self's shape. libtorch has                      \
     sum_to_size as a method only; the free one is tapegrad's. */                                                      \
  OP(sum_to_size, (IntArrayRef sizes), (sizes), Tensor)                                                                \
  /* Whether |self - other| <= atol + rtol |other| everywhere, compared in Float64 with broadcasting;                  \
     NaNs are equal only with equal_nan. Records nothing. libtorch: allclose. */                                       \
  OP(allclose, (const Tensor& other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false),                  \
     (other, rtol, atol, equal_nan), bool)                                                                             \
  /* Whether self and other have the same sizes and the same values. libtorch: equal. */                               \
  OP(equal, (const Tensor& other), (other), bool)                                                                      \
                                                                                                                       \
  /* ============================================================ linear algebra                                       \
     Both operands floating point and of one dtype, else tg::Error. */                                                 \
  /* The matrix product by NumPy's rules: 1-d times 1-d is the dot product, a 1-d operand is a row                     \
     (left) or a column (right) whose dim is dropped, batch dims (all but the last two) broadcast.                     \
     Throws tg::Error for a 0-d operand or inner sizes that differ. libtorch: matmul. */                               \
  OP(matmul, (const Tensor& other), (other), Tensor)                                                                   \
  /* [n, m] times [m, p] is [n, p]; 2-d operands only. libtorch: mm. */                                                \
  OP(mm, (const Tensor& mat2), (mat2), Tensor)                                                                         \
  /* [b, n, m] times [b, m, p] is [b, n, p]; 3-d operands with the same batch size only. libtorch: bmm. */             \
  OP(bmm, (const Tensor& mat2), (mat2), Tensor)                                                                        \
  /* The dot product of two 1-d tensors of the same length, as a 0-d tensor. libtorch: dot. */                         \
  OP(dot, (const Tensor& other), (other), Tensor)
// clang-format on
