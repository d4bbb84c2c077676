// Neural-network ops with libtorch's names and argument order (torch::conv2d, torch::max_pool2d,
// ...). Three primitives own a rule; each is one block, its OpDef (name, formula, the state its rule
// reads by name, the rule in Tensor ops) and right after it the forward:
//   im2col [N, C, H, W] -> [N, C*kh*kw, L]   (libtorch's unfold: one column per window position)
//   col2im [N, C*kh*kw, L] -> [N, C, H, W]   (fold: sums overlapping windows back)
//     each other's rule; the window is stored as the named lists kernel_size, dilation, padding, stride
//   max_pool2d [N, C, H, W] -> the window maxima and their indices; its rule scatters the gradient
//     to the saved indices (scatter_add), so it is differentiable twice
// Everything else is composed from table-checked ops, so its gradient comes from the tape:
//   conv2d           = im2col, then one matmul with the [O, C*kh*kw] weight
//   conv_transpose2d = matmul with the weight, then col2im
//   avg_pool2d       = im2col of each plane, sum over the window, divide by the window's count
//   adaptive_avg_pool2d = two matmuls with bin-averaging matrices (exact for uneven bins)
//   batch_norm, layer_norm, group_norm, linear, bilinear, embedding, dropout: pointwise/reduce ops
#include <cmath>
#include <limits>

#include "ops_common.h"
#include "tapegrad/ops.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::variable_list;
using autograd::VjpContext;
using kernels::Window2d;

namespace {

int64_t pick(IntArrayRef v, std::size_t i, const char* op, const char* what) {
  if (v.size() == 1) return v[0];
  if (v.size() == 2) return v[i];
  throw Error(fmt::format("{}: {} must have 1 or 2 elements, got {}", op, what, shape_str(v)));
}

Window2d make_window(const char* op, IntArrayRef kernel, IntArrayRef dilation, IntArrayRef padding,
                     IntArrayRef stride) {
  Window2d w{pick(kernel, 0, op, "kernel_size"), pick(kernel, 1, op, "kernel_size"), pick(dilation, 0, op, "dilation"),
             pick(dilation, 1, op, "dilation"),  pick(padding, 0, op, "padding"),    pick(padding, 1, op, "padding"),
             pick(stride, 0, op, "stride"),      pick(stride, 1, op, "stride")};
  if (w.kh <= 0 || w.kw <= 0)
    throw Error(fmt::format("{}: kernel_size must be positive, got {}", op, shape_str(kernel)));
  if (w.sh <= 0 || w.sw <= 0) throw Error(fmt::format("{}: stride must be positive, got {}", op, shape_str(stride)));
  if (w.dh <= 0 || w.dw <= 0)
    throw Error(fmt::format("{}: dilation must be positive, got {}", op, shape_str(dilation)));
  if (w.ph < 0 || w.pw < 0)
    throw Error(fmt::format("{}: padding must be non-negative, got {}", op, shape_str(padding)));
  return w;
}

// The output size along one dim, with checked arithmetic: padding, dilation and kernel sizes come
// from the user and in + 2p - d(k - 1) - 1 can overflow int64.
int64_t out_size(const char* op, IntArrayRef input_sizes, int64_t in, int64_t k, int64_t d, int64_t p, int64_t s,
                 bool ceil_mode) {
  const int64_t padded = checked_add(in, checked_mul(2, p, op, input_sizes, "the padded input size"), op, input_sizes,
                                     "the padded input size");
  const int64_t reach = checked_add(checked_mul(d, k - 1, op, input_sizes, "the dilated kernel size"), 1, op,
                                    input_sizes, "the dilated kernel size");
  const int64_t span = padded - reach;  // both >= 0 (set_output checks in): cannot overflow
  if (span < 0) return 0;
  int64_t n = (ceil_mode ? span / s + (span % s != 0) : span / s) + 1;
  // libtorch: the last window must start inside the input or the left padding
  if (ceil_mode && (n - 1) > (in + p - 1) / s) --n;
  return n;
}

void set_output(Window2d& w, const char* op, int64_t H, int64_t W, IntArrayRef input_sizes, bool ceil_mode = false) {
  if (H < 0 || W < 0)  // col2im's output_size comes from the user
    throw Error(
        fmt::format("{}: the spatial size [{}, {}] must be non-negative (input {})", op, H, W, shape_str(input_sizes)));
  w.oh = out_size(op, input_sizes, H, w.kh, w.dh, w.ph, w.sh, ceil_mode);
  w.ow = out_size(op, input_sizes, W, w.kw, w.dw, w.pw, w.sw, ceil_mode);
  if (w.oh <= 0 || w.ow <= 0)
    throw Error(
        fmt::format("{}: input {} is too small for kernel [{}, {}] with dilation [{}, {}] and "
                    "padding [{}, {}] (output would be [{}, {}])",
                    op, shape_str(input_sizes), w.kh, w.kw, w.dh, w.dw, w.ph, w.pw, w.oh, w.ow));
  // every count the kernels compute from the window: oh*ow columns, kh*kw offsets per channel
  (void)checked_numel({w.oh, w.ow}, op);
  (void)checked_numel({w.kh, w.kw}, op);
}

// The window as the node's named integer lists (libtorch's argument names), and back.
void save_window(autograd::Recorder r, const Window2d& w) {
  r.ints("kernel_size", {w.kh, w.kw}).ints("dilation", {w.dh, w.dw});
  r.ints("padding", {w.ph, w.pw}).ints("stride", {w.sh, w.sw});
}
Window2d saved_window(const VjpContext& ctx) {
  IntArrayRef k = ctx.ints("kernel_size"), d = ctx.ints("dilation"), p = ctx.ints("padding"), s = ctx.ints("stride");
  return Window2d{k[0], k[1], d[0], d[1], p[0], p[1], s[0], s[1]};
}

// Accepts [C, H, W] (unbatched) as libtorch does: returns the 4-D form and whether it was added.
Tensor batched4d(const Tensor& x, const char* op, bool& unbatched) {
  ops::check_floating(x, op);
  unbatched = x.dim() == 3;
  if (x.dim() != 3 && x.dim() != 4)
    throw Error(
        fmt::format("{}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape {}", op, shape_str(x.sizes())));
  return unbatched ? x.unsqueeze(0) : x;
}

}  // namespace

// ---------------------------------------------------------------- im2col <-> col2im
namespace {
const OpDef kIm2col{.name = "im2col",
                    .formula = "grad_self = col2im(grad, self.sizes[2:], kernel_size, dilation, padding, stride)",
                    .int_lists = {"kernel_size", "dilation", "padding", "stride"},
                    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                      IntArrayRef in = ctx.input_sizes(0);
                      Window2d w = saved_window(ctx);
                      return {col2im(grad, {in[2], in[3]}, {w.kh, w.kw}, {w.dh, w.dw}, {w.ph, w.pw}, {w.sh, w.sw})};
                    }};
}  // namespace

Tensor im2col(const Tensor& input, IntArrayRef kernel_size, IntArrayRef dilation, IntArrayRef padding,
              IntArrayRef stride) {
  bool unbatched = false;
  Tensor x = batched4d(input, "im2col", unbatched);
  Window2d w = make_window("im2col", kernel_size, dilation, padding, stride);
  set_output(w, "im2col", x.size(2), x.size(3), input.sizes());
  Tensor out = kernels::im2col(x, w);
  if (autograd::needs_grad(kIm2col, {&x}, out)) save_window(record(kIm2col, {&x}, out), w);
  return unbatched ? out.squeeze(0) : out;
}

namespace {
const OpDef kCol2im{.name = "col2im",
                    .formula = "grad_self = im2col(grad, kernel_size, dilation, padding, stride)",
                    .int_lists = {"kernel_size", "dilation", "padding", "stride"},
                    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                      Window2d w = saved_window(ctx);
                      return {im2col(grad, {w.kh, w.kw}, {w.dh, w.dw}, {w.ph, w.pw}, {w.sh, w.sw})};
                    }};
}  // namespace

Tensor col2im(const Tensor& input, IntArrayRef output_size, IntArrayRef kernel_size, IntArrayRef dilation,
              IntArrayRef padding, IntArrayRef stride) {
  ops::check_floating(input, "col2im");
  const bool unbatched = input.dim() == 2;
  if (input.dim() != 2 && input.dim() != 3)
    throw Error(
        fmt::format("col2im: expected a 2-D or 3-D input [N, C*kh*kw, L], got shape {}", shape_str(input.sizes())));
  Tensor x = unbatched ? input.unsqueeze(0) : input;
  Window2d w = make_window("col2im", kernel_size, dilation, padding, stride);
  if (output_size.size() != 2)
    throw Error(fmt::format("col2im: output_size must have 2 elements, got {}", shape_str(output_size)));
  const int64_t H = output_size[0], W = output_size[1];
  set_output(w, "col2im", H, W, output_size);
  const int64_t K = w.kh * w.kw;
  if (x.size(1) % K != 0)
    throw Error(fmt::format("col2im: input {} has {} rows, not a multiple of kernel size {}x{} = {}",
                            shape_str(input.sizes()), x.size(1), w.kh, w.kw, K));
  if (x.size(2) != w.oh * w.ow)
    throw Error(
        fmt::format("col2im: input {} has {} columns but output size [{}, {}] with this kernel, "
                    "dilation, padding and stride gives {} x {} = {} blocks",
                    shape_str(input.sizes()), x.size(2), H, W, w.oh, w.ow, w.oh * w.ow));
  Tensor out = kernels::col2im(x, x.size(1) / K, H, W, w);
  if (autograd::needs_grad(kCol2im, {&x}, out)) save_window(record(kCol2im, {&x}, out), w);
  return unbatched ? out.squeeze(0) : out;
}

// ---------------------------------------------------------------- convolution
namespace {

void check_conv(const char* op, const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t groups,
                int64_t weight_in_dim, int64_t spatial) {
  ops::check_floating(weight, op);
  if (weight.dim() != spatial + 2)
    throw Error(fmt::format("{}: weight must be {}-D, got shape {}", op, spatial + 2, shape_str(weight.sizes())));
  if (x.dtype() != weight.dtype())
    throw Error(fmt::format("{}: input ({}) and weight ({}) dtypes differ (shapes {} and {})", op,
                            dtype_name(x.dtype()), dtype_name(weight.dtype()), shape_str(x.sizes()),
                            shape_str(weight.sizes())));
  if (groups <= 0) throw Error(fmt::format("{}: groups must be positive, got {}", op, groups));
  if (weight_in_dim != x.size(1))
    throw Error(fmt::format("{}: input {} has {} channels but weight {} with groups={} expects {}", op,
                            shape_str(x.sizes()), x.size(1), shape_str(weight.sizes()), groups, weight_in_dim));
  if (bias.defined() && (bias.dim() != 1))
    throw Error(fmt::format("{}: bias must be 1-D, got shape {}", op, shape_str(bias.sizes())));
}

// Applies `one_group` to each of `groups` channel blocks of x (dim 1) and weight (dim 0) and
// concatenates the results along dim 1; the whole tensors when groups == 1.
template <typename F>
Tensor per_group(const Tensor& x, const Tensor& weight, int64_t groups, const F& one_group) {
  if (groups == 1) return one_group(x, weight);
  std::vector<Tensor> xs = x.chunk(groups, 1), ws = weight.chunk(groups, 0), outs;
  if (static_cast<int64_t>(xs.size()) != groups || static_cast<int64_t>(ws.size()) != groups)  // 0 channels
    throw Error(fmt::format("convolution: input {} and weight {} cannot be split into {} groups", shape_str(x.sizes()),
                            shape_str(weight.sizes()), groups));
  for (int64_t g = 0; g < groups; ++g) outs.push_back(one_group(xs[g], ws[g]));
  return cat(outs, 1);
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, IntArrayRef padding,
              IntArrayRef dilation, int64_t groups) {
  bool unbatched = false;
  Tensor x = batched4d(input, "conv2d", unbatched);
  ops::check_defined(weight, "conv2d", "weight");
  if (groups <= 0) throw Error(fmt::format("conv2d: groups must be positive, got {}", groups));
  const int64_t weight_in =
      weight.dim() == 4 ? checked_mul(weight.size(1), groups, "conv2d", weight.sizes(), "in_channels * groups") : -1;
  check_conv("conv2d", x, weight, bias, groups, weight_in, 2);
  const int64_t O = weight.size(0), kh = weight.size(2), kw = weight.size(3);
  if (O % groups != 0)
    throw Error(fmt::format("conv2d: out_channels {} (weight {}) is not divisible by groups {}", O,
                            shape_str(weight.sizes()), groups));
  if (bias.defined() && bias.size(0) != O)
    throw Error(fmt::format("conv2d: bias {} does not match {} output channels", shape_str(bias.sizes()), O));
  Window2d w = make_window("conv2d", {kh, kw}, dilation, padding, stride);
  set_output(w, "conv2d", x.size(2), x.size(3), input.sizes());
  const int64_t N = x.size(0);
  auto one_group = [&](const Tensor& xg, const Tensor& wg) {
    Tensor cols = im2col(xg, {kh, kw}, {w.dh, w.dw}, {w.ph, w.pw}, {w.sh, w.sw});  // [N, Cg*kh*kw, L]
    return matmul(wg.reshape({wg.size(0), -1}), cols);                             // [N, Og, L]
  };
  Tensor out = per_group(x, weight, groups, one_group);
  out = out.view({N, O, w.oh, w.ow});
  if (bias.defined()) out = out + bias.view({1, O, 1, 1});
  return unbatched ? out.squeeze(0) : out;
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride, IntArrayRef padding,
              IntArrayRef dilation, int64_t groups) {
  ops::check_floating(input, "conv1d");
  ops::check_defined(weight, "conv1d", "weight");
  if (input.dim() != 2 && input.dim() != 3)
    throw Error(
        fmt::format("conv1d: expected a 2-D [C, L] or 3-D [N, C, L] input, got shape {}", shape_str(input.sizes())));
  if (weight.dim() != 3)
    throw Error(fmt::format("conv1d: weight must be 3-D [out, in/groups, k], got shape {}", shape_str(weight.sizes())));
  auto one = [](IntArrayRef v, const char* what) {
    if (v.size() != 1) throw Error(fmt::format("conv1d: {} must have 1 element, got {}", what, shape_str(v)));
    return v[0];
  };
  const int64_t s = one(stride, "stride"), p = one(padding, "padding"), d = one(dilation, "dilation");
  Tensor out = conv2d(input.unsqueeze(-2), weight.unsqueeze(2), bias, {1, s}, {0, p}, {1, d}, groups);
  return out.squeeze(-2);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntArrayRef stride,
                        IntArrayRef padding, IntArrayRef output_padding, int64_t groups, IntArrayRef dilation) {
  bool unbatched = false;
  Tensor x = batched4d(input, "conv_transpose2d", unbatched);
  ops::check_defined(weight, "conv_transpose2d", "weight");
  check_conv("conv_transpose2d", x, weight, bias, groups, weight.dim() == 4 ? weight.size(0) : -1, 2);
  if (weight.size(0) % groups != 0)
    throw Error(fmt::format("conv_transpose2d: in_channels {} (weight {}) is not divisible by groups {}",
                            weight.size(0), shape_str(weight.sizes()), groups));
  const int64_t Og = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  const int64_t O = checked_mul(Og, groups, "conv_transpose2d", weight.sizes(), "out_channels * groups");
  if (bias.defined() && bias.size(0) != O)
    throw Error(fmt::format("conv_transpose2d: bias {} does not match {} output channels", shape_str(bias.sizes()), O));
  Window2d w = make_window("conv_transpose2d", {kh, kw}, dilation, padding, stride);
  const int64_t oph = pick(output_padding, 0, "conv_transpose2d", "output_padding");
  const int64_t opw = pick(output_padding, 1, "conv_transpose2d", "output_padding");
  if (oph < 0 || opw < 0 || (oph >= w.sh && oph >= w.dh) || (opw >= w.sw && opw >= w.dw))
    throw Error(fmt::format("conv_transpose2d: output_padding {} must be smaller than stride or dilation",
                            shape_str(output_padding)));
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  // (in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1, checked
  auto transposed_size = [&](int64_t in, int64_t stride_, int64_t pad, int64_t dil, int64_t k, int64_t out_pad) {
    const char* op = "conv_transpose2d";
    const IntArrayRef shape = input.sizes();
    const int64_t grown = checked_add(
        checked_mul(in - 1, stride_, op, shape, "the output size"),
        checked_add(checked_mul(dil, k - 1, op, shape, "the output size"), out_pad + 1, op, shape, "the output size"),
        op, shape, "the output size");
    return checked_add(grown, -checked_mul(2, pad, op, shape, "the output size"), op, shape, "the output size");
  };
  const int64_t OH = transposed_size(H, w.sh, w.ph, w.dh, kh, oph);
  const int64_t OW = transposed_size(W, w.sw, w.pw, w.dw, kw, opw);
  if (OH <= 0 || OW <= 0)
    throw Error(fmt::format("conv_transpose2d: output size [{}, {}] is not positive for input {}", OH, OW,
                            shape_str(input.sizes())));
  auto one_group = [&](const Tensor& xg, const Tensor& wg) {
    // [Cg, Og*kh*kw]^T @ [N, Cg, H*W] -> [N, Og*kh*kw, H*W], then fold the windows back
    Tensor cols = matmul(wg.reshape({wg.size(0), -1}).t(), xg.reshape({N, xg.size(1), H * W}));
    return col2im(cols, {OH, OW}, {kh, kw}, {w.dh, w.dw}, {w.ph, w.pw}, {w.sh, w.sw});
  };
  Tensor out = per_group(x, weight, groups, one_group);
  if (bias.defined()) out = out + bias.view({1, O, 1, 1});
  return unbatched ? out.squeeze(0) : out;
}

// ---------------------------------------------------------------- pooling
// max_pool2d: each output is one input element (its window's argmax, stored in indices as a
// position in its [H, W] plane); the gradient goes back there with scatter_add, so the rule is
// differentiable twice.
namespace {
const OpDef kMaxPool2d{.name = "max_pool2d",
                       .formula = "grad_self = zeros(self.sizes), plus grad at indices (scatter_add over each plane)",
                       .saved = {"indices"},
                       .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                         IntArrayRef in = ctx.input_sizes(0);
                         Tensor indices = ctx.saved("indices");
                         const int64_t N = in[0], C = in[1], L = grad.size(2) * grad.size(3);
                         Tensor flat = scatter_add(zeros({N, C, in[2] * in[3]}, grad.dtype()), 2,
                                                   indices.reshape({N, C, L}), grad.reshape({N, C, L}));
                         return {flat.view(in)};
                       }};
}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  bool unbatched = false;
  Tensor x = batched4d(input, "max_pool2d", unbatched);
  Window2d w = make_window("max_pool2d", kernel_size, dilation, padding, stride.empty() ? kernel_size : stride);
  if (w.ph > w.kh / 2 || w.pw > w.kw / 2)  // not 2 * padding > kernel: that may overflow
    throw Error(fmt::format("max_pool2d: padding {} should be at most half of kernel_size {}", shape_str(padding),
                            shape_str(kernel_size)));
  set_output(w, "max_pool2d", x.size(2), x.size(3), input.sizes(), ceil_mode);
  auto [out_base, indices_base] = kernels::max_pool2d(x, w);
  Tensor out = out_base, indices = indices_base;
  if (autograd::needs_grad(kMaxPool2d, {&x}, out)) record(kMaxPool2d, {&x}, out).save("indices", indices);
  if (unbatched) return {out.squeeze(0), indices.squeeze(0)};
  return {out, indices};
}

Tensor max_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return std::get<0>(max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor avg_pool2d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  bool unbatched = false;
  Tensor x = batched4d(input, "avg_pool2d", unbatched);
  Window2d w = make_window("avg_pool2d", kernel_size, {1}, padding, stride.empty() ? kernel_size : stride);
  if (w.ph > w.kh / 2 || w.pw > w.kw / 2)  // not 2 * padding > kernel: that may overflow
    throw Error(fmt::format("avg_pool2d: padding {} should be at most half of kernel_size {}", shape_str(padding),
                            shape_str(kernel_size)));
  if (divisor_override && *divisor_override == 0) throw Error("avg_pool2d: divisor_override must be non-zero");
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  set_output(w, "avg_pool2d", H, W, input.sizes(), ceil_mode);
  // ceil_mode: extra zeros below/right so that im2col's floor division yields the ceil count
  auto extra = [&](int64_t out, int64_t stride_, int64_t kernel, int64_t in, int64_t pad) {
    // (out - 1) * stride + kernel - (in + 2 * pad); every term is at most the padded input (checked)
    const IntArrayRef shape = input.sizes();
    const int64_t reach = checked_add(checked_mul(out - 1, stride_, "avg_pool2d", shape), kernel, "avg_pool2d", shape);
    return std::max<int64_t>(0, reach - (in + 2 * pad));
  };
  const int64_t extra_h = extra(w.oh, w.sh, w.kh, H, w.ph);
  const int64_t extra_w = extra(w.ow, w.sw, w.kw, W, w.pw);
  Tensor planes = x.reshape({N * C, 1, H, W});
  if (extra_h > 0 || extra_w > 0) planes = pad(planes, {0, extra_w, 0, extra_h});
  Tensor sums = im2col(planes, {w.kh, w.kw}, {1, 1}, {w.ph, w.pw}, {w.sh, w.sw}).sum({1});  // [N*C, L]
  // libtorch's divisor for each window (the same for every plane)
  // (small integers: exact in double and after the conversion to the input's dtype)
  Tensor divisor = empty({w.oh * w.ow}, kFloat64);
  double* pd = divisor.data_ptr<double>();
  for (int64_t oy = 0; oy < w.oh; ++oy)
    for (int64_t ox = 0; ox < w.ow; ++ox) {
      int64_t y0 = oy * w.sh - w.ph, x0 = ox * w.sw - w.pw;
      int64_t y1 = std::min(y0 + w.kh, H + w.ph), x1 = std::min(x0 + w.kw, W + w.pw);
      const int64_t pool = (y1 - y0) * (x1 - x0);
      y0 = std::max<int64_t>(y0, 0);
      x0 = std::max<int64_t>(x0, 0);
      y1 = std::min(y1, H);
      x1 = std::min(x1, W);
      int64_t d = divisor_override ? *divisor_override : count_include_pad ? pool : (y1 - y0) * (x1 - x0);
      pd[oy * w.ow + ox] = static_cast<double>(d);
    }
  divisor = divisor.to(x.dtype());
  Tensor out = (sums / divisor).view({N, C, w.oh, w.ow});
  return unbatched ? out.squeeze(0) : out;
}

namespace {
// [out, in] matrix averaging in[start_i, end_i) into out[i], with libtorch's adaptive bins.
Tensor bin_matrix(int64_t in, int64_t out, ScalarType dtype) {
  Tensor m = zeros({out, in}, kFloat64);
  double* p = m.data_ptr<double>();
  for (int64_t i = 0; i < out; ++i) {
    const int64_t start = (i * in) / out, end = ((i + 1) * in + out - 1) / out;
    for (int64_t j = start; j < end; ++j) p[i * in + j] = 1.0 / static_cast<double>(end - start);
  }
  return m.to(dtype);
}
}  // namespace

Tensor adaptive_avg_pool2d(const Tensor& input, IntArrayRef output_size) {
  bool unbatched = false;
  Tensor x = batched4d(input, "adaptive_avg_pool2d", unbatched);
  if (output_size.size() != 1 && output_size.size() != 2)
    throw Error(
        fmt::format("adaptive_avg_pool2d: output_size must have 1 or 2 elements, got {}", shape_str(output_size)));
  const int64_t oh = output_size[0], ow = output_size.size() == 2 ? output_size[1] : output_size[0];
  const int64_t H = x.size(2), W = x.size(3);
  if (oh <= 0 || ow <= 0 || H == 0 || W == 0)
    throw Error(fmt::format("adaptive_avg_pool2d: output_size {} and input {} must be non-empty",
                            shape_str(output_size), shape_str(input.sizes())));
  Tensor out;
  if (H % oh == 0 && W % ow == 0) {
    out = avg_pool2d(x, {H / oh, W / ow}, {H / oh, W / ow});
  } else {
    out = matmul(matmul(bin_matrix(H, oh, x.dtype()), x), bin_matrix(W, ow, x.dtype()).t());
  }
  return unbatched ? out.squeeze(0) : out;
}

// ---------------------------------------------------------------- dense layers
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  ops::check_floating(input, "linear");
  ops::check_defined(weight, "linear", "weight");
  if (weight.dim() != 2)
    throw Error(
        fmt::format("linear: weight must be 2-D [out_features, in_features], got shape {}", shape_str(weight.sizes())));
  if (input.dim() == 0 || input.size(-1) != weight.size(1))
    throw Error(fmt::format("linear: input {} has {} features but weight {} expects {}", shape_str(input.sizes()),
                            input.dim() == 0 ? 0 : input.size(-1), shape_str(weight.sizes()), weight.size(1)));
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    throw Error(
        fmt::format("linear: bias {} does not match weight {}", shape_str(bias.sizes()), shape_str(weight.sizes())));
  if (!bias.defined() || input.dim() == 1) {
    Tensor out = matmul(input, weight.t());
    return bias.defined() ? out + bias : out;
  }
  if (input.dim() == 2) return addmm(bias, input, weight.t());
  // [*, in] -> [*, out]: the leading dims folded into rows of one addmm
  DimVector out_sizes(input.sizes());
  out_sizes[out_sizes.size() - 1] = weight.size(0);
  return addmm(bias, input.reshape({-1, input.size(-1)}), weight.t()).view(out_sizes);
}

Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias) {
  ops::check_floating(input1, "bilinear");
  ops::check_floating(input2, "bilinear");
  ops::check_defined(weight, "bilinear", "weight");
  if (weight.dim() != 3 || input1.dim() == 0 || input2.dim() == 0 || input1.size(-1) != weight.size(1) ||
      input2.size(-1) != weight.size(2))
    throw Error(fmt::format("bilinear: inputs {} and {} do not match weight {} [out, in1, in2]",
                            shape_str(input1.sizes()), shape_str(input2.sizes()), shape_str(weight.sizes())));
  // y[..., o] = sum_ij x1[..., i] W[o, i, j] x2[..., j]
  const int64_t O = weight.size(0), I = weight.size(1), J = weight.size(2);
  Tensor x1 = input1.reshape({-1, I}), x2 = input2.reshape({-1, J});
  Tensor t = matmul(x1, weight.permute({1, 0, 2}).reshape({I, O * J})).view({-1, O, J});  // [B, O, J]
  Tensor y = (t * x2.unsqueeze(1)).sum({2});
  if (bias.defined()) y = y + bias;
  DimVector out_sizes(input1.sizes());
  out_sizes[out_sizes.size() - 1] = O;
  return y.reshape(out_sizes);
}

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx, bool scale_grad_by_freq,
                 bool sparse) {
  ops::check_floating(weight, "embedding");
  ops::check_defined(indices, "embedding", "indices");
  if (weight.dim() != 2)
    throw Error(
        fmt::format("embedding: weight must be 2-D [num_embeddings, dim], got shape {}", shape_str(weight.sizes())));
  if (indices.dtype() != kInt64)
    throw Error(fmt::format("embedding: indices must be Int64, got {} (shape {})", dtype_name(indices.dtype()),
                            shape_str(indices.sizes())));
  if (scale_grad_by_freq || sparse) throw Error("embedding: scale_grad_by_freq and sparse gradients are not supported");
  const int64_t n = weight.size(0);
  Tensor flat = indices.reshape({-1}).contiguous();
  const int64_t* p = flat.data_ptr<int64_t>();
  for (int64_t i = 0; i < flat.numel(); ++i)
    if (p[i] < 0 || p[i] >= n)
      throw Error(fmt::format("embedding: index {} at position {} is out of range for {} embeddings", p[i], i, n));
  Tensor rows = weight.index_select(0, flat);
  if (padding_idx >= 0 && rows.requires_grad()) {
    // the padding row's output is the weight row, but no gradient flows back into it
    rows = where((flat != padding_idx).unsqueeze(1), rows, rows.detach());
  }
  DimVector out_sizes(indices.sizes());
  out_sizes.push_back(weight.size(1));
  return rows.view(out_sizes);
}

Tensor dropout(const Tensor& input, double p, bool train) {
  ops::check_floating(input, "dropout");
  if (p < 0 || p > 1) throw Error(fmt::format("dropout: probability has to be between 0 and 1, but got {}", p));
  if (!train || p == 0) return input;
  if (p == 1) return input * zeros_like(input);
  Tensor keep = (rand_like(input) >= p).to(input.dtype());
  return input * (keep / (1 - p));
}

// ---------------------------------------------------------------- normalisation
Tensor batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, bool /*cudnn_enabled*/) {
  ops::check_floating(input, "batch_norm");
  if (input.dim() < 2)
    throw Error(
        fmt::format("batch_norm: expected at least a 2-D input [N, C, ...], got shape {}", shape_str(input.sizes())));
  const int64_t C = input.size(1);
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var})
    if (t->defined() && (t->dim() != 1 || t->size(0) != C))
      throw Error(fmt::format("batch_norm: input {} has {} channels but a weight/bias/running stat has shape {}",
                              shape_str(input.sizes()), C, shape_str(t->sizes())));
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
  DimVector shape(static_cast<std::size_t>(input.dim()), 1);
  shape[1] = C;
  Tensor mean, var;
  if (training) {
    const int64_t count = input.numel() / std::max<int64_t>(C, 1);
    if (count <= 1)
      throw Error(fmt::format("batch_norm: expected more than 1 value per channel when training, got input {}",
                              shape_str(input.sizes())));
    mean = input.mean(dims, true);
    var = (input - mean).square().mean(dims, true);
    if (running_mean.defined() || running_var.defined()) {
      NoGradGuard guard;
      if (running_mean.defined())
        running_mean.mul_(1 - momentum).add_(mean.detach().view({C}).to(running_mean.dtype()), momentum);
      if (running_var.defined()) {
        Tensor unbiased = var.detach().view({C}) * (static_cast<double>(count) / static_cast<double>(count - 1));
        running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype()), momentum);
      }
    }
  } else {
    if (!running_mean.defined() || !running_var.defined())
      throw Error("batch_norm: running_mean and running_var must be defined in evaluation mode");
    mean = running_mean.view(shape);
    var = running_var.view(shape);
  }
  Tensor y = (input - mean) * (var + eps).rsqrt();
  if (weight.defined()) y = y * weight.view(shape);
  if (bias.defined()) y = y + bias.view(shape);
  return y;
}

Tensor layer_norm(const Tensor& input, IntArrayRef normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps, bool /*cudnn_enable*/) {
  ops::check_floating(input, "layer_norm");
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  bool ok = k >= 1 && input.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i)
    ok = input.size(input.dim() - k + i) == normalized_shape[static_cast<std::size_t>(i)];
  if (!ok)
    throw Error(fmt::format("layer_norm: input {} does not end with normalized_shape {}", shape_str(input.sizes()),
                            shape_str(normalized_shape)));
  for (const Tensor* t : {&weight, &bias})
    if (t->defined() && !(t->sizes() == normalized_shape))
      throw Error(fmt::format("layer_norm: weight/bias shape {} differs from normalized_shape {}",
                              shape_str(t->sizes()), shape_str(normalized_shape)));
  std::vector<int64_t> dims;
  for (int64_t d = input.dim() - k; d < input.dim(); ++d) dims.push_back(d);
  Tensor mean = input.mean(dims, true);
  Tensor centered = input - mean;
  Tensor y = centered * (centered.square().mean(dims, true) + eps).rsqrt();
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps,
                  bool /*cudnn_enabled*/) {
  ops::check_floating(input, "group_norm");
  if (input.dim() < 2)
    throw Error(
        fmt::format("group_norm: expected at least a 2-D input [N, C, ...], got shape {}", shape_str(input.sizes())));
  const int64_t N = input.size(0), C = input.size(1);
  if (num_groups <= 0 || C % num_groups != 0)
    throw Error(fmt::format("group_norm: {} channels (input {}) are not divisible into {} groups", C,
                            shape_str(input.sizes()), num_groups));
  for (const Tensor* t : {&weight, &bias})
    if (t->defined() && (t->dim() != 1 || t->size(0) != C))
      throw Error(fmt::format("group_norm: weight/bias shape {} does not match {} channels", shape_str(t->sizes()), C));
  Tensor g = input.reshape({N, num_groups, -1});
  Tensor centered = g - g.mean({2}, true);
  Tensor y = (centered * (centered.square().mean({2}, true) + eps).rsqrt()).reshape(input.sizes());
  DimVector shape(static_cast<std::size_t>(input.dim()), 1);
  shape[1] = C;
  if (weight.defined()) y = y * weight.view(shape);
  if (bias.defined()) y = y + bias.view(shape);
  return y;
}

namespace ops {
void add_nn_ops(std::vector<const autograd::OpDef*>& out) {
  out.push_back(&kIm2col);
  out.push_back(&kCol2im);
  out.push_back(&kMaxPool2d);
}
}  // namespace ops

}  // namespace tg
