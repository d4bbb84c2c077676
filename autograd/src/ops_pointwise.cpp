// Pointwise ops. Each primitive is written as: its vjp, its OpDef, its forward (which records a
// node when an input requires grad). Composite ops at the end are built from primitives and get
// their gradients from the tape.
#include <cmath>
#include <limits>
#include <numbers>

#include "ops_common.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::RecordArgs;
using autograd::VjpContext;
using kernels::Binary;
using kernels::Unary;
using ops::sum_to;

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

// ---------------------------------------------------------------- add / sub: d(a + alpha b)
std::vector<Tensor> add_vjp(const VjpContext& ctx, const Tensor& g) {
  double alpha = ctx.scalar_arg(0);
  Tensor ga = ctx.needs_input_grad(0) ? sum_to(g, ctx.input_sizes(0)) : Tensor();
  Tensor gb;
  if (ctx.needs_input_grad(1)) gb = sum_to(alpha == 1 ? g : g * alpha, ctx.input_sizes(1));
  return {ga, gb};
}
const OpDef kAdd{"add", &add_vjp};
const OpDef kSub{"sub", &add_vjp};  // a - alpha b is a + (-alpha) b

// ---------------------------------------------------------------- mul: d(ab) = b da + a db
std::vector<Tensor> mul_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor ga, gb;
  if (ctx.needs_input_grad(0)) ga = sum_to(g * ctx.saved(1), ctx.input_sizes(0));
  if (ctx.needs_input_grad(1)) gb = sum_to(g * ctx.saved(0), ctx.input_sizes(1));
  return {ga, gb};
}
const OpDef kMul{"mul", &mul_vjp};

// ---------------------------------------------------------------- div: d(a/b) = da/b - a db/b^2
std::vector<Tensor> div_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor a = ctx.saved(0), b = ctx.saved(1);
  Tensor ga, gb;
  if (ctx.needs_input_grad(0)) ga = sum_to(g / b, ctx.input_sizes(0));
  if (ctx.needs_input_grad(1)) gb = sum_to(-g * a / (b * b), ctx.input_sizes(1));
  return {ga, gb};
}
const OpDef kDiv{"div", &div_vjp};

// ---------------------------------------------------------------- scalar forms
std::vector<Tensor> add_scalar_vjp(const VjpContext&, const Tensor& g) { return {g}; }
const OpDef kAddScalar{"add_scalar", &add_scalar_vjp};

std::vector<Tensor> mul_scalar_vjp(const VjpContext& ctx, const Tensor& g) { return {g * ctx.scalar_arg(0)}; }
const OpDef kMulScalar{"mul_scalar", &mul_scalar_vjp};

std::vector<Tensor> div_scalar_vjp(const VjpContext& ctx, const Tensor& g) { return {g / ctx.scalar_arg(0)}; }
const OpDef kDivScalar{"div_scalar", &div_scalar_vjp};

// ---------------------------------------------------------------- neg
std::vector<Tensor> neg_vjp(const VjpContext&, const Tensor& g) { return {-g}; }
const OpDef kNeg{"neg", &neg_vjp};

// ---------------------------------------------------------------- pow(x, p): p x^(p-1)
std::vector<Tensor> pow_vjp(const VjpContext& ctx, const Tensor& g) {
  double p = ctx.scalar_arg(0);
  if (p == 0) return {zeros_like(g)};
  Tensor x = ctx.saved(0);
  return {g * (pow(x, p - 1) * p)};
}
const OpDef kPow{"pow", &pow_vjp};

// ---------------------------------------------------------------- pow(x, y): y x^(y-1), x^y log x
std::vector<Tensor> pow_tensor_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor x = ctx.saved(0), y = ctx.saved(1), out = ctx.saved(2);
  Tensor gx, gy;
  if (ctx.needs_input_grad(0)) gx = sum_to(g * y * pow(x, y - 1.0), ctx.input_sizes(0));
  if (ctx.needs_input_grad(1)) {
    // libtorch: 0 where x == 0 and y >= 0 (the limit of x^y log x)
    Tensor safe_log = log(where(x == 0.0, 1.0, x));
    gy = sum_to(g * out * safe_log, ctx.input_sizes(1));
  }
  return {gx, gy};
}
const OpDef kPowTensor{"pow_tensor", &pow_tensor_vjp};

// ---------------------------------------------------------------- elementary functions
std::vector<Tensor> exp_vjp(const VjpContext& ctx, const Tensor& g) { return {g * ctx.saved(0)}; }
const OpDef kExp{"exp", &exp_vjp};

std::vector<Tensor> log_vjp(const VjpContext& ctx, const Tensor& g) { return {g / ctx.saved(0)}; }
const OpDef kLog{"log", &log_vjp};

std::vector<Tensor> log1p_vjp(const VjpContext& ctx, const Tensor& g) { return {g / (ctx.saved(0) + 1.0)}; }
const OpDef kLog1p{"log1p", &log1p_vjp};

std::vector<Tensor> sqrt_vjp(const VjpContext& ctx, const Tensor& g) { return {g / (ctx.saved(0) * 2.0)}; }
const OpDef kSqrt{"sqrt", &sqrt_vjp};

// d rsqrt(x) = -1/2 x^(-3/2) = -1/2 rsqrt(x)^3
std::vector<Tensor> rsqrt_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor out = ctx.saved(0);
  return {g * (out * out * out) * -0.5};
}
const OpDef kRsqrt{"rsqrt", &rsqrt_vjp};

std::vector<Tensor> abs_vjp(const VjpContext& ctx, const Tensor& g) { return {g * sign(ctx.saved(0))}; }
const OpDef kAbs{"abs", &abs_vjp};

// sign, step and heaviside are flat almost everywhere: zero gradient, as libtorch's sign.
std::vector<Tensor> zero_vjp(const VjpContext& ctx, const Tensor&) {
  std::vector<Tensor> out;
  for (std::size_t i = 0; i < ctx.node().input_meta().size(); ++i)
    out.push_back(ctx.needs_input_grad(i) ? zeros(ctx.input_sizes(i), ctx.input(i).dtype) : Tensor());
  return out;
}
const OpDef kSign{"sign", &zero_vjp};
const OpDef kStep{"step", &zero_vjp};
const OpDef kHeaviside{"heaviside", &zero_vjp};

std::vector<Tensor> sin_vjp(const VjpContext& ctx, const Tensor& g) { return {g * cos(ctx.saved(0))}; }
const OpDef kSin{"sin", &sin_vjp};

std::vector<Tensor> cos_vjp(const VjpContext& ctx, const Tensor& g) { return {-g * sin(ctx.saved(0))}; }
const OpDef kCos{"cos", &cos_vjp};

// erf'(x) = 2/sqrt(pi) exp(-x^2)
std::vector<Tensor> erf_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor x = ctx.saved(0);
  return {g * exp(-(x * x)) * (2.0 / std::sqrt(std::numbers::pi))};
}
const OpDef kErf{"erf", &erf_vjp};

// ---------------------------------------------------------------- activations with fused vjps
// tanh' = 1 - tanh^2, applied by the fused tanh_backward(grad, output) op (itself differentiable).
std::vector<Tensor> tanh_backward_vjp(const VjpContext& ctx, const Tensor& gg) {
  Tensor g = ctx.saved(0), y = ctx.saved(1);
  Tensor d_grad, d_out;
  if (ctx.needs_input_grad(0)) d_grad = sum_to(tanh_backward(gg, y), ctx.input_sizes(0));
  if (ctx.needs_input_grad(1)) d_out = sum_to(gg * g * y * -2.0, ctx.input_sizes(1));
  return {d_grad, d_out};
}
const OpDef kTanhBackward{"tanh_backward", &tanh_backward_vjp};

std::vector<Tensor> tanh_vjp(const VjpContext& ctx, const Tensor& g) {
  return {tanh_backward(g, ctx.saved(0))};
}
const OpDef kTanh{"tanh", &tanh_vjp};

// sigmoid' = s (1 - s)
std::vector<Tensor> sigmoid_backward_vjp(const VjpContext& ctx, const Tensor& gg) {
  Tensor g = ctx.saved(0), y = ctx.saved(1);
  Tensor d_grad, d_out;
  if (ctx.needs_input_grad(0)) d_grad = sum_to(sigmoid_backward(gg, y), ctx.input_sizes(0));
  if (ctx.needs_input_grad(1)) d_out = sum_to(gg * g * (1.0 - y * 2.0), ctx.input_sizes(1));
  return {d_grad, d_out};
}
const OpDef kSigmoidBackward{"sigmoid_backward", &sigmoid_backward_vjp};

std::vector<Tensor> sigmoid_vjp(const VjpContext& ctx, const Tensor& g) {
  return {sigmoid_backward(g, ctx.saved(0))};
}
const OpDef kSigmoid{"sigmoid", &sigmoid_vjp};

// relu' = 1 where the output is positive (libtorch's threshold_backward on the result)
std::vector<Tensor> relu_backward_vjp(const VjpContext& ctx, const Tensor& gg) {
  Tensor y = ctx.saved(0);
  Tensor d_grad;
  if (ctx.needs_input_grad(0)) d_grad = sum_to(relu_backward(gg, y), ctx.input_sizes(0));
  return {d_grad, Tensor()};  // the mask is flat in the output
}
const OpDef kReluBackward{"relu_backward", &relu_backward_vjp};

std::vector<Tensor> relu_vjp(const VjpContext& ctx, const Tensor& g) {
  return {relu_backward(g, ctx.saved(0))};
}
const OpDef kRelu{"relu", &relu_vjp};

// ---------------------------------------------------------------- clamp, maximum, minimum, where
std::vector<Tensor> clamp_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor x = ctx.saved(0);
  Tensor mask = kernels::unary(x, Unary::InRange, ctx.scalar_arg(0), ctx.scalar_arg(1));
  return {g * mask};
}
const OpDef kClamp{"clamp", &clamp_vjp};

// ties split the gradient in half, as libtorch's maximum/minimum
std::vector<Tensor> max_min_vjp(const VjpContext& ctx, const Tensor& g, bool is_max) {
  Tensor a = ctx.saved(0), b = ctx.saved(1);
  Tensor wins = kernels::binary(a, b, is_max ? Binary::Gt : Binary::Lt).to(g.dtype());
  Tensor ties = kernels::binary(a, b, Binary::Eq).to(g.dtype());
  Tensor share_a = kernels::binary(wins, ties, Binary::AddScaled, 0.5);
  Tensor ga, gb;
  if (ctx.needs_input_grad(0)) ga = sum_to(g * share_a, ctx.input_sizes(0));
  if (ctx.needs_input_grad(1)) gb = sum_to(g * kernels::unary(share_a, Unary::RSubScalar, 1.0), ctx.input_sizes(1));
  return {ga, gb};
}
std::vector<Tensor> maximum_vjp(const VjpContext& ctx, const Tensor& g) { return max_min_vjp(ctx, g, true); }
std::vector<Tensor> minimum_vjp(const VjpContext& ctx, const Tensor& g) { return max_min_vjp(ctx, g, false); }
const OpDef kMaximum{"maximum", &maximum_vjp};
const OpDef kMinimum{"minimum", &minimum_vjp};

std::vector<Tensor> where_vjp(const VjpContext& ctx, const Tensor& g) {
  Tensor cond = ctx.saved(0);
  Tensor zero = scalar_tensor(0, g.dtype());
  Tensor ga, gb;
  if (ctx.needs_input_grad(1)) ga = sum_to(where(cond, g, zero), ctx.input_sizes(1));
  if (ctx.needs_input_grad(2)) gb = sum_to(where(cond, zero, g), ctx.input_sizes(2));
  return {Tensor(), ga, gb};
}
const OpDef kWhere{"where", &where_vjp};

Tensor record_unary(const OpDef& def, const Tensor& x, Tensor out, bool save_output) {
  if (autograd::needs_grad({&x})) {
    if (save_output) record(def, {&x}, out, {out});
    else record(def, {&x}, out, {x});
  }
  return out;
}

}  // namespace

// ================================================================ forwards

// Fused vjp ops (libtorch names), public for the op table and for higher-order gradients.
Tensor tanh_backward(const Tensor& grad, const Tensor& output) {
  Tensor out = binary_checked(grad, output, Binary::TanhBackward, "tanh_backward");
  if (autograd::needs_grad({&grad, &output})) record(kTanhBackward, {&grad, &output}, out, {grad, output});
  return out;
}
Tensor sigmoid_backward(const Tensor& grad, const Tensor& output) {
  Tensor out = binary_checked(grad, output, Binary::SigmoidBackward, "sigmoid_backward");
  if (autograd::needs_grad({&grad, &output})) record(kSigmoidBackward, {&grad, &output}, out, {grad, output});
  return out;
}
Tensor relu_backward(const Tensor& grad, const Tensor& output) {
  Tensor out = binary_checked(grad, output, Binary::ReluBackward, "relu_backward");
  if (autograd::needs_grad({&grad, &output})) record(kReluBackward, {&grad, &output}, out, {output});
  return out;
}

Tensor add(const Tensor& a, const Tensor& b, double alpha) {
  Tensor out = binary_checked(a, b, alpha == 1 ? Binary::Add : Binary::AddScaled, "add", alpha);
  if (autograd::needs_grad({&a, &b})) record(kAdd, {&a, &b}, out, {}, RecordArgs{{}, {alpha}});
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, double alpha) {
  if (a.defined() && b.defined() && (a.dtype() == kBool || b.dtype() == kBool) && a.dtype() == b.dtype())
    throw Error("sub: subtraction of two Bool tensors is not supported (use logical_xor or ne)");
  Tensor out = binary_checked(a, b, alpha == 1 ? Binary::Sub : Binary::AddScaled, "sub", -alpha);
  if (autograd::needs_grad({&a, &b})) record(kSub, {&a, &b}, out, {}, RecordArgs{{}, {-alpha}});
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_checked(a, b, Binary::Mul, "mul");
  if (autograd::needs_grad({&a, &b})) record(kMul, {&a, &b}, out, {a, b});
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  ops::check_defined(a, "div", "first input");
  ops::check_defined(b, "div", "second input");
  // true division: integer inputs give the default float dtype, as libtorch
  if (!is_floating_point(a.dtype()) && !is_floating_point(b.dtype()))
    return div(a.to(kFloat32), b.to(kFloat32));
  Tensor out = binary_checked(a, b, Binary::Div, "div");
  if (autograd::needs_grad({&a, &b})) record(kDiv, {&a, &b}, out, {a, b});
  return out;
}

Tensor add(const Tensor& a, double b, double alpha) {
  ops::check_defined(a, "add");
  double value = b * alpha;
  ScalarType dtype = ops::scalar_result_dtype(a, value);
  Tensor x = a.dtype() == dtype ? a : a.to(dtype);
  Tensor out = kernels::unary(x, Unary::AddScalar, value);
  if (autograd::needs_grad({&a})) record(kAddScalar, {&a}, out, {}, RecordArgs{{}, {value}});
  return out;
}

Tensor sub(const Tensor& a, double b, double alpha) { return add(a, -b, alpha); }

Tensor mul(const Tensor& a, double b) {
  ops::check_defined(a, "mul");
  ScalarType dtype = ops::scalar_result_dtype(a, b);
  Tensor x = a.dtype() == dtype ? a : a.to(dtype);
  Tensor out = kernels::unary(x, Unary::MulScalar, b);
  if (autograd::needs_grad({&a})) record(kMulScalar, {&a}, out, {}, RecordArgs{{}, {b}});
  return out;
}

Tensor div(const Tensor& a, double b) {
  ops::check_defined(a, "div");
  Tensor x = is_floating_point(a.dtype()) ? a : a.to(kFloat32);
  Tensor out = kernels::binary(x, scalar_tensor(b, x.dtype()), Binary::Div);
  if (autograd::needs_grad({&a})) record(kDivScalar, {&a}, out, {}, RecordArgs{{}, {b}});
  return out;
}

Tensor rsub(const Tensor& a, double b) { return add(neg(a), b); }

Tensor neg(const Tensor& a) {
  ops::check_not_bool(a, "neg");
  return record_unary(kNeg, a, kernels::unary(a, Unary::Neg), false);
}

Tensor pow(const Tensor& base, double exponent) {
  Tensor out = unary_float(base, Unary::PowScalar, "pow", exponent);
  if (autograd::needs_grad({&base})) record(kPow, {&base}, out, {base}, RecordArgs{{}, {exponent}});
  return out;
}

Tensor pow(const Tensor& base, const Tensor& exponent) {
  ops::check_floating(base, "pow");
  ops::check_defined(exponent, "pow", "exponent");
  Tensor out = binary_checked(base, exponent, Binary::Pow, "pow");
  if (autograd::needs_grad({&base, &exponent})) record(kPowTensor, {&base, &exponent}, out, {base, exponent, out});
  return out;
}

Tensor pow(double base, const Tensor& exponent) {
  ops::check_floating(exponent, "pow");
  return pow(full_like(exponent, base), exponent);
}

Tensor exp(const Tensor& x) { return record_unary(kExp, x, unary_float(x, Unary::Exp, "exp"), true); }
Tensor log(const Tensor& x) { return record_unary(kLog, x, unary_float(x, Unary::Log, "log"), false); }
Tensor log1p(const Tensor& x) { return record_unary(kLog1p, x, unary_float(x, Unary::Log1p, "log1p"), false); }
Tensor sqrt(const Tensor& x) { return record_unary(kSqrt, x, unary_float(x, Unary::Sqrt, "sqrt"), true); }
Tensor rsqrt(const Tensor& x) { return record_unary(kRsqrt, x, unary_float(x, Unary::Rsqrt, "rsqrt"), true); }
Tensor sin(const Tensor& x) { return record_unary(kSin, x, unary_float(x, Unary::Sin, "sin"), false); }
Tensor cos(const Tensor& x) { return record_unary(kCos, x, unary_float(x, Unary::Cos, "cos"), false); }
Tensor tanh(const Tensor& x) { return record_unary(kTanh, x, unary_float(x, Unary::Tanh, "tanh"), true); }
Tensor sigmoid(const Tensor& x) { return record_unary(kSigmoid, x, unary_float(x, Unary::Sigmoid, "sigmoid"), true); }
Tensor erf(const Tensor& x) { return record_unary(kErf, x, unary_float(x, Unary::Erf, "erf"), false); }
Tensor relu(const Tensor& x) {
  ops::check_not_bool(x, "relu");
  return record_unary(kRelu, x, kernels::unary(x, Unary::Relu), true);
}
Tensor abs(const Tensor& x) {
  ops::check_not_bool(x, "abs");
  return record_unary(kAbs, x, kernels::unary(x, Unary::Abs), false);
}
Tensor sign(const Tensor& x) {
  ops::check_not_bool(x, "sign");
  return record_unary(kSign, x, kernels::unary(x, Unary::Sign), false);
}
Tensor step(const Tensor& x, double threshold) {
  Tensor out = unary_float(x, Unary::Step, "step", threshold);
  if (autograd::needs_grad({&x})) record(kStep, {&x}, out, {}, RecordArgs{{}, {threshold}});
  return out;
}
Tensor heaviside(const Tensor& x, const Tensor& values) {
  ops::check_not_bool(x, "heaviside");
  Tensor out = binary_checked(x, values, Binary::Heaviside, "heaviside");
  if (autograd::needs_grad({&x, &values})) record(kHeaviside, {&x, &values}, out);
  return out;
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  ops::check_not_bool(x, "clamp");
  if (!min && !max) throw Error("clamp: at least one of min and max must be given");
  double lo = min.value_or(-kInf), hi = max.value_or(kInf);
  Tensor out = kernels::unary(x, Unary::Clamp, lo, hi);
  if (autograd::needs_grad({&x})) record(kClamp, {&x}, out, {x}, RecordArgs{{}, {lo, hi}});
  return out;
}
Tensor clamp_min(const Tensor& x, double min) { return clamp(x, min, std::nullopt); }
Tensor clamp_max(const Tensor& x, double max) { return clamp(x, std::nullopt, max); }

Tensor maximum(const Tensor& a, const Tensor& b) {
  ops::check_not_bool(a, "maximum");
  Tensor out = binary_checked(a, b, Binary::Maximum, "maximum");
  if (autograd::needs_grad({&a, &b})) record(kMaximum, {&a, &b}, out, {a, b});
  return out;
}
Tensor max(const Tensor& a, const Tensor& b) { return maximum(a, b); }
Tensor min(const Tensor& a, const Tensor& b) { return minimum(a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) {
  ops::check_not_bool(a, "minimum");
  Tensor out = binary_checked(a, b, Binary::Minimum, "minimum");
  if (autograd::needs_grad({&a, &b})) record(kMinimum, {&a, &b}, out, {a, b});
  return out;
}

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  ops::check_defined(condition, "where", "condition");
  ops::check_defined(a, "where", "first value");
  ops::check_defined(b, "where", "second value");
  if (condition.dtype() != kBool)
    throw Error(fmt::format("where: condition must be a Bool tensor, got {} (shape {})",
                            dtype_name(condition.dtype()), shape_str(condition.sizes())));
  Tensor out = kernels::where(condition, a, b);
  if (autograd::needs_grad({&a, &b})) record(kWhere, {&condition, &a, &b}, out, {condition});
  return out;
}
Tensor where(const Tensor& condition, const Tensor& a, double b) {
  ops::check_defined(a, "where", "first value");
  return where(condition, a, scalar_tensor(b, a.dtype()));
}
Tensor where(const Tensor& condition, double a, double b) {
  return where(condition, scalar_tensor(a), scalar_tensor(b));
}
Tensor where(const Tensor& condition, double a, const Tensor& b) {
  ops::check_defined(b, "where", "second value");
  return where(condition, scalar_tensor(a, b.dtype()), b);
}

// ---- comparisons and logic: no gradient ----
#define TG_COMPARISON(NAME, OP)                                             \
  Tensor NAME(const Tensor& a, const Tensor& b) {                           \
    return binary_checked(a, b, Binary::OP, #NAME);                         \
  }
TG_COMPARISON(eq, Eq)
TG_COMPARISON(ne, Ne)
TG_COMPARISON(lt, Lt)
TG_COMPARISON(le, Le)
TG_COMPARISON(gt, Gt)
TG_COMPARISON(ge, Ge)
TG_COMPARISON(logical_and, LogicalAnd)
TG_COMPARISON(logical_or, LogicalOr)
TG_COMPARISON(logical_xor, Ne)
#undef TG_COMPARISON
Tensor logical_not(const Tensor& a) {
  ops::check_defined(a, "logical_not");
  return kernels::unary(a, Unary::LogicalNot);
}
Tensor isnan(const Tensor& a) {
  ops::check_defined(a, "isnan");
  return kernels::unary(a, Unary::IsNan);
}
Tensor isfinite(const Tensor& a) {
  ops::check_defined(a, "isfinite");
  return kernels::unary(a, Unary::IsFinite);
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
  for (const OpDef* def : {&kAdd, &kSub, &kMul, &kDiv, &kAddScalar, &kMulScalar, &kDivScalar, &kNeg,
                           &kPow, &kPowTensor, &kExp, &kLog, &kLog1p, &kSqrt, &kRsqrt, &kAbs, &kSign,
                           &kStep, &kHeaviside, &kSin, &kCos, &kErf, &kTanh, &kTanhBackward, &kSigmoid,
                           &kSigmoidBackward, &kRelu, &kReluBackward, &kClamp, &kMaximum, &kMinimum,
                           &kWhere})
    out.push_back(def);
}
}  // namespace ops

}  // namespace tg
