// The built-in modules: parameters and initialisation as libtorch's reset_parameters(), input
// checks that name the module, and forward() through tg::nn::functional (with forward hooks).
#include "tapegrad/nn/modules.h"

#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <variant>

#include "tapegrad/nn/init.h"

namespace tg::nn {

namespace {
std::string bool_str(bool b) { return b ? "true" : "false"; }
template <std::size_t D>
std::string array_str(const ExpandingArray<D>& a) {
  std::string s = "[";
  for (std::size_t i = 0; i < D; ++i) s += (i ? ", " : "") + std::to_string(a[i]);
  return s + "]";
}
// The default initialisation of libtorch's Linear/Conv: kaiming_uniform_(w, a = sqrt(5)) and
// bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void reset_weight_and_bias(const Tensor& weight, const Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto [fan_in, fan_out] = init::_calculate_fan_in_and_fan_out(weight);
    (void)fan_out;
    const double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}
}  // namespace

// ---------------------------------------------------------------- Linear
LinearImpl::LinearImpl(const LinearOptions& options_) : BuiltinModule("Linear"), options(options_) {
  if (options.in_features() < 0 || options.out_features() < 0)
    throw Error(fmt::format("Linear: in_features and out_features must be non-negative, got {} and {}",
                            options.in_features(), options.out_features()));
  weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
  if (options.bias())
    bias = register_parameter("bias", empty({options.out_features()}));
  else
    register_parameter("bias", Tensor(), false);
  reset_parameters();
}
void LinearImpl::reset_parameters() { reset_weight_and_bias(weight, bias); }
std::string LinearImpl::short_description() const {
  return fmt::format("Linear {} -> {}", options.in_features(), options.out_features());
}
Tensor LinearImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined()) fail("input is an undefined tensor");
    if (x.dim() == 0 || x.size(-1) != options.in_features())
      fail(fmt::format("input has {} features (shape {}), expected {}", x.dim() == 0 ? 0 : x.size(-1),
                       shape_str(x.sizes()), options.in_features()));
    if (x.dtype() != weight.dtype())
      fail(fmt::format("input dtype {} differs from the weight's {} (convert the input or call module->to())",
                       dtype_name(x.dtype()), dtype_name(weight.dtype())));
    return tg::linear(x, weight, bias);
  });
}
void LinearImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Linear(in_features=" << options.in_features() << ", out_features=" << options.out_features()
    << ", bias=" << bool_str(options.bias()) << ")";
}

// ---------------------------------------------------------------- Bilinear
BilinearImpl::BilinearImpl(const BilinearOptions& options_) : BuiltinModule("Bilinear"), options(options_) {
  weight =
      register_parameter("weight", empty({options.out_features(), options.in1_features(), options.in2_features()}));
  if (options.bias())
    bias = register_parameter("bias", empty({options.out_features()}));
  else
    register_parameter("bias", Tensor(), false);
  reset_parameters();
}
void BilinearImpl::reset_parameters() {
  const double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(weight.size(1), 1)));
  init::uniform_(weight, -bound, bound);
  if (bias.defined()) init::uniform_(bias, -bound, bound);
}
std::string BilinearImpl::short_description() const {
  return fmt::format("Bilinear {} x {} -> {}", options.in1_features(), options.in2_features(), options.out_features());
}
Tensor BilinearImpl::forward(const Tensor& input1, const Tensor& input2) {
  if (!input1.defined() || !input2.defined()) fail("inputs must be defined");
  if (input1.dim() == 0 || input1.size(-1) != options.in1_features() || input2.dim() == 0 ||
      input2.size(-1) != options.in2_features())
    fail(fmt::format("inputs {} and {} must end with {} and {} features", shape_str(input1.sizes()),
                     shape_str(input2.sizes()), options.in1_features(), options.in2_features()));
  return tg::bilinear(input1, input2, weight, bias);
}
void BilinearImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Bilinear(in1_features=" << options.in1_features() << ", in2_features=" << options.in2_features()
    << ", out_features=" << options.out_features() << ", bias=" << bool_str(options.bias()) << ")";
}

// ---------------------------------------------------------------- Conv1d / Conv2d
template <std::size_t D>
ConvNdImpl<D>::ConvNdImpl(const ConvOptions<D>& options_)
    : BuiltinModule(D == 1 ? "Conv1d" : "Conv2d"), options(options_) {
  const int64_t in = options.in_channels(), out = options.out_channels(), g = options.groups();
  if (in <= 0 || out <= 0 || g <= 0 || in % g != 0 || out % g != 0)
    throw Error(fmt::format("{}: in_channels {} and out_channels {} must be positive and divisible by groups {}",
                            name(), in, out, g));
  if (!std::holds_alternative<enumtype::kZeros>(options.padding_mode()))
    throw Error(fmt::format("{}: only padding_mode kZeros is supported", name()));
  std::vector<int64_t> shape{out, in / g};
  for (std::size_t i = 0; i < D; ++i) shape.push_back(options.kernel_size()[i]);
  weight = register_parameter("weight", tg::empty(shape));
  if (options.bias())
    bias = register_parameter("bias", empty({out}));
  else
    register_parameter("bias", Tensor(), false);
  reset_parameters();
}
template <std::size_t D>
void ConvNdImpl<D>::reset_parameters() {
  reset_weight_and_bias(weight, bias);
}
template <std::size_t D>
std::string ConvNdImpl<D>::short_description() const {
  return fmt::format("{} {} -> {}, kernel {}", name(), options.in_channels(), options.out_channels(),
                     array_str(options.kernel_size()));
}
template <std::size_t D>
Tensor ConvNdImpl<D>::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined()) fail("input is an undefined tensor");
    const int64_t batched = static_cast<int64_t>(D) + 2;
    if (x.dim() != batched && x.dim() != batched - 1)
      fail(fmt::format("expected a {}-D or {}-D input, got shape {}", batched - 1, batched, shape_str(x.sizes())));
    const int64_t channels = x.size(x.dim() - static_cast<int64_t>(D) - 1);
    if (channels != options.in_channels())
      fail(fmt::format("input has {} channels (shape {}), expected {}", channels, shape_str(x.sizes()),
                       options.in_channels()));
    if (x.dtype() != weight.dtype())
      fail(fmt::format("input dtype {} differs from the weight's {}", dtype_name(x.dtype()),
                       dtype_name(weight.dtype())));
    if constexpr (D == 1) {
      return functional::conv1d(x, weight,
                                functional::Conv1dFuncOptions()
                                    .bias(bias)
                                    .stride(options.stride())
                                    .padding(options.padding())
                                    .dilation(options.dilation())
                                    .groups(options.groups()));
    } else {
      return functional::conv2d(x, weight,
                                functional::Conv2dFuncOptions()
                                    .bias(bias)
                                    .stride(options.stride())
                                    .padding(options.padding())
                                    .dilation(options.dilation())
                                    .groups(options.groups()));
    }
  });
}
template <std::size_t D>
void ConvNdImpl<D>::pretty_print(std::ostream& s) const {
  s << "tg::nn::" << name() << "(" << options.in_channels() << ", " << options.out_channels()
    << ", kernel_size=" << array_str(options.kernel_size()) << ", stride=" << array_str(options.stride());
  if (const auto* p = std::get_if<ExpandingArray<D>>(&options.padding())) {
    bool nonzero = false;
    for (std::size_t i = 0; i < D; ++i) nonzero = nonzero || (*p)[i] != 0;
    if (nonzero) s << ", padding=" << array_str(*p);
  } else {
    s << ", padding=" << (std::holds_alternative<enumtype::kSame>(options.padding()) ? "same" : "valid");
  }
  if (options.groups() != 1) s << ", groups=" << options.groups();
  if (!options.bias()) s << ", bias=false";
  s << ")";
}
template class ConvNdImpl<1>;
template class ConvNdImpl<2>;

// ---------------------------------------------------------------- ConvTranspose2d
ConvTranspose2dImpl::ConvTranspose2dImpl(const ConvTranspose2dOptions& options_)
    : BuiltinModule("ConvTranspose2d"), options(options_) {
  const int64_t in = options.in_channels(), out = options.out_channels(), g = options.groups();
  if (in <= 0 || out <= 0 || g <= 0 || in % g != 0 || out % g != 0)
    throw Error(
        fmt::format("ConvTranspose2d: in_channels {} and out_channels {} must be positive and divisible by "
                    "groups {}",
                    in, out, g));
  weight = register_parameter("weight", empty({in, out / g, options.kernel_size()[0], options.kernel_size()[1]}));
  if (options.bias())
    bias = register_parameter("bias", empty({out}));
  else
    register_parameter("bias", Tensor(), false);
  reset_parameters();
}
void ConvTranspose2dImpl::reset_parameters() { reset_weight_and_bias(weight, bias); }
std::string ConvTranspose2dImpl::short_description() const {
  return fmt::format("ConvTranspose2d {} -> {}, kernel {}", options.in_channels(), options.out_channels(),
                     array_str(options.kernel_size()));
}
Tensor ConvTranspose2dImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined()) fail("input is an undefined tensor");
    if (x.dim() != 3 && x.dim() != 4)
      fail(fmt::format("expected a 3-D or 4-D input, got shape {}", shape_str(x.sizes())));
    if (x.size(x.dim() - 3) != options.in_channels())
      fail(fmt::format("input has {} channels (shape {}), expected {}", x.size(x.dim() - 3), shape_str(x.sizes()),
                       options.in_channels()));
    return tg::conv_transpose2d(x, weight, bias, options.stride(), options.padding(), options.output_padding(),
                                options.groups(), options.dilation());
  });
}
void ConvTranspose2dImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::ConvTranspose2d(" << options.in_channels() << ", " << options.out_channels()
    << ", kernel_size=" << array_str(options.kernel_size()) << ", stride=" << array_str(options.stride()) << ")";
}

// ---------------------------------------------------------------- pooling
Tensor MaxPool2dImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined() || (x.dim() != 3 && x.dim() != 4))
      fail(fmt::format("expected a 3-D or 4-D input, got {}", x.defined() ? shape_str(x.sizes()) : "undefined"));
    return functional::max_pool2d(x, options);
  });
}
std::tuple<Tensor, Tensor> MaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, options);
}
void MaxPool2dImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::MaxPool2d(kernel_size=" << array_str(options.kernel_size())
    << ", stride=" << array_str(options.stride()) << ", padding=" << array_str(options.padding())
    << ", dilation=" << array_str(options.dilation()) << ", ceil_mode=" << bool_str(options.ceil_mode()) << ")";
}

Tensor AvgPool2dImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined() || (x.dim() != 3 && x.dim() != 4))
      fail(fmt::format("expected a 3-D or 4-D input, got {}", x.defined() ? shape_str(x.sizes()) : "undefined"));
    return functional::avg_pool2d(x, options);
  });
}
void AvgPool2dImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::AvgPool2d(kernel_size=" << array_str(options.kernel_size())
    << ", stride=" << array_str(options.stride()) << ", padding=" << array_str(options.padding()) << ")";
}

Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined() || (x.dim() != 3 && x.dim() != 4))
      fail(fmt::format("expected a 3-D or 4-D input, got {}", x.defined() ? shape_str(x.sizes()) : "undefined"));
    return functional::adaptive_avg_pool2d(x, options);
  });
}
void AdaptiveAvgPool2dImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::AdaptiveAvgPool2d(output_size=" << array_str(options.output_size()) << ")";
}

// ---------------------------------------------------------------- BatchNorm
BatchNormImplBase::BatchNormImplBase(std::string name, const BatchNormOptions& options_, int64_t dims_low,
                                     int64_t dims_high)
    : BuiltinModule(std::move(name)), options(options_), dims_low_(dims_low), dims_high_(dims_high) {
  const int64_t c = options.num_features();
  if (c <= 0) throw Error(fmt::format("{}: num_features must be positive, got {}", this->name(), c));
  if (options.affine()) {
    weight = register_parameter("weight", empty({c}));
    bias = register_parameter("bias", empty({c}));
  } else {
    register_parameter("weight", Tensor(), false);
    register_parameter("bias", Tensor(), false);
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", zeros({c}));
    running_var = register_buffer("running_var", ones({c}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
  reset_parameters();
}
void BatchNormImplBase::reset_running_stats() {
  if (!options.track_running_stats()) return;
  NoGradGuard guard;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}
void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}
std::string BatchNormImplBase::short_description() const {
  return fmt::format("{} {}", name(), options.num_features());
}
Tensor BatchNormImplBase::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined()) fail("input is an undefined tensor");
    if (x.dim() < dims_low_ || x.dim() > dims_high_)
      fail(dims_low_ == dims_high_ ? fmt::format("expected a {}-D input, got shape {}", dims_low_, shape_str(x.sizes()))
                                   : fmt::format("expected a {}-D or {}-D input, got shape {}", dims_low_, dims_high_,
                                                 shape_str(x.sizes())));
    if (x.size(1) != options.num_features())
      fail(fmt::format("input has {} channels (shape {}), expected {}", x.size(1), shape_str(x.sizes()),
                       options.num_features()));
    const bool use_batch_stats = is_training() || !options.track_running_stats();
    double momentum = options.momentum().value_or(0.0);
    if (is_training() && options.track_running_stats()) {
      NoGradGuard guard;
      num_batches_tracked.add_(1);
      if (!options.momentum()) momentum = 1.0 / static_cast<double>(num_batches_tracked.item<int64_t>());
    }
    return tg::batch_norm(x, weight, bias, is_training() ? running_mean : running_mean, running_var, use_batch_stats,
                          momentum, options.eps());
  });
}
void BatchNormImplBase::pretty_print(std::ostream& s) const {
  s << "tg::nn::" << name() << "(" << options.num_features() << ", eps=" << options.eps() << ", momentum=";
  if (options.momentum())
    s << *options.momentum();
  else
    s << "None";
  s << ", affine=" << bool_str(options.affine()) << ", track_running_stats=" << bool_str(options.track_running_stats())
    << ")";
}

// ---------------------------------------------------------------- LayerNorm / GroupNorm
LayerNormImpl::LayerNormImpl(const LayerNormOptions& options_) : BuiltinModule("LayerNorm"), options(options_) {
  if (options.normalized_shape().empty()) throw Error("LayerNorm: normalized_shape must not be empty");
  if (options.elementwise_affine()) {
    weight = register_parameter("weight", tg::empty(options.normalized_shape()));
    bias = register_parameter("bias", tg::empty(options.normalized_shape()));
  } else {
    register_parameter("weight", Tensor(), false);
    register_parameter("bias", Tensor(), false);
  }
  reset_parameters();
}
void LayerNormImpl::reset_parameters() {
  if (options.elementwise_affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}
Tensor LayerNormImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    return tg::layer_norm(x, options.normalized_shape(), weight, bias, options.eps());
  });
}
void LayerNormImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::LayerNorm(" << shape_str(options.normalized_shape()) << ", eps=" << options.eps()
    << ", elementwise_affine=" << bool_str(options.elementwise_affine()) << ")";
}

GroupNormImpl::GroupNormImpl(const GroupNormOptions& options_) : BuiltinModule("GroupNorm"), options(options_) {
  if (options.num_groups() <= 0 || options.num_channels() % options.num_groups() != 0)
    throw Error(fmt::format("GroupNorm: num_channels {} must be divisible by num_groups {}", options.num_channels(),
                            options.num_groups()));
  if (options.affine()) {
    weight = register_parameter("weight", empty({options.num_channels()}));
    bias = register_parameter("bias", empty({options.num_channels()}));
  } else {
    register_parameter("weight", Tensor(), false);
    register_parameter("bias", Tensor(), false);
  }
  reset_parameters();
}
void GroupNormImpl::reset_parameters() {
  if (options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}
Tensor GroupNormImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined() || x.dim() < 2 || x.size(1) != options.num_channels())
      fail(fmt::format("input {} must have {} channels in dim 1", x.defined() ? shape_str(x.sizes()) : "undefined",
                       options.num_channels()));
    return tg::group_norm(x, options.num_groups(), weight, bias, options.eps());
  });
}
void GroupNormImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::GroupNorm(" << options.num_groups() << ", " << options.num_channels() << ", eps=" << options.eps()
    << ", affine=" << bool_str(options.affine()) << ")";
}

// ---------------------------------------------------------------- Dropout, Embedding, shapes
DropoutImpl::DropoutImpl(const DropoutOptions& options_) : BuiltinModule("Dropout"), options(options_) {
  if (options.p() < 0 || options.p() > 1)
    throw Error(fmt::format("Dropout: probability has to be between 0 and 1, but got {}", options.p()));
}
Tensor DropoutImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    return functional::dropout(
        x, functional::DropoutFuncOptions().p(options.p()).training(is_training()).inplace(options.inplace()));
  });
}
void DropoutImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Dropout(p=" << options.p() << ", inplace=" << bool_str(options.inplace()) << ")";
}

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& options_) : BuiltinModule("Embedding"), options(options_) {
  const int64_t n = options.num_embeddings();
  if (n <= 0 || options.embedding_dim() <= 0)
    throw Error(
        fmt::format("Embedding: num_embeddings {} and embedding_dim {} must be positive", n, options.embedding_dim()));
  if (options.padding_idx()) {
    int64_t p = *options.padding_idx();
    if (p < -n || p >= n) throw Error(fmt::format("Embedding: padding_idx {} must be within num_embeddings {}", p, n));
    if (p < 0) options.padding_idx(p + n);
  }
  weight = register_parameter("weight", empty({n, options.embedding_dim()}));
  reset_parameters();
}
void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (options.padding_idx()) {
    NoGradGuard guard;
    weight[*options.padding_idx()].fill_(0);
  }
}
Tensor EmbeddingImpl::forward(const Tensor& indices) {
  return call_with_hooks(indices, [&](const Tensor& x) {
    if (!x.defined() || x.dtype() != kInt64)
      fail(fmt::format("indices must be an Int64 tensor, got {}", x.defined() ? dtype_name(x.dtype()) : "undefined"));
    return functional::embedding(x, weight, functional::EmbeddingFuncOptions().padding_idx(options.padding_idx()));
  });
}
void EmbeddingImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Embedding(num_embeddings=" << options.num_embeddings() << ", embedding_dim=" << options.embedding_dim();
  if (options.padding_idx()) s << ", padding_idx=" << *options.padding_idx();
  s << ")";
}

Tensor FlattenImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return x.flatten(options.start_dim(), options.end_dim()); });
}
void FlattenImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Flatten(start_dim=" << options.start_dim() << ", end_dim=" << options.end_dim() << ")";
}

Tensor UnflattenImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) {
    if (!x.defined() || x.dim() == 0) fail("input must have at least one dimension");
    const int64_t dim = options.dim() < 0 ? options.dim() + x.dim() : options.dim();
    if (dim < 0 || dim >= x.dim())
      fail(fmt::format("dim {} is out of range for input {}", options.dim(), shape_str(x.sizes())));
    int64_t product = 1;
    for (int64_t s : options.sizes()) product *= s;
    if (product != x.size(dim))
      fail(fmt::format("sizes {} do not multiply to {} (dim {} of input {})", shape_str(options.sizes()), x.size(dim),
                       dim, shape_str(x.sizes())));
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < x.dim(); ++d) {
      if (d == dim)
        shape.insert(shape.end(), options.sizes().begin(), options.sizes().end());
      else
        shape.push_back(x.size(d));
    }
    return x.reshape(shape);
  });
}
void UnflattenImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Unflatten(dim=" << options.dim() << ", unflattened_size=" << shape_str(options.sizes()) << ")";
}

Tensor IdentityImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [](const Tensor& x) { return x; });
}
Tensor FunctionalImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return function_(x); });
}

// ---------------------------------------------------------------- activations
Tensor ReLUImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return functional::relu(x, options); });
}
void ReLUImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::ReLU(" << (options.inplace() ? "inplace=true" : "") << ")";
}
Tensor LeakyReLUImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return functional::leaky_relu(x, options); });
}
void LeakyReLUImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::LeakyReLU(negative_slope=" << options.negative_slope() << ")";
}
Tensor ELUImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return functional::elu(x, options); });
}
void ELUImpl::pretty_print(std::ostream& s) const { s << "tg::nn::ELU(alpha=" << options.alpha() << ")"; }
Tensor GELUImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return functional::gelu(x, options); });
}
void GELUImpl::pretty_print(std::ostream& s) const { s << "tg::nn::GELU(approximate=" << options.approximate() << ")"; }
Tensor HardtanhImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return functional::hardtanh(x, options); });
}
void HardtanhImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Hardtanh(min_val=" << options.min_val() << ", max_val=" << options.max_val() << ")";
}
Tensor SoftplusImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return functional::softplus(x, options); });
}
void SoftplusImpl::pretty_print(std::ostream& s) const {
  s << "tg::nn::Softplus(beta=" << options.beta() << ", threshold=" << options.threshold() << ")";
}
Tensor StepImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return functional::step(x, options); });
}
void StepImpl::pretty_print(std::ostream& s) const { s << "tg::nn::Step(threshold=" << options.threshold() << ")"; }
Tensor SigmoidImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [](const Tensor& x) { return x.sigmoid(); });
}
Tensor TanhImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [](const Tensor& x) { return x.tanh(); });
}
Tensor SoftmaxImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return x.softmax(options.dim()); });
}
void SoftmaxImpl::pretty_print(std::ostream& s) const { s << "tg::nn::Softmax(dim=" << options.dim() << ")"; }
Tensor LogSoftmaxImpl::forward(const Tensor& input) {
  return call_with_hooks(input, [&](const Tensor& x) { return x.log_softmax(options.dim()); });
}
void LogSoftmaxImpl::pretty_print(std::ostream& s) const { s << "tg::nn::LogSoftmax(dim=" << options.dim() << ")"; }

// ---------------------------------------------------------------- losses
Tensor MSELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::mse_loss(input, target, options);
}
Tensor L1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::l1_loss(input, target, options);
}
Tensor SmoothL1LossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::smooth_l1_loss(input, target, options);
}
Tensor HuberLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::huber_loss(input, target, options);
}
Tensor CrossEntropyLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::cross_entropy(input, target, options);
}
Tensor NLLLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::nll_loss(input, target, options);
}
Tensor BCELossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy(input, target, options);
}
Tensor BCEWithLogitsLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::binary_cross_entropy_with_logits(input, target, options);
}
Tensor KLDivLossImpl::forward(const Tensor& input, const Tensor& target) {
  return functional::kl_div(input, target, options);
}

}  // namespace tg::nn
