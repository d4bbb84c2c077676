// Helpers shared by the op files: argument checks that name the op, and the broadcasting
// reduction every binary op's vjp needs.
#pragma once
#include <fmt/format.h>

#include "record.h"
#include "tapegrad/internal/kernels.h"

namespace tg::ops {

inline void check_defined(const Tensor& t, const char* op, const char* what = "input") {
  if (!t.defined()) throw Error(fmt::format("{}: {} is an undefined tensor", op, what));
}

inline void check_floating(const Tensor& t, const char* op) {
  check_defined(t, op);
  if (!is_floating_point(t.dtype()))
    throw Error(
        fmt::format("{}: expected a floating-point tensor (Float32 or Float64), got {} "
                    "with shape {}",
                    op, dtype_name(t.dtype()), shape_str(t.sizes())));
}

inline void check_not_bool(const Tensor& t, const char* op) {
  check_defined(t, op);
  if (t.dtype() == kBool)
    throw Error(
        fmt::format("{}: not supported for Bool tensors (shape {}); convert with "
                    "to(tg::kFloat32) or to(tg::kInt64)",
                    op, shape_str(t.sizes())));
}

// Reduces a gradient of a broadcast result back to the input's sizes (sums broadcast dims).
Tensor sum_to(const Tensor& grad, IntArrayRef sizes);

// The dtype a tensor op with a Python-style scalar produces (libtorch's rule: an integer tensor
// combined with a non-integral scalar becomes the default float dtype).
inline ScalarType scalar_result_dtype(const Tensor& t, double scalar) {
  if (is_floating_point(t.dtype())) return t.dtype();
  if (static_cast<double>(static_cast<int64_t>(scalar)) != scalar) return kFloat32;
  return t.dtype() == kBool ? kInt64 : t.dtype();
}

inline Tensor wrap_scalar(double value, ScalarType dtype) { return scalar_tensor(value, dtype); }

void add_pointwise_ops(std::vector<const autograd::OpDef*>& out);
void add_reduce_ops(std::vector<const autograd::OpDef*>& out);
void add_shape_ops(std::vector<const autograd::OpDef*>& out);
void add_linalg_ops(std::vector<const autograd::OpDef*>& out);
void add_conversion_ops(std::vector<const autograd::OpDef*>& out);
void add_nn_ops(std::vector<const autograd::OpDef*>& out);

}  // namespace tg::ops
