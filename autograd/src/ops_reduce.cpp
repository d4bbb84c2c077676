// Reductions. sum, prod, amax/amin and norm own vjps; mean, var, std, logsumexp, softmax and
// log_softmax are compositions and get their gradients from the tape.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops_common.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::variable_list;
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

// Records a reduction over `dims`, saving what its OpDef names: "self" and/or "result".
void record_reduction(const OpDef& def, const Tensor& self, Tensor& out, IntArrayRef dims) {
  autograd::Recorder r = record(def, {&self}, out);
  r.ints("dim", dims);
  if (autograd::op_slot(def.saved, "self") >= 0) r.save("self", self);
  if (autograd::op_slot(def.saved, "result") >= 0) r.save("result", out);
}

Tensor reduce_op(const OpDef& def, const Tensor& x, IntArrayRef dims_in, bool keepdim, kernels::Reduce kind,
                 std::optional<ScalarType> dtype) {
  const char* name = def.name;
  ops::check_defined(x, name);
  DimVector dims = reduction_dims(x, dims_in, name);
  Tensor input = dtype && *dtype != x.dtype() ? x.to(*dtype) : x;
  Tensor out = kernels::reduce(input, dims, keepdim, kind);
  if (autograd::needs_grad(def, {&input}, out) && is_floating_point(out.dtype()))
    record_reduction(def, input, out, dims);
  return out;
}

// ---------------------------------------------------------------- sum
const OpDef kSum{.name = "sum",
                 .formula = "grad_self = expand(grad, self.sizes)",
                 .int_lists = {"dim"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   return {expand_reduced(grad, ctx.input_sizes(0), ctx.ints("dim"))};
                 }};

// ---------------------------------------------------------------- prod
// d prod / d self_i = the product of the others. With no zero that is result / self_i; with
// exactly one zero only that position gets the product of the non-zeros; with two or more the
// first derivative is zero everywhere, but not the second (x = [0, 4, 0, 5]: the gradient of
// sum(d prod / dx) is [20, 0, 20, 0]). So when a slice has two zeros and the rule itself is being
// recorded (create_graph), the product of the others is computed directly: row i of an [n, n]
// matrix holds self with self_i replaced by 1, and its product is differentiable everywhere.
Tensor prod_of_others(const Tensor& self, IntArrayRef dims) {
  // the reduced dims become one last dim of n elements
  Tensor x = self;
  const bool all = dims.size() == static_cast<std::size_t>(self.dim());
  if (all)
    x = x.reshape({self.numel()});
  else
    x = x.transpose(dims[0], -1);
  const int64_t n = x.size(-1);
  DimVector square(x.sizes());
  square.insert(square.size() - 1, n);
  Tensor rows = where(eye(n, TensorOptions().dtype(kBool)), 1.0, x.unsqueeze(-2).expand(square));
  Tensor others = prod(rows, -1, false);
  return all ? others.reshape(self.sizes()) : others.transpose(dims[0], -1);
}

variable_list prod_vjp(const VjpContext& ctx, const Tensor& grad) {
  Tensor self = ctx.saved("self");
  IntArrayRef dims = ctx.ints("dim");
  IntArrayRef sizes = ctx.input_sizes(0);
  const bool all = dims.size() == sizes.size();
  auto reduce_sum = [&](const Tensor& t) { return expand_reduced(all ? sum(t) : sum(t, dims, true), sizes, dims); };
  Tensor is_zero = self == 0.0;
  Tensor zero_count = reduce_sum(is_zero.to(self.dtype()));
  if (is_grad_enabled() && zero_count.numel() > 0 && amax(zero_count).item<double>() >= 2.0)
    return {expand_reduced(grad, sizes, dims) * prod_of_others(self, dims)};
  Tensor nonzero = where(is_zero, 1.0, self);
  Tensor prod_nonzero = expand_reduced(all ? prod(nonzero) : prod(nonzero, dims[0], true), sizes, dims);
  Tensor no_zero_grad = prod_nonzero / nonzero;
  // With one zero, the others' gradient is (that zero) * prod_nonzero / self_i: numerically 0, but
  // written so that its derivative with respect to the zero element is right (gradgradcheck).
  Tensor zero_value = reduce_sum(where(is_zero, self, 0.0));
  Tensor one_zero_grad = where(is_zero, prod_nonzero, zero_value * prod_nonzero / nonzero);
  Tensor local = where(zero_count == 0.0, no_zero_grad, where(zero_count == 1.0, one_zero_grad, 0.0));
  return {expand_reduced(grad, sizes, dims) * local};
}
const OpDef kProd{.name = "prod",
                  .formula = "grad_self_i = grad * (product of self_j over j != i)",
                  .saved = {"self"},
                  .int_lists = {"dim"},
                  .vjp = &prod_vjp};

// ---------------------------------------------------------------- amax / amin
// The gradient goes to the extremal elements, split evenly between ties (libtorch's amax).
variable_list amax_vjp(const VjpContext& ctx, const Tensor& grad) {
  Tensor self = ctx.saved("self"), result = ctx.saved("result");
  IntArrayRef sizes = ctx.input_sizes(0);
  IntArrayRef dims = ctx.ints("dim");
  Tensor hits = (self == expand_reduced(result, sizes, dims)).to(self.dtype());
  Tensor count = expand_reduced(kernels::reduce(hits, dims, true, kernels::Reduce::Sum), sizes, dims);
  return {expand_reduced(grad, sizes, dims) * (hits / count)};
}
const OpDef kAmax{.name = "amax",
                  .formula = "grad_self = grad * (self == result) / count(self == result)",
                  .saved = {"self", "result"},
                  .int_lists = {"dim"},
                  .vjp = &amax_vjp};
const OpDef kAmin{.name = "amin",
                  .formula = "grad_self = grad * (self == result) / count(self == result)",
                  .saved = {"self", "result"},
                  .int_lists = {"dim"},
                  .vjp = &amax_vjp};

// ---------------------------------------------------------------- norm (p = 2)
// d|x| = x / |x|, and 0 for an all-zero x (libtorch's subgradient), not NaN.
const OpDef kNorm{.name = "norm",
                  .formula = "grad_self = grad * self / result  (0 where result == 0)",
                  .saved = {"self", "result"},
                  .int_lists = {"dim"},
                  .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                    Tensor result = ctx.saved("result");
                    Tensor safe = where(result == 0.0, 1.0, result);
                    // self / |self| with |self| brought back to self's shape
                    return {expand_reduced(grad / safe, ctx.input_sizes(0), ctx.ints("dim")) * ctx.saved("self")};
                  }};

}  // namespace

Tensor sum(const Tensor& x, std::optional<ScalarType> dtype) { return sum(x, {}, false, dtype); }
Tensor sum(const Tensor& x, IntArrayRef dims, bool keepdim, std::optional<ScalarType> dtype) {
  return reduce_op(kSum, x, dims, keepdim, kernels::Reduce::Sum, dtype);
}

Tensor mean(const Tensor& x, std::optional<ScalarType> dtype) { return mean(x, {}, false, dtype); }
Tensor mean(const Tensor& x, IntArrayRef dims, bool keepdim, std::optional<ScalarType> dtype) {
  ops::check_defined(x, "mean");
  ScalarType result = dtype.value_or(x.dtype());
  if (!is_floating_point(result))
    throw Error(
        fmt::format("mean: could not infer output dtype; input dtype must be floating point, "
                    "got {} (pass dtype=tg::kFloat32)",
                    dtype_name(result)));
  DimVector d = reduction_dims(x, dims, "mean");
  int64_t n = reduced_count(x.sizes(), d);
  return sum(x, d, keepdim, dtype) / static_cast<double>(n);
}

Tensor prod(const Tensor& x, std::optional<ScalarType> dtype) {
  ops::check_defined(x, "prod");
  Tensor input = dtype ? x.to(*dtype) : x;
  DimVector dims = reduction_dims(input, {}, "prod");
  Tensor out = kernels::reduce(input, dims, false, kernels::Reduce::Prod);
  if (autograd::needs_grad(kProd, {&input}, out)) record_reduction(kProd, input, out, dims);
  return out;
}
Tensor prod(const Tensor& x, int64_t dim, bool keepdim, std::optional<ScalarType> dtype) {
  ops::check_defined(x, "prod");
  Tensor input = dtype ? x.to(*dtype) : x;
  DimVector dims = reduction_dims(input, {dim}, "prod");
  Tensor out = kernels::reduce(input, dims, keepdim, kernels::Reduce::Prod);
  if (autograd::needs_grad(kProd, {&input}, out)) record_reduction(kProd, input, out, dims);
  return out;
}

Tensor amax(const Tensor& x, IntArrayRef dims, bool keepdim) {
  ops::check_not_bool(x, "amax");
  return reduce_op(kAmax, x, dims, keepdim, kernels::Reduce::Max, std::nullopt);
}
Tensor amin(const Tensor& x, IntArrayRef dims, bool keepdim) {
  ops::check_not_bool(x, "amin");
  return reduce_op(kAmin, x, dims, keepdim, kernels::Reduce::Min, std::nullopt);
}
Tensor max(const Tensor& x) { return amax(x); }
Tensor min(const Tensor& x) { return amin(x); }

Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  ops::check_defined(x, "argmax");
  if (dim) dim = detail::normalize_dim(*dim, x.dim(), "argmax");
  Tensor out = kernels::arg_reduce(x, dim, keepdim, true);
  autograd::note_not_differentiable("argmax", {&x}, out);  // indices: no gradient
  return out;
}
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  ops::check_defined(x, "argmin");
  if (dim) dim = detail::normalize_dim(*dim, x.dim(), "argmin");
  Tensor out = kernels::arg_reduce(x, dim, keepdim, false);
  autograd::note_not_differentiable("argmin", {&x}, out);  // indices: no gradient
  return out;
}

// values = gather(x, dim, indices): the gradient flows to the selected index, as libtorch.
static std::tuple<Tensor, Tensor> max_min_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  ops::check_not_bool(x, name);
  int64_t d = detail::normalize_dim(dim, x.dim(), name);
  if (x.dim() > 0 && x.size(d) == 0)
    throw Error(fmt::format("{}: cannot reduce over dim {} of size 0 (shape {})", name, d, shape_str(x.sizes())));
  Tensor indices = kernels::arg_reduce(x, d, true, is_max);
  autograd::note_not_differentiable(is_max ? "max (its indices)" : "min (its indices)", {&x}, indices);
  if (x.dim() == 0) return {x.clone(), zeros({}, kInt64)};
  Tensor values = gather(x, d, indices);
  if (!keepdim) {
    values = values.squeeze(d);
    indices = indices.squeeze(d);
  }
  return {values, indices};
}
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, true);
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return max_min_dim(x, dim, keepdim, false);
}

Tensor var(const Tensor& x, bool unbiased) { return var(x, {}, unbiased, false); }
Tensor var(const Tensor& x, IntArrayRef dims, bool unbiased, bool keepdim) {
  ops::check_floating(x, "var");
  DimVector d = reduction_dims(x, dims, "var");
  int64_t n = reduced_count(x.sizes(), d);
  Tensor centered = x - mean(x, d, true);
  double denominator = static_cast<double>(n - (unbiased ? 1 : 0));
  // n - 1 == 0 gives NaN (libtorch gives NaN with a warning for a single element)
  return sum(centered * centered, d, keepdim) /
         (denominator <= 0 ? std::numeric_limits<double>::quiet_NaN() : denominator);
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
    Tensor out =
        kernels::unary(kernels::reduce(kernels::unary(x, kernels::Unary::Square), d, keepdim, kernels::Reduce::Sum),
                       kernels::Unary::Sqrt);
    if (autograd::needs_grad(kNorm, {&x}, out)) record_reduction(kNorm, x, out, d);
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
    if (d < leading)
      dims.push_back(d);
    else if (sizes[d - leading] == 1 && grad.size(d) != 1)
      dims.push_back(d);
  }
  Tensor reduced = dims.empty() ? grad : sum(grad, dims, true);
  return reduced.reshape(sizes);
}

Tensor sum_to_size(const Tensor& x, IntArrayRef sizes) {
  ops::check_defined(x, "sum_to_size");
  DimVector expanded = kernels::broadcast_shape(sizes, x.sizes(), "sum_to_size");
  if (!IntArrayRef(expanded).equals(x.sizes()))
    throw Error(
        fmt::format("sum_to_size: size {} is not expandable to size {}", shape_str(sizes), shape_str(x.sizes())));
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
