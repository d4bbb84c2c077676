// Shape and indexing ops. view, permute, expand, narrow and slice return views that share storage
// (as libtorch's); cat, pad, gather, scatter_add and clone copy. Each primitive is one block: its
// OpDef (name, formula, the state its rule reads by name, the rule in Tensor ops) and right after
// it the forward. Each rule maps the gradient back with another op from this file (narrow and
// slice <-> pad, gather <-> scatter_add, expand -> sum_to). The composites between the blocks
// (reshape, squeeze, transpose, select, stack, split, index, ...) are built from the primitives.
#include <algorithm>
#include <numeric>
#include <optional>

#include <cstring>

#include "ops_common.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::variable_list;
using autograd::VjpContext;

namespace {

// The pad primitive, with explicit per-dim amounts (defined with its OpDef below): pad and
// constant_pad_nd call it, and so do the rules of narrow and slice.
Tensor pad_dims(const Tensor& x, IntArrayRef before, IntArrayRef after, double value);

// Strides for viewing (sizes, strides) as new_sizes without a copy, or nullopt when the memory
// layout does not allow it (libtorch's computeStride).
std::optional<DimVector> view_strides(IntArrayRef sizes, IntArrayRef strides, IntArrayRef new_sizes) {
  DimVector out(new_sizes.size(), 1);
  int64_t numel = 1;
  for (int64_t s : sizes) numel *= s;
  if (sizes.empty() || numel == 0) {
    int64_t stride = 1;
    for (int64_t i = static_cast<int64_t>(new_sizes.size()) - 1; i >= 0; --i) {
      out[i] = stride;
      stride *= std::max<int64_t>(new_sizes[i], 1);
    }
    return out;
  }
  int64_t view_d = static_cast<int64_t>(new_sizes.size()) - 1;
  int64_t chunk_base_stride = strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t tensor_d = static_cast<int64_t>(sizes.size()) - 1; tensor_d >= 0; --tensor_d) {
    tensor_numel *= sizes[tensor_d];
    if (tensor_d == 0 || (sizes[tensor_d - 1] != 1 && strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

// Resolves one -1 and checks the element count.
DimVector infer_shape(const Tensor& x, IntArrayRef shape, const char* op) {
  DimVector out(shape);
  int64_t known = 1;
  int64_t infer_at = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer_at >= 0)
        throw Error(fmt::format("{}: only one dimension can be inferred (shape {})", op, shape_str(shape)));
      infer_at = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      throw Error(fmt::format("{}: invalid shape dimension {} in {}", op, out[i], shape_str(shape)));
    } else {
      known = checked_mul(known, out[i], op, shape);
    }
  }
  int64_t numel = x.numel();
  if (infer_at >= 0) {
    if (known == 0 || numel % known != 0)
      throw Error(fmt::format("{}: shape {} is invalid for input of size {} (shape {})", op, shape_str(shape), numel,
                              shape_str(x.sizes())));
    out[infer_at] = numel / known;
  } else if (known != numel) {
    throw Error(fmt::format("{}: shape {} is invalid for input of size {} (shape {})", op, shape_str(shape), numel,
                            shape_str(x.sizes())));
  }
  (void)checked_numel(out, op);  // [0, 2^40, 2^40]: 0 elements, but strides of 2^80
  return out;
}

void check_index_tensor(const Tensor& index, const char* op) {
  ops::check_defined(index, op, "index");
  if (index.dtype() != kInt64)
    throw Error(fmt::format("{}: index must be an Int64 tensor, got {} (shape {})", op, dtype_name(index.dtype()),
                            shape_str(index.sizes())));
}

}  // namespace

// ---------------------------------------------------------------- view (and reshape, squeeze, unsqueeze)
namespace {
const OpDef kView{.name = "view",
                  .formula = "grad_self = grad.reshape(self.sizes)",
                  .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                    return {grad.reshape(ctx.input_sizes(0))};
                  }};

// The one forward of view, reshape, squeeze and unsqueeze: a view of x with new sizes and strides.
Tensor view_impl(const Tensor& x, IntArrayRef new_sizes, IntArrayRef new_strides) {
  Tensor out = detail::make_view(x, new_sizes, new_strides, x.storage_offset());
  if (autograd::needs_grad(kView, {&x}, out)) record(kView, {&x}, out);
  return out;
}
}  // namespace

Tensor view(const Tensor& x, IntArrayRef shape) {
  ops::check_defined(x, "view");
  DimVector sizes = infer_shape(x, shape, "view");
  auto strides = view_strides(x.sizes(), x.strides(), sizes);
  if (!strides)
    throw Error(
        fmt::format("view: shape {} is not compatible with the input's size {} and stride {} "
                    "(at least one dimension spans two contiguous subspaces); use reshape",
                    shape_str(shape), shape_str(x.sizes()), shape_str(x.strides())));
  return view_impl(x, sizes, *strides);
}

Tensor reshape(const Tensor& x, IntArrayRef shape) {
  ops::check_defined(x, "reshape");
  DimVector sizes = infer_shape(x, shape, "reshape");
  auto strides = view_strides(x.sizes(), x.strides(), sizes);
  if (strides) return view_impl(x, sizes, *strides);
  Tensor c = x.contiguous();
  return view_impl(c, sizes, *view_strides(c.sizes(), c.strides(), sizes));
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  ops::check_defined(x, "flatten");
  if (x.dim() == 0) return x.reshape({1});
  int64_t s = detail::normalize_dim(start_dim, x.dim(), "flatten");
  int64_t e = detail::normalize_dim(end_dim, x.dim(), "flatten");
  if (s > e) throw Error(fmt::format("flatten: start_dim {} comes after end_dim {}", start_dim, end_dim));
  if (s == e) return x;
  DimVector sizes;
  for (int64_t d = 0; d < s; ++d) sizes.push_back(x.size(d));
  int64_t merged = 1;
  for (int64_t d = s; d <= e; ++d) merged *= x.size(d);
  sizes.push_back(merged);
  for (int64_t d = e + 1; d < x.dim(); ++d) sizes.push_back(x.size(d));
  return x.reshape(sizes);
}

Tensor squeeze(const Tensor& x) {
  ops::check_defined(x, "squeeze");
  DimVector sizes, strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (x.size(d) != 1) {
      sizes.push_back(x.size(d));
      strides.push_back(x.stride(d));
    }
  return view_impl(x, sizes, strides);
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  ops::check_defined(x, "squeeze");
  int64_t d = detail::normalize_dim(dim, x.dim(), "squeeze");
  if (x.dim() == 0 || x.size(d) != 1) return view_impl(x, x.sizes(), x.strides());
  DimVector sizes(x.sizes()), strides(x.strides());
  sizes.erase(static_cast<std::size_t>(d));
  strides.erase(static_cast<std::size_t>(d));
  return view_impl(x, sizes, strides);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  ops::check_defined(x, "unsqueeze");
  int64_t d = detail::normalize_dim(dim, x.dim() + 1, "unsqueeze");
  DimVector sizes(x.sizes()), strides(x.strides());
  int64_t stride = d < x.dim() ? x.stride(d) * x.size(d) : 1;
  sizes.insert(static_cast<std::size_t>(d), 1);
  strides.insert(static_cast<std::size_t>(d), stride);
  return view_impl(x, sizes, strides);
}

// ---------------------------------------------------------------- permute (and transpose, t)
namespace {
const OpDef kPermute{.name = "permute",
                     .formula = "grad_self = grad.permute(inverse of dims)",
                     .int_lists = {"dims"},
                     .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                       IntArrayRef dims = ctx.ints("dims");
                       DimVector inverse(dims.size(), 0);
                       for (std::size_t i = 0; i < dims.size(); ++i) inverse[dims[i]] = static_cast<int64_t>(i);
                       return {grad.permute(inverse)};
                     }};
}  // namespace

Tensor permute(const Tensor& x, IntArrayRef dims) {
  ops::check_defined(x, "permute");
  int64_t ndim = x.dim();
  if (static_cast<int64_t>(dims.size()) != ndim)
    throw Error(fmt::format("permute: number of dims {} does not match the tensor's {} dims (shape {})", dims.size(),
                            ndim, shape_str(x.sizes())));
  DimVector normalized, sizes, strides;
  std::vector<bool> seen(static_cast<std::size_t>(ndim), false);
  for (int64_t d : dims) {
    int64_t nd = detail::normalize_dim(d, ndim, "permute");
    if (ndim > 0 && seen[nd]) throw Error(fmt::format("permute: dim {} repeated in {}", nd, shape_str(dims)));
    if (ndim > 0) seen[nd] = true;
    normalized.push_back(nd);
    sizes.push_back(x.size(nd));
    strides.push_back(x.stride(nd));
  }
  Tensor out = detail::make_view(x, sizes, strides, x.storage_offset());
  if (autograd::needs_grad(kPermute, {&x}, out)) record(kPermute, {&x}, out).ints("dims", normalized);
  return out;
}

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  ops::check_defined(x, "transpose");
  int64_t ndim = x.dim();
  int64_t a = detail::normalize_dim(dim0, ndim, "transpose");
  int64_t b = detail::normalize_dim(dim1, ndim, "transpose");
  DimVector order(static_cast<std::size_t>(ndim), 0);
  std::iota(order.begin(), order.end(), 0);
  if (ndim > 0) std::swap(order[a], order[b]);
  return permute(x, order);
}

Tensor t(const Tensor& x) {
  ops::check_defined(x, "t");
  if (x.dim() > 2)
    throw Error(
        fmt::format("t: expects a tensor with <= 2 dimensions, but got {} (shape {}); use "
                    "transpose(dim0, dim1)",
                    x.dim(), shape_str(x.sizes())));
  return x.dim() < 2 ? transpose(x, 0, 0) : transpose(x, 0, 1);
}

// ---------------------------------------------------------------- expand
// Its rule is the sum over the broadcast dims, written out (the engine's own sum_to would do the
// same, but here it is the op's math, not a broadcast of its input).
namespace {
const OpDef kExpand{.name = "expand",
                    .formula = "grad_self = grad.sum_to(self.sizes)",
                    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                      return {ops::sum_to(grad, ctx.input_sizes(0))};
                    }};
}  // namespace

Tensor expand(const Tensor& x, IntArrayRef sizes) {
  ops::check_defined(x, "expand");
  int64_t ndim = static_cast<int64_t>(sizes.size());
  if (ndim < x.dim())
    throw Error(
        fmt::format("expand: the number of sizes provided ({}) must be greater or equal to "
                    "the number of dimensions in the tensor ({}); shape {} to {}",
                    ndim, x.dim(), shape_str(x.sizes()), shape_str(sizes)));
  DimVector out_sizes(static_cast<std::size_t>(ndim), 0), out_strides(static_cast<std::size_t>(ndim), 0);
  int64_t lead = ndim - x.dim();
  for (int64_t d = ndim - 1; d >= 0; --d) {
    int64_t target = sizes[d];
    if (d < lead) {
      if (target < 0)
        throw Error(fmt::format("expand: -1 is not allowed in a leading, non-existing dimension ({} to {})",
                                shape_str(x.sizes()), shape_str(sizes)));
      out_sizes[d] = target;
      out_strides[d] = 0;
      continue;
    }
    int64_t current = x.size(d - lead);
    if (target == -1) target = current;
    if (target < 0)
      throw Error(fmt::format("expand: invalid size {} at dimension {} ({} to {})", target, d, shape_str(x.sizes()),
                              shape_str(sizes)));
    if (current != target && current != 1)
      throw Error(
          fmt::format("expand: the expanded size of the tensor ({}) must match the existing "
                      "size ({}) at non-singleton dimension {}; shape {} to {}",
                      target, current, d, shape_str(x.sizes()), shape_str(sizes)));
    out_sizes[d] = target;
    out_strides[d] = current == target ? x.stride(d - lead) : 0;
  }
  if (IntArrayRef(out_sizes).equals(x.sizes())) return x;
  Tensor out = detail::make_view(x, out_sizes, out_strides, x.storage_offset(), "expand");
  if (autograd::needs_grad(kExpand, {&x}, out)) record(kExpand, {&x}, out);
  return out;
}

Tensor broadcast_to(const Tensor& x, IntArrayRef sizes) { return expand(x, sizes); }

std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b) {
  return kernels::broadcast_shape(a, b, "broadcast_shapes").vec();
}

// ---------------------------------------------------------------- narrow <-> pad
namespace {
const OpDef kNarrow{.name = "narrow",
                    .formula = "grad_self = pad(grad, start, self.size(dim) - start - length) along dim",
                    .int_lists = {"dim", "start"},
                    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                      const int64_t dim = ctx.int_arg("dim"), start = ctx.int_arg("start");
                      IntArrayRef sizes = ctx.input_sizes(0);
                      DimVector before(sizes.size(), 0), after(sizes.size(), 0);
                      before[dim] = start;
                      after[dim] = sizes[dim] - start - grad.size(dim);
                      return {pad_dims(grad, before, after, 0.0)};
                    }};
}  // namespace

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  ops::check_defined(x, "narrow");
  if (x.dim() == 0) throw Error("narrow: cannot be applied to a 0-dim tensor");
  int64_t d = detail::normalize_dim(dim, x.dim(), "narrow");
  int64_t size = x.size(d);
  if (start < -size || start > size)
    throw Error(fmt::format("narrow: start {} is out of range for dim {} of size {} (shape {})", start, d, size,
                            shape_str(x.sizes())));
  if (start < 0) start += size;
  if (length < 0 || length > size - start)  // not start + length: that may overflow
    throw Error(
        fmt::format("narrow: start ({}) + length ({}) exceeds dimension size ({}) of dim {} "
                    "(shape {})",
                    start, length, size, d, shape_str(x.sizes())));
  DimVector sizes(x.sizes());
  sizes[d] = length;
  Tensor out = detail::make_view(x, sizes, x.strides(), x.storage_offset() + start * x.stride(d));
  if (autograd::needs_grad(kNarrow, {&x}, out)) record(kNarrow, {&x}, out).int_arg("dim", d).int_arg("start", start);
  return out;
}

// ---------------------------------------------------------------- slice (step > 1; step 1 is narrow)
// The rule spreads the gradient over every step-th position, zeros between, with ops that are
// themselves differentiable: [.., n, ..] -> [.., n, step] (zero padded) -> [.., n * step, ..], then
// pads it out to the input's size along dim.
namespace {
const OpDef kSlice{
    .name = "slice",
    .formula = "grad_self = pad(grad spread to every step-th position, start, self.size(dim) - end) along dim",
    .int_lists = {"dim", "start", "end", "step"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
      const int64_t dim = ctx.int_arg("dim"), start = ctx.int_arg("start"), end = ctx.int_arg("end"),
                    step = ctx.int_arg("step");
      IntArrayRef sizes = ctx.input_sizes(0);
      const int64_t ndim = static_cast<int64_t>(sizes.size());
      DimVector before(static_cast<std::size_t>(ndim + 1), 0), after(static_cast<std::size_t>(ndim + 1), 0);
      after[dim + 1] = step - 1;
      Tensor spread = pad_dims(grad.unsqueeze(dim + 1), before, after, 0.0);
      DimVector flat_sizes(grad.sizes());
      flat_sizes[dim] *= step;
      Tensor flat = spread.reshape(flat_sizes).narrow(dim, 0, end - start);
      DimVector outer_before(static_cast<std::size_t>(ndim), 0), outer_after(static_cast<std::size_t>(ndim), 0);
      outer_before[dim] = start;
      outer_after[dim] = sizes[dim] - end;
      return {pad_dims(flat, outer_before, outer_after, 0.0)};
    }};
}  // namespace

// Python-style slice: a view with the dim's stride multiplied by step (shares storage, as
// libtorch's). step == 1 is narrow.
Tensor slice(const Tensor& x, int64_t dim, std::optional<int64_t> start_opt, std::optional<int64_t> end_opt,
             int64_t step) {
  ops::check_defined(x, "slice");
  if (x.dim() == 0) throw Error("slice: cannot be applied to a 0-dim tensor");
  if (step <= 0) throw Error(fmt::format("slice: step must be positive, got {}", step));
  int64_t d = detail::normalize_dim(dim, x.dim(), "slice");
  int64_t size = x.size(d);
  auto clamp_index = [size](int64_t i) {
    if (i < 0) i += size;
    return std::clamp<int64_t>(i, 0, size);
  };
  int64_t start = start_opt ? clamp_index(*start_opt) : 0;
  int64_t end = end_opt ? clamp_index(*end_opt) : size;
  if (end < start) end = start;
  // ceil((end - start) / step) without the overflow of end - start + step - 1 for a huge step
  const int64_t length = end == start ? 0 : (end - start - 1) / step + 1;
  if (step == 1 || length <= 1) return narrow(x, d, start, length);
  DimVector sizes(x.sizes()), strides(x.strides());
  sizes[d] = length;
  strides[d] = checked_mul(strides[d], step, "slice", x.sizes(), "the stride times the step");
  Tensor out = detail::make_view(x, sizes, strides, x.storage_offset() + start * x.stride(d));
  if (autograd::needs_grad(kSlice, {&x}, out))
    record(kSlice, {&x}, out).int_arg("dim", d).int_arg("start", start).int_arg("end", end).int_arg("step", step);
  return out;
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  ops::check_defined(x, "select");
  if (x.dim() == 0) throw Error("select: cannot be applied to a 0-dim tensor");
  int64_t d = detail::normalize_dim(dim, x.dim(), "select");
  int64_t size = x.size(d);
  if (index < -size || index >= size)
    throw Error(fmt::format("select: index {} is out of bounds for dimension {} with size {} (shape {})", index, d,
                            size, shape_str(x.sizes())));
  if (index < 0) index += size;
  return narrow(x, d, index, 1).squeeze(d);
}

// ---------------------------------------------------------------- cat (and stack)
// Legacy empty tensors (1-D of size 0) are skipped by cat and get no gradient.
namespace {
const OpDef kCat{.name = "cat",
                 .formula = "grad_tensors[i] = grad.narrow(dim, offset_i, tensors[i].size(dim))",
                 .int_lists = {"dim"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   const int64_t dim = ctx.int_arg("dim");
                   variable_list out;
                   int64_t offset = 0;
                   for (std::size_t i = 0; i < ctx.node().input_meta().size(); ++i) {
                     IntArrayRef sizes = ctx.input_sizes(i);
                     const bool skipped = sizes.size() == 1 && sizes[0] == 0 && grad.dim() != 1;
                     const int64_t length = skipped ? 0 : sizes[dim];
                     out.push_back(ctx.needs_input_grad(i) && !skipped ? grad.narrow(dim, offset, length) : Tensor());
                     offset += length;
                   }
                   return out;
                 }};
}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw Error("cat: expected a non-empty list of tensors");
  const Tensor* reference = nullptr;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    ops::check_defined(tensors[i], "cat", "tensor");
    const Tensor& t = tensors[i];
    if (t.dim() == 1 && t.numel() == 0) continue;  // legacy empty tensors are skipped
    if (!reference) reference = &t;
  }
  if (!reference) return tensors.front().clone();
  if (reference->dim() == 0) throw Error("cat: zero-dimensional tensor (at position 0) cannot be concatenated");
  int64_t d = detail::normalize_dim(dim, reference->dim(), "cat");
  DimVector out_sizes(reference->sizes());
  out_sizes[d] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (t.dim() == 1 && t.numel() == 0) continue;
    if (t.dim() != reference->dim())
      throw Error(
          fmt::format("cat: tensors must have the same number of dimensions: got {} (shape {}) "
                      "and {} (shape {}) at position {}",
                      reference->dim(), shape_str(reference->sizes()), t.dim(), shape_str(t.sizes()), i));
    for (int64_t k = 0; k < t.dim(); ++k)
      if (k != d && t.size(k) != reference->size(k))
        throw Error(
            fmt::format("cat: sizes of tensors must match except in dimension {}: expected size "
                        "{} but got size {} for tensor number {} in the list (shapes {} and {})",
                        d, reference->size(k), t.size(k), i, shape_str(reference->sizes()), shape_str(t.sizes())));
    out_sizes[d] = checked_add(out_sizes[d], t.size(d), "cat", out_sizes, "the size of the cat dimension");
  }
  Tensor out = kernels::cat(std::vector<TensorBase>(tensors.begin(), tensors.end()), d, out_sizes);
  if (autograd::needs_grad(kCat, tensors, out)) record(kCat, tensors, out).int_arg("dim", d);
  return out;
}

Tensor concat(const std::vector<Tensor>& tensors, int64_t dim) { return cat(tensors, dim); }

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw Error("stack: expected a non-empty list of tensors");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    ops::check_defined(tensors[i], "stack", "tensor");
    if (!tensors[i].sizes().equals(tensors[0].sizes()))
      throw Error(
          fmt::format("stack: expects each tensor to be equal size, but got {} at entry 0 and "
                      "{} at entry {}",
                      shape_str(tensors[0].sizes()), shape_str(tensors[i].sizes()), i));
  }
  int64_t d = detail::normalize_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> expanded;
  expanded.reserve(tensors.size());
  for (const Tensor& t : tensors) expanded.push_back(t.unsqueeze(d));
  return cat(expanded, d);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  ops::check_defined(x, "split");
  if (x.dim() == 0) throw Error("split: cannot split a 0-dim tensor");
  int64_t d = detail::normalize_dim(dim, x.dim(), "split");
  int64_t size = x.size(d);
  if (split_size < 0 || (split_size == 0 && size != 0))
    throw Error(fmt::format("split: split_size must be positive, got {} (dim {} of size {})", split_size, d, size));
  std::vector<Tensor> out;
  if (size == 0) return {x};
  const int64_t pieces = (size - 1) / split_size + 1;
  try {
    out.reserve(static_cast<std::size_t>(pieces));
  } catch (const std::exception&) {  // length_error or bad_alloc: 2^40 tensors do not fit in memory
    throw Error(
        fmt::format("split: dim {} of size {} in pieces of {} gives {} tensors, more than memory can hold "
                    "(shape {})",
                    d, size, split_size, pieces, shape_str(x.sizes())));
  }
  for (int64_t start = 0; start < size;) {  // start + split_size may overflow: step by what is left
    const int64_t length = std::min(split_size, size - start);
    out.push_back(narrow(x, d, start, length));
    start += length;
  }
  return out;
}

std::vector<Tensor> split_with_sizes(const Tensor& x, IntArrayRef split_sizes, int64_t dim) {
  ops::check_defined(x, "split_with_sizes");
  if (x.dim() == 0) throw Error("split_with_sizes: cannot split a 0-dim tensor");
  int64_t d = detail::normalize_dim(dim, x.dim(), "split_with_sizes");
  int64_t total = 0;
  for (int64_t s : split_sizes) {
    if (s < 0) throw Error(fmt::format("split_with_sizes: negative size in {}", shape_str(split_sizes)));
    total = checked_add(total, s, "split_with_sizes", split_sizes, "the sum of the sizes");
  }
  if (total != x.size(d))
    throw Error(fmt::format("split_with_sizes: sizes {} sum to {}, but dim {} has size {} (shape {})",
                            shape_str(split_sizes), total, d, x.size(d), shape_str(x.sizes())));
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : split_sizes) {
    out.push_back(narrow(x, d, start, s));
    start += s;
  }
  return out;
}
std::vector<Tensor> split(const Tensor& x, IntArrayRef split_sizes, int64_t dim) {
  return split_with_sizes(x, split_sizes, dim);
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  ops::check_defined(x, "chunk");
  if (chunks <= 0) throw Error(fmt::format("chunk: number of chunks must be positive, got {}", chunks));
  if (x.dim() == 0) throw Error("chunk: cannot chunk a 0-dim tensor");
  int64_t d = detail::normalize_dim(dim, x.dim(), "chunk");
  int64_t size = x.size(d);
  const int64_t split_size = size == 0 ? 0 : (size - 1) / chunks + 1;  // ceil without size + chunks - 1
  return split(x, std::max<int64_t>(split_size, size == 0 ? 0 : 1), d);
}

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  ops::check_defined(x, "unbind");
  if (x.dim() == 0) throw Error("unbind: cannot unbind a 0-dim tensor");
  int64_t d = detail::normalize_dim(dim, x.dim(), "unbind");
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.size(d); ++i) out.push_back(select(x, d, i));
  return out;
}

// ---------------------------------------------------------------- pad <-> narrow
// before[d] and after[d] are the amounts added before and after dim d; the rule needs only before.
namespace {
const OpDef kPad{.name = "pad",
                 .formula = "grad_self = grad.narrow(d, before[d], self.size(d)) for each dim d",
                 .scalars = {"value"},
                 .int_lists = {"before"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   IntArrayRef sizes = ctx.input_sizes(0);
                   IntArrayRef before = ctx.ints("before");
                   Tensor out = grad;
                   for (std::size_t d = 0; d < sizes.size(); ++d)
                     if (grad.size(static_cast<int64_t>(d)) != sizes[d])
                       out = out.narrow(static_cast<int64_t>(d), before[d], sizes[d]);
                   return {out};
                 }};
}  // namespace

namespace {
Tensor pad_dims(const Tensor& x, IntArrayRef before, IntArrayRef after, double value) {
  Tensor out = kernels::pad(x, before, after, value);
  if (autograd::needs_grad(kPad, {&x}, out)) record(kPad, {&x}, out).ints("before", before).arg("value", value);
  return out;
}
}  // namespace

Tensor constant_pad_nd(const Tensor& x, IntArrayRef pad_spec, double value) {
  ops::check_defined(x, "pad");
  if (pad_spec.size() % 2 != 0)
    throw Error(fmt::format("pad: padding length must be even (pairs of left/right), got {}", shape_str(pad_spec)));
  int64_t pairs = static_cast<int64_t>(pad_spec.size() / 2);
  if (pairs > x.dim())
    throw Error(fmt::format("pad: padding {} covers {} dims but the input has only {} (shape {})", shape_str(pad_spec),
                            pairs, x.dim(), shape_str(x.sizes())));
  DimVector before(static_cast<std::size_t>(x.dim()), 0), after(static_cast<std::size_t>(x.dim()), 0);
  for (int64_t i = 0; i < pairs; ++i) {
    int64_t d = x.dim() - 1 - i;
    before[d] = pad_spec[2 * i];
    after[d] = pad_spec[2 * i + 1];
    if (before[d] < 0 || after[d] < 0)
      throw Error(fmt::format("pad: negative padding {} is not supported (use narrow)", shape_str(pad_spec)));
  }
  return pad_dims(x, before, after, value);
}
Tensor pad(const Tensor& x, IntArrayRef pad_spec, std::string_view mode, std::optional<double> value) {
  if (mode != "constant") throw Error(fmt::format("pad: mode \"{}\" is not supported (only \"constant\")", mode));
  return constant_pad_nd(x, pad_spec, value.value_or(0.0));
}

// ---------------------------------------------------------------- gather <-> scatter_add
namespace {
const OpDef kGather{
    .name = "gather",
    .formula = "grad_self = zeros(self.sizes).scatter_add(dim, index, grad)",
    .saved = {"index"},
    .int_lists = {"dim"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
      return {scatter_add(zeros(ctx.input_sizes(0), grad.dtype()), ctx.int_arg("dim"), ctx.saved("index"), grad)};
    }};
}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  ops::check_defined(x, "gather");
  check_index_tensor(index, "gather");
  int64_t d = detail::normalize_dim(dim, x.dim(), "gather");
  if (index.dim() != x.dim() && !(x.dim() <= 1 && index.dim() <= 1))
    throw Error(
        fmt::format("gather: index tensor must have the same number of dimensions as input "
                    "(index {} vs input {})",
                    shape_str(index.sizes()), shape_str(x.sizes())));
  if (index.dim() != x.dim()) {
    // a 0-d input or index is read as 1-d of one element (libtorch), the result has the index's shape
    return gather(x.reshape({-1}), 0, index.reshape({-1})).reshape(index.sizes());
  }
  for (int64_t k = 0; k < index.dim(); ++k)
    if (k != d && index.size(k) > x.size(k))
      throw Error(
          fmt::format("gather: size of index {} exceeds input {} at dim {} (only dim {} may be "
                      "larger)",
                      shape_str(index.sizes()), shape_str(x.sizes()), k, d));
  Tensor out = kernels::gather(x, d, index);
  if (autograd::needs_grad(kGather, {&x}, out)) record(kGather, {&x}, out).save("index", index).int_arg("dim", d);
  return out;
}

// The index input (Int64) gets no gradient.
namespace {
const OpDef kScatterAdd{.name = "scatter_add",
                        .formula = "grad_self = grad;  grad_src = grad.gather(dim, index)",
                        .saved = {"index"},
                        .int_lists = {"dim"},
                        .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                          Tensor grad_src;
                          if (ctx.needs_input_grad(2)) grad_src = gather(grad, ctx.int_arg("dim"), ctx.saved("index"));
                          return {ctx.needs_input_grad(0) ? grad : Tensor(), Tensor(), grad_src};
                        }};
}  // namespace

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  ops::check_defined(x, "scatter_add");
  ops::check_defined(src, "scatter_add", "src");
  check_index_tensor(index, "scatter_add");
  int64_t d = detail::normalize_dim(dim, x.dim(), "scatter_add");
  if (x.dim() <= 1 && index.dim() <= 1 && src.dim() <= 1 && (index.dim() != x.dim() || src.dim() != x.dim())) {
    // libtorch treats a 0-d tensor as 1-d of one element here, as gather does (gather's rule scatters
    // the gradient of a 1-d input gathered by a 0-d index)
    return scatter_add(x.reshape({-1}), 0, index.reshape({-1}), src.reshape({-1})).reshape(x.sizes());
  }
  if (index.dim() != x.dim() || src.dim() != x.dim())
    throw Error(
        fmt::format("scatter_add: index {}, src {} and self {} must have the same number of "
                    "dimensions",
                    shape_str(index.sizes()), shape_str(src.sizes()), shape_str(x.sizes())));
  for (int64_t k = 0; k < index.dim(); ++k)
    if (index.size(k) > src.size(k) || (k != d && index.size(k) > x.size(k)))
      throw Error(fmt::format("scatter_add: index {} is larger than src {} or self {} at dim {}",
                              shape_str(index.sizes()), shape_str(src.sizes()), shape_str(x.sizes()), k));
  Tensor out = kernels::scatter_add(x, d, index, src);
  if (autograd::needs_grad(kScatterAdd, {&x, &src}, out))
    record(kScatterAdd, {&x, &index, &src}, out).save("index", index).int_arg("dim", d);
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  ops::check_defined(x, "index_select");
  check_index_tensor(index, "index_select");
  if (index.dim() > 1)
    throw Error(fmt::format("index_select: index must be 0-d or 1-d, got shape {}", shape_str(index.sizes())));
  int64_t d = detail::normalize_dim(dim, x.dim(), "index_select");
  {
    int64_t size = x.dim() == 0 ? 1 : x.size(d);
    Tensor flat = index.contiguous();
    const int64_t* p = flat.data_ptr<int64_t>();
    for (int64_t i = 0; i < flat.numel(); ++i)
      if (p[i] < -size || p[i] >= size)
        throw Error(fmt::format("index_select: index {} is out of range for dim {} of size {} (shape {})", p[i], d,
                                size, shape_str(x.sizes())));
  }
  if (x.dim() == 0) return gather(x, 0, index.reshape({}));
  int64_t n = index.numel();
  DimVector index_shape(static_cast<std::size_t>(x.dim()), 1), out_shape(x.sizes());
  index_shape[d] = n;
  out_shape[d] = n;
  Tensor expanded = index.reshape(index_shape).expand(out_shape);
  if (d != 0 || !x.is_contiguous()) return gather(x, d, expanded);
  // Rows of a contiguous tensor (a data loader's batch): one memcpy per row instead of the
  // per-element gather kernel (which took 19% of the Fashion-MNIST MLP's time); recorded as the
  // same gather node, so the gradient is unchanged.
  Tensor out = detail::make_tensor(out_shape, x.dtype());
  const int64_t rows = x.size(0);
  const std::size_t row_bytes =
      static_cast<std::size_t>(x.numel() / std::max<int64_t>(rows, 1)) * element_size(x.dtype());
  Tensor flat = index.reshape({-1}).contiguous();
  const int64_t* p = flat.data_ptr<int64_t>();
  const char* src = x.unsafe_impl()->data_bytes();
  char* dst = out.unsafe_impl()->data_bytes();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t r = p[i] < 0 ? p[i] + rows : p[i];
    std::memcpy(dst + static_cast<std::size_t>(i) * row_bytes, src + static_cast<std::size_t>(r) * row_bytes,
                row_bytes);
  }
  if (autograd::needs_grad(kGather, {&x}, out)) record(kGather, {&x}, out).save("index", expanded).int_arg("dim", 0);
  return out;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes) {
  check_index_tensor(labels, "one_hot");
  int64_t n = labels.numel();
  Tensor flat = labels.contiguous();
  const int64_t* p = flat.data_ptr<int64_t>();
  int64_t max_label = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] < 0)
      throw Error(fmt::format("one_hot: class values must be non-negative, got {} at position {}", p[i], i));
    max_label = std::max(max_label, p[i]);
  }
  if (num_classes == -1) {
    if (n == 0) throw Error("one_hot: can not infer the number of classes from an empty tensor");
    num_classes = max_label + 1;
  } else if (num_classes <= max_label) {
    throw Error(fmt::format("one_hot: class value {} is out of range for num_classes {}", max_label, num_classes));
  }
  DimVector sizes(labels.sizes());
  sizes.push_back(num_classes);
  Tensor out = zeros(sizes, kInt64);
  int64_t* o = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) o[i * num_classes + p[i]] = 1;
  return out;
}

// ---------------------------------------------------------------- clone
namespace {
const OpDef kClone{.name = "clone",
                   .formula = "grad_self = grad",
                   .vjp = [](const VjpContext&, const Tensor& grad) -> variable_list { return {grad}; }};
}  // namespace

Tensor clone(const Tensor& x) {
  ops::check_defined(x, "clone");
  Tensor out = detail::make_tensor(x.sizes(), x.dtype());
  kernels::copy(out, x);
  if (autograd::needs_grad(kClone, {&x}, out)) record(kClone, {&x}, out);
  return out;
}

namespace ops {
void add_shape_ops(std::vector<const autograd::OpDef*>& out) {
  for (const OpDef* def :
       {&kView, &kPermute, &kExpand, &kNarrow, &kSlice, &kPad, &kCat, &kGather, &kScatterAdd, &kClone})
    out.push_back(def);
}
}  // namespace ops

}  // namespace tg
