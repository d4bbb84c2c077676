// tg::nn::functional: the option-taking forms of the layer ops, activations, and the losses with
// libtorch's formulas (reductions, weights, ignore_index, label smoothing), all composed from
// table-checked ops.
#include "tapegrad/nn/functional.h"

#include <fmt/format.h>

#include <cmath>
#include <variant>

namespace tg::nn::functional {

namespace {

template <std::size_t D>
std::vector<int64_t> resolve_padding(const padding_t<D>& padding, IntArrayRef kernel, IntArrayRef dilation,
                                     IntArrayRef stride, const char* op, bool& asymmetric_same,
                                     std::vector<int64_t>& pad_spec) {
  std::vector<int64_t> out(D, 0);
  asymmetric_same = false;
  if (const auto* a = std::get_if<ExpandingArray<D>>(&padding)) {
    for (std::size_t i = 0; i < D; ++i) out[i] = (**a)[i];
  } else if (std::holds_alternative<enumtype::kSame>(padding)) {
    for (std::size_t i = 0; i < D; ++i)
      if (stride[i] != 1) throw Error(fmt::format("{}: padding='same' is not supported for strided convolutions", op));
    // total padding d*(k-1); libtorch pads the extra odd element on the right
    pad_spec.assign(2 * D, 0);
    for (std::size_t i = 0; i < D; ++i) {
      const int64_t total = dilation[i] * (kernel[i] - 1);
      out[i] = total / 2;
      if (total % 2 != 0) {
        asymmetric_same = true;
        pad_spec[2 * (D - 1 - i) + 1] = 1;  // F.pad order: last dim first, (left, right)
      }
    }
  }
  return out;
}

enum class Reduction { None, Mean, Sum };
Reduction reduction_of(const reduction_t& r) {
  if (std::holds_alternative<enumtype::kNone>(r)) return Reduction::None;
  if (std::holds_alternative<enumtype::kSum>(r)) return Reduction::Sum;
  return Reduction::Mean;
}
Tensor reduce(const Tensor& loss, Reduction r) {
  switch (r) {
    case Reduction::None: return loss;
    case Reduction::Sum: return loss.sum();
    case Reduction::Mean: return loss.mean();
  }
  return loss;
}

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
  if (!input.defined() || !target.defined()) throw Error(fmt::format("{}: input and target must be defined", op));
  if (!(input.sizes() == target.sizes()))
    throw Error(fmt::format("{}: input {} and target {} must have the same shape", op, shape_str(input.sizes()),
                            shape_str(target.sizes())));
  if (!input.is_floating_point() || !target.is_floating_point())
    throw Error(fmt::format("{}: input and target must be floating point, got {} and {}", op, dtype_name(input.dtype()),
                            dtype_name(target.dtype())));
}

// Checks class-index targets against [N, C, d...] input; returns the per-element class weight
// (0 for ignore_index) and the targets with ignored entries replaced by 0 (safe to gather).
struct ClassTargets {
  Tensor safe;     // Int64, target's shape, ignored -> 0
  Tensor weights;  // input's dtype, target's shape
  Tensor ignored;  // Bool mask
};
ClassTargets class_targets(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
                           int64_t ignore_index) {
  if (target.dtype() != kInt64)
    throw Error(fmt::format("{}: class-index target must be Int64, got {} (shape {})", op, dtype_name(target.dtype()),
                            shape_str(target.sizes())));
  const int64_t C = input.size(1);
  DimVector expected;
  for (int64_t d = 0; d < input.dim(); ++d)
    if (d != 1) expected.push_back(input.size(d));
  if (!(target.sizes() == IntArrayRef(expected)))
    throw Error(fmt::format("{}: target {} does not match input {} (expected target shape {})", op,
                            shape_str(target.sizes()), shape_str(input.sizes()), shape_str(expected)));
  if (weight.defined() && (weight.dim() != 1 || weight.size(0) != C))
    throw Error(
        fmt::format("{}: weight {} must be 1-D with one entry per class ({})", op, shape_str(weight.sizes()), C));
  Tensor t = target.contiguous();
  const int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (p[i] != ignore_index && (p[i] < 0 || p[i] >= C))
      throw Error(fmt::format("{}: target {} at position {} is out of bounds for {} classes", op, p[i], i, C));
  ClassTargets out;
  out.ignored = t == static_cast<double>(ignore_index);
  out.safe = where(out.ignored, 0.0, t.to(kFloat64)).to(kInt64);
  Tensor w = weight.defined()
                 ? weight.detach().to(input.dtype()).index_select(0, out.safe.reshape({-1})).view(t.sizes())
                 : ones(t.sizes(), input.dtype());
  out.weights = where(out.ignored, 0.0, w);
  return out;
}

// [N, C, d...] input, or [C] with a 0-d target (unbatched)
void batch_first(const char* op, Tensor& input, Tensor& target, bool& unbatched) {
  unbatched = false;
  if (!input.defined() || !target.defined()) throw Error(fmt::format("{}: input and target must be defined", op));
  if (!input.is_floating_point())
    throw Error(fmt::format("{}: input must be floating point, got {}", op, dtype_name(input.dtype())));
  if (input.dim() == 1) {
    unbatched = true;
    input = input.unsqueeze(0);
    target = target.dtype() == kInt64 ? target.reshape({1}) : target.unsqueeze(0);
  }
  if (input.dim() < 1 || input.dim() == 0)
    throw Error(fmt::format("{}: input must have a class dimension, got shape {}", op, shape_str(input.sizes())));
}

Tensor nll_from_log_probs(const char* op, const Tensor& logp, const Tensor& target, const Tensor& weight,
                          int64_t ignore_index, Reduction r, Tensor* weight_sum_out = nullptr) {
  ClassTargets ct = class_targets(op, logp, target, weight, ignore_index);
  Tensor picked = logp.gather(1, ct.safe.unsqueeze(1)).squeeze(1);
  Tensor loss = -(picked * ct.weights);
  if (weight_sum_out) *weight_sum_out = ct.weights.sum();
  switch (r) {
    case Reduction::None: return loss;
    case Reduction::Sum: return loss.sum();
    case Reduction::Mean: return loss.sum() / ct.weights.sum();
  }
  return loss;
}

}  // namespace

// ---------------------------------------------------------------- layers
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) { return tg::linear(input, weight, bias); }

Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias) {
  return tg::bilinear(input1, input2, weight, bias);
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& o) {
  bool same_odd = false;
  std::vector<int64_t> pad_spec;
  const int64_t k = weight.defined() && weight.dim() == 3 ? weight.size(2) : 1;
  std::vector<int64_t> padding =
      resolve_padding<1>(o.padding(), {k}, o.dilation(), o.stride(), "conv1d", same_odd, pad_spec);
  Tensor x = same_odd ? tg::pad(input, pad_spec) : input;
  return tg::conv1d(x, weight, o.bias(), o.stride(), padding, o.dilation(), o.groups());
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& o) {
  bool same_odd = false;
  std::vector<int64_t> pad_spec;
  std::vector<int64_t> kernel{1, 1};
  if (weight.defined() && weight.dim() == 4) kernel = {weight.size(2), weight.size(3)};
  std::vector<int64_t> padding =
      resolve_padding<2>(o.padding(), kernel, o.dilation(), o.stride(), "conv2d", same_odd, pad_spec);
  Tensor x = same_odd ? tg::pad(input, pad_spec) : input;
  return tg::conv2d(x, weight, o.bias(), o.stride(), padding, o.dilation(), o.groups());
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& o) {
  return tg::conv_transpose2d(input, weight, o.bias(), o.stride(), o.padding(), o.output_padding(), o.groups(),
                              o.dilation());
}

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return tg::max_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return tg::max_pool2d_with_indices(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}

Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& o) {
  return tg::avg_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                        o.divisor_override());
}

Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& o) {
  return tg::adaptive_avg_pool2d(input, o.output_size());
}

namespace {
// libtorch's inplace=true activations (and dropout) write their result into the input and return it; the copy_
// is recorded, so the gradient still flows through the activation's rule.
Tensor into_input_if(bool inplace, const Tensor& input, const Tensor& out) {
  if (!inplace) return out;
  input.copy_(out);
  return input;
}
}  // namespace

Tensor dropout(const Tensor& input, const DropoutFuncOptions& o) {
  Tensor out = tg::dropout(input, o.p(), o.training());
  return out.is_same(input) ? out : into_input_if(o.inplace(), input, out);
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const BatchNormFuncOptions& o) {
  return tg::batch_norm(input, o.weight(), o.bias(), running_mean, running_var, o.training(), o.momentum(), o.eps());
}

Tensor layer_norm(const Tensor& input, const LayerNormFuncOptions& o) {
  return tg::layer_norm(input, o.normalized_shape(), o.weight(), o.bias(), o.eps());
}

Tensor group_norm(const Tensor& input, const GroupNormFuncOptions& o) {
  return tg::group_norm(input, o.num_groups(), o.weight(), o.bias(), o.eps());
}

Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& o) {
  int64_t padding_idx = -1;
  if (o.padding_idx()) {
    padding_idx = *o.padding_idx();
    if (weight.defined() && weight.dim() == 2) {
      const int64_t n = weight.size(0);
      if (padding_idx < -n || padding_idx >= n)
        throw Error(fmt::format("embedding: padding_idx {} must be within the {} embeddings", padding_idx, n));
      if (padding_idx < 0) padding_idx += n;
    }
  }
  return tg::embedding(weight, input, padding_idx);
}

Tensor unfold(const Tensor& input, const UnfoldFuncOptions& o) {
  return tg::im2col(input, o.kernel_size(), o.dilation(), o.padding(), o.stride());
}

Tensor fold(const Tensor& input, const FoldFuncOptions& o) {
  return tg::col2im(input, o.output_size(), o.kernel_size(), o.dilation(), o.padding(), o.stride());
}

// ---------------------------------------------------------------- activations
Tensor relu(const Tensor& input, const ReLUFuncOptions& o) { return o.inplace() ? input.relu_() : input.relu(); }
Tensor leaky_relu(const Tensor& input, const LeakyReLUFuncOptions& o) {
  return into_input_if(o.inplace(), input, tg::leaky_relu(input, o.negative_slope()));
}
Tensor elu(const Tensor& input, const ELUFuncOptions& o) {
  return into_input_if(o.inplace(), input, tg::elu(input, o.alpha()));
}
Tensor gelu(const Tensor& input, const GELUFuncOptions& o) { return tg::gelu(input, o.approximate()); }
Tensor hardtanh(const Tensor& input, const HardtanhFuncOptions& o) {
  return into_input_if(o.inplace(), input, tg::hardtanh(input, o.min_val(), o.max_val()));
}
Tensor softplus(const Tensor& input, const SoftplusFuncOptions& o) {
  return tg::softplus(input, o.beta(), o.threshold());
}
Tensor softmax(const Tensor& input, const SoftmaxFuncOptions& o) { return tg::softmax(input, o.dim()); }
Tensor log_softmax(const Tensor& input, const LogSoftmaxFuncOptions& o) { return tg::log_softmax(input, o.dim()); }
Tensor sigmoid(const Tensor& input) { return tg::sigmoid(input); }
Tensor tanh(const Tensor& input) { return tg::tanh(input); }
Tensor step(const Tensor& input, const StepOptions& o) { return tg::step(input, o.threshold()); }

// ---------------------------------------------------------------- losses
Tensor mse_loss(const Tensor& input, const Tensor& target, const MSELossFuncOptions& o) {
  check_same_shape("mse_loss", input, target);
  return reduce((input - target).square(), reduction_of(o.reduction()));
}

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossFuncOptions& o) {
  check_same_shape("l1_loss", input, target);
  return reduce((input - target).abs(), reduction_of(o.reduction()));
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossFuncOptions& o) {
  check_same_shape("smooth_l1_loss", input, target);
  if (o.beta() < 0) throw Error(fmt::format("smooth_l1_loss: beta must be non-negative, got {}", o.beta()));
  Tensor d = (input - target).abs();
  if (o.beta() == 0) return reduce(d, reduction_of(o.reduction()));
  Tensor loss = where(d < o.beta(), d.square() * (0.5 / o.beta()), d - 0.5 * o.beta());
  return reduce(loss, reduction_of(o.reduction()));
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossFuncOptions& o) {
  check_same_shape("huber_loss", input, target);
  if (o.delta() <= 0) throw Error(fmt::format("huber_loss: delta must be positive, got {}", o.delta()));
  Tensor d = (input - target).abs();
  Tensor loss = where(d < o.delta(), d.square() * 0.5, (d - 0.5 * o.delta()) * o.delta());
  return reduce(loss, reduction_of(o.reduction()));
}

Tensor nll_loss(const Tensor& input_in, const Tensor& target_in, const NLLLossFuncOptions& o) {
  Tensor input = input_in, target = target_in;
  bool unbatched = false;
  batch_first("nll_loss", input, target, unbatched);
  Tensor out = nll_from_log_probs("nll_loss", input, target, o.weight(), o.ignore_index(), reduction_of(o.reduction()));
  return unbatched && out.dim() > 0 ? out.squeeze(0) : out;
}

Tensor cross_entropy(const Tensor& input_in, const Tensor& target_in, const CrossEntropyFuncOptions& o) {
  Tensor input = input_in, target = target_in;
  bool unbatched = false;
  batch_first("cross_entropy", input, target, unbatched);
  const double eps = o.label_smoothing();
  if (eps < 0 || eps > 1)
    throw Error(fmt::format("cross_entropy: label_smoothing must be between 0.0 and 1.0, got {}", eps));
  const Reduction r = reduction_of(o.reduction());
  const int64_t C = input.size(1);
  Tensor logp = input.log_softmax(1);
  DimVector wshape(static_cast<std::size_t>(input.dim()), 1);
  wshape[1] = C;
  Tensor out;
  if (target.is_floating_point()) {
    // class probabilities
    if (!(target.sizes() == input.sizes()))
      throw Error(fmt::format("cross_entropy: probability target {} must have the input's shape {}",
                              shape_str(target.sizes()), shape_str(input.sizes())));
    if (o.weight().defined() && (o.weight().dim() != 1 || o.weight().size(0) != C))
      throw Error(fmt::format("cross_entropy: weight {} must be 1-D with one entry per class ({})",
                              shape_str(o.weight().sizes()), C));
    Tensor t = eps > 0 ? target * (1 - eps) + eps / static_cast<double>(C) : target;
    Tensor terms = logp * t;
    if (o.weight().defined()) terms = terms * o.weight().view(wshape);
    Tensor loss = -terms.sum({1});
    switch (r) {
      case Reduction::None: out = loss; break;
      case Reduction::Sum: out = loss.sum(); break;
      case Reduction::Mean: out = loss.sum() / static_cast<double>(input.numel() / std::max<int64_t>(C, 1)); break;
    }
  } else {
    Tensor weight_sum;
    Tensor nll = nll_from_log_probs("cross_entropy", logp, target, o.weight(), o.ignore_index(), r, &weight_sum);
    if (eps > 0) {
      Tensor terms = o.weight().defined() ? logp * o.weight().view(wshape) : logp;
      Tensor smooth = where(target == static_cast<double>(o.ignore_index()), 0.0, -terms.sum({1}));
      Tensor smooth_red;
      switch (r) {
        case Reduction::None: smooth_red = smooth; break;
        case Reduction::Sum: smooth_red = smooth.sum(); break;
        case Reduction::Mean:
          smooth_red = o.weight().defined()
                           ? smooth.sum() / weight_sum
                           : smooth.sum() / (target != static_cast<double>(o.ignore_index())).sum().to(input.dtype());
          break;
      }
      out = nll * (1 - eps) + smooth_red * (eps / static_cast<double>(C));
    } else {
      out = nll;
    }
  }
  return unbatched && out.dim() > 0 ? out.squeeze(0) : out;
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BinaryCrossEntropyFuncOptions& o) {
  check_same_shape("binary_cross_entropy", input, target);
  {
    Tensor c = input.detach().to(kFloat64).contiguous();
    const double* p = c.data_ptr<double>();
    for (int64_t i = 0; i < c.numel(); ++i)
      if (!(p[i] >= 0 && p[i] <= 1))
        throw Error(
            fmt::format("binary_cross_entropy: input value {} at position {} is not between 0 and 1 "
                        "(apply sigmoid first, or use binary_cross_entropy_with_logits)",
                        p[i], i));
  }
  // PyTorch clamps each log term at -100 so that 0 * log(0) stays finite
  Tensor loss = -(target * input.log().clamp_min(-100) + (1 - target) * (1 - input).log().clamp_min(-100));
  if (o.weight().defined()) loss = loss * o.weight();
  return reduce(loss, reduction_of(o.reduction()));
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BinaryCrossEntropyWithLogitsFuncOptions& o) {
  check_same_shape("binary_cross_entropy_with_logits", input, target);
  // (1 - t) x + w_pos(t) * (log(1 + exp(-|x|)) + max(-x, 0)), stable for any x
  Tensor softplus_neg = (-input.abs()).exp().log1p() + (-input).clamp_min(0);
  Tensor loss;
  if (o.pos_weight().defined()) {
    Tensor log_weight = (o.pos_weight() - 1) * target + 1;
    loss = (1 - target) * input + log_weight * softplus_neg;
  } else {
    loss = (1 - target) * input + softplus_neg;
  }
  if (o.weight().defined()) loss = loss * o.weight();
  return reduce(loss, reduction_of(o.reduction()));
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivFuncOptions& o) {
  check_same_shape("kl_div", input, target);
  Tensor loss;
  if (o.log_target()) {
    loss = target.exp() * (target - input);
  } else {
    // xlogy(t, t) - t * input, with 0 log 0 = 0 (and no NaN gradient for t = 0)
    Tensor positive = target > 0.0;
    loss = where(positive, target * where(positive, target, 1.0).log(), 0.0) - target * input;
  }
  const auto& r = o.reduction();
  if (std::holds_alternative<enumtype::kNone>(r)) return loss;
  if (std::holds_alternative<enumtype::kSum>(r)) return loss.sum();
  if (std::holds_alternative<enumtype::kBatchMean>(r))
    return input.dim() == 0 ? loss.sum() : loss.sum() / static_cast<double>(input.size(0));
  return loss.mean();
}

}  // namespace tg::nn::functional
