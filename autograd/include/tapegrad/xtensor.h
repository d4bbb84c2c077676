// Conversions between tg::Tensor and xt::xarray (copies). Kept out of <tapegrad/tapegrad.h>
// because xtensor's headers cost seconds of compile time per translation unit.
#pragma once
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>

#include "tapegrad/ops.h"
#include "tapegrad/tensor.h"

namespace tg {

namespace detail_xt {
template <typename T>
constexpr ScalarType dtype_of() {
  if constexpr (std::is_same_v<T, float>)
    return kFloat32;
  else if constexpr (std::is_same_v<T, double>)
    return kFloat64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return kInt64;
  else if constexpr (std::is_same_v<T, bool>)
    return kBool;
  else
    static_assert(sizeof(T) == 0, "tapegrad: unsupported element type");
}
}  // namespace detail_xt

// A tensor holding a copy of `array` (dtype from T).
template <typename T>
Tensor from_xarray(const xt::xarray<T>& array, TensorOptions options = {}) {
  std::vector<int64_t> sizes(array.shape().begin(), array.shape().end());
  Tensor out = empty(sizes, options.dtype(detail_xt::dtype_of<T>()));
  std::copy(array.begin(), array.end(), out.data_ptr<T>());
  if (options.requires_grad()) out.requires_grad_(true);
  return out;
}

// A copy of `tensor`'s values as an xarray<T> (converting the dtype if needed).
template <typename T>
xt::xarray<T> to_xarray(const Tensor& tensor) {
  Tensor values = tensor.detach().to(detail_xt::dtype_of<T>()).contiguous();
  std::vector<std::size_t> shape(values.sizes().begin(), values.sizes().end());
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  std::copy(values.data_ptr<T>(), values.data_ptr<T>() + values.numel(), out.begin());
  return out;
}

}  // namespace tg
