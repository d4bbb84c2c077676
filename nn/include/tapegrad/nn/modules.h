// The built-in layers, activations and losses, each an `XImpl` module plus its `X` holder as in
// libtorch (tg::nn::Linear(784, 256), tg::nn::Conv2d(tg::nn::Conv2dOptions(1, 32, 3).padding(1))).
// Parameters are created and initialised as libtorch's reset_parameters() does; forward() checks
// its input and names the module in errors ("fc1 (Linear 784 -> 256): input has 100 features").
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/nn/functional.h"
#include "tapegrad/nn/module.h"

namespace tg::nn {

// Base of the built-in layers: they run their forward hooks themselves.
class BuiltinModule : public Module {
 public:
  explicit BuiltinModule(std::string name) : Module(std::move(name)) { runs_own_hooks_ = true; }
  virtual void reset_parameters() {}
  virtual void reset() { reset_parameters(); }
};

// ---------------------------------------------------------------- dense
class LinearImpl : public BuiltinModule {
 public:
  LinearImpl(int64_t in_features, int64_t out_features) : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options);
  void reset_parameters() override;
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  std::string short_description() const override;
  LinearOptions options;
  Tensor weight, bias;
};
TG_MODULE(Linear);

class BilinearImpl : public BuiltinModule {
 public:
  BilinearImpl(int64_t in1, int64_t in2, int64_t out) : BilinearImpl(BilinearOptions(in1, in2, out)) {}
  explicit BilinearImpl(const BilinearOptions& options);
  void reset_parameters() override;
  Tensor forward(const Tensor& input1, const Tensor& input2);
  void pretty_print(std::ostream& stream) const override;
  std::string short_description() const override;
  BilinearOptions options;
  Tensor weight, bias;
};
TG_MODULE(Bilinear);

// ---------------------------------------------------------------- convolution
template <std::size_t D>
class ConvNdImpl : public BuiltinModule {
 public:
  explicit ConvNdImpl(const ConvOptions<D>& options);
  ConvNdImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : ConvNdImpl(ConvOptions<D>(in_channels, out_channels, kernel_size)) {}
  void reset_parameters() override;
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  std::string short_description() const override;
  ConvOptions<D> options;
  Tensor weight, bias;
};
class Conv1dImpl : public ConvNdImpl<1> {
 public:
  using ConvNdImpl<1>::ConvNdImpl;
};
class Conv2dImpl : public ConvNdImpl<2> {
 public:
  using ConvNdImpl<2>::ConvNdImpl;
};
TG_MODULE(Conv1d);
TG_MODULE(Conv2d);

class ConvTranspose2dImpl : public BuiltinModule {
 public:
  explicit ConvTranspose2dImpl(const ConvTranspose2dOptions& options);
  ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : ConvTranspose2dImpl(ConvTranspose2dOptions(in_channels, out_channels, kernel_size)) {}
  void reset_parameters() override;
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  std::string short_description() const override;
  ConvTranspose2dOptions options;
  Tensor weight, bias;
};
TG_MODULE(ConvTranspose2d);

// ---------------------------------------------------------------- pooling
class MaxPool2dImpl : public BuiltinModule {
 public:
  explicit MaxPool2dImpl(const MaxPool2dOptions& options) : BuiltinModule("MaxPool2d"), options(options) {}
  Tensor forward(const Tensor& input);
  std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  MaxPool2dOptions options;
};
TG_MODULE(MaxPool2d);

class AvgPool2dImpl : public BuiltinModule {
 public:
  explicit AvgPool2dImpl(const AvgPool2dOptions& options) : BuiltinModule("AvgPool2d"), options(options) {}
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  AvgPool2dOptions options;
};
TG_MODULE(AvgPool2d);

class AdaptiveAvgPool2dImpl : public BuiltinModule {
 public:
  explicit AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options)
      : BuiltinModule("AdaptiveAvgPool2d"), options(options) {}
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  AdaptiveAvgPool2dOptions options;
};
TG_MODULE(AdaptiveAvgPool2d);

// ---------------------------------------------------------------- normalisation
class BatchNormImplBase : public BuiltinModule {
 public:
  BatchNormImplBase(std::string name, const BatchNormOptions& options, int64_t dims_low, int64_t dims_high);
  void reset_parameters() override;
  void reset_running_stats();
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  std::string short_description() const override;
  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  int64_t dims_low_, dims_high_;
};
class BatchNorm1dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm1dImpl(const BatchNormOptions& options) : BatchNormImplBase("BatchNorm1d", options, 2, 3) {}
};
class BatchNorm2dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm2dImpl(const BatchNormOptions& options) : BatchNormImplBase("BatchNorm2d", options, 4, 4) {}
};
TG_MODULE(BatchNorm1d);
TG_MODULE(BatchNorm2d);

class LayerNormImpl : public BuiltinModule {
 public:
  explicit LayerNormImpl(const LayerNormOptions& options);
  void reset_parameters() override;
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  LayerNormOptions options;
  Tensor weight, bias;
};
TG_MODULE(LayerNorm);

class GroupNormImpl : public BuiltinModule {
 public:
  explicit GroupNormImpl(const GroupNormOptions& options);
  GroupNormImpl(int64_t num_groups, int64_t num_channels) : GroupNormImpl(GroupNormOptions(num_groups, num_channels)) {}
  void reset_parameters() override;
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  GroupNormOptions options;
  Tensor weight, bias;
};
TG_MODULE(GroupNorm);

// ---------------------------------------------------------------- other layers
class DropoutImpl : public BuiltinModule {
 public:
  explicit DropoutImpl(const DropoutOptions& options = {});
  explicit DropoutImpl(double p) : DropoutImpl(DropoutOptions(p)) {}
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  DropoutOptions options;
};
TG_MODULE(Dropout);

class EmbeddingImpl : public BuiltinModule {
 public:
  explicit EmbeddingImpl(const EmbeddingOptions& options);
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  void reset_parameters() override;
  Tensor forward(const Tensor& indices);
  void pretty_print(std::ostream& stream) const override;
  EmbeddingOptions options;
  Tensor weight;
};
TG_MODULE(Embedding);

class FlattenImpl : public BuiltinModule {
 public:
  explicit FlattenImpl(const FlattenOptions& options = {}) : BuiltinModule("Flatten"), options(options) {}
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  FlattenOptions options;
};
TG_MODULE(Flatten);

class UnflattenImpl : public BuiltinModule {
 public:
  explicit UnflattenImpl(const UnflattenOptions& options) : BuiltinModule("Unflatten"), options(options) {}
  UnflattenImpl(int64_t dim, std::vector<int64_t> sizes) : UnflattenImpl(UnflattenOptions(dim, std::move(sizes))) {}
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  UnflattenOptions options;
};
TG_MODULE(Unflatten);

class IdentityImpl : public BuiltinModule {
 public:
  IdentityImpl() : BuiltinModule("Identity") {}
  Tensor forward(const Tensor& input);
};
TG_MODULE(Identity);

// Wraps a function as a module, for Sequential (libtorch's Functional): Functional(tg::relu).
class FunctionalImpl : public BuiltinModule {
 public:
  using Function = std::function<Tensor(Tensor)>;
  explicit FunctionalImpl(Function function) : BuiltinModule("Functional"), function_(std::move(function)) {}
  template <typename F, typename... Args, typename = std::enable_if_t<(sizeof...(Args) > 0)>>
  FunctionalImpl(F f, Args&&... args)
      : FunctionalImpl(Function([f, args...](Tensor x) { return f(std::move(x), args...); })) {}
  Tensor forward(const Tensor& input);

 private:
  Function function_;
};
TG_MODULE(Functional);

// ---------------------------------------------------------------- activations
#define TG_ACTIVATION_MODULE(Name, OptionsType)                                                      \
  class Name##Impl : public BuiltinModule {                                                          \
   public:                                                                                           \
    explicit Name##Impl(const OptionsType& options = {}) : BuiltinModule(#Name), options(options) {} \
    Tensor forward(const Tensor& input);                                                             \
    void pretty_print(std::ostream& stream) const override;                                          \
    OptionsType options;                                                                             \
  };                                                                                                 \
  TG_MODULE(Name)

TG_ACTIVATION_MODULE(ReLU, ReLUOptions);
TG_ACTIVATION_MODULE(LeakyReLU, LeakyReLUOptions);
TG_ACTIVATION_MODULE(ELU, ELUOptions);
TG_ACTIVATION_MODULE(GELU, GELUOptions);
TG_ACTIVATION_MODULE(Hardtanh, HardtanhOptions);
TG_ACTIVATION_MODULE(Softplus, SoftplusOptions);
TG_ACTIVATION_MODULE(Step, StepOptions);
#undef TG_ACTIVATION_MODULE

class SigmoidImpl : public BuiltinModule {
 public:
  SigmoidImpl() : BuiltinModule("Sigmoid") {}
  Tensor forward(const Tensor& input);
};
TG_MODULE(Sigmoid);
class TanhImpl : public BuiltinModule {
 public:
  TanhImpl() : BuiltinModule("Tanh") {}
  Tensor forward(const Tensor& input);
};
TG_MODULE(Tanh);
class SoftmaxImpl : public BuiltinModule {
 public:
  explicit SoftmaxImpl(const SoftmaxOptions& options) : BuiltinModule("Softmax"), options(options) {}
  explicit SoftmaxImpl(int64_t dim) : SoftmaxImpl(SoftmaxOptions(dim)) {}
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  SoftmaxOptions options;
};
TG_MODULE(Softmax);
class LogSoftmaxImpl : public BuiltinModule {
 public:
  explicit LogSoftmaxImpl(const LogSoftmaxOptions& options) : BuiltinModule("LogSoftmax"), options(options) {}
  explicit LogSoftmaxImpl(int64_t dim) : LogSoftmaxImpl(LogSoftmaxOptions(dim)) {}
  Tensor forward(const Tensor& input);
  void pretty_print(std::ostream& stream) const override;
  LogSoftmaxOptions options;
};
TG_MODULE(LogSoftmax);

// ---------------------------------------------------------------- losses
#define TG_LOSS_MODULE(Name, OptionsType)                                                            \
  class Name##Impl : public BuiltinModule {                                                          \
   public:                                                                                           \
    explicit Name##Impl(const OptionsType& options = {}) : BuiltinModule(#Name), options(options) {} \
    Tensor forward(const Tensor& input, const Tensor& target);                                       \
    OptionsType options;                                                                             \
  };                                                                                                 \
  TG_MODULE(Name)

TG_LOSS_MODULE(MSELoss, MSELossOptions);
TG_LOSS_MODULE(L1Loss, L1LossOptions);
TG_LOSS_MODULE(SmoothL1Loss, SmoothL1LossOptions);
TG_LOSS_MODULE(HuberLoss, HuberLossOptions);
TG_LOSS_MODULE(CrossEntropyLoss, CrossEntropyLossOptions);
TG_LOSS_MODULE(NLLLoss, NLLLossOptions);
TG_LOSS_MODULE(BCELoss, BCELossOptions);
TG_LOSS_MODULE(BCEWithLogitsLoss, BCEWithLogitsLossOptions);
TG_LOSS_MODULE(KLDivLoss, KLDivLossOptions);
#undef TG_LOSS_MODULE

}  // namespace tg::nn
