// Kernels that move data between positions: cat, constant pad, gather, scatter_add.
#include <fmt/format.h>

#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/parallel.h"

namespace tg::kernels {

TensorBase cat(const std::vector<TensorBase>& tensors, int64_t dim, IntArrayRef out_sizes) {
  ScalarType dtype = tensors.front().dtype();
  for (const TensorBase& t : tensors) dtype = promote(dtype, t.dtype());
  TensorBase out = detail::make_tensor(out_sizes, dtype, "cat");
  int64_t offset = 0;
  for (const TensorBase& t : tensors) {
    if (t.numel() == 0 && t.dim() == 1 && out.dim() != 1) continue;  // libtorch skips legacy empty
    int64_t length = t.size(dim);
    DimVector strides(out.strides());
    TensorBase slot = detail::make_view(out, t.sizes(), strides, out.storage_offset() + offset * out.stride(dim));
    copy(slot, t);
    offset += length;
  }
  return out;
}

TensorBase pad(const TensorBase& x, IntArrayRef before, IntArrayRef after, double value) {
  DimVector out_sizes(x.sizes());
  int64_t inner_offset = 0;
  TensorBase out;
  for (std::size_t d = 0; d < out_sizes.size(); ++d)
    out_sizes[d] = checked_add(out_sizes[d], checked_add(before[d], after[d], "pad", x.sizes()), "pad", x.sizes());
  out = detail::make_tensor(out_sizes, x.dtype(), "pad");
  fill(out, value);
  if (x.numel() == 0) return out;  // nothing to copy (and before[d] * stride may be past any storage)
  for (std::size_t d = 0; d < out_sizes.size(); ++d) inner_offset += before[d] * out.stride(d);
  TensorBase slot = detail::make_view(out, x.sizes(), DimVector(out.strides()), inner_offset);
  copy(slot, x);
  return out;
}

namespace {
// Shared loop of gather and scatter_add: for every position p of `index` (shape S), with
// p' = p but p'[dim] = index[p], calls f(offset of p' in `indexed`, offset of p in `other`).
template <typename F>
void for_each_indexed(const char* op, const TensorImpl& indexed, int64_t dim, const TensorImpl& index,
                      const TensorImpl& other, F f) {
  const int64_t ndim = static_cast<int64_t>(index.sizes.size());
  const int64_t* pi = index.data<int64_t>();
  const int64_t limit = indexed.sizes.empty() ? 1 : indexed.sizes[dim];
  if (index.numel == 0) return;
  auto bounded = [&](int64_t target) {
    if (target < -limit || target >= limit)
      detail::fail(fmt::format("{}: index {} is out of bounds for dim {} with size {}", op, target, dim, limit));
    return target < 0 ? target + limit : target;
  };
  if (ndim == 0) {
    (void)bounded(pi[0]);  // a 0-d index is still checked against the bounds
    f(0, 0);
    return;
  }
  // An odometer over the outer dims, the last dim as a plain inner loop (max_pool2d's backward
  // scatters millions of elements through here: no per-element walk over the dims).
  const int64_t last = ndim - 1, inner = index.sizes[last];
  const int64_t is = index.strides[last], os = other.strides[last];
  const int64_t xs = dim == last ? 0 : indexed.strides[last], xd = indexed.strides[dim];
  DimVector counter(static_cast<std::size_t>(last), 0);
  for (int64_t done = 0; done < index.numel; done += inner) {
    int64_t idx_off = 0, other_off = 0, indexed_off = 0;
    for (int64_t d = 0; d < last; ++d) {
      idx_off += counter[d] * index.strides[d];
      other_off += counter[d] * other.strides[d];
      if (d != dim) indexed_off += counter[d] * indexed.strides[d];
    }
    for (int64_t k = 0; k < inner; ++k)
      f(indexed_off + k * xs + bounded(pi[idx_off + k * is]) * xd, other_off + k * os);
    for (int64_t d = last - 1; d >= 0; --d) {
      if (++counter[d] < index.sizes[d]) break;
      counter[d] = 0;
    }
  }
}
}  // namespace

TensorBase gather(const TensorBase& x, int64_t dim, const TensorBase& index) {
  TensorBase out = detail::make_tensor(index.sizes(), x.dtype());
  const TensorImpl& ix = *x.unsafe_impl();
  const TensorImpl& io = *out.unsafe_impl();
  TG_DISPATCH_ALL(ix.dtype, "gather", [&] {
    const scalar_t* px = ix.data<scalar_t>();
    scalar_t* po = io.data<scalar_t>();
    for_each_indexed("gather", ix, dim, *index.unsafe_impl(), io, [&](int64_t src, int64_t dst) { po[dst] = px[src]; });
  });
  return out;
}

TensorBase scatter_add(const TensorBase& x, int64_t dim, const TensorBase& index, const TensorBase& src) {
  TensorBase out = detail::make_tensor(x.sizes(), x.dtype());
  copy(out, x);
  TensorBase source = src;
  if (src.dtype() != x.dtype()) {
    source = detail::make_tensor(src.sizes(), x.dtype());
    copy(source, src);
  }
  const TensorImpl& io = *out.unsafe_impl();
  const TensorImpl& is = *source.unsafe_impl();
  TG_DISPATCH_NUMERIC(io.dtype, "scatter_add", [&] {
    scalar_t* po = io.data<scalar_t>();
    const scalar_t* ps = is.data<scalar_t>();
    for_each_indexed("scatter_add", io, dim, *index.unsafe_impl(), is,
                     [&](int64_t dst, int64_t from) { po[dst] += ps[from]; });
  });
  return out;
}

}  // namespace tg::kernels
