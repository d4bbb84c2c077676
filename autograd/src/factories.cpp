// Factories (zeros, arange, rand, tensor({...}), from_blob, ...): they return tg::Tensor and honour
// TensorOptions::requires_grad. The random generator is core's (tapegrad/internal/random.h).
// Random numbers come from one mt19937_64 seeded by tg::manual_seed, with our own uniform and
// normal transforms so a seed gives the same numbers on every platform.
#include <fmt/format.h>

#include <cmath>
#include <mutex>

#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/pool.h"
#include "tapegrad/internal/random.h"
#include "tapegrad/ops.h"

namespace tg {

namespace {

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad()) t.requires_grad_(true);
  return t;
}

template <typename F>
Tensor fill_with(IntArrayRef sizes, const TensorOptions& options, const char* op, F next) {
  Tensor t = detail::make_tensor(sizes, options.dtype(), op);
  detail::Generator& g = detail::generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  TG_DISPATCH_ALL(options.dtype(), op, [&] {
    scalar_t* p = t.unsafe_impl()->data<scalar_t>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<scalar_t>(next(g));
  });
  return finish(t, options);
}

TensorOptions like_options(const Tensor& t, const std::optional<TensorOptions>& options) {
  if (!t.defined()) throw Error("*_like: the reference tensor is undefined");
  TensorOptions out = options.value_or(TensorOptions());
  if (!out.dtype_opt()) out = out.dtype(t.dtype());
  return out;
}

template <typename T>
Tensor from_values(const T* values, std::size_t n, DimVector sizes, TensorOptions options) {
  Tensor t = detail::make_tensor(sizes, options.dtype(), "tensor");
  TG_DISPATCH_ALL(options.dtype(), "tensor", [&] {
    scalar_t* p = t.unsafe_impl()->data<scalar_t>();
    for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(values[i]);
  });
  return finish(t, options);
}

}  // namespace

Tensor empty(IntArrayRef sizes, TensorOptions options) {
  return finish(detail::make_tensor(sizes, options.dtype(), "empty"), options);
}

namespace {
Tensor filled(IntArrayRef sizes, double value, const TensorOptions& options, const char* op) {
  Tensor t = detail::make_tensor(sizes, options.dtype(), op);
  kernels::fill(t, value);
  return finish(t, options);
}
}  // namespace

Tensor full(IntArrayRef sizes, double value, TensorOptions options) { return filled(sizes, value, options, "full"); }
Tensor zeros(IntArrayRef sizes, TensorOptions options) { return filled(sizes, 0, options, "zeros"); }
Tensor ones(IntArrayRef sizes, TensorOptions options) { return filled(sizes, 1, options, "ones"); }
Tensor scalar_tensor(double value, TensorOptions options) { return full({}, value, options); }

Tensor eye(int64_t n, TensorOptions options) { return eye(n, n, options); }
Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  if (n < 0 || m < 0) throw Error(fmt::format("eye: n and m must be non-negative, got {} and {}", n, m));
  Tensor t = filled({n, m}, 0, TensorOptions().dtype(options.dtype()), "eye");
  TG_DISPATCH_ALL(options.dtype(), "eye", [&] {
    scalar_t* p = t.unsafe_impl()->data<scalar_t>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = static_cast<scalar_t>(1);
  });
  return finish(t, options);
}

Tensor arange(double end, TensorOptions options) { return arange(0, end, 1, options); }
Tensor arange(double start, double end, TensorOptions options) { return arange(start, end, 1, options); }
Tensor arange(double start, double end, double step, TensorOptions options) {
  if (step == 0) throw Error("arange: step must be nonzero");
  if (!std::isfinite(start) || !std::isfinite(end))
    throw Error(fmt::format("arange: unsupported range {} -> {}", start, end));
  if ((end - start) / step < 0)
    throw Error(
        fmt::format("arange: upper bound {} and lower bound {} inconsistent with step sign {}", end, start, step));
  const double count = std::ceil((end - start) / step);
  if (!(count < 0x1p63))  // also catches NaN; the cast below would be undefined behaviour
    throw Error(fmt::format("arange: {} -> {} in steps of {} has {} elements, more than int64 can count", start, end,
                            step, count));
  const auto n = static_cast<int64_t>(count);
  // libtorch: integral arguments give an Int64 tensor unless a dtype is given
  bool integral = start == std::floor(start) && end == std::floor(end) && step == std::floor(step);
  ScalarType dtype = options.dtype_opt().value_or(integral ? kInt64 : kFloat32);
  if (dtype == kInt64 && n > 0) {  // the values run monotonically from the first to the last
    const double last = start + static_cast<double>(n - 1) * step;
    for (double v : {start, last})
      if (!(v >= -0x1p63 && v < 0x1p63))
        throw Error(fmt::format("arange: the values from {} to {} do not fit Int64", start, last));
  }
  Tensor t = detail::make_tensor({n}, dtype, "arange");
  TG_DISPATCH_ALL(dtype, "arange", [&] {
    scalar_t* p = t.unsafe_impl()->data<scalar_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(start + static_cast<double>(i) * step);
  });
  return finish(t, options);
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  if (steps < 0) throw Error(fmt::format("linspace: number of steps must be non-negative, got {}", steps));
  Tensor t = detail::make_tensor({steps}, options.dtype(), "linspace");
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0;
  int64_t half = steps / 2;
  TG_DISPATCH_ALL(options.dtype(), "linspace", [&] {
    scalar_t* p = t.unsafe_impl()->data<scalar_t>();
    // libtorch fills the first half from start and the second half from end (symmetric rounding);
    // a single step is start, as libtorch's
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<scalar_t>(steps == 1 ? start
                                   : i < half ? start + step * static_cast<double>(i)
                                              : end - step * static_cast<double>(steps - 1 - i));
  });
  return finish(t, options);
}

Tensor rand(IntArrayRef sizes, TensorOptions options) {
  if (!is_floating_point(options.dtype())) throw Error("rand: expected a floating-point dtype");
  return fill_with(sizes, options, "rand", [](detail::Generator& g) { return g.uniform(); });
}
Tensor randn(IntArrayRef sizes, TensorOptions options) {
  if (!is_floating_point(options.dtype())) throw Error("randn: expected a floating-point dtype");
  return fill_with(sizes, options, "randn", [](detail::Generator& g) { return g.normal(); });
}
Tensor randint(int64_t high, IntArrayRef sizes, TensorOptions options) { return randint(0, high, sizes, options); }
Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions options) {
  if (high <= low) throw Error(fmt::format("randint: expected low < high, got low={} high={}", low, high));
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);  // high - low may overflow int64
  return fill_with(sizes, options, "randint", [low, range](detail::Generator& g) {
    return static_cast<double>(static_cast<int64_t>(static_cast<uint64_t>(low) + g.engine() % range));
  });
}
Tensor randperm(int64_t n, TensorOptions options) {
  if (n < 0) throw Error(fmt::format("randperm: n must be non-negative, got {}", n));
  Tensor values = detail::make_tensor({n}, kInt64, "randperm");  // checked before anything is filled
  int64_t* p = values.unsafe_impl()->data<int64_t>();
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  {
    detail::Generator& g = detail::generator();
    std::lock_guard<std::mutex> lock(g.mutex);
    for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[g.engine() % static_cast<uint64_t>(i + 1)]);
  }
  return finish(options.dtype() == kInt64 ? values : values.to(options.dtype()), options);
}

Tensor empty_like(const Tensor& t, std::optional<TensorOptions> o) { return empty(t.sizes(), like_options(t, o)); }
Tensor zeros_like(const Tensor& t, std::optional<TensorOptions> o) { return zeros(t.sizes(), like_options(t, o)); }
Tensor ones_like(const Tensor& t, std::optional<TensorOptions> o) { return ones(t.sizes(), like_options(t, o)); }
Tensor full_like(const Tensor& t, double v, std::optional<TensorOptions> o) {
  return full(t.sizes(), v, like_options(t, o));
}
Tensor rand_like(const Tensor& t, std::optional<TensorOptions> o) { return rand(t.sizes(), like_options(t, o)); }
Tensor randn_like(const Tensor& t, std::optional<TensorOptions> o) { return randn(t.sizes(), like_options(t, o)); }

Tensor from_blob(void* data, IntArrayRef sizes, TensorOptions options) {
  const int64_t nbytes =
      checked_contiguous_bytes(sizes, static_cast<int64_t>(element_size(options.dtype())), "from_blob");
  if (data == nullptr) throw Error("from_blob: data pointer is null");
  auto impl = std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>());
  impl->dtype = options.dtype();
  impl->set_sizes_contiguous(sizes);
  impl->storage =
      std::allocate_shared<Storage>(detail::PoolAllocator<Storage>(), data, static_cast<std::size_t>(nbytes));
  return finish(Tensor(std::move(impl)), options);
}

void TensorData::collect(std::vector<double>& values, std::vector<int64_t>& shape, std::size_t depth, bool& integral,
                         bool& boolean) const {
  if (!is_list_) {
    if (depth != shape.size())
      throw Error(
          fmt::format("tensor: nested list is ragged: a scalar at depth {} where the first "
                      "element had depth {}",
                      depth, shape.size()));
    values.push_back(value_);
    integral = integral && integral_;
    boolean = boolean && boolean_;
    return;
  }
  int64_t n = static_cast<int64_t>(children_.size());
  if (depth >= shape.size()) {
    if (!values.empty())
      throw Error(
          fmt::format("tensor: nested list is ragged: a list at depth {} where scalars were "
                      "expected",
                      depth));
    shape.push_back(n);
  } else if (shape[depth] != n) {
    throw Error(
        fmt::format("tensor: nested list is ragged: expected {} elements at depth {}, got {}", shape[depth], depth, n));
  }
  for (const TensorData& child : children_) child.collect(values, shape, depth + 1, integral, boolean);
}

void TensorData::flatten(std::vector<double>& values, std::vector<int64_t>& shape, bool& integral,
                         bool& boolean) const {
  integral = true;
  boolean = true;
  collect(values, shape, 0, integral, boolean);
}

Tensor tensor(const TensorData& data, TensorOptions options) {
  std::vector<double> values;
  std::vector<int64_t> shape;
  bool integral = true, boolean = true;
  data.flatten(values, shape, integral, boolean);
  if (values.empty()) integral = boolean = false;  // tensor({}) is an empty Float32 vector
  if (!options.dtype_opt()) options = options.dtype(boolean ? kBool : integral ? kInt64 : kFloat32);
  return tensor_from_values(values, shape, options);
}

Tensor tensor_from_values(const std::vector<double>& values, IntArrayRef sizes, TensorOptions options) {
  return from_values(values.data(), values.size(), DimVector(sizes), options);
}

}  // namespace tg
