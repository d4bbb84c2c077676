// Reductions. sum, prod, amax/amin and norm own vjps; mean, var, std, logsumexp, softmax and
// log_softmax are compositions and get their gradients from the tape.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops_common.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::RecordArgs;
using autograd::VjpContext;

namespace {

// Normalised, sorted, unique dims; empty input means all dims.
DimVector reduction_dims(const Tensor& x, IntArrayRef dims, const char* op) {
  DimVector out;
  int64_t ndim = x.dim();
  if (dims.empty()) {
    for (int64_t d = 0; d < ndim; ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) {
    int64_t nd = detail::normalize_dim(d, ndim, op);
    if (ndim == 0) continue;
    if (std::find(out.begin(), out.end(), nd) != out.end())
      throw Error(fmt::format("{}: dim {} appears multiple times in the list of dims", op, nd));
    out.push_back(nd);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The sizes of a reduction result with keepdim=true.
DimVector keepdim_sizes(IntArrayRef sizes, IntArrayRef dims) {
  DimVector out(sizes);
  for (int64_t d : dims) out[d] = 1;
  return out;
}

// Brings a reduced gradient back to the input's shape: reinsert the reduced dims, then expand.
Tensor expand_reduced(const Tensor& g, IntArrayRef input_sizes, IntArrayRef dims) {
  return g.reshape(keepdim_sizes(input_sizes, dims)).expand(input_sizes);
}

int64_t reduced_count(IntArrayRef sizes, IntArrayRef dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= sizes[d];
  return n;
}

// ---------------------------------------------------------------- sum
std::vector<Tensor> sum_vjp(const VjpContext& ctx, const Tensor& g) {
  return {expand_reduced(g, ctx.input_sizes(0), ctx.int_args())};
}
const OpDef kSum{.name = "sum", .formula = "", .vjp = &sum_vjp};

// ---------------------------------------------------------------- prod
// d prod / d x_i = product of the others. With no zero that is prod / x_i; with exactly one zero
// only that position gets the product of the non-zeros; with two or more, everything is zero.
std::vector<Tensor> prod_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor x = ctx.saved_at(0);
  IntArrayRef dims = ctx.int_args();
  IntArrayRef sizes = ctx.input_sizes(0);
  Tensor is_zero = x == 0.0;
  Tensor nonzero = where(is_zero, 1.0, x);
  Tensor prod_nonzero = expand_reduced(
      dims.size() == sizes.size() ? prod(nonzero) : prod(nonzero, dims[0], true), sizes, dims);
  Tensor zero_count = expand_reduced(
      dims.size() == sizes.size() ? sum(is_zero.to(x.dtype())) : sum(is_zero.to(x.dtype()), dims, true),
      sizes, dims);
  Tensor no_zero_grad = prod_nonzero / nonzero;
  // With one zero, the others' gradient is (that zero) * prod_nonzero / x_i: numerically 0, but
  // written so that its derivative with respect to the zero element is right (gradgradcheck).
  Tensor zero_value = expand_reduced(
      dims.size() == sizes.size() ? sum(where(is_zero, x, 0.0)) : sum(where(is_zero, x, 0.0), dims, true),
      sizes, dims);
  Tensor one_zero_grad = where(is_zero, prod_nonzero, zero_value * prod_nonzero / nonzero);
  Tensor local = where(zero_count == 0.0, no_zero_grad, where(zero_count == 1.0, one_zero_grad, 0.0));
  return {expand_reduced(g, sizes, dims) * local};
}
const OpDef kProd{.name = "prod", .formula = "", .vjp = &prod_vjp};

// ---------------------------------------------------------------- amax / amin
// The gradient goes to the extremal elements, split evenly between ties (libtorch's amax).
std::vector<Tensor> amax_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor x = ctx.saved_at(0), out = ctx.saved_at(1);
  IntArrayRef sizes = ctx.input_sizes(0);
  IntArrayRef dims = ctx.int_args();
  Tensor hits = (x == expand_reduced(out, sizes, dims)).to(x.dtype());
  Tensor count = expand_reduced(kernels::reduce(hits, dims, true, kernels::Reduce::Sum), sizes, dims);
  return {expand_reduced(g, sizes, dims) * (hits / count)};
}
const OpDef kAmax{.name = "amax", .formula = "", .vjp = &amax_vjp};
const OpDef kAmin{.name = "amin", .formula = "", .vjp = &amax_vjp};

// ---------------------------------------------------------------- norm (p = 2)
// d|x| = x / |x|, and 0 for an all-zero x (libtorch's subgradient), not NaN.
std::vector<Tensor> norm_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor x = ctx.saved_at(0), out = ctx.saved_at(1);
  IntArrayRef sizes = ctx.input_sizes(0);
  IntArrayRef dims = ctx.int_args();
  Tensor safe = where(out == 0.0, 1.0, out);
  return {expand_reduced(g / safe, sizes, dims) * x};  // x / |x| with |x| brought back to x's shape
}
const OpDef kNorm{.name = "norm", .formula = "", .vjp = &norm_vjp};

Tensor reduce_op(const OpDef& def, const Tensor& x, IntArrayRef dims_in, bool keepdim,
                 kernels::Reduce kind, std::optional<ScalarType> dtype, bool save_io) {
  const char* name = def.name;
  ops::check_defined(x, name);
  DimVector dims = reduction_dims(x, dims_in, name);
  Tensor input = dtype && *dtype != x.dtype() ? x.to(*dtype) : x;
  Tensor out = kernels::reduce(input, dims, keepdim, kind);
  if (autograd::needs_grad({&input}) && is_floating_point(out.dtype())) {
    if (save_io) record(def, {&input}, out, {input, out}, RecordArgs{dims, {}});
    else record(def, {&input}, out, {}, RecordArgs{dims, {}});
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, std::optional<ScalarType> dtype) { return sum(x, {}, false, dtype); }
Tensor sum(const Tensor& x, IntArrayRef dims, bool keepdim, std::optional<ScalarType> dtype) {
  return reduce_op(kSum, x, dims, keepdim, kernels::Reduce::Sum, dtype, false);
}

Tensor mean(const Tensor& x, std::optional<ScalarType> dtype) { return mean(x, {}, false, dtype); }
Tensor mean(const Tensor& x, IntArrayRef dims, bool keepdim, std::optional<ScalarType> dtype) {
  ops::check_defined(x, "mean");
  ScalarType result = dtype.value_or(x.dtype());
  if (!is_floating_point(result))
    throw Error(fmt::format("mean: could not infer output dtype; input dtype must be floating point, "
                            "got {} (pass dtype=tg::kFloat32)", dtype_name(result)));
  DimVector d = reduction_dims(x, dims, "mean");
  int64_t n = reduced_count(x.sizes(), d);
  return sum(x, d, keepdim, dtype) / static_cast<double>(n);
}

Tensor prod(const Tensor& x, std::optional<ScalarType> dtype) {
  ops::check_defined(x, "prod");
  Tensor input = dtype ? x.to(*dtype) : x;
  DimVector dims = reduction_dims(input, {}, "prod");
  Tensor out = kernels::reduce(input, dims, false, kernels::Reduce::Prod);
  if (autograd::needs_grad({&input})) record(kProd, {&input}, out, {input}, RecordArgs{dims, {}});
  return out;
}
Tensor prod(const Tensor& x, int64_t dim, bool keepdim, std::optional<ScalarType> dtype) {
  ops::check_defined(x, "prod");
  Tensor input = dtype ? x.to(*dtype) : x;
  DimVector dims = reduction_dims(input, {dim}, "prod");
  Tensor out = kernels::reduce(input, dims, keepdim, kernels::Reduce::Prod);
  if (autograd::needs_grad({&input})) record(kProd, {&input}, out, {input}, RecordArgs{dims, {}});
  return out;
}

Tensor amax(const Tensor& x, IntArrayRef dims, bool keepdim) {
  ops::check_not_bool(x, "amax");
  return reduce_op(kAmax, x, dims, keepdim, kernels::Reduce::Max, std::nullopt, true);
}
Tensor amin(const Tensor& x, IntArrayRef dims, bool keepdim) {
  ops::check_not_bool(x, "amin");
  return reduce_op(kAmin, x, dims, keepdim, kernels::Reduce::Min, std::nullopt, true);
}
Tensor max(const Tensor& x) { return amax(x); }
Tensor min(const Tensor& x) { return amin(x); }

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  ops::check_defined(x, "argmax");
  if (dim) dim = detail::normalize_dim(*dim, x.dim(), "argmax");
  return kernels::arg_reduce(x, dim, keepdim, true);
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  ops::check_defined(x, "argmin");
  if (dim) dim = detail::normalize_dim(*dim, x.dim(), "argmin");
  return kernels::arg_reduce(x, dim, keepdim, false);
}

// values = gather(x, dim, indices): the gradient flows to the selected index, as libtorch.
static std::tuple<Tensor, Tensor> max_min_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  ops::check_not_bool(x, name);
  int64_t d = detail::normalize_dim(dim, x.dim(), name);
  if (x.dim() > 0 && x.size(d) == 0)
    throw Error(fmt::format("{}: cannot reduce over dim {} of size 0 (shape {})", name, d, shape_str(x.sizes())));
  Tensor indices = kernels::arg_reduce(x, d, true, is_max);
  if (x.dim() == 0) return {x.clone(), zeros({}, kInt64)};
  Tensor values = gather(x, d, indices);
  if (!keepdim) {
    values = values.squeeze(d);
    indices = indices.squeeze(d);
  }
  return {values, indices};
}
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) { return max_min_dim(x, dim, keepdim, true); }
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) { return max_min_dim(x, dim, keepdim, false); }

Tensor var(const Tensor& x, bool unbiased) { return var(x, {}, unbiased, false); }
Tensor var(const Tensor& x, IntArrayRef dims, bool unbiased, bool keepdim) {
  ops::check_floating(x, "var");
  DimVector d = reduction_dims(x, dims, "var");
  int64_t n = reduced_count(x.sizes(), d);
  Tensor centered = x - mean(x, d, true);
  double denominator = static_cast<double>(n - (unbiased ? 1 : 0));
  // n - 1 == 0 gives NaN (libtorch gives NaN with a warning for a single element)
  return sum(centered * centered, d, keepdim) / (denominator <= 0 ? std::numeric_limits<double>::quiet_NaN() : denominator);
}
Tensor std(const Tensor& x, bool unbiased) { return sqrt(var(x, unbiased)); }
Tensor std(const Tensor& x, IntArrayRef dims, bool unbiased, bool keepdim) {
  return sqrt(var(x, dims, unbiased, keepdim));
}

Tensor norm(const Tensor& x, double p) { return norm(x, p, {}, false); }
Tensor norm(const Tensor& x, double p, IntArrayRef dims, bool keepdim) {
  ops::check_floating(x, "norm");
  DimVector d = reduction_dims(x, dims, "norm");
  if (p == 2) {
    Tensor out = kernels::unary(kernels::reduce(kernels::unary(x, kernels::Unary::Square), d, keepdim,
                                                kernels::Reduce::Sum),
                                kernels::Unary::Sqrt);
    if (autograd::needs_grad({&x})) record(kNorm, {&x}, out, {x, out}, RecordArgs{d, {}});
    return out;
  }
  if (p == 1) return sum(abs(x), d, keepdim);
  if (std::isinf(p)) return p > 0 ? amax(abs(x), d, keepdim) : amin(abs(x), d, keepdim);
  if (p == 0) return sum((x != 0.0).to(x.dtype()), d, keepdim);
  return pow(sum(pow(abs(x), p), d, keepdim), 1.0 / p);
}

Tensor logsumexp(const Tensor& x, IntArrayRef dims, bool keepdim) {
  ops::check_floating(x, "logsumexp");
  DimVector d = reduction_dims(x, dims, "logsumexp");
  // shift by the (constant) max for stability; an infinite max would give inf - inf
  Tensor shift = kernels::reduce(x, d, true, kernels::Reduce::Max);
  shift = where(isfinite(shift), shift, 0.0);
  Tensor out = log(sum(exp(x - shift), d, true)) + shift;
  if (keepdim) return out;
  DimVector squeezed;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (!std::binary_search(d.begin(), d.end(), i)) squeezed.push_back(x.size(i));
  return out.reshape(squeezed);
}

Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  Tensor input = dtype ? x.to(*dtype) : x;
  ops::check_floating(input, "log_softmax");
  int64_t d = detail::normalize_dim(dim, input.dim(), "log_softmax");
  if (input.dim() == 0) return input - input;
  return input - logsumexp(input, {d}, true);
}

Tensor softmax(const Tensor& x, int64_t dim, std::optional<ScalarType> dtype) {
  Tensor input = dtype ? x.to(*dtype) : x;
  ops::check_floating(input, "softmax");
  int64_t d = detail::normalize_dim(dim, input.dim(), "softmax");
  if (input.dim() == 0) return ones_like(input);
  Tensor shift = kernels::reduce(input, {d}, true, kernels::Reduce::Max);
  shift = where(isfinite(shift), shift, 0.0);
  Tensor e = exp(input - shift);
  return e / sum(e, {d}, true);
}

Tensor ops::sum_to(const Tensor& grad, IntArrayRef sizes) {
  if (grad.sizes().equals(sizes)) return grad;
  int64_t leading = grad.dim() - static_cast<int64_t>(sizes.size());
  DimVector dims;
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < leading) dims.push_back(d);
    else if (sizes[d - leading] == 1 && grad.size(d) != 1) dims.push_back(d);
  }
  Tensor reduced = dims.empty() ? grad : sum(grad, dims, true);
  return reduced.reshape(sizes);
}

Tensor sum_to_size(const Tensor& x, IntArrayRef sizes) {
  ops::check_defined(x, "sum_to_size");
  DimVector expanded = kernels::broadcast_shape(sizes, x.sizes(), "sum_to_size");
  if (!IntArrayRef(expanded).equals(x.sizes()))
    throw Error(fmt::format("sum_to_size: size {} is not expandable to size {}", shape_str(sizes),
                            shape_str(x.sizes())));
  return ops::sum_to(x, sizes);
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  ops::check_defined(a, "allclose");
  ops::check_defined(b, "allclose");
  NoGradGuard guard;
  Tensor x = a.to(kFloat64), y = b.to(kFloat64);
  Tensor diff = abs(x - y);
  Tensor tol = abs(y) * rtol + atol;
  Tensor close = diff <= tol;
  if (equal_nan) close = logical_or(close, logical_and(isnan(x), isnan(y)));
  return logical_not(close).to(kInt64).sum().item<int64_t>() == 0;
}

bool equal(const Tensor& a, const Tensor& b) {
  ops::check_defined(a, "equal");
  ops::check_defined(b, "equal");
  if (!a.sizes().equals(b.sizes())) return false;
  NoGradGuard guard;
  return (a != b).to(kInt64).sum().item<int64_t>() == 0;
}

namespace ops {
void add_reduce_ops(std::vector<const autograd::OpDef*>& out) {
  for (const OpDef* def : {&kSum, &kProd, &kAmax, &kAmin, &kNorm}) out.push_back(def);
}
}  // namespace ops

}  // namespace tg
