// The op table: every differentiable op with sample inputs (shapes with broadcasting, size-1 dims,
// 0-d tensors) drawn from the domain it needs. tests/test_op_table.cpp runs gradcheck and
// gradgradcheck over every sample of every entry, and fails if a registered op has no entry.
#include <cmath>

#include "op_table_helpers.h"

namespace tg::testing {
using namespace table;
namespace {

// Samples for a binary op: same shape, broadcasting both ways, a 0-d operand, a size-1 dim.
std::function<std::vector<OpSample>()> binary_samples(Domain da, Domain db) {
  return [da, db] {
    return std::vector<OpSample>{
        sample({make({3, 4}, da, 1), make({3, 4}, db, 2)}, "[3, 4] and [3, 4]"),
        sample({make({3, 1}, da, 3), make({1, 4}, db, 4)}, "[3, 1] and [1, 4] broadcast"),
        sample({make({2, 3}, da, 5), make({}, db, 6)}, "[2, 3] and 0-d"),
        sample({make({4}, da, 7), make({2, 1, 4}, db, 8)}, "[4] and [2, 1, 4]"),
    };
  };
}

std::function<std::vector<OpSample>()> unary_samples(Domain d) {
  return [d] {
    return std::vector<OpSample>{
        sample({make({2, 3}, d, 11)}, "[2, 3]"),
        sample({make({}, d, 12)}, "0-d"),
        sample({make({1, 4, 1}, d, 13)}, "[1, 4, 1] (size-1 dims)"),
    };
  };
}

}  // namespace

// Losses and activations of tg::nn::functional (nn/src/op_table_nn.cpp).
void add_nn_table_entries(std::vector<OpInfo>& t);

namespace {

std::vector<OpInfo> build_table() {
  std::vector<OpInfo> t;
  auto un = [](auto f) { return TensorFn([f](const Inputs& in) { return f(in[0]); }); };
  auto bin = [](auto f) { return TensorFn([f](const Inputs& in) { return f(in[0], in[1]); }); };

  // ---- pointwise primitives
  t.push_back(primitive("add", bin([](const Tensor& a, const Tensor& b) { return add(a, b, 2.0); }),
                        binary_samples(Domain::Any, Domain::Any)));
  t.push_back(primitive("sub", bin([](const Tensor& a, const Tensor& b) { return a - b; }),
                        binary_samples(Domain::Any, Domain::Any)));
  t.push_back(primitive("mul", bin([](const Tensor& a, const Tensor& b) { return a * b; }),
                        binary_samples(Domain::Any, Domain::Any)));
  t.push_back(primitive("div", bin([](const Tensor& a, const Tensor& b) { return a / b; }),
                        binary_samples(Domain::Any, Domain::AwayFromZero)));
  t.push_back(primitive("add_scalar", un([](const Tensor& x) { return x + 1.5; }), unary_samples(Domain::Any)));
  t.push_back(primitive("mul_scalar", un([](const Tensor& x) { return x * -2.5; }), unary_samples(Domain::Any)));
  t.push_back(primitive("div_scalar", un([](const Tensor& x) { return x / 3.0; }), unary_samples(Domain::Any)));
  t.push_back(primitive("neg", un([](const Tensor& x) { return -x; }), unary_samples(Domain::Any)));
  t.push_back(primitive("pow", un([](const Tensor& x) { return pow(x, 2.5); }), unary_samples(Domain::Positive)));
  t.push_back(primitive("pow_tensor", bin([](const Tensor& a, const Tensor& b) { return pow(a, b); }),
                        binary_samples(Domain::Positive, Domain::Any)));
  t.push_back(primitive("exp", un([](const Tensor& x) { return exp(x); }), unary_samples(Domain::Any)));
  t.push_back(primitive("log", un([](const Tensor& x) { return log(x); }), unary_samples(Domain::Positive)));
  t.push_back(primitive("log1p", un([](const Tensor& x) { return log1p(x); }), unary_samples(Domain::Unit)));
  t.push_back(primitive("sqrt", un([](const Tensor& x) { return sqrt(x); }), unary_samples(Domain::Positive)));
  t.push_back(primitive("rsqrt", un([](const Tensor& x) { return rsqrt(x); }), unary_samples(Domain::Positive)));
  t.push_back(primitive("abs", un([](const Tensor& x) { return abs(x); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(primitive("sign", un([](const Tensor& x) { return sign(x); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(primitive("step", un([](const Tensor& x) { return step(x, 0.1); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(primitive("heaviside", bin([](const Tensor& a, const Tensor& b) { return heaviside(a, b); }),
                        binary_samples(Domain::AwayFromZero, Domain::Any)));
  t.push_back(primitive("sin", un([](const Tensor& x) { return sin(x); }), unary_samples(Domain::Any)));
  t.push_back(primitive("cos", un([](const Tensor& x) { return cos(x); }), unary_samples(Domain::Any)));
  t.push_back(primitive("erf", un([](const Tensor& x) { return erf(x); }), unary_samples(Domain::Any)));
  t.push_back(primitive("tanh", un([](const Tensor& x) { return tanh(x); }), unary_samples(Domain::Any)));
  t.push_back(primitive("tanh_backward", bin([](const Tensor& g, const Tensor& y) { return tanh_backward(g, y); }),
                        binary_samples(Domain::Any, Domain::Unit)));
  t.push_back(primitive("sigmoid", un([](const Tensor& x) { return sigmoid(x); }), unary_samples(Domain::Any)));
  t.push_back(primitive("sigmoid_backward", bin([](const Tensor& g, const Tensor& y) { return sigmoid_backward(g, y); }),
                        binary_samples(Domain::Any, Domain::Unit)));
  t.push_back(primitive("relu", un([](const Tensor& x) { return relu(x); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(primitive("relu_backward", bin([](const Tensor& g, const Tensor& y) { return relu_backward(g, y); }),
                        binary_samples(Domain::Any, Domain::AwayFromZero)));
  t.push_back(primitive("clamp", un([](const Tensor& x) { return clamp(x, -0.9, 1.1); }), unary_samples(Domain::Unit)));
  t.push_back(primitive("maximum", bin([](const Tensor& a, const Tensor& b) { return maximum(a, b); }),
                        binary_samples(Domain::Any, Domain::Any)));
  t.push_back(primitive("minimum", bin([](const Tensor& a, const Tensor& b) { return minimum(a, b); }),
                        binary_samples(Domain::Any, Domain::Any)));
  t.push_back(primitive("where",
                        [](const Inputs& in) { return where(in[0], in[1], in[2]); },
                        [] {
                          Tensor cond = tensor({1, 0, 1, 1, 0, 0}, kInt64).reshape({2, 3}).to(kBool);
                          return std::vector<OpSample>{
                              sample({cond, make({2, 3}, Domain::Any, 21), make({2, 3}, Domain::Any, 22)}, "[2, 3]"),
                              sample({cond, make({1, 3}, Domain::Any, 23), make({}, Domain::Any, 24)}, "broadcast [1, 3] and 0-d"),
                          };
                        }));

  // ---- reductions
  t.push_back(primitive("sum", un([](const Tensor& x) { return x.sum({1}, true); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 31)}, "[3, 4] dim 1 keepdim"),
                                                          sample({make({2, 3, 2}, Domain::Any, 32)}, "[2, 3, 2] dim 1 keepdim")}; }));
  t.push_back(composite("sum_all", un([](const Tensor& x) { return x.sum(); }), unary_samples(Domain::Any)));
  t.push_back(composite("sum_dims", un([](const Tensor& x) { return x.sum({0, 2}); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3, 4}, Domain::Any, 33)}, "[2, 3, 4] dims {0, 2}")}; }));
  t.push_back(primitive("prod", un([](const Tensor& x) { return x.prod(1); }),
                        [] {
                          Tensor with_zero = make({2, 3}, Domain::Any, 34);
                          {
                            NoGradGuard guard;
                            with_zero.detach()[0][1].fill_(0.0);
                          }
                          // two and three zeros in a row: the first derivative is 0, the second is not
                          Tensor zeros_rows = tensor(std::vector<double>{0, 4, 0, 5, 0, 0, 0, 2, 1, 2, 3, 4}, kFloat64)
                                                  .reshape({3, 4}).requires_grad_(true);
                          return std::vector<OpSample>{sample({make({3, 4}, Domain::AwayFromZero, 35)}, "[3, 4] dim 1"),
                                                       sample({with_zero}, "[2, 3] with a zero"),
                                                       sample({zeros_rows}, "[3, 4] rows with 2, 3 and no zeros")};
                        }));
  t.push_back(composite("prod_all", un([](const Tensor& x) { return x.prod(); }), [] {
    return std::vector<OpSample>{
        sample({make({3, 4}, Domain::AwayFromZero, 40)}, "[3, 4]"),
        sample({tensor(std::vector<double>{0, 4, 0, 5}, kFloat64).requires_grad_(true)}, "[4] with two zeros")};
  }));
  t.push_back(primitive("amax", un([](const Tensor& x) { return x.amax({1}); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Distinct, 36)}, "[3, 4] dim 1")}; }));
  t.push_back(primitive("amin", un([](const Tensor& x) { return x.amin({0}, true); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Distinct, 37)}, "[3, 4] dim 0 keepdim")}; }));
  t.push_back(primitive("norm", un([](const Tensor& x) { return x.norm(2, {1}); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 38)}, "[3, 4] dim 1"),
                                                          sample({make({2, 5}, Domain::Any, 39)}, "[2, 5] dim 1")}; }));
  t.push_back(composite("norm_p3", un([](const Tensor& x) { return x.norm(3); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(composite("mean", un([](const Tensor& x) { return x.mean({-1}, true); }), unary_samples(Domain::Any)));
  t.push_back(composite("var", un([](const Tensor& x) { return x.var({1}); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 40)}, "[3, 4] dim 1")}; }));
  t.push_back(composite("std", un([](const Tensor& x) { return x.std(); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 41)}, "[3, 4] all")}; }));
  t.push_back(composite("max_dim", un([](const Tensor& x) { return std::get<0>(x.max(1)); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Distinct, 42)}, "[3, 4] dim 1")}; }));
  t.push_back(composite("min_dim", un([](const Tensor& x) { return std::get<0>(x.min(0, true)); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Distinct, 43)}, "[3, 4] dim 0 keepdim")}; }));
  t.push_back(composite("max_all", un([](const Tensor& x) { return x.max(); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Distinct, 44)}, "[3, 4]")}; }));
  t.push_back(composite("logsumexp", un([](const Tensor& x) { return x.logsumexp({1}); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 45)}, "[3, 4] dim 1"),
                                                          sample({make({2, 1, 3}, Domain::Any, 46)}, "[2, 1, 3] dim 1")}; }));
  t.push_back(composite("softmax", un([](const Tensor& x) { return x.softmax(1); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 47)}, "[3, 4] dim 1")}; }));
  t.push_back(composite("log_softmax", un([](const Tensor& x) { return x.log_softmax(-1); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 48)}, "[3, 4] dim -1")}; }));

  // ---- composite activations
  t.push_back(composite("leaky_relu", un([](const Tensor& x) { return leaky_relu(x, 0.1); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(composite("elu", un([](const Tensor& x) { return elu(x, 1.5); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(composite("gelu", un([](const Tensor& x) { return gelu(x); }), unary_samples(Domain::Any)));
  t.push_back(composite("gelu_tanh", un([](const Tensor& x) { return gelu(x, "tanh"); }), unary_samples(Domain::Any)));
  t.push_back(composite("softplus", un([](const Tensor& x) { return softplus(x, 2.0, 3.0); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(composite("square", un([](const Tensor& x) { return square(x); }), unary_samples(Domain::Any)));
  t.push_back(composite("reciprocal", un([](const Tensor& x) { return reciprocal(x); }), unary_samples(Domain::AwayFromZero)));
  t.push_back(composite("rsub", un([](const Tensor& x) { return 2.0 - x; }), unary_samples(Domain::Any)));
  t.push_back(composite("scalar_div", un([](const Tensor& x) { return 2.0 / x; }), unary_samples(Domain::AwayFromZero)));
  t.push_back(composite("pow_int", un([](const Tensor& x) { return pow(x, 3.0); }), unary_samples(Domain::Any)));

  // ---- shape ops
  t.push_back(primitive("view", un([](const Tensor& x) { return x.view({4, -1}); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3, 2}, Domain::Any, 51)}, "[2, 3, 2] -> [4, 3]")}; }));
  t.push_back(primitive("permute", un([](const Tensor& x) { return x.permute({2, 0, 1}); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3, 4}, Domain::Any, 52)}, "[2, 3, 4]")}; }));
  t.push_back(primitive("expand", un([](const Tensor& x) { return x.expand({2, 3, 4}); }),
                        [] { return std::vector<OpSample>{sample({make({3, 1}, Domain::Any, 53)}, "[3, 1] -> [2, 3, 4]"),
                                                          sample({make({}, Domain::Any, 54)}, "0-d -> [2, 3, 4]")}; }));
  t.push_back(primitive("narrow", un([](const Tensor& x) { return x.narrow(1, 1, 2); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 55)}, "[3, 4] dim 1 [1, 3)")}; }));
  t.push_back(primitive("pad", un([](const Tensor& x) { return pad(x, {1, 2, 0, 1}, "constant", 0.5); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3}, Domain::Any, 56)}, "[2, 3] pad (1, 2, 0, 1)")}; }));
  t.push_back(primitive("cat", [](const Inputs& in) { return cat({in[0], in[1], in[2]}, 1); },
                        [] { return std::vector<OpSample>{sample({make({2, 1}, Domain::Any, 57), make({2, 3}, Domain::Any, 58),
                                                                  make({2, 2}, Domain::Any, 59)}, "[2, 1] [2, 3] [2, 2] dim 1")}; }));
  t.push_back(primitive("gather", [](const Inputs& in) { return gather(in[0], 1, in[1]); },
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 60),
                                                                  index_tensor({0, 3, 3, 1, 2, 0}, {3, 2})}, "[3, 4] dim 1, index [3, 2] with repeats")}; }));
  t.push_back(primitive("scatter_add", [](const Inputs& in) { return scatter_add(in[0], 0, in[1], in[2]); },
                        [] { return std::vector<OpSample>{sample({make({3, 2}, Domain::Any, 61), index_tensor({0, 2, 0, 0}, {2, 2}),
                                                                  make({2, 2}, Domain::Any, 62)}, "[3, 2] dim 0, src [2, 2]")}; }));
  t.push_back(primitive("clone", un([](const Tensor& x) { return x.transpose(0, 1).clone(); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3}, Domain::Any, 63)}, "transposed [2, 3]")}; }));
  t.push_back(primitive("to", un([](const Tensor& x) { return x.to(kFloat32).to(kFloat64); }), unary_samples(Domain::Any)));
  t.push_back(composite("reshape_noncontiguous", un([](const Tensor& x) { return x.t().reshape({-1}); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3}, Domain::Any, 64)}, "[2, 3]^T -> [6]")}; }));
  t.push_back(composite("transpose", un([](const Tensor& x) { return x.transpose(0, 2); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3, 4}, Domain::Any, 65)}, "[2, 3, 4]")}; }));
  t.push_back(composite("squeeze_unsqueeze", un([](const Tensor& x) { return x.squeeze(1).unsqueeze(0); }),
                        [] { return std::vector<OpSample>{sample({make({3, 1, 2}, Domain::Any, 66)}, "[3, 1, 2]")}; }));
  t.push_back(composite("flatten", un([](const Tensor& x) { return x.flatten(1); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3, 2}, Domain::Any, 67)}, "[2, 3, 2]")}; }));
  t.push_back(composite("stack", bin([](const Tensor& a, const Tensor& b) { return stack({a, b}, 1); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3}, Domain::Any, 68), make({2, 3}, Domain::Any, 69)}, "two [2, 3] at dim 1")}; }));
  t.push_back(composite("split", un([](const Tensor& x) {
                          auto parts = x.split(2, 1);
                          return parts[0] * 2.0 + parts[1] * parts[1];
                        }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 70)}, "[3, 4] into 2 + 2")}; }));
  t.push_back(composite("chunk", un([](const Tensor& x) { return x.chunk(3, 0)[2]; }),
                        [] { return std::vector<OpSample>{sample({make({5, 2}, Domain::Any, 71)}, "[5, 2] in 3 chunks")}; }));
  t.push_back(primitive("slice", un([](const Tensor& x) { return x.slice(1, 1, 6, 2); }),
                        [] { return std::vector<OpSample>{sample({make({2, 7}, Domain::Any, 72)}, "[2, 7] dim 1, 1:6:2"),
                                                          sample({make({3, 6, 1}, Domain::Any, 75)}, "[3, 6, 1] dim 1, 1:6:2")}; }));
  t.push_back(composite("select", un([](const Tensor& x) { return x[1]; }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 73)}, "row 1 of [3, 4]")}; }));
  t.push_back(composite("index_select", [](const Inputs& in) { return index_select(in[0], 0, in[1]); },
                        [] { return std::vector<OpSample>{sample({make({4, 3}, Domain::Any, 74), index_tensor({3, 0, 3}, {3})}, "[4, 3] rows 3, 0, 3")}; }));

  // ---- matrix products
  t.push_back(primitive("mm", bin([](const Tensor& a, const Tensor& b) { return mm(a, b); }),
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 81), make({4, 2}, Domain::Any, 82)}, "[3, 4] @ [4, 2]"),
                                                          sample({make({1, 3}, Domain::Any, 83), make({3, 1}, Domain::Any, 84)}, "[1, 3] @ [3, 1]")}; }));
  t.push_back(primitive("bmm", bin([](const Tensor& a, const Tensor& b) { return bmm(a, b); }),
                        [] { return std::vector<OpSample>{sample({make({2, 3, 4}, Domain::Any, 85), make({2, 4, 2}, Domain::Any, 86)}, "[2, 3, 4] @ [2, 4, 2]")}; }));
  t.push_back(composite("matmul", bin([](const Tensor& a, const Tensor& b) { return matmul(a, b); }),
                        [] {
                          return std::vector<OpSample>{
                              sample({make({4}, Domain::Any, 87), make({4}, Domain::Any, 88)}, "[4] @ [4]"),
                              sample({make({3, 4}, Domain::Any, 89), make({4}, Domain::Any, 90)}, "[3, 4] @ [4]"),
                              sample({make({4}, Domain::Any, 91), make({4, 2}, Domain::Any, 92)}, "[4] @ [4, 2]"),
                              sample({make({2, 3, 4}, Domain::Any, 93), make({4, 2}, Domain::Any, 94)}, "[2, 3, 4] @ [4, 2]"),
                              sample({make({2, 1, 3, 4}, Domain::Any, 95), make({3, 4, 2}, Domain::Any, 96)}, "[2, 1, 3, 4] @ [3, 4, 2] broadcast"),
                          };
                        }));
  t.push_back(composite("addmm", [](const Inputs& in) { return addmm(in[0], in[1], in[2]); },
                        [] { return std::vector<OpSample>{sample({make({2}, Domain::Any, 97), make({3, 4}, Domain::Any, 98),
                                                                  make({4, 2}, Domain::Any, 99)}, "[2] + [3, 4] @ [4, 2]")}; }));
  t.push_back(composite("outer", bin([](const Tensor& a, const Tensor& b) { return outer(a, b); }),
                        [] { return std::vector<OpSample>{sample({make({3}, Domain::Any, 100), make({2}, Domain::Any, 101)}, "[3] x [2]")}; }));

  // ---- neural-network ops (tapegrad/ops.h): im2col/col2im own vjps, the rest are composites
  t.push_back(primitive("im2col", un([](const Tensor& x) { return im2col(x, {2, 3}, {1, 2}, {1, 0}, {2, 1}); }),
                        [] { return std::vector<OpSample>{sample({make({1, 2, 5, 6}, Domain::Any, 110)}, "[1, 2, 5, 6] k(2,3) d(1,2) p(1,0) s(2,1)"),
                                                          sample({make({2, 1, 4, 6}, Domain::Any, 111)}, "[2, 1, 4, 6], batch of 2")}; }));
  t.push_back(primitive("col2im", un([](const Tensor& x) { return col2im(x, {5, 6}, {2, 3}, {1, 2}, {1, 0}, {2, 1}); }),
                        [] { return std::vector<OpSample>{sample({make({1, 12, 6}, Domain::Any, 112)}, "[1, 12, 6] -> [1, 2, 5, 6]")}; }));
  t.push_back(composite("conv2d", [](const Inputs& in) { return conv2d(in[0], in[1], in[2], 2, 1); },
                        [] { return std::vector<OpSample>{sample({make({2, 3, 5, 5}, Domain::Any, 113), make({4, 3, 3, 3}, Domain::Any, 114),
                                                                  make({4}, Domain::Any, 115)}, "[2, 3, 5, 5] * [4, 3, 3, 3] stride 2 pad 1")}; }));
  t.push_back(composite("conv2d_groups_dilation", [](const Inputs& in) { return conv2d(in[0], in[1], {}, 1, 1, 2, 2); },
                        [] { return std::vector<OpSample>{sample({make({1, 4, 4, 4}, Domain::Any, 116), make({6, 2, 3, 3}, Domain::Any, 117)},
                                                                 "[1, 4, 4, 4] * [6, 2, 3, 3] groups 2 dilation 2 pad 1")}; }));
  t.push_back(composite("conv1d", [](const Inputs& in) { return conv1d(in[0], in[1], in[2], 2, 1); },
                        [] { return std::vector<OpSample>{sample({make({2, 2, 7}, Domain::Any, 118), make({3, 2, 3}, Domain::Any, 119),
                                                                  make({3}, Domain::Any, 120)}, "[2, 2, 7] * [3, 2, 3] stride 2 pad 1")}; }));
  t.push_back(composite("conv_transpose2d", [](const Inputs& in) { return conv_transpose2d(in[0], in[1], in[2], 2, 1, 1); },
                        [] { return std::vector<OpSample>{sample({make({1, 4, 3, 3}, Domain::Any, 121), make({4, 2, 3, 3}, Domain::Any, 122),
                                                                  make({2}, Domain::Any, 123)}, "[1, 4, 3, 3] * [4, 2, 3, 3] stride 2 pad 1 out_pad 1")}; }));
  t.push_back(primitive("max_pool2d", un([](const Tensor& x) { return max_pool2d(x, 3, 2, 1); }),
                        [] { return std::vector<OpSample>{sample({make({2, 2, 5, 5}, Domain::Distinct, 124)}, "[2, 2, 5, 5] k3 s2 p1")}; }));
  t.push_back(composite("max_pool2d_ceil_dilation", un([](const Tensor& x) { return max_pool2d(x, 2, 2, 0, 2, true); }),
                        [] { return std::vector<OpSample>{sample({make({1, 2, 6, 7}, Domain::Distinct, 125)}, "[1, 2, 6, 7] k2 s2 d2 ceil")}; }));
  t.push_back(composite("avg_pool2d", un([](const Tensor& x) { return avg_pool2d(x, 3, 2, 1); }),
                        [] { return std::vector<OpSample>{sample({make({2, 2, 5, 5}, Domain::Any, 126)}, "[2, 2, 5, 5] k3 s2 p1")}; }));
  t.push_back(composite("avg_pool2d_ceil_exclude_pad", un([](const Tensor& x) { return avg_pool2d(x, 2, 2, 1, true, false); }),
                        [] { return std::vector<OpSample>{sample({make({1, 2, 5, 4}, Domain::Any, 127)}, "[1, 2, 5, 4] k2 s2 p1 ceil, pad excluded")}; }));
  t.push_back(composite("adaptive_avg_pool2d", un([](const Tensor& x) { return adaptive_avg_pool2d(x, {3, 2}); }),
                        [] { return std::vector<OpSample>{sample({make({1, 2, 7, 5}, Domain::Any, 128)}, "[1, 2, 7, 5] -> 3x2 (uneven bins)"),
                                                          sample({make({2, 1, 6, 4}, Domain::Any, 129)}, "[2, 1, 6, 4] -> 3x2 (even bins)")}; }));
  t.push_back(composite("linear", [](const Inputs& in) { return linear(in[0], in[1], in[2]); },
                        [] { return std::vector<OpSample>{sample({make({3, 4}, Domain::Any, 130), make({2, 4}, Domain::Any, 131), make({2}, Domain::Any, 132)}, "[3, 4] [2, 4] [2]"),
                                                          sample({make({2, 3, 4}, Domain::Any, 133), make({2, 4}, Domain::Any, 134), make({2}, Domain::Any, 135)}, "[2, 3, 4] batched")}; }));
  t.push_back(composite("bilinear", [](const Inputs& in) { return bilinear(in[0], in[1], in[2], in[3]); },
                        [] { return std::vector<OpSample>{sample({make({3, 2}, Domain::Any, 136), make({3, 4}, Domain::Any, 137),
                                                                  make({5, 2, 4}, Domain::Any, 138), make({5}, Domain::Any, 139)}, "[3, 2] [3, 4] W [5, 2, 4]")}; }));
  // (padding_idx deliberately stops the gradient of its row, so the table checks the plain lookup)
  t.push_back(composite("embedding", [](const Inputs& in) { return embedding(in[0], in[1]); },
                        [] { return std::vector<OpSample>{sample({make({5, 3}, Domain::Any, 140), index_tensor({0, 1, 4, 4, 2, 1}, {2, 3})},
                                                                 "[5, 3] table, [2, 3] indices with repeats")}; }));
  t.push_back(composite("dropout", un([](const Tensor& x) {
                          manual_seed(7);  // the same mask on every call
                          return dropout(x, 0.4, true);
                        }),
                        [] { return std::vector<OpSample>{sample({make({4, 5}, Domain::Any, 141)}, "[4, 5] p 0.4")}; }));
  t.push_back(composite("batch_norm_train", [](const Inputs& in) {
                          Tensor rm = zeros({3}, kFloat64), rv = ones({3}, kFloat64);
                          return batch_norm(in[0], in[1], in[2], rm, rv, true, 0.1, 1e-5);
                        },
                        [] { return std::vector<OpSample>{sample({make({4, 3, 2}, Domain::Any, 142), make({3}, Domain::Any, 143), make({3}, Domain::Any, 144)}, "[4, 3, 2] training")}; }));
  t.push_back(composite("batch_norm_eval", [](const Inputs& in) { return batch_norm(in[0], in[1], in[2], in[3], in[4], false, 0.1, 1e-5); },
                        [] { return std::vector<OpSample>{sample({make({2, 3, 2, 2}, Domain::Any, 145), make({3}, Domain::Any, 146), make({3}, Domain::Any, 147),
                                                                  make({3}, Domain::Any, 148), make({3}, Domain::Positive, 149)}, "[2, 3, 2, 2] running stats")}; }));
  t.push_back(composite("layer_norm", [](const Inputs& in) { return layer_norm(in[0], {3, 4}, in[1], in[2]); },
                        [] { return std::vector<OpSample>{sample({make({2, 3, 4}, Domain::Any, 150), make({3, 4}, Domain::Any, 151), make({3, 4}, Domain::Any, 152)}, "[2, 3, 4] over [3, 4]")}; }));
  t.push_back(composite("group_norm", [](const Inputs& in) { return group_norm(in[0], 2, in[1], in[2]); },
                        [] { return std::vector<OpSample>{sample({make({2, 4, 3}, Domain::Any, 153), make({4}, Domain::Any, 154), make({4}, Domain::Any, 155)}, "[2, 4, 3] in 2 groups")}; }));
  add_nn_table_entries(t);

  // float32 round trip: finite differences need a step far above float32 rounding
  for (OpInfo& entry : t)
    if (entry.name == "to") {
      entry.eps = 1e-3;
      entry.atol = 1e-3;
    }
  return t;
}

}  // namespace

const std::vector<OpInfo>& op_table() {
  static const std::vector<OpInfo> table = build_table();
  return table;
}

}  // namespace tg::testing
