// tg::nn::init: in-place initialisers with PyTorch's formulas (fan computation, gains, bounds).
// They run without recording and return the tensor, as libtorch's.
#pragma once
#include <string>
#include <tuple>
#include <variant>

#include "tapegrad/tensor.h"

namespace tg::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, Conv1D, Conv2D, Sigmoid, Tanh, ReLU, LeakyReLU, SELU };
// libtorch spells these torch::kFanIn, torch::kReLU; tapegrad takes the enums (and strings).
inline constexpr FanMode kFanIn = FanMode::FanIn;
inline constexpr FanMode kFanOut = FanMode::FanOut;

// PyTorch's calculate_gain (param: negative slope for LeakyReLU, default 0.01).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);
// (fan_in, fan_out) of a weight of at least 2 dims: [out, in, k...] -> (in * prod(k), out * prod(k)).
std::tuple<int64_t, int64_t> _calculate_fan_in_and_fan_out(const Tensor& tensor);

Tensor uniform_(const Tensor& tensor, double low = 0, double high = 1);
Tensor normal_(const Tensor& tensor, double mean = 0, double std = 1);
Tensor constant_(const Tensor& tensor, double value);
Tensor zeros_(const Tensor& tensor);
Tensor ones_(const Tensor& tensor);
Tensor eye_(const Tensor& tensor);
Tensor xavier_uniform_(const Tensor& tensor, double gain = 1.0);
Tensor xavier_normal_(const Tensor& tensor, double gain = 1.0);
Tensor kaiming_uniform_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
Tensor kaiming_normal_(const Tensor& tensor, double a = 0, FanMode mode = FanMode::FanIn,
                       Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
// A (semi-)orthogonal matrix from the QR decomposition of a normal sample, sign-fixed as PyTorch.
Tensor orthogonal_(const Tensor& tensor, double gain = 1.0);

}  // namespace tg::nn::init
