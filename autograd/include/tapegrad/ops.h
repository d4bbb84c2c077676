// Free-function ops and factories, with libtorch's names and argument order. Every op that can
// carry a gradient records a node on the tape (see <tapegrad/autograd.h>); the differentiable ones
// are listed, with sample inputs, in tg::testing::op_table() (tapegrad::testing). The ops that are
// Tensor methods too (tg::exp(x) and x.exp(), ...) are declared, with their docs, in the list of
// <tapegrad/functions_and_methods.h>, which <tapegrad/tensor.h> expands; this file has the rest.
#pragma once
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tapegrad/tensor.h"

namespace tg {

// ---- factories ----
Tensor empty(IntArrayRef sizes, TensorOptions options = {});
Tensor zeros(IntArrayRef sizes, TensorOptions options = {});
Tensor ones(IntArrayRef sizes, TensorOptions options = {});
Tensor full(IntArrayRef sizes, double value, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});
Tensor arange(double end, TensorOptions options = {});
Tensor arange(double start, double end, TensorOptions options);
Tensor arange(double start, double end, double step = 1, TensorOptions options = {});
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
Tensor rand(IntArrayRef sizes, TensorOptions options = {});
Tensor randn(IntArrayRef sizes, TensorOptions options = {});
Tensor randint(int64_t high, IntArrayRef sizes, TensorOptions options = kInt64);
Tensor randint(int64_t low, int64_t high, IntArrayRef sizes, TensorOptions options = kInt64);
Tensor randperm(int64_t n, TensorOptions options = kInt64);
Tensor empty_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor zeros_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor ones_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor full_like(const Tensor& t, double value, std::optional<TensorOptions> options = std::nullopt);
Tensor rand_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
Tensor randn_like(const Tensor& t, std::optional<TensorOptions> options = std::nullopt);
// Wraps memory the caller owns (no copy); the caller keeps it alive while the tensor lives.
Tensor from_blob(void* data, IntArrayRef sizes, TensorOptions options = {});
Tensor scalar_tensor(double value, TensorOptions options = {});

// Nested braced lists for tensor(): tensor({{1.0, 2.0}, {3.0, 4.0}}) is a [2, 2] kFloat32 tensor,
// tensor({{0.0}, {1.0}}) a [2, 1] one, tensor({1, 2}) a kInt64 vector, tensor(2.5) a 0-d tensor
// (libtorch's TensorDataContainer plays the same role).
class TensorData {
 public:
  TensorData(double v) : value_(v) {}                                                      // NOLINT
  TensorData(float v) : value_(v) {}                                                       // NOLINT
  TensorData(int v) : value_(v), integral_(true) {}                                        // NOLINT
  TensorData(long v) : value_(static_cast<double>(v)), integral_(true) {}                  // NOLINT
  TensorData(long long v) : value_(static_cast<double>(v)), integral_(true) {}             // NOLINT
  TensorData(bool v) : value_(v), integral_(true), boolean_(true) {}                       // NOLINT
  TensorData(std::initializer_list<TensorData> list) : children_(list), is_list_(true) {}  // NOLINT
  // Row-major values, the shape, and whether every value was an integer / a bool.
  void flatten(std::vector<double>& values, std::vector<int64_t>& shape, bool& integral, bool& boolean) const;

 private:
  void collect(std::vector<double>& values, std::vector<int64_t>& shape, std::size_t depth, bool& integral,
               bool& boolean) const;
  double value_ = 0;
  bool integral_ = false;
  bool boolean_ = false;
  std::vector<TensorData> children_;
  bool is_list_ = false;
};

// tensor(...) copies values. Floating values give kFloat32 (libtorch's default dtype), integers
// kInt64 and bools kBool, unless options say otherwise.
Tensor tensor(const TensorData& data, TensorOptions options = {});
Tensor tensor_from_values(const std::vector<double>& values, IntArrayRef sizes, TensorOptions options);
template <typename T>
Tensor tensor(const std::vector<T>& values, TensorOptions options = {}) {
  std::vector<double> flat(values.begin(), values.end());
  if (!options.dtype_opt())
    options = options.dtype(std::is_same_v<T, bool> ? kBool : std::is_integral_v<T> ? kInt64 : kFloat32);
  return tensor_from_values(flat, {static_cast<int64_t>(flat.size())}, options);
}

// ---- pointwise (function-only; add, exp, clamp, eq and the rest, which are Tensor methods too,
// are in <tapegrad/functions_and_methods.h>) ----
Tensor rsub(const Tensor& a, double b);  // b - a
Tensor pow(double base, const Tensor& exponent);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
Tensor elu(const Tensor& x, double alpha = 1.0);
// approximate: "none" (exact, erf) or "tanh", as libtorch.
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
// hardtanh(x) = min(max(x, min_val), max_val), elementwise, any shape, not Bool; the gradient
// passes only strictly inside (min_val, max_val). libtorch: torch::hardtanh (at::hardtanh).
Tensor hardtanh(const Tensor& self, double min_val = -1.0, double max_val = 1.0);
// The step activation of the tutorials: 1 where x >= threshold else 0, zero gradient.
Tensor step(const Tensor& x, double threshold = 0.0);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, double b);
Tensor where(const Tensor& condition, double a, const Tensor& b);
Tensor where(const Tensor& condition, double a, double b);
Tensor isnan(const Tensor& a);
Tensor isfinite(const Tensor& a);
// Fused gradient kernels that vjps use; differentiable themselves and in the op table.
Tensor tanh_backward(const Tensor& grad_output, const Tensor& output);     // g (1 - y^2)
Tensor sigmoid_backward(const Tensor& grad_output, const Tensor& output);  // g y (1 - y)
Tensor relu_backward(const Tensor& grad_output, const Tensor& output);     // y > 0 ? g : 0

// ---- reductions: all are Tensor methods too, so all are in <tapegrad/functions_and_methods.h> ----

// ---- linear algebra (function-only; matmul, mm, bmm, dot: <tapegrad/functions_and_methods.h>) ----
// beta * self + alpha * (mat1 @ mat2): mat1 [n, m], mat2 [m, p], self broadcastable to [n, p]
// (a bias [p] or [n, p]), all of one floating dtype; out [n, p]. One node; the gemm adds the product
// to a copy of self. Errors: non-2-D matrices, m mismatch, self not broadcastable, mixed dtypes.
// Mirrors torch::addmm (beta = 0 ignores self, NaNs included).
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, double beta = 1, double alpha = 1);
Tensor outer(const Tensor& a, const Tensor& b);

// ---- shape and indexing (function-only; reshape, view, select, split and the rest:
// <tapegrad/functions_and_methods.h>) ----
Tensor broadcast_to(const Tensor& x, IntArrayRef sizes);
std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor concat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
std::vector<Tensor> split_with_sizes(const Tensor& x, IntArrayRef split_sizes, int64_t dim = 0);
Tensor one_hot(const Tensor& labels, int64_t num_classes = -1);
// Padding in libtorch's order: pad = {last_left, last_right, prev_left, prev_right, ...}. Only
// mode "constant" is supported (value defaults to 0).
Tensor pad(const Tensor& x, IntArrayRef pad, std::string_view mode = "constant",
           std::optional<double> value = std::nullopt);
Tensor constant_pad_nd(const Tensor& x, IntArrayRef pad, double value = 0);

// ---- neural-network ops (libtorch's names and defaults; tg::nn::functional wraps them) ----
// im2col/col2im (libtorch's unfold/fold on [N, C, H, W]) are primitives and each other's vjp; the
// rest are composed from table-checked ops.
Tensor im2col(const Tensor& input, IntArrayRef kernel_size, IntArrayRef dilation, IntArrayRef padding,
              IntArrayRef stride);
Tensor col2im(const Tensor& input, IntArrayRef output_size, IntArrayRef kernel_size, IntArrayRef dilation,
              IntArrayRef padding, IntArrayRef stride);
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntArrayRef stride = 1,
              IntArrayRef padding = 0, IntArrayRef dilation = 1, int64_t groups = 1);
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntArrayRef stride = 1,
              IntArrayRef padding = 0, IntArrayRef dilation = 1, int64_t groups = 1);
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntArrayRef stride = 1,
                        IntArrayRef padding = 0, IntArrayRef output_padding = 0, int64_t groups = 1,
                        IntArrayRef dilation = 1);
// Indices are positions in each [H*W] plane, as libtorch's.
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size,
                                                   IntArrayRef stride = {}, IntArrayRef padding = 0,
                                                   IntArrayRef dilation = 1, bool ceil_mode = false);
Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {}, IntArrayRef padding = 0,
                  IntArrayRef dilation = 1, bool ceil_mode = false);
Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {}, IntArrayRef padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);
Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size);
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = {});
Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1, bool scale_grad_by_freq = false,
                 bool sparse = false);
Tensor dropout(const Tensor& input, double p, bool train);
// Training mode updates running_mean/running_var in place (unbiased variance), as libtorch's.
Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool cudnn_enabled = false);
Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5, bool cudnn_enable = false);
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5, bool cudnn_enabled = false);

}  // namespace tg
