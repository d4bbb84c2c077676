// The op table: every differentiable op with samples (shapes with broadcasting, size-1 dims, 0-d
// tensors, drawn from the domain each op needs), each with its call and its forward reference (a
// PyTorch expression whose committed output tests/fixtures/op_reference.safetensors holds, or a
// naive loop for tapegrad-only ops), and error samples (bad input -> the tg::Error expected).
// tests/testing/test_op_table.cpp runs check_sample / check_error_sample on every one of them.
#include <cmath>

#include "op_table_helpers.h"

namespace tg::testing {
using namespace table;

// Losses and activations of tg::nn::functional (op_table_nn.cpp).
void add_nn_table_entries(std::vector<OpInfo>& t);

namespace {

// Inputs for a binary op: same shape, broadcasting both ways, a 0-d operand, a size-1 dim.
InputSets binary_inputs(Domain da, Domain db) {
  return [da, db] {
    return std::vector<In>{
        {{make({3, 4}, da, 1), make({3, 4}, db, 2)}, "[3, 4] and [3, 4]"},
        {{make({3, 1}, da, 3), make({1, 4}, db, 4)}, "[3, 1] and [1, 4] broadcast"},
        {{make({2, 3}, da, 5), make({}, db, 6)}, "[2, 3] and 0-d"},
        {{make({4}, da, 7), make({2, 1, 4}, db, 8)}, "[4] and [2, 1, 4]"},
    };
  };
}

InputSets unary_inputs(Domain d) {
  return [d] {
    return std::vector<In>{
        {{make({2, 3}, d, 11)}, "[2, 3]"},
        {{make({}, d, 12)}, "0-d"},
        {{make({1, 4, 1}, d, 13)}, "[1, 4, 1] (size-1 dims)"},
    };
  };
}

Inputs two_by_three() { return {make({2, 3}, Domain::Any, 900)}; }

// A unary op on floating-point tensors: three samples and the Int64 error every such op raises.
Entry float_unary(std::string name, Tensor (*f)(const Tensor&), std::string pytorch, Domain d) {
  Entry e = primitive(name);
  e.samples(un(f), torch(std::move(pytorch)), unary_inputs(d))
      .error("Int64 input", un(f), name + ": expected a floating-point tensor (Float32 or Float64), got Int64",
             [] {
               return Inputs{int64_input({2, 3})};
             })
      .error("undefined input", un(f), name + ": input is an undefined tensor", [] { return Inputs{undefined()}; });
  return e;
}

// The errors of a binary op whose operands must broadcast.
Entry& broadcast_errors(Entry& e, const std::string& op, OpFn call) {
  return e
      .error("shapes [2, 3] and [4]", call, op + ": shapes [2, 3] and [4] cannot be broadcast together",
             [] {
               return Inputs{make({2, 3}, Domain::Any, 901), make({4}, Domain::Any, 902)};
             })
      .error("undefined second input", call, op + ": second input is an undefined tensor", [] {
        return Inputs{make({2, 3}, Domain::Any, 903), undefined()};
      });
}

// ---- naive references for the ops PyTorch has no equivalent of

// step(x, threshold): 1 where x >= threshold, else 0.
OpFn naive_step(double threshold) {
  return [threshold](const Inputs& in) {
    Tensor x = in[0].detach().contiguous();
    Tensor out = empty(x.sizes(), kFloat64);
    const double* px = x.data_ptr<double>();
    double* po = out.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i) po[i] = px[i] >= threshold ? 1.0 : 0.0;
    return out;
  };
}

// dropout(x, p, train) after manual_seed(seed): the mask is the same uniform draw the op makes
// (rand_like(x) >= p), applied element by element.
OpFn naive_dropout(double p, uint64_t seed) {
  return [p, seed](const Inputs& in) {
    Tensor x = in[0].detach().contiguous();
    manual_seed(seed);
    Tensor u = rand_like(x).contiguous();
    Tensor out = empty(x.sizes(), kFloat64);
    const double* px = x.data_ptr<double>();
    const double* pu = u.data_ptr<double>();
    double* po = out.data_ptr<double>();
    for (int64_t i = 0; i < x.numel(); ++i) po[i] = pu[i] >= p ? px[i] / (1 - p) : 0.0;
    return out;
  };
}

// ---------------------------------------------------------------- pointwise

void add_pointwise(std::vector<OpInfo>& t) {
  auto add2 = bin([](const Tensor& a, const Tensor& b) { return add(a, b, 2.0); });
  auto plus = bin([](const Tensor& a, const Tensor& b) { return a + b; });
  {
    Entry e = primitive("add");
    e.samples(add2, torch("torch.add(a, b, alpha=2.0)"), binary_inputs(Domain::Any, Domain::Any))
        .samples(plus, torch("a + b"), one("[2, 3] + [3], alpha 1", [] {
                   return Inputs{make({2, 3}, Domain::Any, 9), make({3}, Domain::Any, 10)};
                 }));
    t.push_back(broadcast_errors(e, "add", add2));
  }
  {
    auto minus = bin([](const Tensor& a, const Tensor& b) { return a - b; });
    Entry e = primitive("sub");
    e.samples(minus, torch("a - b"), binary_inputs(Domain::Any, Domain::Any))
        .samples(bin([](const Tensor& a, const Tensor& b) { return sub(a, b, 0.5); }),
                 torch("torch.sub(a, b, alpha=0.5)"),
                 one("[2, 3] - 0.5 [2, 1]",
                     [] {
                       return Inputs{make({2, 3}, Domain::Any, 14), make({2, 1}, Domain::Any, 15)};
                     }))
        .error("two Bool tensors", minus, "sub: subtraction of two Bool tensors is not supported", [] {
          return Inputs{bool_input({2}), bool_input({2})};
        });
    t.push_back(broadcast_errors(e, "sub", minus));
  }
  {
    auto times = bin([](const Tensor& a, const Tensor& b) { return a * b; });
    Entry e = primitive("mul");
    e.samples(times, torch("a * b"), binary_inputs(Domain::Any, Domain::Any));
    t.push_back(broadcast_errors(e, "mul", times));
  }
  {
    auto divide = bin([](const Tensor& a, const Tensor& b) { return a / b; });
    Entry e = primitive("div");
    e.samples(divide, torch("a / b"), binary_inputs(Domain::Any, Domain::AwayFromZero))
        .samples(un([](const Tensor& x) { return 2.0 / x; }), torch("2.0 / a"), unary_inputs(Domain::AwayFromZero))
        .error("undefined first input", divide, "div: first input is an undefined tensor", [] {
          return Inputs{undefined(), make({2}, Domain::Any, 904)};
        });
    t.push_back(broadcast_errors(e, "div", divide));
  }
  t.push_back(primitive("add_scalar")
                  .samples(un([](const Tensor& x) { return x + 1.5; }), torch("a + 1.5"), unary_inputs(Domain::Any))
                  .samples(un([](const Tensor& x) { return x - 0.5; }), torch("a - 0.5"),
                           one("[3, 2] - 0.5", {3, 2}, Domain::Any, 16))
                  .error("undefined input", un([](const Tensor& x) { return x + 1.5; }),
                         "add: input is an undefined tensor", [] { return Inputs{undefined()}; }));
  t.push_back(primitive("mul_scalar")
                  .samples(un([](const Tensor& x) { return x * -2.5; }), torch("a * -2.5"), unary_inputs(Domain::Any))
                  .error("undefined input", un([](const Tensor& x) { return x * 2.0; }),
                         "mul: input is an undefined tensor", [] { return Inputs{undefined()}; }));
  t.push_back(primitive("div_scalar")
                  .samples(un([](const Tensor& x) { return x / 3.0; }), torch("a / 3.0"), unary_inputs(Domain::Any))
                  .error("undefined input", un([](const Tensor& x) { return x / 3.0; }),
                         "div: input is an undefined tensor", [] { return Inputs{undefined()}; }));
  t.push_back(primitive("neg")
                  .samples(un([](const Tensor& x) { return -x; }), torch("-a"), unary_inputs(Domain::Any))
                  .error("Bool input", un([](const Tensor& x) { return -x; }), "neg: not supported for Bool tensors",
                         [] { return Inputs{bool_input({2})}; }));
  {
    auto pow25 = un([](const Tensor& x) { return pow(x, 2.5); });
    t.push_back(primitive("pow")
                    .samples(pow25, torch("torch.pow(a, 2.5)"), unary_inputs(Domain::Positive))
                    .samples(un([](const Tensor& x) { return pow(x, 3.0); }), torch("torch.pow(a, 3.0)"),
                             unary_inputs(Domain::Any))
                    .samples(un([](const Tensor& x) { return square(x); }), torch("torch.square(a)"),
                             one("square [2, 3]", {2, 3}, Domain::Any, 17))
                    .samples(un([](const Tensor& x) { return reciprocal(x); }), torch("torch.reciprocal(a)"),
                             one("reciprocal [2, 3]", {2, 3}, Domain::AwayFromZero, 18))
                    .samples(un([](const Tensor& x) { return pow(x, 2.0); }), torch("torch.pow(a, 2.0)"),
                             one("x^2 at zeros",
                                 [] {
                                   return Inputs{values({0, 0.5, -1.5, 0}, {4})};
                                 }))
                    .error("Int64 base", pow25, "pow: expected a floating-point tensor (Float32 or Float64), got Int64",
                           [] { return Inputs{int64_input({2})}; }));
  }
  {
    auto powt = bin([](const Tensor& a, const Tensor& b) { return pow(a, b); });
    Entry e = primitive("pow_tensor");
    e.samples(powt, torch("torch.pow(a, b)"), binary_inputs(Domain::Positive, Domain::Any))
        .samples(un([](const Tensor& x) { return pow(2.0, x); }), torch("torch.pow(2.0, a)"), unary_inputs(Domain::Any))
        .error("Int64 base", powt, "pow: expected a floating-point tensor (Float32 or Float64), got Int64",
               [] {
                 return Inputs{int64_input({2}), make({2}, Domain::Any, 905)};
               })
        .error("undefined exponent", powt, "pow: exponent is an undefined tensor",
               [] {
                 return Inputs{make({2}, Domain::Positive, 906), undefined()};
               })
        .error("shapes [2, 3] and [4]", powt, "pow: shapes [2, 3] and [4] cannot be broadcast together", [] {
          return Inputs{make({2, 3}, Domain::Positive, 907), make({4}, Domain::Any, 908)};
        });
    t.push_back(e);
  }
  t.push_back(float_unary("exp", exp, "torch.exp(a)", Domain::Any));
  t.push_back(float_unary("log", log, "torch.log(a)", Domain::Positive));
  t.push_back(float_unary("log1p", log1p, "torch.log1p(a)", Domain::Unit));
  t.push_back(float_unary("sqrt", sqrt, "torch.sqrt(a)", Domain::Positive));
  t.push_back(float_unary("rsqrt", rsqrt, "torch.rsqrt(a)", Domain::Positive));
  t.push_back(float_unary("sin", sin, "torch.sin(a)", Domain::Any));
  t.push_back(float_unary("cos", cos, "torch.cos(a)", Domain::Any));
  t.push_back(float_unary("erf", erf, "torch.erf(a)", Domain::Any));
  t.push_back(float_unary("tanh", tanh, "torch.tanh(a)", Domain::Any));
  t.push_back(float_unary("sigmoid", sigmoid, "torch.sigmoid(a)", Domain::Any));
  t.push_back(primitive("abs")
                  .samples(un([](const Tensor& x) { return abs(x); }), torch("torch.abs(a)"),
                           unary_inputs(Domain::AwayFromZero))
                  .error("Bool input", un([](const Tensor& x) { return abs(x); }),
                         "abs: not supported for Bool tensors", [] { return Inputs{bool_input({2})}; }));
  t.push_back(primitive("sign")
                  .samples(un([](const Tensor& x) { return sign(x); }), torch("torch.sign(a)"),
                           unary_inputs(Domain::AwayFromZero))
                  .error("Bool input", un([](const Tensor& x) { return sign(x); }),
                         "sign: not supported for Bool tensors", [] { return Inputs{bool_input({2})}; }));
  // step is tapegrad's (the tutorials' threshold unit): a naive loop is its reference
  t.push_back(primitive("step")
                  .samples(un([](const Tensor& x) { return step(x, 0.1); }), naive(naive_step(0.1)),
                           unary_inputs(Domain::AwayFromZero))
                  .error("Int64 input", un([](const Tensor& x) { return step(x); }),
                         "step: expected a floating-point tensor (Float32 or Float64), got Int64",
                         [] { return Inputs{int64_input({2})}; }));
  {
    auto hv = bin([](const Tensor& a, const Tensor& b) { return heaviside(a, b); });
    Entry e = primitive("heaviside");
    e.samples(hv, torch("torch.heaviside(a, b)"), binary_inputs(Domain::AwayFromZero, Domain::Any))
        .error("Bool input", hv, "heaviside: not supported for Bool tensors", [] {
          return Inputs{bool_input({2}), make({2}, Domain::Any, 909)};
        });
    t.push_back(broadcast_errors(e, "heaviside", hv));
  }
  // the fused backward kernels: their ATen counterparts are the PyTorch reference
  {
    auto f = bin([](const Tensor& g, const Tensor& y) { return tanh_backward(g, y); });
    Entry e = primitive("tanh_backward");
    e.samples(f, torch("torch.ops.aten.tanh_backward(a, b)"), binary_inputs(Domain::Any, Domain::Unit));
    t.push_back(broadcast_errors(e, "tanh_backward", f));
  }
  {
    auto f = bin([](const Tensor& g, const Tensor& y) { return sigmoid_backward(g, y); });
    Entry e = primitive("sigmoid_backward");
    e.samples(f, torch("torch.ops.aten.sigmoid_backward(a, b)"), binary_inputs(Domain::Any, Domain::Unit));
    t.push_back(broadcast_errors(e, "sigmoid_backward", f));
  }
  t.push_back(primitive("relu")
                  .samples(un([](const Tensor& x) { return relu(x); }), torch("torch.relu(a)"),
                           unary_inputs(Domain::AwayFromZero))
                  .error("Bool input", un([](const Tensor& x) { return relu(x); }),
                         "relu: not supported for Bool tensors", [] { return Inputs{bool_input({2})}; }));
  {
    auto f = bin([](const Tensor& g, const Tensor& y) { return relu_backward(g, y); });
    Entry e = primitive("relu_backward");
    e.samples(f, torch("torch.ops.aten.threshold_backward(a, b, 0.0)"),
              binary_inputs(Domain::Any, Domain::AwayFromZero));
    t.push_back(broadcast_errors(e, "relu_backward", f));
  }
  t.push_back(primitive("clamp")
                  .samples(un([](const Tensor& x) { return clamp(x, -0.9, 1.1); }), torch("torch.clamp(a, -0.9, 1.1)"),
                           unary_inputs(Domain::Unit))
                  .samples(un([](const Tensor& x) { return clamp_min(x, -0.3); }), torch("torch.clamp_min(a, -0.3)"),
                           one("clamp_min [3, 4]", {3, 4}, Domain::Unit, 20))
                  .samples(un([](const Tensor& x) { return clamp_max(x, 0.4); }), torch("torch.clamp_max(a, 0.4)"),
                           one("clamp_max [3, 4]", {3, 4}, Domain::Unit, 21))
                  .error("neither min nor max",
                         un([](const Tensor& x) { return clamp(x, std::nullopt, std::nullopt); }),
                         "clamp: at least one of min and max must be given", two_by_three)
                  .error("Bool input", un([](const Tensor& x) { return clamp(x, 0.0, 1.0); }),
                         "clamp: not supported for Bool tensors", [] { return Inputs{bool_input({2})}; }));
  t.push_back(primitive("hardtanh")
                  .samples(un([](const Tensor& x) { return hardtanh(x, -0.5, 0.8); }),
                           torch("F.hardtanh(a, -0.5, 0.8)"), unary_inputs(Domain::Any))
                  .samples(un([](const Tensor& x) { return hardtanh(x); }), torch("F.hardtanh(a)"),
                           one("default range [-1, 1], [3, 4]", {3, 4}, Domain::Any, 24))
                  .error("Bool input", un([](const Tensor& x) { return hardtanh(x); }),
                         "hardtanh: not supported for Bool tensors", [] { return Inputs{bool_input({2})}; }));
  for (const char* name : {"maximum", "minimum"}) {
    const bool is_max = std::string(name) == "maximum";
    auto f = is_max ? bin([](const Tensor& a, const Tensor& b) { return maximum(a, b); })
                    : bin([](const Tensor& a, const Tensor& b) { return minimum(a, b); });
    auto g = is_max ? bin([](const Tensor& a, const Tensor& b) { return max(a, b); })
                    : bin([](const Tensor& a, const Tensor& b) { return min(a, b); });
    Entry e = primitive(name);
    e.samples(f, torch(std::string("torch.") + name + "(a, b)"), binary_inputs(Domain::Any, Domain::Any))
        .samples(g, torch(std::string("torch.") + (is_max ? "max" : "min") + "(a, b)"),
                 one(is_max ? "max(a, b)" : "min(a, b)",
                     [] {
                       return Inputs{make({2, 3}, Domain::Any, 22), make({2, 3}, Domain::Any, 23)};
                     }))
        .error("Bool input", f, std::string(name) + ": not supported for Bool tensors", [] {
          return Inputs{bool_input({2}), bool_input({2})};
        });
    t.push_back(broadcast_errors(e, name, f));
  }
  {
    auto w = [](const Inputs& in) { return where(in[0], in[1], in[2]); };
    auto mask = [] { return tensor({1, 0, 1, 1, 0, 0}, kInt64).reshape({2, 3}).to(kBool); };
    t.push_back(primitive("where")
                    .samples(w, torch("torch.where(a, b, c)"),
                             [mask] {
                               return std::vector<In>{
                                   {{mask(), make({2, 3}, Domain::Any, 24), make({2, 3}, Domain::Any, 25)}, "[2, 3]"},
                                   {{mask(), make({1, 3}, Domain::Any, 26), make({}, Domain::Any, 27)},
                                    "broadcast [1, 3] and 0-d"},
                               };
                             })
                    .samples([](const Inputs& in) { return where(in[0], in[1], 1.5); },
                             torch("torch.where(a, b, torch.tensor(1.5, dtype=D))"),
                             one("[2, 3] and the scalar 1.5",
                                 [mask] {
                                   return Inputs{mask(), make({2, 3}, Domain::Any, 28)};
                                 }))
                    .error("Float condition", w, "where: condition must be a Bool tensor, got Float64",
                           [] {
                             return Inputs{make({2, 3}, Domain::Any, 910, false), make({2, 3}, Domain::Any, 911),
                                           make({2, 3}, Domain::Any, 912)};
                           })
                    .error("undefined second value", w, "where: second value is an undefined tensor", [mask] {
                      return Inputs{mask(), make({2, 3}, Domain::Any, 913), undefined()};
                    }));
  }
}

// ---------------------------------------------------------------- reductions

void add_reductions(std::vector<OpInfo>& t) {
  t.push_back(primitive("sum")
                  .samples(un([](const Tensor& x) { return x.sum({1}, true); }), torch("a.sum(1, keepdim=True)"),
                           [] {
                             return std::vector<In>{{{make({3, 4}, Domain::Any, 31)}, "[3, 4] dim 1 keepdim"},
                                                    {{make({2, 3, 2}, Domain::Any, 32)}, "[2, 3, 2] dim 1 keepdim"}};
                           })
                  .samples(un([](const Tensor& x) { return x.sum(); }), torch("a.sum()"), unary_inputs(Domain::Any))
                  .samples(un([](const Tensor& x) {
                             return x.sum({0, 2});
                           }),
                           torch("a.sum((0, 2))"), one("[2, 3, 4] dims {0, 2}", {2, 3, 4}, Domain::Any, 33))
                  .error("dim 2 of a 2-d tensor", un([](const Tensor& x) { return x.sum({2}); }),
                         "sum: dim 2 is out of range for a tensor of 2 dims", two_by_three)
                  .error("dim repeated", un([](const Tensor& x) {
                           return x.sum({1, -1});
                         }),
                         "sum: dim 1 appears multiple times in the list of dims", two_by_three)
                  .error("undefined input", un([](const Tensor& x) { return x.sum(); }),
                         "sum: input is an undefined tensor", [] { return Inputs{undefined()}; }));
  t.push_back(primitive("prod")
                  .samples(un([](const Tensor& x) { return x.prod(1); }), torch("a.prod(1)"),
                           [] {
                             Tensor with_zero = make({2, 3}, Domain::Any, 34);
                             {
                               NoGradGuard guard;
                               with_zero.detach()[0][1].fill_(0.0);
                             }
                             // two and three zeros in a row: the first derivative is 0, the second is not
                             Tensor zero_rows = values({0, 4, 0, 5, 0, 0, 0, 2, 1, 2, 3, 4}, {3, 4});
                             return std::vector<In>{{{make({3, 4}, Domain::AwayFromZero, 35)}, "[3, 4] dim 1"},
                                                    {{with_zero}, "[2, 3] with a zero"},
                                                    {{zero_rows}, "[3, 4] rows with 2, 3 and no zeros"}};
                           })
                  .samples(un([](const Tensor& x) { return x.prod(); }), torch("a.prod()"),
                           [] {
                             return std::vector<In>{{{make({3, 4}, Domain::AwayFromZero, 40)}, "[3, 4] all"},
                                                    {{values({0, 4, 0, 5}, {4})}, "[4] all, two zeros"}};
                           })
                  .error("dim 3 of a 2-d tensor", un([](const Tensor& x) { return x.prod(3); }),
                         "prod: dim 3 is out of range for a tensor of 2 dims", two_by_three)
                  .error("undefined input", un([](const Tensor& x) { return x.prod(); }),
                         "prod: input is an undefined tensor", [] { return Inputs{undefined()}; }));
  for (const char* name : {"amax", "amin"}) {
    const bool is_max = std::string(name) == "amax";
    auto by_dim = is_max ? un([](const Tensor& x) { return x.amax({1}); })
                         : un([](const Tensor& x) { return x.amin({0}, true); });
    auto all = is_max ? un([](const Tensor& x) { return x.max(); }) : un([](const Tensor& x) { return x.min(); });
    t.push_back(primitive(name)
                    .samples(by_dim, torch(is_max ? "a.amax(1)" : "a.amin(0, keepdim=True)"),
                             one(is_max ? "[3, 4] dim 1" : "[3, 4] dim 0 keepdim",
                                 [] {
                                   return Inputs{make({3, 4}, Domain::Distinct, 36)};
                                 }))
                    .samples(all, torch(is_max ? "a.max()" : "a.min()"),
                             one(is_max ? "max() of [3, 4]" : "min() of [3, 4]",
                                 [] {
                                   return Inputs{make({3, 4}, Domain::Distinct, 44)};
                                 }))
                    .error("Bool input", by_dim, std::string(name) + ": not supported for Bool tensors",
                           [] {
                             return Inputs{bool_input({2, 3})};
                           })
                    .error("empty [0, 3] over dim 0",
                           is_max ? un([](const Tensor& x) { return x.amax({0}); })
                                  : un([](const Tensor& x) { return x.amin({0}); }),
                           std::string(name) + ": cannot", [] {
                             return Inputs{zeros({0, 3}, kFloat64)};
                           }));
  }
  t.push_back(primitive("norm")
                  .samples(un([](const Tensor& x) { return x.norm(2, {1}); }), torch("a.norm(2, 1)"),
                           [] {
                             return std::vector<In>{{{make({3, 4}, Domain::Any, 38)}, "[3, 4] dim 1"},
                                                    {{make({2, 5}, Domain::Any, 39)}, "[2, 5] dim 1"}};
                           })
                  .samples(un([](const Tensor& x) { return x.norm(); }), torch("a.norm()"),
                           one("[2, 3] all", {2, 3}, Domain::Any, 41))
                  .error("Int64 input", un([](const Tensor& x) { return x.norm(); }),
                         "norm: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                           return Inputs{int64_input({2, 3})};
                         }));
  // p != 2 is computed from abs, pow and sum
  t.push_back(composite("norm_p3")
                  .samples(un([](const Tensor& x) { return x.norm(3); }), torch("a.norm(3)"),
                           unary_inputs(Domain::AwayFromZero))
                  .error("Int64 input", un([](const Tensor& x) { return x.norm(3); }),
                         "norm: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                           return Inputs{int64_input({2, 3})};
                         }));
  t.push_back(composite("mean")
                  .samples(un([](const Tensor& x) { return x.mean({-1}, true); }), torch("a.mean(-1, keepdim=True)"),
                           unary_inputs(Domain::Any))
                  .samples(un([](const Tensor& x) { return x.mean(); }), torch("a.mean()"),
                           one("[3, 4] all", {3, 4}, Domain::Any, 42))
                  .error("Int64 input", un([](const Tensor& x) { return x.mean(); }),
                         "mean: could not infer output dtype",
                         [] {
                           return Inputs{int64_input({2, 3})};
                         })
                  .error("dim -3 of a 2-d tensor", un([](const Tensor& x) { return x.mean({-3}); }),
                         "dim -3 is out of range for a tensor of 2 dims", two_by_three));
  t.push_back(composite("var")
                  // (x.var({1}) alone would be var(unbiased = true) over everything: {1} converts to bool)
                  .samples(un([](const Tensor& x) { return x.var({1}, true); }), torch("a.var(1)"),
                           one("[3, 4] dim 1", {3, 4}, Domain::Any, 40))
                  .samples(un([](const Tensor& x) { return x.var({0}, false, true); }),
                           torch("a.var(0, unbiased=False, keepdim=True)"),
                           one("[3, 4] dim 0 biased keepdim", {3, 4}, Domain::Any, 43))
                  .error("Int64 input", un([](const Tensor& x) { return x.var(); }),
                         "var: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                           return Inputs{int64_input({2, 3})};
                         }));
  t.push_back(composite("std")
                  .samples(un([](const Tensor& x) { return x.std(); }), torch("a.std()"),
                           one("[3, 4] all", {3, 4}, Domain::Any, 41))
                  .error("Int64 input", un([](const Tensor& x) { return x.std(); }),
                         "var: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                           return Inputs{int64_input({2, 3})};
                         }));
  // max(dim) / min(dim): argmax, then gather
  t.push_back(composite("max_dim")
                  .samples(un([](const Tensor& x) { return std::get<0>(x.max(1)); }), torch("a.max(1)[0]"),
                           one("[3, 4] dim 1", {3, 4}, Domain::Distinct, 42))
                  .error("dim of size 0", un([](const Tensor& x) { return std::get<0>(x.max(1)); }),
                         "max: cannot reduce over dim 1 of size 0 (shape [2, 0])",
                         [] {
                           return Inputs{zeros({2, 0}, kFloat64)};
                         })
                  .error("Bool input", un([](const Tensor& x) { return std::get<0>(x.max(0)); }),
                         "max: not supported for Bool tensors", [] { return Inputs{bool_input({2})}; }));
  t.push_back(composite("min_dim")
                  .samples(un([](const Tensor& x) { return std::get<0>(x.min(0, true)); }),
                           torch("a.min(0, keepdim=True)[0]"),
                           one("[3, 4] dim 0 keepdim", {3, 4}, Domain::Distinct, 43))
                  .error("dim 2 of a 2-d tensor", un([](const Tensor& x) { return std::get<0>(x.min(2)); }),
                         "min: dim 2 is out of range for a tensor of 2 dims", two_by_three));
  t.push_back(composite("logsumexp")
                  .samples(un([](const Tensor& x) { return x.logsumexp({1}); }), torch("a.logsumexp(1)"),
                           [] {
                             return std::vector<In>{{{make({3, 4}, Domain::Any, 45)}, "[3, 4] dim 1"},
                                                    {{make({2, 1, 3}, Domain::Any, 46)}, "[2, 1, 3] dim 1"}};
                           })
                  .error("Int64 input", un([](const Tensor& x) { return x.logsumexp({1}); }),
                         "logsumexp: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                           return Inputs{int64_input({2, 3})};
                         }));
  t.push_back(composite("softmax")
                  .samples(un([](const Tensor& x) { return x.softmax(1); }), torch("a.softmax(1)"),
                           one("[3, 4] dim 1", {3, 4}, Domain::Any, 47))
                  .samples(un([](const Tensor& x) { return x.softmax(0); }), torch("a.softmax(0)"),
                           one("[2, 1, 3] dim 0", {2, 1, 3}, Domain::Any, 49))
                  .error("Int64 input", un([](const Tensor& x) { return x.softmax(1); }),
                         "softmax: expected a floating-point tensor (Float32 or Float64), got Int64",
                         [] {
                           return Inputs{int64_input({2, 3})};
                         })
                  .error("dim 2 of a 2-d tensor", un([](const Tensor& x) { return x.softmax(2); }),
                         "dim 2 is out of range for a tensor of 2 dims", two_by_three));
  t.push_back(composite("log_softmax")
                  .samples(un([](const Tensor& x) { return x.log_softmax(-1); }), torch("a.log_softmax(-1)"),
                           one("[3, 4] dim -1", {3, 4}, Domain::Any, 48))
                  .error("Int64 input", un([](const Tensor& x) { return x.log_softmax(1); }),
                         "log_softmax: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                           return Inputs{int64_input({2, 3})};
                         }));
}

// ---------------------------------------------------------------- activations built from primitives

void add_activations(std::vector<OpInfo>& t) {
  auto int64_error = [](Entry e, const std::string& op, OpFn call) {
    return e.error("Int64 input", std::move(call),
                   op + ": expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                     return Inputs{int64_input({2, 3})};
                   });
  };
  {
    auto f = un([](const Tensor& x) { return leaky_relu(x, 0.1); });
    t.push_back(int64_error(
        composite("leaky_relu").samples(f, torch("F.leaky_relu(a, 0.1)"), unary_inputs(Domain::AwayFromZero)),
        "leaky_relu", f));
  }
  {
    auto f = un([](const Tensor& x) { return elu(x, 1.5); });
    t.push_back(int64_error(
        composite("elu").samples(f, torch("F.elu(a, alpha=1.5)"), unary_inputs(Domain::AwayFromZero)), "elu", f));
  }
  {
    auto f = un([](const Tensor& x) { return gelu(x); });
    t.push_back(
        int64_error(composite("gelu")
                        .samples(f, torch("F.gelu(a)"), unary_inputs(Domain::Any))
                        .samples(un([](const Tensor& x) { return gelu(x, "tanh"); }),
                                 torch("F.gelu(a, approximate='tanh')"), unary_inputs(Domain::Any))
                        .error("approximate \"sigmoid\"", un([](const Tensor& x) { return gelu(x, "sigmoid"); }),
                               "gelu: approximate must be \"none\" or \"tanh\", got \"sigmoid\"", two_by_three),
                    "gelu", f));
  }
  {
    auto f = un([](const Tensor& x) { return softplus(x, 2.0, 3.0); });
    t.push_back(
        int64_error(composite("softplus")
                        .samples(f, torch("F.softplus(a, beta=2.0, threshold=3.0)"), unary_inputs(Domain::AwayFromZero))
                        .error("beta 0", un([](const Tensor& x) { return softplus(x, 0.0); }),
                               "softplus: beta must be non-zero", two_by_three),
                    "softplus", f));
  }
  t.push_back(composite("rsub")
                  .samples(un([](const Tensor& x) { return 2.0 - x; }), torch("2.0 - a"), unary_inputs(Domain::Any))
                  .samples(un([](const Tensor& x) { return rsub(x, -1.0); }), torch("torch.rsub(a, -1.0)"),
                           one("rsub(x, -1) [3, 2]", {3, 2}, Domain::Any, 50))
                  .error("Bool input", un([](const Tensor& x) { return 2.0 - x; }),
                         "neg: not supported for Bool tensors", [] { return Inputs{bool_input({2})}; }));
}

// ---------------------------------------------------------------- shape ops

void add_shape_ops(std::vector<OpInfo>& t) {
  t.push_back(primitive("view")
                  .samples(un([](const Tensor& x) {
                             return x.view({4, -1});
                           }),
                           torch("a.view(4, -1)"), one("[2, 3, 2] -> [4, 3]", {2, 3, 2}, Domain::Any, 51))
                  .samples(un([](const Tensor& x) { return x.flatten(1); }), torch("a.flatten(1)"),
                           one("flatten(1) [2, 3, 2]", {2, 3, 2}, Domain::Any, 67))
                  .samples(un([](const Tensor& x) { return x.squeeze(1); }), torch("a.squeeze(1)"),
                           one("squeeze(1) [3, 1, 2]", {3, 1, 2}, Domain::Any, 66))
                  .samples(un([](const Tensor& x) { return x.unsqueeze(0); }), torch("a.unsqueeze(0)"),
                           one("unsqueeze(0) [3, 2]", {3, 2}, Domain::Any, 76))
                  .samples(un([](const Tensor& x) { return x.squeeze(); }), torch("a.squeeze()"),
                           one("squeeze() [1, 3, 1]", {1, 3, 1}, Domain::Any, 77))
                  .error("[2, 3] viewed as [4, -1]", un([](const Tensor& x) {
                           return x.view({4, -1});
                         }),
                         "view: shape [4, -1] is invalid for input of size 6", two_by_three)
                  .error("two -1", un([](const Tensor& x) {
                           return x.view({-1, -1});
                         }),
                         "view: only one dimension can be inferred", two_by_three)
                  .error("a transposed tensor", un([](const Tensor& x) { return x.t().view({6}); }),
                         "view: shape [6] is not compatible with the input's size", two_by_three)
                  .error("flatten start after end", un([](const Tensor& x) { return x.flatten(2, 1); }),
                         "flatten: start_dim 2 comes after end_dim 1", [] {
                           return Inputs{make({2, 3, 2}, Domain::Any, 914)};
                         }));
  t.push_back(primitive("permute")
                  .samples(un([](const Tensor& x) {
                             return x.permute({2, 0, 1});
                           }),
                           torch("a.permute(2, 0, 1)"), one("[2, 3, 4]", {2, 3, 4}, Domain::Any, 52))
                  .samples(un([](const Tensor& x) { return x.transpose(0, 2); }), torch("a.transpose(0, 2)"),
                           one("transpose(0, 2) [2, 3, 4]", {2, 3, 4}, Domain::Any, 65))
                  .samples(un([](const Tensor& x) { return x.t(); }), torch("a.t()"),
                           one("t() [2, 3]", {2, 3}, Domain::Any, 78))
                  .error("two dims for a 3-d tensor", un([](const Tensor& x) {
                           return x.permute({1, 0});
                         }),
                         "permute: number of dims 2 does not match the tensor's 3 dims",
                         [] {
                           return Inputs{make({2, 3, 4}, Domain::Any, 915)};
                         })
                  .error("dim repeated", un([](const Tensor& x) {
                           return x.permute({1, 1});
                         }),
                         "permute: dim 1 repeated in [1, 1]", two_by_three)
                  .error("t() of a 3-d tensor", un([](const Tensor& x) { return x.t(); }),
                         "t: expects a tensor with <= 2 dimensions, but got 3", [] {
                           return Inputs{make({2, 3, 4}, Domain::Any, 916)};
                         }));
  t.push_back(primitive("expand")
                  .samples(un([](const Tensor& x) {
                             return x.expand({2, 3, 4});
                           }),
                           torch("a.expand(2, 3, 4)"),
                           [] {
                             return std::vector<In>{{{make({3, 1}, Domain::Any, 53)}, "[3, 1] -> [2, 3, 4]"},
                                                    {{make({}, Domain::Any, 54)}, "0-d -> [2, 3, 4]"}};
                           })
                  .samples(un([](const Tensor& x) {
                             return broadcast_to(x, {3, -1});
                           }),
                           torch("torch.broadcast_to(a, (3, -1))"),
                           one("broadcast_to [1, 4] -> [3, -1]", {1, 4}, Domain::Any, 79))
                  .error("[2, 3] to [2, 4]", un([](const Tensor& x) {
                           return x.expand({2, 4});
                         }),
                         "expand: the expanded size of the tensor (4) must match the existing", two_by_three)
                  .error("fewer sizes than dims", un([](const Tensor& x) { return x.expand({3}); }),
                         "expand: the number of sizes provided (1) must be greater or equal to", two_by_three));
  t.push_back(primitive("narrow")
                  .samples(un([](const Tensor& x) { return x.narrow(1, 1, 2); }), torch("a.narrow(1, 1, 2)"),
                           one("[3, 4] dim 1 [1, 3)", {3, 4}, Domain::Any, 55))
                  .samples(un([](const Tensor& x) { return x.chunk(3, 0)[2]; }), torch("a.chunk(3, 0)[2]"),
                           one("chunk(3, 0)[2] of [5, 2]", {5, 2}, Domain::Any, 71))
                  .samples(un([](const Tensor& x) { return unbind(x, 1)[1]; }), torch("a.unbind(1)[1]"),
                           one("unbind(1)[1] of [3, 2]", {3, 2}, Domain::Any, 80))
                  .error("start 1 + length 3 past size 3", un([](const Tensor& x) { return x.narrow(1, 1, 3); }),
                         "narrow: start (1) + length (3) exceeds dimension size (3)", two_by_three)
                  .error("0-d input", un([](const Tensor& x) { return x.narrow(0, 0, 1); }),
                         "narrow: cannot be applied to a 0-dim tensor",
                         [] { return Inputs{make({}, Domain::Any, 917)}; })
                  .error("chunk into 0", un([](const Tensor& x) { return x.chunk(0)[0]; }),
                         "chunk: number of chunks must be positive, got 0", two_by_three));
  t.push_back(primitive("slice")
                  .samples(un([](const Tensor& x) { return x.slice(1, 1, 6, 2); }), torch("a[:, 1:6:2]"),
                           [] {
                             return std::vector<In>{{{make({2, 7}, Domain::Any, 72)}, "[2, 7] dim 1, 1:6:2"},
                                                    {{make({3, 6, 1}, Domain::Any, 75)}, "[3, 6, 1] dim 1, 1:6:2"}};
                           })
                  .error("step 0", un([](const Tensor& x) { return x.slice(1, 0, 2, 0); }),
                         "slice: step must be positive, got 0", two_by_three)
                  .error("0-d input", un([](const Tensor& x) { return x.slice(0); }),
                         "slice: cannot be applied to a 0-dim tensor",
                         [] { return Inputs{make({}, Domain::Any, 918)}; }));
  t.push_back(primitive("pad")
                  .samples(un([](const Tensor& x) {
                             return pad(x, {1, 2, 0, 1}, "constant", 0.5);
                           }),
                           torch("F.pad(a, (1, 2, 0, 1), value=0.5)"),
                           one("[2, 3] pad (1, 2, 0, 1)", {2, 3}, Domain::Any, 56))
                  .samples(un([](const Tensor& x) {
                             return constant_pad_nd(x, {2, 0});
                           }),
                           torch("torch.constant_pad_nd(a, (2, 0))"),
                           one("constant_pad_nd [2, 1, 3] (2, 0)", {2, 1, 3}, Domain::Any, 81))
                  .error("mode reflect", un([](const Tensor& x) {
                           return pad(x, {1, 1}, "reflect");
                         }),
                         "pad: mode \"reflect\" is not supported (only \"constant\")", two_by_three)
                  .error("odd padding length", un([](const Tensor& x) {
                           return pad(x, {1, 1, 1});
                         }),
                         "pad: padding length must be even", two_by_three)
                  .error("negative padding", un([](const Tensor& x) {
                           return pad(x, {-1, 0});
                         }),
                         "pad: negative padding [-1, 0] is not supported", two_by_three));
  {
    auto cat3 = [](const Inputs& in) { return cat({in[0], in[1], in[2]}, 1); };
    t.push_back(primitive("cat")
                    .samples(cat3, torch("torch.cat([a, b, c], 1)"),
                             one("[2, 1] [2, 3] [2, 2] dim 1",
                                 [] {
                                   return Inputs{make({2, 1}, Domain::Any, 57), make({2, 3}, Domain::Any, 58),
                                                 make({2, 2}, Domain::Any, 59)};
                                 }))
                    .samples(
                        [](const Inputs& in) {
                          return cat({in[0], in[1]});
                        },
                        torch("torch.cat([a, b])"),
                        one("[1, 3] [2, 3] dim 0",
                            [] {
                              return Inputs{make({1, 3}, Domain::Any, 82), make({2, 3}, Domain::Any, 83)};
                            }))
                    .error("sizes differ off the cat dim", cat3,
                           "cat: sizes of tensors must match except in dimension 1",
                           [] {
                             return Inputs{make({2, 1}, Domain::Any, 919), make({3, 3}, Domain::Any, 920),
                                           make({2, 2}, Domain::Any, 921)};
                           })
                    .error(
                        "empty list", [](const Inputs&) { return cat({}, 0); },
                        "cat: expected a non-empty list of tensors", [] { return Inputs{}; })
                    .error(
                        "0-d tensors",
                        [](const Inputs& in) {
                          return cat({in[0], in[1]});
                        },
                        "cat: zero-dimensional tensor (at position 0) cannot be concatenated",
                        [] {
                          return Inputs{make({}, Domain::Any, 922), make({}, Domain::Any, 923)};
                        }));
  }
  {
    auto g = [](const Inputs& in) { return gather(in[0], 1, in[1]); };
    t.push_back(
        primitive("gather")
            .samples(g, torch("torch.gather(a, 1, b)"),
                     one("[3, 4] dim 1, index [3, 2] with repeats",
                         [] {
                           return Inputs{make({3, 4}, Domain::Any, 60), index_tensor({0, 3, 3, 1, 2, 0}, {3, 2})};
                         }))
            .samples([](const Inputs& in) { return index_select(in[0], 0, in[1]); },
                     torch("torch.index_select(a, 0, b)"),
                     one("index_select [4, 3] rows 3, 0, 3",
                         [] {
                           return Inputs{make({4, 3}, Domain::Any, 74), index_tensor({3, 0, 3}, {3})};
                         }))
            .error("index 4 out of bounds", g, "gather: index 4 is out of bounds for dim 1 with size 4",
                   [] {
                     return Inputs{make({3, 4}, Domain::Any, 924), index_tensor({0, 4}, {1, 2})};
                   })
            .error("Float index", g, "gather: index must be an Int64 tensor, got Float64",
                   [] {
                     return Inputs{make({3, 4}, Domain::Any, 925), make({3, 2}, Domain::Any, 926, false)};
                   })
            .error("index of another rank", g, "gather: index tensor must have the same number of dimensions as input",
                   [] {
                     return Inputs{make({3, 4}, Domain::Any, 927), index_tensor({0, 1}, {2})};
                   })
            .error(
                "index_select index out of range", [](const Inputs& in) { return index_select(in[0], 0, in[1]); },
                "index_select: index 4 is out of range for dim 0 of size 4",
                [] {
                  return Inputs{make({4, 3}, Domain::Any, 928), index_tensor({4}, {1})};
                }));
  }
  {
    auto s = [](const Inputs& in) { return scatter_add(in[0], 0, in[1], in[2]); };
    t.push_back(primitive("scatter_add")
                    .samples(s, torch("torch.scatter_add(a, 0, b, c)"),
                             one("[3, 2] dim 0, src [2, 2]",
                                 [] {
                                   return Inputs{make({3, 2}, Domain::Any, 61), index_tensor({0, 2, 0, 0}, {2, 2}),
                                                 make({2, 2}, Domain::Any, 62)};
                                 }))
                    .error("index 3 out of bounds", s, "scatter_add: index 3 is out of bounds for dim 0 with size 3",
                           [] {
                             return Inputs{make({3, 2}, Domain::Any, 929), index_tensor({0, 3}, {1, 2}),
                                           make({1, 2}, Domain::Any, 930)};
                           })
                    .error("undefined src", s, "scatter_add: src is an undefined tensor", [] {
                      return Inputs{make({3, 2}, Domain::Any, 931), index_tensor({0, 1}, {1, 2}), undefined()};
                    }));
  }
  t.push_back(primitive("clone")
                  .samples(un([](const Tensor& x) { return x.transpose(0, 1).clone(); }),
                           torch("a.transpose(0, 1).clone()"), one("transposed [2, 3]", {2, 3}, Domain::Any, 63))
                  .error("undefined input", un([](const Tensor& x) { return clone(x); }),
                         "clone: input is an undefined tensor", [] { return Inputs{undefined()}; }));
  // float32 round trip: finite differences need a step far above float32 rounding
  t.push_back(primitive("to")
                  .samples(un([](const Tensor& x) { return x.to(kFloat32).to(kFloat64); }), torch("a.float().double()"),
                           unary_inputs(Domain::Any))
                  .gradcheck_tolerance(1e-3, 1e-3, 1e-3)
                  .error("undefined input", un([](const Tensor& x) { return x.to(kFloat32); }),
                         "to: input is an undefined tensor", [] { return Inputs{undefined()}; }));
  t.push_back(composite("reshape")
                  .samples(un([](const Tensor& x) { return x.t().reshape({-1}); }), torch("a.t().reshape(-1)"),
                           one("[2, 3]^T -> [6] (copies)", {2, 3}, Domain::Any, 64))
                  .error("[2, 3] as [4, -1]", un([](const Tensor& x) {
                           return x.reshape({4, -1});
                         }),
                         "reshape: shape [4, -1] is invalid for input of size 6", two_by_three));
  t.push_back(composite("stack")
                  .samples(bin([](const Tensor& a, const Tensor& b) {
                             return stack({a, b}, 1);
                           }),
                           torch("torch.stack([a, b], 1)"),
                           one("two [2, 3] at dim 1",
                               [] {
                                 return Inputs{make({2, 3}, Domain::Any, 68), make({2, 3}, Domain::Any, 69)};
                               }))
                  .error("shapes differ", bin([](const Tensor& a, const Tensor& b) {
                           return stack({a, b});
                         }),
                         "stack: expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 2] at entry 1",
                         [] {
                           return Inputs{make({2, 3}, Domain::Any, 932), make({3, 2}, Domain::Any, 933)};
                         }));
  t.push_back(composite("split")
                  .samples(un([](const Tensor& x) {
                             auto parts = x.split(2, 1);
                             return parts[0] * 2.0 + parts[1] * parts[1];
                           }),
                           torch("(lambda p: p[0] * 2.0 + p[1] * p[1])(a.split(2, 1))"),
                           one("[3, 4] into 2 + 2", {3, 4}, Domain::Any, 70))
                  .samples(un([](const Tensor& x) {
                             return split_with_sizes(x, {1, 2}, 0)[1];
                           }),
                           torch("a.split_with_sizes([1, 2], 0)[1]"),
                           one("split_with_sizes {1, 2} of [3, 2]", {3, 2}, Domain::Any, 84))
                  .error("split size 0", un([](const Tensor& x) { return x.split(0, 1)[0]; }),
                         "split: split_size must be positive, got 0", two_by_three)
                  .error("sizes that do not sum to the dim", un([](const Tensor& x) {
                           return split_with_sizes(x, {1, 1}, 1)[0];
                         }),
                         "split_with_sizes: sizes [1, 1] sum to 2, but dim 1 has size 3", two_by_three));
  t.push_back(composite("select")
                  .samples(un([](const Tensor& x) { return x[1]; }), torch("a[1]"),
                           one("row 1 of [3, 4]", {3, 4}, Domain::Any, 73))
                  .samples(un([](const Tensor& x) { return select(x, 1, -1); }), torch("a.select(1, -1)"),
                           one("select(1, -1) of [3, 4]", {3, 4}, Domain::Any, 85))
                  .error("index 2 of size 2", un([](const Tensor& x) { return select(x, 0, 2); }),
                         "select: index 2 is out of bounds for dimension 0 with size 2", two_by_three));
}

// ---------------------------------------------------------------- matrix products

void add_linalg(std::vector<OpInfo>& t) {
  auto shape_errors = [](Entry e, const std::string& op, OpFn call, std::vector<int64_t> a, std::vector<int64_t> b,
                         std::string message) {
    return e
        .error("shapes " + shape_str(a) + " and " + shape_str(b), call, std::move(message),
               [a, b] {
                 return Inputs{make(a, Domain::Any, 934), make(b, Domain::Any, 935)};
               })
        .error("Int64 operand", call, op + ": expected a floating-point tensor (Float32 or Float64), got Int64",
               [a, b] {
                 return Inputs{make(a, Domain::Any, 936), int64_input(b)};
               });
  };
  {
    auto f = bin([](const Tensor& a, const Tensor& b) { return mm(a, b); });
    t.push_back(shape_errors(
        primitive("mm")
            .samples(f, torch("torch.mm(a, b)"),
                     [] {
                       return std::vector<In>{
                           {{make({3, 4}, Domain::Any, 81), make({4, 2}, Domain::Any, 82)}, "[3, 4] @ [4, 2]"},
                           {{make({1, 3}, Domain::Any, 83), make({3, 1}, Domain::Any, 84)}, "[1, 3] @ [3, 1]"}};
                     })
            .error("1-d operand", f, "mm: expected 2-D matrices, got shapes [3] and [3, 2]",
                   [] {
                     return Inputs{make({3}, Domain::Any, 937), make({3, 2}, Domain::Any, 938)};
                   }),
        "mm", f, {3, 4}, {5, 2}, "mm: shapes [3, 4] and [5, 2] cannot be multiplied (4 != 5)"));
  }
  {
    auto f = bin([](const Tensor& a, const Tensor& b) { return bmm(a, b); });
    t.push_back(shape_errors(
        primitive("bmm")
            .samples(f, torch("torch.bmm(a, b)"),
                     one("[2, 3, 4] @ [2, 4, 2]",
                         [] {
                           return Inputs{make({2, 3, 4}, Domain::Any, 85), make({2, 4, 2}, Domain::Any, 86)};
                         }))
            .error("batch sizes differ", f, "bmm: batch sizes differ: shapes [2, 3, 4] and [3, 4, 2]",
                   [] {
                     return Inputs{make({2, 3, 4}, Domain::Any, 939), make({3, 4, 2}, Domain::Any, 940)};
                   }),
        "bmm", f, {2, 3, 4}, {2, 3, 2}, "bmm: shapes [2, 3, 4] and [2, 3, 2] cannot be multiplied"));
  }
  {
    auto f = bin([](const Tensor& a, const Tensor& b) { return matmul(a, b); });
    t.push_back(
        composite("matmul")
            .samples(f, torch("torch.matmul(a, b)"),
                     [] {
                       return std::vector<In>{
                           {{make({4}, Domain::Any, 87), make({4}, Domain::Any, 88)}, "[4] @ [4]"},
                           {{make({3, 4}, Domain::Any, 89), make({4}, Domain::Any, 90)}, "[3, 4] @ [4]"},
                           {{make({4}, Domain::Any, 91), make({4, 2}, Domain::Any, 92)}, "[4] @ [4, 2]"},
                           {{make({2, 3, 4}, Domain::Any, 93), make({4, 2}, Domain::Any, 94)}, "[2, 3, 4] @ [4, 2]"},
                           {{make({2, 1, 3, 4}, Domain::Any, 95), make({3, 4, 2}, Domain::Any, 96)},
                            "[2, 1, 3, 4] @ [3, 4, 2] broadcast"},
                       };
                     })
            .error("0-d operand", f, "matmul: both arguments need at least 1 dimension, got shapes [] and [3]",
                   [] {
                     return Inputs{make({}, Domain::Any, 941), make({3}, Domain::Any, 942)};
                   })
            .error("shapes [3, 4] and [3]", f, "cannot be multiplied", [] {
              return Inputs{make({3, 4}, Domain::Any, 943), make({3}, Domain::Any, 944)};
            }));
  }
  {
    auto f = [](const Inputs& in) { return addmm(in[0], in[1], in[2]); };
    t.push_back(
        primitive("addmm")
            .samples(
                f, torch("torch.addmm(a, b, c)"),
                [] {
                  return std::vector<In>{
                      {{make({2}, Domain::Any, 97), make({3, 4}, Domain::Any, 98), make({4, 2}, Domain::Any, 99)},
                       "[2] + [3, 4] @ [4, 2]"},
                      {{make({3, 1}, Domain::Any, 100), make({3, 4}, Domain::Any, 101), make({4, 2}, Domain::Any, 104)},
                       "[3, 1] + [3, 4] @ [4, 2]"}};
                })
            .samples([](const Inputs& in) { return addmm(in[0], in[1], in[2], 0.5, -2); },
                     torch("torch.addmm(a, b, c, beta=0.5, alpha=-2)"),
                     one("0.5 [3, 2] - 2 [3, 4] @ [4, 2]",
                         [] {
                           return Inputs{make({3, 2}, Domain::Any, 105), make({3, 4}, Domain::Any, 106),
                                         make({4, 2}, Domain::Any, 107)};
                         }))
            .error("bias [3] for [3, 2]", f,
                   "addmm: self [3] cannot be broadcast to the product's shape [3, 2] ([3, 4] @ [4, 2])",
                   [] {
                     return Inputs{make({3}, Domain::Any, 945), make({3, 4}, Domain::Any, 946),
                                   make({4, 2}, Domain::Any, 947)};
                   })
            .error("shapes [3, 4] and [5, 2]", f, "addmm: shapes [3, 4] and [5, 2] cannot be multiplied (4 != 5)",
                   [] {
                     return Inputs{make({2}, Domain::Any, 948), make({3, 4}, Domain::Any, 949),
                                   make({5, 2}, Domain::Any, 950)};
                   })
            .error("1-d matrix", f, "addmm: expected 2-D matrices, got shapes [4] and [4, 2]", [] {
              return Inputs{make({2}, Domain::Any, 951), make({4}, Domain::Any, 952), make({4, 2}, Domain::Any, 953)};
            }));
  }
  t.push_back(composite("dot")
                  .samples(bin([](const Tensor& a, const Tensor& b) { return dot(a, b); }), torch("torch.dot(a, b)"),
                           one("[5] . [5]",
                               [] {
                                 return Inputs{make({5}, Domain::Any, 102), make({5}, Domain::Any, 103)};
                               }))
                  .error("sizes differ", bin([](const Tensor& a, const Tensor& b) { return dot(a, b); }),
                         "dot: inconsistent tensor sizes [3] and [4]",
                         [] {
                           return Inputs{make({3}, Domain::Any, 948), make({4}, Domain::Any, 949)};
                         })
                  .error("2-d operand", bin([](const Tensor& a, const Tensor& b) { return dot(a, b); }),
                         "dot: expected 1-D tensors", [] {
                           return Inputs{make({3, 1}, Domain::Any, 950), make({3}, Domain::Any, 951)};
                         }));
  t.push_back(composite("outer")
                  .samples(bin([](const Tensor& a, const Tensor& b) { return outer(a, b); }),
                           torch("torch.outer(a, b)"),
                           one("[3] x [2]",
                               [] {
                                 return Inputs{make({3}, Domain::Any, 100), make({2}, Domain::Any, 101)};
                               }))
                  .error("2-d operand", bin([](const Tensor& a, const Tensor& b) { return outer(a, b); }),
                         "outer: expected 1-D tensors, got shapes [3, 1] and [2]", [] {
                           return Inputs{make({3, 1}, Domain::Any, 952), make({2}, Domain::Any, 953)};
                         }));
}

// ---------------------------------------------------------------- neural-network ops (tapegrad/ops.h)
// im2col, col2im and max_pool2d own vjps; the rest are composites.

void add_nn_ops(std::vector<OpInfo>& t) {
  {
    auto f = un([](const Tensor& x) { return im2col(x, {2, 3}, {1, 2}, {1, 0}, {2, 1}); });
    t.push_back(primitive("im2col")
                    .samples(f, torch("F.unfold(a, (2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1))"),
                             [] {
                               return std::vector<In>{
                                   {{make({1, 2, 5, 6}, Domain::Any, 110)}, "[1, 2, 5, 6] k(2,3) d(1,2) p(1,0) s(2,1)"},
                                   {{make({2, 1, 4, 6}, Domain::Any, 111)}, "[2, 1, 4, 6], batch of 2"}};
                             })
                    .error("2-d input", f,
                           "im2col: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [2, 3]", two_by_three)
                    .error("input smaller than the kernel", un([](const Tensor& x) {
                             return im2col(x, {3, 3}, {1, 1}, {0, 0}, {1, 1});
                           }),
                           "im2col: input [1, 1, 2, 2] is too small for kernel [3, 3]",
                           [] {
                             return Inputs{make({1, 1, 2, 2}, Domain::Any, 954)};
                           })
                    .error("stride 0", un([](const Tensor& x) {
                             return im2col(x, {2, 2}, {1, 1}, {0, 0}, {0, 1});
                           }),
                           "im2col: stride must be positive, got [0, 1]", [] {
                             return Inputs{make({1, 1, 4, 4}, Domain::Any, 955)};
                           }));
  }
  {
    auto f = un([](const Tensor& x) { return col2im(x, {5, 6}, {2, 3}, {1, 2}, {1, 0}, {2, 1}); });
    t.push_back(
        primitive("col2im")
            .samples(f, torch("F.fold(a, (5, 6), (2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1))"),
                     one("[1, 12, 6] -> [1, 2, 5, 6]", {1, 12, 6}, Domain::Any, 112))
            .error("rows not a multiple of the kernel", f,
                   "col2im: input [1, 10, 6] has 10 rows, not a multiple of kernel size 2x3 = 6",
                   [] {
                     return Inputs{make({1, 10, 6}, Domain::Any, 956)};
                   })
            .error("columns that do not match the output size", f,
                   "col2im: input [1, 12, 5] has 5 columns but output size [5, 6]",
                   [] {
                     return Inputs{make({1, 12, 5}, Domain::Any, 957)};
                   })
            .error("4-d input", f, "col2im: expected a 2-D or 3-D input [N, C*kh*kw, L], got shape [1, 12, 6, 1]", [] {
              return Inputs{make({1, 12, 6, 1}, Domain::Any, 958)};
            }));
  }
  {
    auto f = [](const Inputs& in) { return conv2d(in[0], in[1], in[2], 2, 1); };
    t.push_back(
        composite("conv2d")
            .samples(f, torch("F.conv2d(a, b, c, stride=2, padding=1)"),
                     one("[2, 3, 5, 5] * [4, 3, 3, 3] stride 2 pad 1",
                         [] {
                           return Inputs{make({2, 3, 5, 5}, Domain::Any, 113), make({4, 3, 3, 3}, Domain::Any, 114),
                                         make({4}, Domain::Any, 115)};
                         }))
            .samples(bin([](const Tensor& x, const Tensor& w) { return conv2d(x, w, {}, 1, 1, 2, 2); }),
                     torch("F.conv2d(a, b, None, 1, 1, 2, 2)"),
                     one("[1, 4, 4, 4] * [6, 2, 3, 3] groups 2 dilation 2 pad 1",
                         [] {
                           return Inputs{make({1, 4, 4, 4}, Domain::Any, 116), make({6, 2, 3, 3}, Domain::Any, 117)};
                         }))
            .error("channels differ", f,
                   "conv2d: input [1, 2, 5, 5] has 2 channels but weight [4, 3, 3, 3] with groups=1 expects 3",
                   [] {
                     return Inputs{make({1, 2, 5, 5}, Domain::Any, 959), make({4, 3, 3, 3}, Domain::Any, 960),
                                   make({4}, Domain::Any, 961)};
                   })
            .error("bias of 3 for 4 channels", f, "conv2d: bias [3] does not match 4 output channels",
                   [] {
                     return Inputs{make({1, 3, 5, 5}, Domain::Any, 962), make({4, 3, 3, 3}, Domain::Any, 963),
                                   make({3}, Domain::Any, 964)};
                   })
            .error("groups 0", bin([](const Tensor& x, const Tensor& w) { return conv2d(x, w, {}, 1, 0, 1, 0); }),
                   "conv2d: groups must be positive, got 0", [] {
                     return Inputs{make({1, 4, 4, 4}, Domain::Any, 965), make({6, 2, 3, 3}, Domain::Any, 966)};
                   }));
  }
  {
    auto f = [](const Inputs& in) { return conv1d(in[0], in[1], in[2], 2, 1); };
    t.push_back(
        composite("conv1d")
            .samples(f, torch("F.conv1d(a, b, c, stride=2, padding=1)"),
                     one("[2, 2, 7] * [3, 2, 3] stride 2 pad 1",
                         [] {
                           return Inputs{make({2, 2, 7}, Domain::Any, 118), make({3, 2, 3}, Domain::Any, 119),
                                         make({3}, Domain::Any, 120)};
                         }))
            .error("4-d input", f, "conv1d: expected a 2-D [C, L] or 3-D [N, C, L] input, got shape [1, 2, 7, 1]",
                   [] {
                     return Inputs{make({1, 2, 7, 1}, Domain::Any, 967), make({3, 2, 3}, Domain::Any, 968),
                                   make({3}, Domain::Any, 969)};
                   })
            .error("4-d weight", f, "conv1d: weight must be 3-D [out, in/groups, k], got shape [3, 2, 3, 1]", [] {
              return Inputs{make({1, 2, 7}, Domain::Any, 970), make({3, 2, 3, 1}, Domain::Any, 971),
                            make({3}, Domain::Any, 972)};
            }));
  }
  {
    auto f = [](const Inputs& in) { return conv_transpose2d(in[0], in[1], in[2], 2, 1, 1); };
    t.push_back(
        composite("conv_transpose2d")
            .samples(f, torch("F.conv_transpose2d(a, b, c, stride=2, padding=1, output_padding=1)"),
                     one("[1, 4, 3, 3] * [4, 2, 3, 3] stride 2 pad 1 out_pad 1",
                         [] {
                           return Inputs{make({1, 4, 3, 3}, Domain::Any, 121), make({4, 2, 3, 3}, Domain::Any, 122),
                                         make({2}, Domain::Any, 123)};
                         }))
            .error(
                "output_padding 2 with stride 2",
                [](const Inputs& in) { return conv_transpose2d(in[0], in[1], in[2], 2, 1, 2); },
                "conv_transpose2d: output_padding [2] must be smaller than stride or dilation",
                [] {
                  return Inputs{make({1, 4, 3, 3}, Domain::Any, 973), make({4, 2, 3, 3}, Domain::Any, 974),
                                make({2}, Domain::Any, 975)};
                })
            .error("bias of 3 for 2 channels", f, "conv_transpose2d: bias [3] does not match 2 output channels", [] {
              return Inputs{make({1, 4, 3, 3}, Domain::Any, 976), make({4, 2, 3, 3}, Domain::Any, 977),
                            make({3}, Domain::Any, 978)};
            }));
  }
  t.push_back(
      primitive("max_pool2d")
          .samples(un([](const Tensor& x) { return max_pool2d(x, 3, 2, 1); }), torch("F.max_pool2d(a, 3, 2, 1)"),
                   one("[2, 2, 5, 5] k3 s2 p1", {2, 2, 5, 5}, Domain::Distinct, 124))
          .samples(un([](const Tensor& x) { return max_pool2d(x, 2, 2, 0, 2, true); }),
                   torch("F.max_pool2d(a, 2, 2, 0, 2, ceil_mode=True)"),
                   one("[1, 2, 6, 7] k2 s2 d2 ceil", {1, 2, 6, 7}, Domain::Distinct, 125))
          .samples(un([](const Tensor& x) {
                     return std::get<0>(max_pool2d_with_indices(x, {2, 3}, {1, 2}));
                   }),
                   torch("F.max_pool2d(a, (2, 3), (1, 2))"),
                   one("with_indices, [2, 4, 5] unbatched k(2,3) s(1,2)", {2, 4, 5}, Domain::Distinct, 126))
          .error("padding 2 for kernel 3", un([](const Tensor& x) { return max_pool2d(x, 3, 1, 2); }),
                 "max_pool2d: padding [2] should be at most half of kernel_size [3]",
                 [] {
                   return Inputs{make({1, 1, 5, 5}, Domain::Any, 979)};
                 })
          .error("2-d input", un([](const Tensor& x) { return max_pool2d(x, 2); }),
                 "max_pool2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [2, 3]", two_by_three));
  t.push_back(
      composite("avg_pool2d")
          .samples(un([](const Tensor& x) { return avg_pool2d(x, 3, 2, 1); }), torch("F.avg_pool2d(a, 3, 2, 1)"),
                   one("[2, 2, 5, 5] k3 s2 p1", {2, 2, 5, 5}, Domain::Any, 126))
          .samples(un([](const Tensor& x) { return avg_pool2d(x, 2, 2, 1, true, false); }),
                   torch("F.avg_pool2d(a, 2, 2, 1, ceil_mode=True, count_include_pad=False)"),
                   one("[1, 2, 5, 4] k2 s2 p1 ceil, pad excluded", {1, 2, 5, 4}, Domain::Any, 127))
          .samples(un([](const Tensor& x) { return avg_pool2d(x, 2, 1, 0, false, true, 3); }),
                   torch("F.avg_pool2d(a, 2, 1, 0, divisor_override=3)"),
                   one("[1, 1, 3, 4] k2 s1, divisor 3", {1, 1, 3, 4}, Domain::Any, 131))
          .error("padding 2 for kernel 3", un([](const Tensor& x) { return avg_pool2d(x, 3, 1, 2); }),
                 "avg_pool2d: padding [2] should be at most half of kernel_size [3]",
                 [] {
                   return Inputs{make({1, 1, 5, 5}, Domain::Any, 980)};
                 })
          .error("divisor_override 0", un([](const Tensor& x) { return avg_pool2d(x, 2, 2, 0, false, true, 0); }),
                 "avg_pool2d: divisor_override must be non-zero", [] {
                   return Inputs{make({1, 1, 4, 4}, Domain::Any, 981)};
                 }));
  t.push_back(composite("adaptive_avg_pool2d")
                  .samples(un([](const Tensor& x) {
                             return adaptive_avg_pool2d(x, {3, 2});
                           }),
                           torch("F.adaptive_avg_pool2d(a, (3, 2))"),
                           [] {
                             return std::vector<In>{
                                 {{make({1, 2, 7, 5}, Domain::Any, 128)}, "[1, 2, 7, 5] -> 3x2 (uneven bins)"},
                                 {{make({2, 1, 6, 4}, Domain::Any, 129)}, "[2, 1, 6, 4] -> 3x2 (even bins)"}};
                           })
                  .error("three output sizes", un([](const Tensor& x) {
                           return adaptive_avg_pool2d(x, {2, 2, 2});
                         }),
                         "adaptive_avg_pool2d: output_size must have 1 or 2 elements, got [2, 2, 2]",
                         [] {
                           return Inputs{make({1, 1, 4, 4}, Domain::Any, 982)};
                         })
                  .error("output size 0", un([](const Tensor& x) {
                           return adaptive_avg_pool2d(x, {0, 2});
                         }),
                         "adaptive_avg_pool2d: output_size [0, 2] and input [1, 1, 4, 4] must be non-empty", [] {
                           return Inputs{make({1, 1, 4, 4}, Domain::Any, 983)};
                         }));
  {
    auto f = [](const Inputs& in) { return linear(in[0], in[1], in[2]); };
    t.push_back(
        composite("linear")
            .samples(
                f, torch("F.linear(a, b, c)"),
                [] {
                  return std::vector<In>{
                      {{make({3, 4}, Domain::Any, 130), make({2, 4}, Domain::Any, 131), make({2}, Domain::Any, 132)},
                       "[3, 4] [2, 4] [2]"},
                      {{make({2, 3, 4}, Domain::Any, 133), make({2, 4}, Domain::Any, 134), make({2}, Domain::Any, 135)},
                       "[2, 3, 4] batched"}};
                })
            .samples(bin([](const Tensor& x, const Tensor& w) { return linear(x, w); }), torch("F.linear(a, b)"),
                     one("[4] [3, 4], no bias",
                         [] {
                           return Inputs{make({4}, Domain::Any, 136), make({3, 4}, Domain::Any, 137)};
                         }))
            .error("features differ", f, "linear: input [3, 5] has 5 features but weight [2, 4] expects 4",
                   [] {
                     return Inputs{make({3, 5}, Domain::Any, 984), make({2, 4}, Domain::Any, 985),
                                   make({2}, Domain::Any, 986)};
                   })
            .error("bias of 3 for 2 outputs", f, "linear: bias [3] does not match weight [2, 4]",
                   [] {
                     return Inputs{make({3, 4}, Domain::Any, 987), make({2, 4}, Domain::Any, 988),
                                   make({3}, Domain::Any, 989)};
                   })
            .error("Int64 input", f, "linear: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
              return Inputs{int64_input({3, 4}), make({2, 4}, Domain::Any, 990), make({2}, Domain::Any, 991)};
            }));
  }
  {
    auto f = [](const Inputs& in) { return bilinear(in[0], in[1], in[2], in[3]); };
    t.push_back(composite("bilinear")
                    .samples(f, torch("F.bilinear(a, b, c, d)"),
                             one("[3, 2] [3, 4] W [5, 2, 4]",
                                 [] {
                                   return Inputs{make({3, 2}, Domain::Any, 136), make({3, 4}, Domain::Any, 137),
                                                 make({5, 2, 4}, Domain::Any, 138), make({5}, Domain::Any, 139)};
                                 }))
                    .error("weight [5, 3, 4] for [3, 2] and [3, 4]", f,
                           "bilinear: inputs [3, 2] and [3, 4] do not match weight [5, 3, 4]", [] {
                             return Inputs{make({3, 2}, Domain::Any, 992), make({3, 4}, Domain::Any, 993),
                                           make({5, 3, 4}, Domain::Any, 994), make({5}, Domain::Any, 995)};
                           }));
  }
  // (padding_idx deliberately stops the gradient of its row, so the table checks the plain lookup)
  {
    auto f = [](const Inputs& in) { return embedding(in[0], in[1]); };
    t.push_back(
        composite("embedding")
            .samples(f, torch("F.embedding(b, a)"),
                     one("[5, 3] table, [2, 3] indices with repeats",
                         [] {
                           return Inputs{make({5, 3}, Domain::Any, 140), index_tensor({0, 1, 4, 4, 2, 1}, {2, 3})};
                         }))
            .error("index 5 of 5 embeddings", f, "embedding: index 5 at position 1 is out of range for 5 embeddings",
                   [] {
                     return Inputs{make({5, 3}, Domain::Any, 996), index_tensor({1, 5}, {2})};
                   })
            .error("Float indices", f, "embedding: indices must be Int64, got Float64",
                   [] {
                     return Inputs{make({5, 3}, Domain::Any, 997), make({2}, Domain::Any, 998, false)};
                   })
            .error("1-d table", f, "embedding: weight must be 2-D [num_embeddings, dim], got shape [5]", [] {
              return Inputs{make({5}, Domain::Any, 999), index_tensor({1}, {1})};
            }));
  }
  // dropout's mask comes from tapegrad's generator: the reference redraws it and applies it in a loop
  t.push_back(composite("dropout")
                  .samples(un([](const Tensor& x) {
                             manual_seed(7);  // the same mask on every call
                             return dropout(x, 0.4, true);
                           }),
                           naive(naive_dropout(0.4, 7)), one("[4, 5] p 0.4", {4, 5}, Domain::Any, 141))
                  .error("p 1.5", un([](const Tensor& x) { return dropout(x, 1.5, true); }),
                         "dropout: probability has to be between 0 and 1, but got 1.5", two_by_three)
                  .error("Int64 input", un([](const Tensor& x) { return dropout(x, 0.5, true); }),
                         "dropout: expected a floating-point tensor (Float32 or Float64), got Int64", [] {
                           return Inputs{int64_input({2, 3})};
                         }));
  {
    auto train = [](const Inputs& in) {
      Tensor rm = zeros({3}, kFloat64), rv = ones({3}, kFloat64);
      return batch_norm(in[0], in[1], in[2], rm, rv, true, 0.1, 1e-5);
    };
    t.push_back(
        composite("batch_norm")
            .samples(train,
                     torch("F.batch_norm(a, torch.zeros(3, dtype=D), torch.ones(3, dtype=D), b, c, True, 0.1, 1e-5)"),
                     one("[4, 3, 2] training",
                         [] {
                           return Inputs{make({4, 3, 2}, Domain::Any, 142), make({3}, Domain::Any, 143),
                                         make({3}, Domain::Any, 144)};
                         }))
            .samples([](const Inputs& in) { return batch_norm(in[0], in[1], in[2], in[3], in[4], false, 0.1, 1e-5); },
                     torch("F.batch_norm(a, d, e, b, c, False, 0.1, 1e-5)"),
                     one("[2, 3, 2, 2] evaluation, running stats",
                         [] {
                           return Inputs{make({2, 3, 2, 2}, Domain::Any, 145), make({3}, Domain::Any, 146),
                                         make({3}, Domain::Any, 147), make({3}, Domain::Any, 148),
                                         make({3}, Domain::Positive, 149)};
                         }))
            .error("weight of 4 for 3 channels", train,
                   "batch_norm: input [4, 3, 2] has 3 channels but a weight/bias/running stat has shape [4]",
                   [] {
                     return Inputs{make({4, 3, 2}, Domain::Any, 1000), make({4}, Domain::Any, 1001),
                                   make({3}, Domain::Any, 1002)};
                   })
            .error("one value per channel in training", train,
                   "batch_norm: expected more than 1 value per channel when training",
                   [] {
                     return Inputs{make({1, 3}, Domain::Any, 1003), make({3}, Domain::Any, 1004),
                                   make({3}, Domain::Any, 1005)};
                   })
            .error("1-d input", train, "batch_norm: expected at least a 2-D input [N, C, ...], got shape [3]", [] {
              return Inputs{make({3}, Domain::Any, 1006), make({3}, Domain::Any, 1007), make({3}, Domain::Any, 1008)};
            }));
  }
  {
    auto f = [](const Inputs& in) { return layer_norm(in[0], {3, 4}, in[1], in[2]); };
    t.push_back(composite("layer_norm")
                    .samples(f, torch("F.layer_norm(a, (3, 4), b, c)"),
                             one("[2, 3, 4] over [3, 4]",
                                 [] {
                                   return Inputs{make({2, 3, 4}, Domain::Any, 150), make({3, 4}, Domain::Any, 151),
                                                 make({3, 4}, Domain::Any, 152)};
                                 }))
                    .samples(un([](const Tensor& x) { return layer_norm(x, {5}); }), torch("F.layer_norm(a, (5,))"),
                             one("[3, 5] over [5], no affine", {3, 5}, Domain::Any, 153))
                    .error("input not ending with normalized_shape", f,
                           "layer_norm: input [2, 4, 3] does not end with normalized_shape [3, 4]",
                           [] {
                             return Inputs{make({2, 4, 3}, Domain::Any, 1009), make({3, 4}, Domain::Any, 1010),
                                           make({3, 4}, Domain::Any, 1011)};
                           })
                    .error("weight of another shape", f,
                           "layer_norm: weight/bias shape [4, 3] differs from normalized_shape [3, 4]", [] {
                             return Inputs{make({2, 3, 4}, Domain::Any, 1012), make({4, 3}, Domain::Any, 1013),
                                           make({3, 4}, Domain::Any, 1014)};
                           }));
  }
  {
    auto f = [](const Inputs& in) { return group_norm(in[0], 2, in[1], in[2]); };
    t.push_back(
        composite("group_norm")
            .samples(f, torch("F.group_norm(a, 2, b, c)"),
                     one("[2, 4, 3] in 2 groups",
                         [] {
                           return Inputs{make({2, 4, 3}, Domain::Any, 153), make({4}, Domain::Any, 154),
                                         make({4}, Domain::Any, 155)};
                         }))
            .error("3 channels in 2 groups", f,
                   "group_norm: 3 channels (input [2, 3, 3]) are not divisible into 2 groups",
                   [] {
                     return Inputs{make({2, 3, 3}, Domain::Any, 1015), make({3}, Domain::Any, 1016),
                                   make({3}, Domain::Any, 1017)};
                   })
            .error("weight of 3 for 4 channels", f, "group_norm: weight/bias shape [3] does not match 4 channels", [] {
              return Inputs{make({2, 4, 3}, Domain::Any, 1018), make({3}, Domain::Any, 1019),
                            make({4}, Domain::Any, 1020)};
            }));
  }
}

std::vector<OpInfo> build_table() {
  std::vector<OpInfo> t;
  add_pointwise(t);
  add_reductions(t);
  add_activations(t);
  add_shape_ops(t);
  add_linalg(t);
  add_nn_ops(t);
  add_nn_table_entries(t);
  return t;
}

}  // namespace

const std::vector<OpInfo>& op_table() {
  static const std::vector<OpInfo> table = build_table();
  return table;
}

}  // namespace tg::testing
