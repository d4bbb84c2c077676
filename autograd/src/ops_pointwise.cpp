// Pointwise ops. Each primitive is one block: its OpDef (name, formula, the state its rule reads by
// name, the rule in Tensor ops) and right after it the forward, which checks its inputs, calls the
// kernel and records a node when an input requires grad. Composite ops at the end are built from
// primitives and get their gradients from the tape.
#include <cmath>
#include <limits>
#include <numbers>

#include "ops_common.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::variable_list;
using autograd::VjpContext;
using kernels::Binary;
using kernels::Unary;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor unary_float(const Tensor& x, Unary op, const char* name, double a = 0, double b = 0) {
  ops::check_floating(x, name);
  return kernels::unary(x, op, a, b);
}

// Arithmetic ops accept int64 and bool (promoted); float-only ops check above.
Tensor binary_checked(const Tensor& a, const Tensor& b, Binary op, const char* name, double alpha = 1) {
  ops::check_defined(a, name, "first input");
  ops::check_defined(b, name, "second input");
  if (!a.sizes().equals(b.sizes())) kernels::broadcast_shape(a.sizes(), b.sizes(), name);
  return kernels::binary(a, b, op, alpha);
}

// Records a one-input op, saving what its OpDef names: "self" (the input) and/or "result".
Tensor recorded(const OpDef& def, const Tensor& self, Tensor out) {
  if (!autograd::needs_grad(def, {&self}, out)) return out;
  autograd::Recorder r = record(def, {&self}, out);
  if (autograd::op_slot(def.saved, "self") >= 0) r.save("self", self);
  if (autograd::op_slot(def.saved, "result") >= 0) r.save("result", out);
  return out;
}

}  // namespace

// ================================================================ arithmetic

// ---------------------------------------------------------------- add, sub: self +- alpha other
namespace {
variable_list add_vjp(const VjpContext& ctx, const Tensor& grad) {
  const double alpha = ctx.arg("alpha");
  return {grad, ctx.needs_input_grad(1) ? (alpha == 1 ? grad : grad * alpha) : Tensor()};
}
// sub keeps the user's alpha, so that its formula reads as written when a tool puts the numbers in
variable_list sub_vjp(const VjpContext& ctx, const Tensor& grad) {
  const double alpha = ctx.arg("alpha");
  return {grad, ctx.needs_input_grad(1) ? (alpha == 1 ? -grad : grad * -alpha) : Tensor()};
}
const OpDef kAdd{
    .name = "add", .formula = "grad_self = grad;  grad_other = alpha * grad", .scalars = {"alpha"}, .vjp = &add_vjp};
const OpDef kSub{
    .name = "sub", .formula = "grad_self = grad;  grad_other = -alpha * grad", .scalars = {"alpha"}, .vjp = &sub_vjp};
}  // namespace

Tensor add(const Tensor& self, const Tensor& other, double alpha) {
  Tensor out = binary_checked(self, other, alpha == 1 ? Binary::Add : Binary::AddScaled, "add", alpha);
  if (autograd::needs_grad(kAdd, {&self, &other}, out)) record(kAdd, {&self, &other}, out).arg("alpha", alpha);
  return out;
}

Tensor sub(const Tensor& self, const Tensor& other, double alpha) {
  if (self.defined() && other.defined() && self.dtype() == kBool && other.dtype() == kBool)
    throw Error("sub: subtraction of two Bool tensors is not supported (use logical_xor or ne)");
  Tensor out = binary_checked(self, other, alpha == 1 ? Binary::Sub : Binary::AddScaled, "sub", -alpha);
  if (autograd::needs_grad(kSub, {&self, &other}, out)) record(kSub, {&self, &other}, out).arg("alpha", alpha);
  return out;
}

// ---------------------------------------------------------------- mul: d(self other)
namespace {
const OpDef kMul{.name = "mul",
                 .formula = "grad_self = grad * other;  grad_other = grad * self",
                 .saved = {"self", "other"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   return {ctx.needs_input_grad(0) ? grad * ctx.saved("other") : Tensor(),
                           ctx.needs_input_grad(1) ? grad * ctx.saved("self") : Tensor()};
                 }};
}  // namespace

Tensor mul(const Tensor& self, const Tensor& other) {
  Tensor out = binary_checked(self, other, Binary::Mul, "mul");
  if (autograd::needs_grad(kMul, {&self, &other}, out))
    record(kMul, {&self, &other}, out).save("self", self).save("other", other);
  return out;
}

// ---------------------------------------------------------------- div: d(self / other)
namespace {
const OpDef kDiv{.name = "div",
                 .formula = "grad_self = grad / other;  grad_other = -grad * self / other^2",
                 .saved = {"self", "other"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   Tensor other = ctx.saved("other");
                   return {ctx.needs_input_grad(0) ? grad / other : Tensor(),
                           ctx.needs_input_grad(1) ? -grad * ctx.saved("self") / (other * other) : Tensor()};
                 }};
}  // namespace

Tensor div(const Tensor& self, const Tensor& other) {
  ops::check_defined(self, "div", "first input");
  ops::check_defined(other, "div", "second input");
  // true division: integer inputs give the default float dtype, as libtorch
  if (!is_floating_point(self.dtype()) && !is_floating_point(other.dtype()))
    return div(self.to(kFloat32), other.to(kFloat32));
  Tensor out = binary_checked(self, other, Binary::Div, "div");
  if (autograd::needs_grad(kDiv, {&self, &other}, out))
    record(kDiv, {&self, &other}, out).save("self", self).save("other", other);
  return out;
}

// ---------------------------------------------------------------- with a scalar: self + other, self * other, self /
// other
namespace {
const OpDef kAddScalar{.name = "add_scalar",
                       .formula = "grad_self = grad",
                       .vjp = [](const VjpContext&, const Tensor& grad) -> variable_list { return {grad}; }};
const OpDef kMulScalar{
    .name = "mul_scalar",
    .formula = "grad_self = grad * other",
    .scalars = {"other"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {grad * ctx.arg("other")}; }};
const OpDef kDivScalar{
    .name = "div_scalar",
    .formula = "grad_self = grad / other",
    .scalars = {"other"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {grad / ctx.arg("other")}; }};
}  // namespace

Tensor add(const Tensor& self, double other, double alpha) {
  ops::check_defined(self, "add");
  double value = other * alpha;
  ScalarType dtype = ops::scalar_result_dtype(self, value);
  Tensor x = self.dtype() == dtype ? self : self.to(dtype);
  Tensor out = kernels::unary(x, Unary::AddScalar, value);
  if (autograd::needs_grad(kAddScalar, {&self}, out)) record(kAddScalar, {&self}, out);
  return out;
}

Tensor sub(const Tensor& self, double other, double alpha) { return add(self, -other, alpha); }

Tensor mul(const Tensor& self, double other) {
  ops::check_defined(self, "mul");
  ScalarType dtype = ops::scalar_result_dtype(self, other);
  Tensor x = self.dtype() == dtype ? self : self.to(dtype);
  Tensor out = kernels::unary(x, Unary::MulScalar, other);
  if (autograd::needs_grad(kMulScalar, {&self}, out)) record(kMulScalar, {&self}, out).arg("other", other);
  return out;
}

Tensor div(const Tensor& self, double other) {
  ops::check_defined(self, "div");
  Tensor x = is_floating_point(self.dtype()) ? self : self.to(kFloat32);
  Tensor out = kernels::binary(x, scalar_tensor(other, x.dtype()), Binary::Div);
  if (autograd::needs_grad(kDivScalar, {&self}, out)) record(kDivScalar, {&self}, out).arg("other", other);
  return out;
}

Tensor rsub(const Tensor& self, double other) { return add(neg(self), other); }

// ---------------------------------------------------------------- neg
namespace {
const OpDef kNeg{.name = "neg",
                 .formula = "grad_self = -grad",
                 .vjp = [](const VjpContext&, const Tensor& grad) -> variable_list { return {-grad}; }};
}  // namespace

Tensor neg(const Tensor& self) {
  ops::check_not_bool(self, "neg");
  return recorded(kNeg, self, kernels::unary(self, Unary::Neg));
}

// ---------------------------------------------------------------- pow(self, exponent), a number exponent
// Exponent 0 has gradient 0 everywhere (also at self = 0, where exponent * self^(exponent-1) is 0 * inf).
namespace {
const OpDef kPow{.name = "pow",
                 .formula = "grad_self = grad * exponent * self^(exponent - 1)  (0 if exponent == 0)",
                 .saved = {"self"},
                 .scalars = {"exponent"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   const double p = ctx.arg("exponent");
                   if (p == 0) return {zeros_like(grad)};
                   return {grad * (pow(ctx.saved("self"), p - 1) * p)};
                 }};
}  // namespace

Tensor pow(const Tensor& self, double exponent) {
  Tensor out = unary_float(self, Unary::PowScalar, "pow", exponent);
  if (autograd::needs_grad(kPow, {&self}, out)) record(kPow, {&self}, out).save("self", self).arg("exponent", exponent);
  return out;
}

// ---------------------------------------------------------------- pow(self, exponent), a tensor exponent
// As libtorch: grad_self is 0 where exponent == 0 (even at self == 0), grad_exponent is 0 where
// self == 0 and exponent >= 0 (the limit of self^exponent log self). The untaken branches are kept
// finite (exponent 1 in place of 0, log 1 in place of log 0), so that second derivatives are not NaN.
namespace {
const OpDef kPowTensor{.name = "pow_tensor",
                       .formula =
                           "grad_self = grad * exponent * self^(exponent - 1)  (0 where exponent == 0);  "
                           "grad_exponent = grad * result * log(self)  (0 where self == 0 and exponent >= 0)",
                       .saved = {"self", "exponent", "result"},
                       .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                         Tensor self = ctx.saved("self"), exponent = ctx.saved("exponent");
                         Tensor grad_self, grad_exponent;
                         if (ctx.needs_input_grad(0)) {
                           Tensor zero_exp = exponent == 0.0;
                           Tensor safe_exp = where(zero_exp, 1.0, exponent);
                           grad_self = where(zero_exp, 0.0, grad * exponent * pow(self, safe_exp - 1.0));
                         }
                         if (ctx.needs_input_grad(1)) {
                           Tensor at_zero = logical_and(self == 0.0, exponent >= 0.0);
                           Tensor safe_log = log(where(at_zero, 1.0, self));
                           grad_exponent = where(at_zero, 0.0, grad * ctx.saved("result") * safe_log);
                         }
                         return {grad_self, grad_exponent};
                       }};
}  // namespace

Tensor pow(const Tensor& self, const Tensor& exponent) {
  ops::check_floating(self, "pow");
  ops::check_defined(exponent, "pow", "exponent");
  Tensor out = binary_checked(self, exponent, Binary::Pow, "pow");
  if (autograd::needs_grad(kPowTensor, {&self, &exponent}, out))
    record(kPowTensor, {&self, &exponent}, out).save("self", self).save("exponent", exponent).save("result", out);
  return out;
}

Tensor pow(double self, const Tensor& exponent) {
  ops::check_floating(exponent, "pow");
  return pow(full_like(exponent, self), exponent);
}

// ================================================================ elementary functions
namespace {
const OpDef kExp{
    .name = "exp",
    .formula = "grad_self = grad * result",
    .saved = {"result"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {grad * ctx.saved("result")}; }};
const OpDef kLog{
    .name = "log",
    .formula = "grad_self = grad / self",
    .saved = {"self"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {grad / ctx.saved("self")}; }};
const OpDef kLog1p{.name = "log1p",
                   .formula = "grad_self = grad / (self + 1)",
                   .saved = {"self"},
                   .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                     return {grad / (ctx.saved("self") + 1.0)};
                   }};
const OpDef kSqrt{.name = "sqrt",
                  .formula = "grad_self = grad / (2 * result)",
                  .saved = {"result"},
                  .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                    return {grad / (ctx.saved("result") * 2.0)};
                  }};
// rsqrt(x) = x^(-1/2), so its derivative is -1/2 x^(-3/2) = -1/2 result^3
const OpDef kRsqrt{.name = "rsqrt",
                   .formula = "grad_self = -0.5 * grad * result^3",
                   .saved = {"result"},
                   .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                     Tensor result = ctx.saved("result");
                     return {grad * (result * result * result) * -0.5};
                   }};
const OpDef kAbs{
    .name = "abs",
    .formula = "grad_self = grad * sign(self)",
    .saved = {"self"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {grad * sign(ctx.saved("self"))}; }};
const OpDef kSin{
    .name = "sin",
    .formula = "grad_self = grad * cos(self)",
    .saved = {"self"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {grad * cos(ctx.saved("self"))}; }};
const OpDef kCos{
    .name = "cos",
    .formula = "grad_self = -grad * sin(self)",
    .saved = {"self"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {-grad * sin(ctx.saved("self"))}; }};
const OpDef kErf{.name = "erf",
                 .formula = "grad_self = grad * 2/sqrt(pi) * exp(-self^2)",
                 .saved = {"self"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   Tensor self = ctx.saved("self");
                   return {grad * exp(-(self * self)) * (2.0 / std::sqrt(std::numbers::pi))};
                 }};

// sign, step and heaviside are flat almost everywhere: zero gradient, as libtorch's sign.
variable_list zero_vjp(const VjpContext& ctx, const Tensor&) {
  variable_list out;
  for (std::size_t i = 0; i < ctx.node().input_meta().size(); ++i)
    out.push_back(ctx.needs_input_grad(i) ? zeros(ctx.input_sizes(i), ctx.input(i).dtype) : Tensor());
  return out;
}
const OpDef kSign{.name = "sign", .formula = "grad_self = 0", .vjp = &zero_vjp};
const OpDef kStep{.name = "step", .formula = "grad_self = 0", .vjp = &zero_vjp};
const OpDef kHeaviside{.name = "heaviside", .formula = "grad_self = 0;  grad_values = 0", .vjp = &zero_vjp};
}  // namespace

Tensor exp(const Tensor& self) { return recorded(kExp, self, unary_float(self, Unary::Exp, "exp")); }
Tensor log(const Tensor& self) { return recorded(kLog, self, unary_float(self, Unary::Log, "log")); }
Tensor log1p(const Tensor& self) { return recorded(kLog1p, self, unary_float(self, Unary::Log1p, "log1p")); }
Tensor sqrt(const Tensor& self) { return recorded(kSqrt, self, unary_float(self, Unary::Sqrt, "sqrt")); }
Tensor rsqrt(const Tensor& self) { return recorded(kRsqrt, self, unary_float(self, Unary::Rsqrt, "rsqrt")); }
Tensor sin(const Tensor& self) { return recorded(kSin, self, unary_float(self, Unary::Sin, "sin")); }
Tensor cos(const Tensor& self) { return recorded(kCos, self, unary_float(self, Unary::Cos, "cos")); }
Tensor erf(const Tensor& self) { return recorded(kErf, self, unary_float(self, Unary::Erf, "erf")); }
Tensor abs(const Tensor& self) {
  ops::check_not_bool(self, "abs");
  return recorded(kAbs, self, kernels::unary(self, Unary::Abs));
}
Tensor sign(const Tensor& self) {
  ops::check_not_bool(self, "sign");
  return recorded(kSign, self, kernels::unary(self, Unary::Sign));
}
Tensor step(const Tensor& self, double threshold) {
  return recorded(kStep, self, unary_float(self, Unary::Step, "step", threshold));
}
Tensor heaviside(const Tensor& self, const Tensor& values) {
  ops::check_not_bool(self, "heaviside");
  Tensor out = binary_checked(self, values, Binary::Heaviside, "heaviside");
  if (autograd::needs_grad(kHeaviside, {&self, &values}, out)) record(kHeaviside, {&self, &values}, out);
  return out;
}

// ================================================================ activations and their fused backwards
// Each activation's rule calls a fused backward op (libtorch's names), itself a recorded,
// differentiable op, so the rule costs one pass over memory and create_graph still works.

// ---------------------------------------------------------------- tanh
namespace {
const OpDef kTanhBackward{
    .name = "tanh_backward",
    .formula = "grad_grad_output = grad * (1 - output^2);  grad_output = -2 * grad * grad_output * output",
    .saved = {"grad_output", "output"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
      Tensor output = ctx.saved("output");
      return {ctx.needs_input_grad(0) ? tanh_backward(grad, output) : Tensor(),
              ctx.needs_input_grad(1) ? grad * ctx.saved("grad_output") * output * -2.0 : Tensor()};
    }};
const OpDef kTanh{.name = "tanh",
                  .formula = "grad_self = grad * (1 - result^2)",
                  .saved = {"result"},
                  .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                    return {tanh_backward(grad, ctx.saved("result"))};
                  }};
}  // namespace

Tensor tanh_backward(const Tensor& grad_output, const Tensor& output) {
  Tensor out = binary_checked(grad_output, output, Binary::TanhBackward, "tanh_backward");
  if (autograd::needs_grad(kTanhBackward, {&grad_output, &output}, out))
    record(kTanhBackward, {&grad_output, &output}, out).save("grad_output", grad_output).save("output", output);
  return out;
}
Tensor tanh(const Tensor& self) { return recorded(kTanh, self, unary_float(self, Unary::Tanh, "tanh")); }

// ---------------------------------------------------------------- sigmoid
namespace {
const OpDef kSigmoidBackward{
    .name = "sigmoid_backward",
    .formula = "grad_grad_output = grad * output * (1 - output);  grad_output = grad * grad_output * (1 - 2 output)",
    .saved = {"grad_output", "output"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
      Tensor output = ctx.saved("output");
      return {ctx.needs_input_grad(0) ? sigmoid_backward(grad, output) : Tensor(),
              ctx.needs_input_grad(1) ? grad * ctx.saved("grad_output") * (1.0 - output * 2.0) : Tensor()};
    }};
const OpDef kSigmoid{.name = "sigmoid",
                     .formula = "grad_self = grad * result * (1 - result)",
                     .saved = {"result"},
                     .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                       return {sigmoid_backward(grad, ctx.saved("result"))};
                     }};
}  // namespace

Tensor sigmoid_backward(const Tensor& grad_output, const Tensor& output) {
  Tensor out = binary_checked(grad_output, output, Binary::SigmoidBackward, "sigmoid_backward");
  if (autograd::needs_grad(kSigmoidBackward, {&grad_output, &output}, out))
    record(kSigmoidBackward, {&grad_output, &output}, out).save("grad_output", grad_output).save("output", output);
  return out;
}
Tensor sigmoid(const Tensor& self) { return recorded(kSigmoid, self, unary_float(self, Unary::Sigmoid, "sigmoid")); }

// ---------------------------------------------------------------- relu (libtorch's threshold_backward on the result)
namespace {
const OpDef kReluBackward{
    .name = "relu_backward",
    .formula = "grad_grad_output = grad * (output > 0);  grad_output = 0",
    .saved = {"output"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
      // the mask is flat in the output
      return {ctx.needs_input_grad(0) ? relu_backward(grad, ctx.saved("output")) : Tensor(), Tensor()};
    }};
const OpDef kRelu{.name = "relu",
                  .formula = "grad_self = grad * (result > 0)",
                  .saved = {"result"},
                  .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                    return {relu_backward(grad, ctx.saved("result"))};
                  }};
}  // namespace

Tensor relu_backward(const Tensor& grad_output, const Tensor& output) {
  Tensor out = binary_checked(grad_output, output, Binary::ReluBackward, "relu_backward");
  if (autograd::needs_grad(kReluBackward, {&grad_output, &output}, out))
    record(kReluBackward, {&grad_output, &output}, out).save("output", output);
  return out;
}
Tensor relu(const Tensor& self) {
  ops::check_not_bool(self, "relu");
  return recorded(kRelu, self, kernels::unary(self, Unary::Relu));
}

// ================================================================ clamp, maximum, minimum, where

// ---------------------------------------------------------------- clamp(self, min, max)
namespace {
const OpDef kClamp{.name = "clamp",
                   .formula = "grad_self = grad * (min <= self <= max)",
                   .saved = {"self"},
                   .scalars = {"min", "max"},
                   .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                     Tensor mask = kernels::unary(ctx.saved("self"), Unary::InRange, ctx.arg("min"), ctx.arg("max"));
                     return {grad * mask};
                   }};
}  // namespace

Tensor clamp(const Tensor& self, std::optional<double> min, std::optional<double> max) {
  ops::check_not_bool(self, "clamp");
  if (!min && !max) throw Error("clamp: at least one of min and max must be given");
  double lo = min.value_or(-kInf), hi = max.value_or(kInf);
  Tensor out = kernels::unary(self, Unary::Clamp, lo, hi);
  if (autograd::needs_grad(kClamp, {&self}, out))
    record(kClamp, {&self}, out).save("self", self).arg("min", lo).arg("max", hi);
  return out;
}
Tensor clamp_min(const Tensor& self, double min) { return clamp(self, min, std::nullopt); }
Tensor clamp_max(const Tensor& self, double max) { return clamp(self, std::nullopt, max); }

// ---------------------------------------------------------------- hardtanh(self, min_val, max_val)
// clamp's forward with a strict mask: at min_val or max_val exactly the gradient is 0, as libtorch's
// hardtanh_backward (clamp's rule passes it there).
namespace {
const OpDef kHardtanh{.name = "hardtanh",
                      .formula = "grad_self = grad * (min_val < self < max_val)",
                      .saved = {"self"},
                      .scalars = {"min_val", "max_val"},
                      .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                        Tensor self = ctx.saved("self");
                        return {where((self > ctx.arg("min_val")) & (self < ctx.arg("max_val")), grad, 0.0)};
                      }};
}  // namespace

Tensor hardtanh(const Tensor& self, double min_val, double max_val) {
  ops::check_not_bool(self, "hardtanh");
  Tensor out = kernels::unary(self, Unary::Clamp, min_val, max_val);
  if (autograd::needs_grad(kHardtanh, {&self}, out))
    record(kHardtanh, {&self}, out).save("self", self).arg("min_val", min_val).arg("max_val", max_val);
  return out;
}

// ---------------------------------------------------------------- maximum, minimum: ties split the gradient in half,
// as libtorch
namespace {
variable_list max_min_vjp(const VjpContext& ctx, const Tensor& grad, Binary wins_op) {
  Tensor self = ctx.saved("self"), other = ctx.saved("other");
  Tensor wins = Tensor(kernels::binary(self, other, wins_op)).to(grad.dtype());
  Tensor ties = Tensor(kernels::binary(self, other, Binary::Eq)).to(grad.dtype());
  Tensor share_self = kernels::binary(wins, ties, Binary::AddScaled, 0.5);
  return {ctx.needs_input_grad(0) ? grad * share_self : Tensor(),
          ctx.needs_input_grad(1) ? grad * kernels::unary(share_self, Unary::RSubScalar, 1.0) : Tensor()};
}
const OpDef kMaximum{
    .name = "maximum",
    .formula =
        "grad_self = grad * ((self > other) + (self == other) / 2);  "
        "grad_other = grad * ((other > self) + (self == other) / 2)",
    .saved = {"self", "other"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) { return max_min_vjp(ctx, grad, Binary::Gt); }};
const OpDef kMinimum{
    .name = "minimum",
    .formula =
        "grad_self = grad * ((self < other) + (self == other) / 2);  "
        "grad_other = grad * ((other < self) + (self == other) / 2)",
    .saved = {"self", "other"},
    .vjp = [](const VjpContext& ctx, const Tensor& grad) { return max_min_vjp(ctx, grad, Binary::Lt); }};
}  // namespace

Tensor maximum(const Tensor& self, const Tensor& other) {
  ops::check_not_bool(self, "maximum");
  Tensor out = binary_checked(self, other, Binary::Maximum, "maximum");
  if (autograd::needs_grad(kMaximum, {&self, &other}, out))
    record(kMaximum, {&self, &other}, out).save("self", self).save("other", other);
  return out;
}
Tensor minimum(const Tensor& self, const Tensor& other) {
  ops::check_not_bool(self, "minimum");
  Tensor out = binary_checked(self, other, Binary::Minimum, "minimum");
  if (autograd::needs_grad(kMinimum, {&self, &other}, out))
    record(kMinimum, {&self, &other}, out).save("self", self).save("other", other);
  return out;
}
Tensor max(const Tensor& self, const Tensor& other) { return maximum(self, other); }
Tensor min(const Tensor& self, const Tensor& other) { return minimum(self, other); }

// ---------------------------------------------------------------- where(condition, self, other)
namespace {
const OpDef kWhere{.name = "where",
                   .formula = "grad_self = where(condition, grad, 0);  grad_other = where(condition, 0, grad)",
                   .saved = {"condition"},
                   .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                     Tensor condition = ctx.saved("condition");
                     Tensor zero = scalar_tensor(0, grad.dtype());
                     return {Tensor(), ctx.needs_input_grad(1) ? where(condition, grad, zero) : Tensor(),
                             ctx.needs_input_grad(2) ? where(condition, zero, grad) : Tensor()};
                   }};
}  // namespace

Tensor where(const Tensor& condition, const Tensor& self, const Tensor& other) {
  ops::check_defined(condition, "where", "condition");
  ops::check_defined(self, "where", "first value");
  ops::check_defined(other, "where", "second value");
  if (condition.dtype() != kBool)
    throw Error(fmt::format("where: condition must be a Bool tensor, got {} (shape {})", dtype_name(condition.dtype()),
                            shape_str(condition.sizes())));
  Tensor out = kernels::where(condition, self, other);
  if (autograd::needs_grad(kWhere, {&self, &other}, out))
    record(kWhere, {&condition, &self, &other}, out).save("condition", condition);
  return out;
}
Tensor where(const Tensor& condition, const Tensor& self, double other) {
  ops::check_defined(self, "where", "first value");
  return where(condition, self, scalar_tensor(other, self.dtype()));
}
Tensor where(const Tensor& condition, double self, double other) {
  return where(condition, scalar_tensor(self), scalar_tensor(other));
}
Tensor where(const Tensor& condition, double self, const Tensor& other) {
  ops::check_defined(other, "where", "second value");
  return where(condition, scalar_tensor(self, other.dtype()), other);
}

// ---- comparisons and logic: no gradient (an input that requires grad is noted: provenance.h) ----
#define TG_COMPARISON(NAME, OP)                              \
  Tensor NAME(const Tensor& a, const Tensor& b) {            \
    Tensor out = binary_checked(a, b, Binary::OP, #NAME);    \
    autograd::note_not_differentiable(#NAME, {&a, &b}, out); \
    return out;                                              \
  }
TG_COMPARISON(eq, Eq)
TG_COMPARISON(ne, Ne)
TG_COMPARISON(lt, Lt)
TG_COMPARISON(le, Le)
TG_COMPARISON(gt, Gt)
TG_COMPARISON(ge, Ge)
TG_COMPARISON(logical_and, LogicalAnd)
TG_COMPARISON(logical_or, LogicalOr)
TG_COMPARISON(logical_xor, LogicalXor)
#undef TG_COMPARISON
Tensor logical_not(const Tensor& a) {
  ops::check_defined(a, "logical_not");
  Tensor out = kernels::unary(a, Unary::LogicalNot);
  autograd::note_not_differentiable("logical_not", {&a}, out);
  return out;
}
Tensor isnan(const Tensor& a) {
  ops::check_defined(a, "isnan");
  Tensor out = kernels::unary(a, Unary::IsNan);
  autograd::note_not_differentiable("isnan", {&a}, out);
  return out;
}
Tensor isfinite(const Tensor& a) {
  ops::check_defined(a, "isfinite");
  Tensor out = kernels::unary(a, Unary::IsFinite);
  autograd::note_not_differentiable("isfinite", {&a}, out);
  return out;
}

// ================================================================ composites
Tensor square(const Tensor& x) { return pow(x, 2.0); }
Tensor reciprocal(const Tensor& x) { return pow(x, -1.0); }

Tensor leaky_relu(const Tensor& x, double negative_slope) {
  ops::check_floating(x, "leaky_relu");
  return where(x > 0.0, x, x * negative_slope);
}

// alpha (e^x - 1) for x <= 0; exp sees min(x, 0) so a large positive x cannot overflow into a NaN
// gradient through the untaken branch.
Tensor elu(const Tensor& x, double alpha) {
  ops::check_floating(x, "elu");
  return where(x > 0.0, x, (exp(clamp_max(x, 0.0)) - 1.0) * alpha);
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  ops::check_floating(x, "gelu");
  if (approximate == "none") return x * (erf(x * (1.0 / std::numbers::sqrt2)) + 1.0) * 0.5;
  if (approximate == "tanh") {
    const double k = std::sqrt(2.0 / std::numbers::pi);
    return x * (tanh((x + pow(x, 3.0) * 0.044715) * k) + 1.0) * 0.5;
  }
  throw Error("gelu: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
}

// log(1 + e^(beta x)) / beta, linear above the threshold (libtorch's numerics)
Tensor softplus(const Tensor& x, double beta, double threshold) {
  ops::check_floating(x, "softplus");
  if (beta == 0) throw Error("softplus: beta must be non-zero");
  Tensor scaled = x * beta;
  Tensor soft = log1p(exp(clamp_max(scaled, threshold))) / beta;
  return where(scaled > threshold, x, soft);
}

namespace ops {
void add_pointwise_ops(std::vector<const autograd::OpDef*>& out) {
  for (const OpDef* def : {&kAdd,       &kSub,
                           &kMul,       &kDiv,
                           &kAddScalar, &kMulScalar,
                           &kDivScalar, &kNeg,
                           &kPow,       &kPowTensor,
                           &kExp,       &kLog,
                           &kLog1p,     &kSqrt,
                           &kRsqrt,     &kAbs,
                           &kSign,      &kStep,
                           &kHeaviside, &kSin,
                           &kCos,       &kErf,
                           &kTanh,      &kTanhBackward,
                           &kSigmoid,   &kSigmoidBackward,
                           &kRelu,      &kReluBackward,
                           &kClamp,     &kHardtanh,
                           &kMaximum,   &kMinimum,
                           &kWhere})
    out.push_back(def);
}
}  // namespace ops

}  // namespace tg
