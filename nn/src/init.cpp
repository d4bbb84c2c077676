// tg::nn::init with PyTorch's formulas (torch/nn/init.py).
#include "tapegrad/nn/init.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "tapegrad/ops.h"

namespace tg::nn::init {

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv1D:
    case Nonlinearity::Conv2D:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::ReLU: return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: return std::sqrt(2.0 / (1 + param * param));
    case Nonlinearity::SELU: return 3.0 / 4.0;
  }
  return 1.0;
}

std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor) {
  if (!tensor.defined() || tensor.dim() < 2)
    throw Error(
        fmt::format("init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
                    "(shape {})",
                    tensor.defined() ? shape_str(tensor.sizes()) : "undefined"));
  int64_t receptive = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= tensor.size(d);
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

namespace {
int64_t fan(const Tensor& tensor, FanMode mode) {
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}
void check(const Tensor& t, const char* op) {
  if (!t.defined()) throw Error(fmt::format("{}: tensor is undefined", op));
  if (!t.is_floating_point())
    throw Error(fmt::format("{}: tensor must be floating point, got {}", op, dtype_name(t.dtype())));
}
}  // namespace

Tensor uniform_(const Tensor& tensor, double low, double high) {
  check(tensor, "uniform_");
  NoGradGuard guard;
  return tensor.uniform_(low, high);
}
Tensor normal_(const Tensor& tensor, double mean, double std) {
  check(tensor, "normal_");
  NoGradGuard guard;
  return tensor.normal_(mean, std);
}
Tensor constant_(const Tensor& tensor, double value) {
  check(tensor, "constant_");
  NoGradGuard guard;
  return tensor.fill_(value);
}
Tensor zeros_(const Tensor& tensor) { return constant_(tensor, 0); }
Tensor ones_(const Tensor& tensor) { return constant_(tensor, 1); }
Tensor eye_(const Tensor& tensor) {
  check(tensor, "eye_");
  if (tensor.dim() != 2)
    throw Error(fmt::format("eye_: only 2-D tensors are supported, got shape {}", shape_str(tensor.sizes())));
  NoGradGuard guard;
  return tensor.copy_(eye(tensor.size(0), tensor.size(1), tensor.dtype()));
}
Tensor xavier_uniform_(const Tensor& tensor, double gain) {
  check(tensor, "xavier_uniform_");
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double a = std::sqrt(3.0) * std;
  return uniform_(tensor, -a, a);
}
Tensor xavier_normal_(const Tensor& tensor, double gain) {
  check(tensor, "xavier_normal_");
  const auto [fan_in, fan_out] = _calculate_fan_in_and_fan_out(tensor);
  return normal_(tensor, 0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}
Tensor kaiming_uniform_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  check(tensor, "kaiming_uniform_");
  const int64_t f = fan(tensor, mode);
  if (f == 0) return tensor;  // PyTorch warns and leaves a zero-element tensor alone
  const double std = calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(tensor, -bound, bound);
}
Tensor kaiming_normal_(const Tensor& tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  check(tensor, "kaiming_normal_");
  const int64_t f = fan(tensor, mode);
  if (f == 0) return tensor;
  return normal_(tensor, 0, calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(f)));
}

Tensor orthogonal_(const Tensor& tensor, double gain) {
  check(tensor, "orthogonal_");
  if (tensor.dim() < 2)
    throw Error(fmt::format("orthogonal_: only tensors with 2 or more dimensions are supported, got shape {}",
                            shape_str(tensor.sizes())));
  if (tensor.numel() == 0) return tensor;
  const int64_t rows = tensor.size(0), cols = tensor.numel() / rows;
  // QR of the (transposed if wide) normal sample by modified Gram-Schmidt in float64; the signs of
  // R's diagonal are folded into Q as PyTorch does, so Q is uniformly distributed.
  const bool wide = rows < cols;
  const int64_t m = wide ? cols : rows, n = wide ? rows : cols;  // m >= n
  Tensor sample = randn({m, n}, kFloat64).contiguous();
  std::vector<double> a(sample.data_ptr<double>(), sample.data_ptr<double>() + m * n);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t k = 0; k < j; ++k) {
      double dot = 0;
      for (int64_t i = 0; i < m; ++i) dot += a[i * n + k] * a[i * n + j];
      for (int64_t i = 0; i < m; ++i) a[i * n + j] -= dot * a[i * n + k];
    }
    double norm = 0;
    for (int64_t i = 0; i < m; ++i) norm += a[i * n + j] * a[i * n + j];
    norm = std::sqrt(norm);
    // R's diagonal entry is +norm here, so Q's column already has the sign PyTorch's fix-up gives
    for (int64_t i = 0; i < m; ++i) a[i * n + j] = norm > 0 ? a[i * n + j] / norm : 0.0;
  }
  Tensor q = tensor_from_values(a, {m, n}, kFloat64);
  if (wide) q = q.t();
  NoGradGuard guard;
  tensor.view({rows, cols}).copy_(q * gain);
  return tensor;
}

}  // namespace tg::nn::init
