// tg::nn::functional, as libtorch's torch::nn::functional (usually aliased `namespace F =
// tg::nn::functional;`): stateless forms of the layers and the losses, with libtorch's option
// builders. Every function is composed from table-checked ops; the losses are in the op table too.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tapegrad/nn/options.h"
#include "tapegrad/ops.h"

namespace tg::nn {

// ---------------------------------------------------------------- layer options (shared by modules)
struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  TG_ARG(int64_t, in_features);
  TG_ARG(int64_t, out_features);
  TG_ARG(bool, bias) = true;
};

struct BilinearOptions {
  BilinearOptions(int64_t in1_features, int64_t in2_features, int64_t out_features)
      : in1_features_(in1_features), in2_features_(in2_features), out_features_(out_features) {}
  TG_ARG(int64_t, in1_features);
  TG_ARG(int64_t, in2_features);
  TG_ARG(int64_t, out_features);
  TG_ARG(bool, bias) = true;
};

template <std::size_t D>
struct ConvOptions {
  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TG_ARG(int64_t, in_channels);
  TG_ARG(int64_t, out_channels);
  TG_ARG(ExpandingArray<D>, kernel_size);
  TG_ARG(ExpandingArray<D>, stride) = 1;
  TG_ARG(padding_t<D>, padding) = ExpandingArray<D>(0);
  TG_ARG(ExpandingArray<D>, dilation) = 1;
  TG_ARG(int64_t, groups) = 1;
  TG_ARG(bool, bias) = true;
  TG_ARG(padding_mode_t, padding_mode) = enumtype::kZeros{};
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;

template <std::size_t D>
struct ConvTransposeOptions {
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  TG_ARG(int64_t, in_channels);
  TG_ARG(int64_t, out_channels);
  TG_ARG(ExpandingArray<D>, kernel_size);
  TG_ARG(ExpandingArray<D>, stride) = 1;
  TG_ARG(ExpandingArray<D>, padding) = 0;
  TG_ARG(ExpandingArray<D>, output_padding) = 0;
  TG_ARG(int64_t, groups) = 1;
  TG_ARG(bool, bias) = true;
  TG_ARG(ExpandingArray<D>, dilation) = 1;
};
using ConvTranspose2dOptions = ConvTransposeOptions<2>;

template <std::size_t D>
struct MaxPoolOptions {
  MaxPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  TG_ARG(ExpandingArray<D>, kernel_size);
  TG_ARG(ExpandingArray<D>, stride);
  TG_ARG(ExpandingArray<D>, padding) = 0;
  TG_ARG(ExpandingArray<D>, dilation) = 1;
  TG_ARG(bool, ceil_mode) = false;
};
using MaxPool2dOptions = MaxPoolOptions<2>;

template <std::size_t D>
struct AvgPoolOptions {
  AvgPoolOptions(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {}  // NOLINT
  TG_ARG(ExpandingArray<D>, kernel_size);
  TG_ARG(ExpandingArray<D>, stride);
  TG_ARG(ExpandingArray<D>, padding) = 0;
  TG_ARG(bool, ceil_mode) = false;
  TG_ARG(bool, count_include_pad) = true;
  TG_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;
};
using AvgPool2dOptions = AvgPoolOptions<2>;

struct AdaptiveAvgPool2dOptions {
  AdaptiveAvgPool2dOptions(ExpandingArray<2> output_size) : output_size_(output_size) {}  // NOLINT
  TG_ARG(ExpandingArray<2>, output_size);
};

struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT
  TG_ARG(int64_t, num_features);
  TG_ARG(double, eps) = 1e-5;
  // nullopt: a cumulative moving average (momentum 1 / num_batches_tracked), as PyTorch's None.
  TG_ARG(std::optional<double>, momentum) = 0.1;
  TG_ARG(bool, affine) = true;
  TG_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;

struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape) : normalized_shape_(std::move(normalized_shape)) {}  // NOLINT
  TG_ARG(std::vector<int64_t>, normalized_shape);
  TG_ARG(double, eps) = 1e-5;
  TG_ARG(bool, elementwise_affine) = true;
};

struct GroupNormOptions {
  GroupNormOptions(int64_t num_groups, int64_t num_channels) : num_groups_(num_groups), num_channels_(num_channels) {}
  TG_ARG(int64_t, num_groups);
  TG_ARG(int64_t, num_channels);
  TG_ARG(double, eps) = 1e-5;
  TG_ARG(bool, affine) = true;
};

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT
  TG_ARG(double, p);
  TG_ARG(bool, inplace) = false;
};

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  TG_ARG(int64_t, num_embeddings);
  TG_ARG(int64_t, embedding_dim);
  TG_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};

struct FlattenOptions {
  TG_ARG(int64_t, start_dim) = 1;
  TG_ARG(int64_t, end_dim) = -1;
};

struct UnflattenOptions {
  UnflattenOptions(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  TG_ARG(int64_t, dim);
  TG_ARG(std::vector<int64_t>, sizes);
};

// ---------------------------------------------------------------- activation options
struct ReLUOptions {
  ReLUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT
  TG_ARG(bool, inplace);
};
struct LeakyReLUOptions {
  TG_ARG(double, negative_slope) = 0.01;
  TG_ARG(bool, inplace) = false;
};
struct ELUOptions {
  TG_ARG(double, alpha) = 1.0;
  TG_ARG(bool, inplace) = false;
};
struct GELUOptions {
  TG_ARG(std::string, approximate) = "none";
};
// hardtanh's range (libtorch's HardtanhOptions): min(max(x, min_val), max_val).
struct HardtanhOptions {
  TG_ARG(double, min_val) = -1.0;
  TG_ARG(double, max_val) = 1.0;
  TG_ARG(bool, inplace) = false;
};
struct SoftplusOptions {
  TG_ARG(double, beta) = 1.0;
  TG_ARG(double, threshold) = 20.0;
};
struct SoftmaxOptions {
  SoftmaxOptions(int64_t dim) : dim_(dim) {}  // NOLINT
  TG_ARG(int64_t, dim);
};
using LogSoftmaxOptions = SoftmaxOptions;
// The step (Heaviside) activation of the tutorials: 1 where x >= threshold, else 0; zero gradient.
struct StepOptions {
  TG_ARG(double, threshold) = 0.0;
};

// ---------------------------------------------------------------- loss options
struct MSELossOptions {
  MSELossOptions() = default;
  template <typename R>
  MSELossOptions(R reduction) : reduction_(reduction) {}  // NOLINT
  TG_ARG(reduction_t, reduction) = enumtype::kMean{};
};
using L1LossOptions = MSELossOptions;
struct SmoothL1LossOptions {
  TG_ARG(reduction_t, reduction) = enumtype::kMean{};
  TG_ARG(double, beta) = 1.0;
};
struct HuberLossOptions {
  TG_ARG(reduction_t, reduction) = enumtype::kMean{};
  TG_ARG(double, delta) = 1.0;
};
struct CrossEntropyLossOptions {
  TG_ARG(Tensor, weight) = {};
  TG_ARG(int64_t, ignore_index) = -100;
  TG_ARG(reduction_t, reduction) = enumtype::kMean{};
  TG_ARG(double, label_smoothing) = 0.0;
};
struct NLLLossOptions {
  TG_ARG(Tensor, weight) = {};
  TG_ARG(int64_t, ignore_index) = -100;
  TG_ARG(reduction_t, reduction) = enumtype::kMean{};
};
struct BCELossOptions {
  TG_ARG(Tensor, weight) = {};
  TG_ARG(reduction_t, reduction) = enumtype::kMean{};
};
struct BCEWithLogitsLossOptions {
  TG_ARG(Tensor, weight) = {};
  TG_ARG(reduction_t, reduction) = enumtype::kMean{};
  TG_ARG(Tensor, pos_weight) = {};
};
struct KLDivLossOptions {
  TG_ARG(kldiv_reduction_t, reduction) = enumtype::kMean{};
  TG_ARG(bool, log_target) = false;
};

namespace functional {

// ---------------------------------------------------------------- functional options
template <std::size_t D>
struct ConvFuncOptions {
  TG_ARG(Tensor, bias) = {};
  TG_ARG(ExpandingArray<D>, stride) = 1;
  TG_ARG(padding_t<D>, padding) = ExpandingArray<D>(0);
  TG_ARG(ExpandingArray<D>, dilation) = 1;
  TG_ARG(int64_t, groups) = 1;
};
using Conv1dFuncOptions = ConvFuncOptions<1>;
using Conv2dFuncOptions = ConvFuncOptions<2>;
struct ConvTranspose2dFuncOptions {
  TG_ARG(Tensor, bias) = {};
  TG_ARG(ExpandingArray<2>, stride) = 1;
  TG_ARG(ExpandingArray<2>, padding) = 0;
  TG_ARG(ExpandingArray<2>, output_padding) = 0;
  TG_ARG(int64_t, groups) = 1;
  TG_ARG(ExpandingArray<2>, dilation) = 1;
};
using MaxPool2dFuncOptions = MaxPool2dOptions;
using AvgPool2dFuncOptions = AvgPool2dOptions;
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
struct DropoutFuncOptions {
  TG_ARG(double, p) = 0.5;
  TG_ARG(bool, training) = true;
  TG_ARG(bool, inplace) = false;
};
struct BatchNormFuncOptions {
  TG_ARG(Tensor, weight) = {};
  TG_ARG(Tensor, bias) = {};
  TG_ARG(bool, training) = false;
  TG_ARG(double, momentum) = 0.1;
  TG_ARG(double, eps) = 1e-5;
};
struct LayerNormFuncOptions {
  LayerNormFuncOptions(std::vector<int64_t> normalized_shape)
      : normalized_shape_(std::move(normalized_shape)) {}  // NOLINT
  TG_ARG(std::vector<int64_t>, normalized_shape);
  TG_ARG(Tensor, weight) = {};
  TG_ARG(Tensor, bias) = {};
  TG_ARG(double, eps) = 1e-5;
};
struct GroupNormFuncOptions {
  GroupNormFuncOptions(int64_t num_groups) : num_groups_(num_groups) {}  // NOLINT
  TG_ARG(int64_t, num_groups);
  TG_ARG(Tensor, weight) = {};
  TG_ARG(Tensor, bias) = {};
  TG_ARG(double, eps) = 1e-5;
};
struct EmbeddingFuncOptions {
  TG_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
};
struct UnfoldFuncOptions {
  UnfoldFuncOptions(ExpandingArray<2> kernel_size) : kernel_size_(kernel_size) {}  // NOLINT
  TG_ARG(ExpandingArray<2>, kernel_size);
  TG_ARG(ExpandingArray<2>, dilation) = 1;
  TG_ARG(ExpandingArray<2>, padding) = 0;
  TG_ARG(ExpandingArray<2>, stride) = 1;
};
struct FoldFuncOptions {
  FoldFuncOptions(ExpandingArray<2> output_size, ExpandingArray<2> kernel_size)
      : output_size_(output_size), kernel_size_(kernel_size) {}
  TG_ARG(ExpandingArray<2>, output_size);
  TG_ARG(ExpandingArray<2>, kernel_size);
  TG_ARG(ExpandingArray<2>, dilation) = 1;
  TG_ARG(ExpandingArray<2>, padding) = 0;
  TG_ARG(ExpandingArray<2>, stride) = 1;
};
using ReLUFuncOptions = ReLUOptions;
using LeakyReLUFuncOptions = LeakyReLUOptions;
using ELUFuncOptions = ELUOptions;
using GELUFuncOptions = GELUOptions;
using HardtanhFuncOptions = HardtanhOptions;
using SoftplusFuncOptions = SoftplusOptions;
using SoftmaxFuncOptions = SoftmaxOptions;
using LogSoftmaxFuncOptions = SoftmaxOptions;
using MSELossFuncOptions = MSELossOptions;
using L1LossFuncOptions = L1LossOptions;
using SmoothL1LossFuncOptions = SmoothL1LossOptions;
using HuberLossFuncOptions = HuberLossOptions;
using CrossEntropyFuncOptions = CrossEntropyLossOptions;
using NLLLossFuncOptions = NLLLossOptions;
using BinaryCrossEntropyFuncOptions = BCELossOptions;
using BinaryCrossEntropyWithLogitsFuncOptions = BCEWithLogitsLossOptions;
using KLDivFuncOptions = KLDivLossOptions;

// ---------------------------------------------------------------- layers
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = {});
Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options = {});
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options = {});
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& options = {});
Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& options);
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& options);
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options);
Tensor dropout(const Tensor& input, const DropoutFuncOptions& options = {});
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& options = {});
Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& options);
Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& options);
Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options = {});
Tensor unfold(const Tensor& input, const UnfoldFuncOptions& options);
Tensor fold(const Tensor& input, const FoldFuncOptions& options);

// ---------------------------------------------------------------- activations
Tensor relu(const Tensor& input, const ReLUFuncOptions& options = {});
Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& options = {});
Tensor elu(const Tensor& input, const ELUFuncOptions& options = {});
Tensor gelu(const Tensor& input, const GELUFuncOptions& options = {});
// tg::hardtanh with the options' range; inplace writes the result into input and returns it.
// libtorch: torch::nn::functional::hardtanh.
Tensor hardtanh(const Tensor& input, const HardtanhFuncOptions& options = {});
Tensor softplus(const Tensor& input, const SoftplusFuncOptions& options = {});
Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& options);
Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& options);
Tensor sigmoid(const Tensor& input);
Tensor tanh(const Tensor& input);
Tensor step(const Tensor& input, const StepOptions& options = {});

// ---------------------------------------------------------------- losses (libtorch's formulas)
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& options = {});
Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& options = {});
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& options = {});
Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& options = {});
// target: class indices (Int64, [N] or [N, d...]) or class probabilities (input's shape).
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyFuncOptions& options = {});
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossFuncOptions& options = {});
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target,
                            const BinaryCrossEntropyFuncOptions& options = {});
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& options = {});
Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& options = {});

}  // namespace functional
}  // namespace tg::nn
