// TensorBase metadata, construction helpers and data access. Ops live in autograd/src/ops_*.cpp.
#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/pool.h"
#include "tapegrad/internal/tensor_impl.h"

namespace tg {

namespace detail {

void throw_error(const std::string& message) { throw Error(message); }
void fail(const std::string& message) { throw Error(message); }

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t range = std::max<int64_t>(ndim, 1);  // a 0-d tensor accepts dim 0 / -1, as libtorch
  if (dim < -range || dim >= range)
    fail(fmt::format("{}: dim {} is out of range for a tensor of {} dims (expected in [{}, {}])", op, dim, ndim, -range,
                     range - 1));
  return dim < 0 ? dim + range : dim;
}

TensorBase make_tensor(IntArrayRef sizes, ScalarType dtype, const char* op) {
  const int64_t nbytes = checked_contiguous_bytes(sizes, static_cast<int64_t>(element_size(dtype)), op);
  auto impl = std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>());
  impl->dtype = dtype;
  impl->set_sizes_contiguous(sizes);
  try {
    impl->storage = std::allocate_shared<Storage>(detail::PoolAllocator<Storage>(), static_cast<std::size_t>(nbytes));
  } catch (const Error& e) {
    fail(fmt::format("{}: cannot allocate {} bytes for shape {} ({}): {}", op, nbytes, shape_str(sizes),
                     dtype_name(dtype), e.what()));
  }
  return TensorBase(std::move(impl));
}

// A view must lie inside its storage: every size >= 0, the element count fits int64, and the
// lowest and highest elements it can address are within [0, storage elements). Checked here, once,
// so that no op (and no bug in one) can build a view that reads or writes out of bounds.
TensorBase make_view(const TensorBase& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset, const char* op) {
  const TensorImpl& b = *base.unsafe_impl();
  const int64_t numel = checked_numel(sizes, op);
  // an empty view may sit anywhere (narrow(x, 0, size, 0)), but its byte offset must be a number
  if (offset < 0)
    fail(fmt::format("{}: a view of shape {} has a negative storage offset {}", op, shape_str(sizes), offset));
  (void)checked_mul(offset, static_cast<int64_t>(element_size(b.dtype)), op, sizes, "the view's byte offset");
  if (numel > 0) {
    int64_t low = offset, high = offset;
    for (std::size_t d = 0; d < sizes.size(); ++d) {
      const int64_t reach = checked_mul(sizes[d] - 1, strides[d], op, sizes, "a view's extent");
      (reach < 0 ? low : high) = checked_add(reach < 0 ? low : high, reach, op, sizes, "a view's extent");
    }
    const int64_t capacity = static_cast<int64_t>(b.storage->nbytes / element_size(b.dtype));
    if (low < 0 || high >= capacity)
      fail(
          fmt::format("{}: a view of shape {}, strides {} and offset {} reaches elements {} to {}, outside its "
                      "storage of {} elements",
                      op, shape_str(sizes), shape_str(strides), offset, low, high, capacity));
  }
  auto impl = std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>());
  impl->storage = b.storage;
  impl->dtype = b.dtype;
  impl->sizes.assign(sizes);
  impl->strides.assign(strides);
  impl->offset = offset;
  impl->is_view = true;
  impl->refresh();
  return TensorBase(std::move(impl));
}

[[noreturn]] void throw_overflow(const char* op, IntArrayRef shape, const char* what) {
  fail(fmt::format("{}: shape {} is too large: {} overflows int64", op, shape_str(shape), what));
}

[[noreturn]] void throw_negative_size(const char* op, IntArrayRef shape, int64_t size) {
  fail(fmt::format("{}: negative dimension {} in shape {}", op, size, shape_str(shape)));
}

void bump_version(const TensorBase& t) { ++t.unsafe_impl()->storage->version; }

}  // namespace detail

void TensorImpl::set_sizes_contiguous(IntArrayRef new_sizes) {
  sizes.assign(new_sizes);
  strides.resize(sizes.size());
  int64_t stride = 1, count = 1;
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= std::max<int64_t>(sizes[i], 1);
    count *= sizes[i];
  }
  numel = count;
  contiguous = true;
}

void TensorImpl::refresh() {
  numel = 1;
  for (int64_t s : sizes) numel *= s;
  contiguous = true;
  int64_t expected = 1;
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    if (sizes[i] == 1) continue;
    if (strides[i] != expected) {
      contiguous = false;
      break;
    }
    expected *= sizes[i];
  }
}

const char* dtype_name(ScalarType dtype) {
  switch (dtype) {
    case kFloat32: return "Float32";
    case kFloat64: return "Float64";
    case kInt64: return "Int64";
    case kBool: return "Bool";
  }
  return "Unknown";
}

std::size_t element_size(ScalarType dtype) {
  switch (dtype) {
    case kFloat32: return 4;
    case kFloat64: return 8;
    case kInt64: return 8;
    case kBool: return 1;
  }
  return 1;
}

std::string shape_str(IntArrayRef sizes) { return fmt::format("[{}]", fmt::join(sizes, ", ")); }

namespace {
const TensorImpl& checked(const std::shared_ptr<TensorImpl>& impl, const char* what) {
  if (!impl) throw Error(std::string(what) + ": called on an undefined tensor");
  return *impl;
}
}  // namespace

#define TG_IMPL(what) checked(impl_, what)

IntArrayRef TensorBase::sizes() const { return TG_IMPL("sizes").sizes; }
IntArrayRef TensorBase::strides() const { return TG_IMPL("strides").strides; }
int64_t TensorBase::size(int64_t dim) const {
  const TensorImpl& impl = TG_IMPL("size");
  if (impl.sizes.empty()) throw Error(fmt::format("size: dim {} is out of range for a 0-d tensor", dim));
  return impl.sizes[detail::normalize_dim(dim, dim_count(impl), "size")];
}
int64_t TensorBase::stride(int64_t dim) const {
  const TensorImpl& impl = TG_IMPL("stride");
  if (impl.sizes.empty()) throw Error(fmt::format("stride: dim {} is out of range for a 0-d tensor", dim));
  return impl.strides[detail::normalize_dim(dim, dim_count(impl), "stride")];
}
int64_t TensorBase::dim() const { return static_cast<int64_t>(TG_IMPL("dim").sizes.size()); }
int64_t TensorBase::numel() const { return TG_IMPL("numel").numel; }
ScalarType TensorBase::dtype() const { return TG_IMPL("dtype").dtype; }
bool TensorBase::is_floating_point() const { return tg::is_floating_point(dtype()); }
bool TensorBase::is_contiguous() const { return TG_IMPL("is_contiguous").contiguous; }
int64_t TensorBase::storage_offset() const { return TG_IMPL("storage_offset").offset; }
bool TensorBase::is_alias_of(const TensorBase& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}
std::string TensorBase::toString() const {
  switch (dtype()) {
    case kFloat32: return "CPUFloatType";
    case kFloat64: return "CPUDoubleType";
    case kInt64: return "CPULongType";
    case kBool: return "CPUBoolType";
  }
  return "CPUUnknownType";
}
int64_t TensorBase::_version() const { return TG_IMPL("_version").storage->version; }

template <typename T>
struct DtypeOf;
template <>
struct DtypeOf<float> {
  static constexpr ScalarType value = kFloat32;
};
template <>
struct DtypeOf<double> {
  static constexpr ScalarType value = kFloat64;
};
template <>
struct DtypeOf<int64_t> {
  static constexpr ScalarType value = kInt64;
};
template <>
struct DtypeOf<bool> {
  static constexpr ScalarType value = kBool;
};

template <typename T>
T* TensorBase::data_ptr() const {
  const TensorImpl& impl = TG_IMPL("data_ptr");
  if (impl.dtype != DtypeOf<T>::value)
    throw Error(fmt::format("data_ptr: tensor has dtype {}, requested {}", dtype_name(impl.dtype),
                            dtype_name(DtypeOf<T>::value)));
  return impl.data<T>();
}
template float* TensorBase::data_ptr<float>() const;
template double* TensorBase::data_ptr<double>() const;
template int64_t* TensorBase::data_ptr<int64_t>() const;
template bool* TensorBase::data_ptr<bool>() const;

double TensorBase::item_double() const {
  const TensorImpl& impl = TG_IMPL("item");
  if (impl.numel != 1)
    throw Error(
        fmt::format("item: a Tensor with {} elements cannot be converted to a scalar "
                    "(shape {})",
                    impl.numel, shape_str(impl.sizes)));
  double value = 0;
  TG_DISPATCH_ALL(impl.dtype, "item", [&] { value = static_cast<double>(*impl.data<scalar_t>()); });
  return value;
}

template <typename T>
T TensorBase::item() const {
  const TensorImpl& impl = TG_IMPL("item");
  if (impl.numel != 1)
    throw Error(
        fmt::format("item: a Tensor with {} elements cannot be converted to a scalar "
                    "(shape {})",
                    impl.numel, shape_str(impl.sizes)));
  if (impl.dtype == kInt64) return static_cast<T>(*impl.data<int64_t>());
  return static_cast<T>(item_double());
}
template float TensorBase::item<float>() const;
template double TensorBase::item<double>() const;
template int64_t TensorBase::item<int64_t>() const;
template int TensorBase::item<int>() const;
template bool TensorBase::item<bool>() const;
template long long TensorBase::item<long long>() const;

}  // namespace tg
