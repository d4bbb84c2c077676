// Custom ops from user code (tapegrad/custom_function.h, libtorch's torch::autograd::Function<T>):
// gradients checked numerically and to second order, several outputs on one node, dirty and
// non-differentiable outputs, saved_data of every kind, every misuse's error, and a
// straight-through estimator that trains a small net.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "../error_of.h"
#include "tapegrad/tapegrad.h"

namespace {

using tg::Tensor;
using tg::autograd::AutogradContext;
using tg::autograd::variable_list;
using tg_test::error_of;

Tensor f64(std::initializer_list<double> values) {
  std::vector<double> v(values);
  return tg::tensor(v, tg::kFloat64);
}

double at(const Tensor& t, int64_t i) { return t.reshape({-1})[i].item<double>(); }

void expect_values(const Tensor& t, std::initializer_list<double> expected, double tol = 1e-12) {
  ASSERT_TRUE(t.defined());
  ASSERT_EQ(t.numel(), static_cast<int64_t>(expected.size())) << t;
  int64_t i = 0;
  for (double e : expected) {
    EXPECT_NEAR(at(t, i), e, tol) << "element " << i << " of " << t;
    ++i;
  }
}

// ---- the functions under test ----

// y = x^3, written with Tensor ops in backward so that it is twice differentiable.
struct Cube : public tg::autograd::Function<Cube> {
  static constexpr const char* formula = "grad_x = grad * 3 x^2";
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    EXPECT_FALSE(tg::is_grad_enabled());  // forward runs with grad mode off, as libtorch's
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * 3.0 * x * x};
  }
};

// y = k x with a non-tensor argument: backward returns an undefined Tensor for k.
struct Scale : public tg::autograd::Function<Scale> {
  static Tensor forward(AutogradContext* ctx, Tensor x, double k) {
    ctx->saved_data["k"] = k;
    return x * k;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return {grad_outputs[0] * ctx->saved_data["k"].toDouble(), Tensor()};
  }
};

// Two outputs on one node: (x y, x + y).
int product_and_sum_calls = 0;
bool product_and_sum_materialize = true;
variable_list product_and_sum_last_grads;
struct ProductAndSum : public tg::autograd::Function<ProductAndSum> {
  static variable_list forward(AutogradContext* ctx, Tensor x, Tensor y) {
    ctx->set_materialize_grads(product_and_sum_materialize);
    ctx->save_for_backward({x, y});
    return {x * y, x + y};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    ++product_and_sum_calls;
    product_and_sum_last_grads = g;
    variable_list saved = ctx->get_saved_variables();
    Tensor gx, gy;
    if (g[0].defined()) {
      gx = g[0] * saved[1];
      gy = g[0] * saved[0];
    }
    if (g[1].defined()) {
      gx = gx.defined() ? gx + g[1] : g[1];
      gy = gy.defined() ? gy + g[1] : g[1];
    }
    return {gx, gy};
  }
};

// Two outputs that backward reads back from the saved outputs: (e^x, e^2x). Double backward goes
// through each saved output's own output_nr.
struct ExpPair : public tg::autograd::Function<ExpPair> {
  static variable_list forward(AutogradContext* ctx, Tensor x) {
    Tensor a = x.exp();
    Tensor b = (x * 2.0).exp();
    ctx->save_for_backward({a, b});
    return {a, b};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    variable_list out = ctx->get_saved_variables();
    return {g[0] * out[0] + g[1] * out[1] * 2.0};
  }
};

// A differentiable output, a float output marked non-differentiable and an Int64 output.
variable_list with_mask_grads;
struct WithMask : public tg::autograd::Function<WithMask> {
  static variable_list forward(AutogradContext* ctx, Tensor x) {
    Tensor y = x * 2.0;
    Tensor mask = x.gt(0.0).to(tg::kFloat64);
    Tensor index = x.argmax();
    ctx->mark_non_differentiable({mask});
    return {y, mask, index};
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    with_mask_grads = g;
    return {g[0] * 2.0};
  }
};

// Multiplies its input by 2 in place and says so.
struct DoubleInPlace : public tg::autograd::Function<DoubleInPlace> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2.0);
    ctx->mark_dirty({x});
    return x;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0}; }
};

// Returns its input as it is.
struct Identity : public tg::autograd::Function<Identity> {
  static Tensor forward(AutogradContext*, Tensor x) { return x; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

// The straight-through estimator of a step: forward 1[x > 0], backward the gradient where |x| <= 1.
struct StepSTE : public tg::autograd::Function<StepSTE> {
  static constexpr const char* formula = "grad_x = grad * 1[|x| <= 1]  (straight-through)";
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return x.gt(0.0).to(x.dtype());
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    Tensor x = ctx->get_saved_variables()[0];
    return {g[0] * x.abs().le(1.0).to(g[0].dtype())};
  }
};

// ---- misuses ----

struct TooFewGradients : public tg::autograd::Function<TooFewGradients> {
  static Tensor forward(AutogradContext*, Tensor x, double k) { return x * k; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0]}; }
};

struct GradientForANumber : public tg::autograd::Function<GradientForANumber> {
  static Tensor forward(AutogradContext*, Tensor x, double k) { return x * k; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], g[0]}; }
};

struct TrailingUndefined : public tg::autograd::Function<TrailingUndefined> {
  static Tensor forward(AutogradContext*, Tensor x) { return x * 3.0; }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 3.0, Tensor(), Tensor()}; }
};

struct DirtyNotReturned : public tg::autograd::Function<DirtyNotReturned> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    x.mul_(2.0);
    ctx->mark_dirty({x});
    return x * 1.0;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0] * 2.0}; }
};

struct AsksForInputGrad : public tg::autograd::Function<AsksForInputGrad> {
  static Tensor forward(AutogradContext* ctx, Tensor x, double k, Tensor y) {
    ctx->saved_data["x"] = ctx->needs_input_grad(0);
    ctx->saved_data["y"] = ctx->needs_input_grad(1);  // the second tensor input: y
    ctx->needs_input_grad(2);                         // there is none
    return x * y * k;
  }
  static variable_list backward(AutogradContext*, variable_list g) { return {g[0], Tensor(), g[0]}; }
};

}  // namespace

namespace my_ops {
struct Square : public tg::autograd::Function<Square> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return x * x;
  }
  static variable_list backward(AutogradContext* ctx, variable_list g) {
    return {g[0] * 2.0 * ctx->get_saved_variables()[0]};
  }
};
}  // namespace my_ops

namespace {

// ================================================================ one output

TEST(CustomFunction, CubeValuesGradientAndNode) {
  Tensor x = f64({1.0, 2.0, -0.5}).requires_grad_();
  Tensor y = Cube::apply(x);
  expect_values(y, {1.0, 8.0, -0.125});
  EXPECT_EQ(tg::grad_fn_name(y), "CubeBackward");
  EXPECT_STREQ(y.grad_fn()->name(), "Cube");
  EXPECT_STREQ(y.grad_fn()->op().formula, "grad_x = grad * 3 x^2");
  EXPECT_EQ(y.output_nr(), 0u);
  EXPECT_EQ(y.grad_fn()->num_outputs(), 1u);
  EXPECT_EQ(y.grad_fn()->num_saved(), 1u);
  ASSERT_EQ(y.grad_fn()->next_edges().size(), 1u);
  EXPECT_TRUE(y.grad_fn()->next_edges()[0].function->is_accumulate_grad());
  EXPECT_NE(tg::to_string(y).find("grad_fn=CubeBackward"), std::string::npos);
  y.sum().backward();
  expect_values(x.grad(), {3.0, 12.0, 0.75});  // 3 x^2
}

TEST(CustomFunction, CubePassesGradcheckAndGradgradcheck) {
  tg::manual_seed(1);
  Tensor x = tg::randn({2, 3}, tg::kFloat64).requires_grad_();
  auto fn = [](const std::vector<Tensor>& in) { return Cube::apply(in[0]); };
  EXPECT_TRUE(tg::autograd::gradcheck(fn, {x}));
  EXPECT_TRUE(tg::autograd::gradgradcheck(fn, {x}));
}

TEST(CustomFunction, SecondDerivativeOfCubeByCreateGraph) {
  Tensor x = f64({2.0}).requires_grad_();
  Tensor y = Cube::apply(x);
  Tensor g = tg::autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  expect_values(g, {12.0});  // 3 x^2
  EXPECT_TRUE(g.requires_grad());
  Tensor gg = tg::autograd::grad({g}, {x})[0];
  expect_values(gg, {12.0});  // 6 x
}

TEST(CustomFunction, ComposesWithBuiltInOpsOnBothSides) {
  Tensor x = f64({1.0, -2.0}).requires_grad_();
  Tensor y = (Cube::apply(x * 2.0) + x).sum();  // 8 x^3 + x: d/dx = 24 x^2 + 1
  y.backward();
  expect_values(x.grad(), {25.0, 97.0});
}

TEST(CustomFunction, NonTensorArgumentAndUndefinedGradientForIt) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor y = Scale::apply(x, 2.5);
  expect_values(y, {2.5, 5.0});
  EXPECT_EQ(tg::grad_fn_name(y), "ScaleBackward");
  EXPECT_STREQ(y.grad_fn()->op().formula, "custom Function: backward written by the user");
  y.sum().backward();
  expect_values(x.grad(), {2.5, 2.5});
  auto fn = [](const std::vector<Tensor>& in) { return Scale::apply(in[0], -1.5); };
  EXPECT_TRUE(tg::autograd::gradcheck(fn, {x.detach().requires_grad_()}));
}

TEST(CustomFunction, NamespacesAreStrippedFromTheNodeName) {
  Tensor x = f64({3.0}).requires_grad_();
  Tensor y = my_ops::Square::apply(x);
  EXPECT_EQ(tg::grad_fn_name(y), "SquareBackward");
  y.backward();
  expect_values(x.grad(), {6.0});
}

TEST(CustomFunction, NoNodeWithoutGradModeOrAnInputThatRequiresGrad) {
  Tensor x = f64({2.0}).requires_grad_();
  {
    tg::NoGradGuard guard;
    Tensor y = Cube::apply(x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
    expect_values(y, {8.0});
  }
  Tensor y = Cube::apply(f64({2.0}));
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(tg::is_grad_enabled());  // apply restored grad mode
}

TEST(CustomFunction, InputReturnedAsItIsGetsANewTensorWithTheNode) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor y = Identity::apply(x);
  EXPECT_FALSE(y.is_same(x));
  EXPECT_TRUE(y.is_alias_of(x));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_EQ(tg::grad_fn_name(y), "IdentityBackward");
  (y * 3.0).sum().backward();
  expect_values(x.grad(), {3.0, 3.0});
}

TEST(CustomFunction, TrailingUndefinedGradientsAreAccepted) {
  // libtorch truncates extra entries of backward's result when all of them are undefined
  Tensor x = f64({1.0}).requires_grad_();
  TrailingUndefined::apply(x).sum().backward();
  expect_values(x.grad(), {3.0});
}

TEST(CustomFunction, NeedsInputGradCountsTensorInputs) {
  Tensor x = f64({1.0}).requires_grad_();
  Tensor y = f64({2.0});
  EXPECT_NE(error_of([&] {
              AsksForInputGrad::apply(x, 2.0, y);
            }).find("AsksForInputGradBackward: needs_input_grad(2) is out of range: forward has 2 tensor inputs"),
            std::string::npos);
}

// ================================================================ several outputs

TEST(CustomFunction, TwoOutputsShareOneNode) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor y = f64({3.0, 4.0}).requires_grad_();
  variable_list out = ProductAndSum::apply(x, y);
  ASSERT_EQ(out.size(), 2u);
  expect_values(out[0], {3.0, 8.0});
  expect_values(out[1], {4.0, 6.0});
  EXPECT_EQ(out[0].grad_fn(), out[1].grad_fn());
  EXPECT_EQ(out[0].output_nr(), 0u);
  EXPECT_EQ(out[1].output_nr(), 1u);
  EXPECT_EQ(out[0].grad_fn()->num_outputs(), 2u);
  EXPECT_EQ(tg::grad_fn_name(out[1]), "ProductAndSumBackward");
  product_and_sum_calls = 0;
  (out[0] + out[1] * 2.0).sum().backward();
  EXPECT_EQ(product_and_sum_calls, 1);  // one backward call for both outputs
  expect_values(x.grad(), {5.0, 6.0});  // y + 2
  expect_values(y.grad(), {3.0, 4.0});  // x + 2
}

TEST(CustomFunction, TwoOutputsPassGradcheckAndGradgradcheck) {
  tg::manual_seed(2);
  Tensor x = tg::randn({3}, tg::kFloat64).requires_grad_();
  Tensor y = tg::randn({3}, tg::kFloat64).requires_grad_();
  auto fn = [](const std::vector<Tensor>& in) {
    variable_list out = ProductAndSum::apply(in[0], in[1]);
    return tg::cat({out[0], out[1]});
  };
  EXPECT_TRUE(tg::autograd::gradcheck(fn, {x, y}));
  EXPECT_TRUE(tg::autograd::gradgradcheck(fn, {x, y}));
}

TEST(CustomFunction, SavedOutputsOfTwoOutputsAreTwiceDifferentiable) {
  tg::manual_seed(3);
  Tensor x = tg::randn({4}, tg::kFloat64).requires_grad_();
  auto fn = [](const std::vector<Tensor>& in) {
    variable_list out = ExpPair::apply(in[0]);
    return tg::cat({out[0], out[1] * 0.5});
  };
  EXPECT_TRUE(tg::autograd::gradcheck(fn, {x}));
  EXPECT_TRUE(tg::autograd::gradgradcheck(fn, {x}));
  // d/dx (e^x + e^2x) at 0 is 1 + 2; second derivative 1 + 4
  Tensor z = f64({0.0}).requires_grad_();
  variable_list out = ExpPair::apply(z);
  Tensor g = tg::autograd::grad({out[0] + out[1]}, {z}, {}, std::nullopt, true)[0];
  expect_values(g, {3.0});
  expect_values(tg::autograd::grad({g}, {z})[0], {5.0});
}

TEST(CustomFunction, AnOutputWithoutGradientGetsZerosOrUndefined) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor y = f64({3.0, 4.0}).requires_grad_();
  product_and_sum_materialize = true;
  variable_list out = ProductAndSum::apply(x, y);
  out[1].sum().backward();  // only the second output is used
  ASSERT_EQ(product_and_sum_last_grads.size(), 2u);
  expect_values(product_and_sum_last_grads[0], {0.0, 0.0});  // materialized
  EXPECT_EQ(product_and_sum_last_grads[0].dtype(), tg::kFloat64);
  expect_values(x.grad(), {1.0, 1.0});

  product_and_sum_materialize = false;
  Tensor a = f64({1.0, 2.0}).requires_grad_();
  variable_list out2 = ProductAndSum::apply(a, y);
  (out2[0] * 2.0).sum().backward();
  product_and_sum_materialize = true;
  ASSERT_EQ(product_and_sum_last_grads.size(), 2u);
  EXPECT_FALSE(product_and_sum_last_grads[1].defined());
  expect_values(a.grad(), {6.0, 8.0});  // 2 y
}

TEST(CustomFunction, HooksAndRetainGradOnTheSecondOutput) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor y = f64({3.0, 4.0}).requires_grad_();
  variable_list out = ProductAndSum::apply(x, y);
  double seen = 0;
  out[1].register_hook([](const Tensor& g) { return g * 10.0; });
  out[1].register_hook([&](const Tensor& g) { seen = g.sum().item<double>(); });
  out[1].retain_grad();
  out[0].retain_grad();
  (out[0] + out[1]).sum().backward();
  EXPECT_DOUBLE_EQ(seen, 20.0);  // the second hook sees the first one's result
  expect_values(out[1].grad(), {10.0, 10.0});
  expect_values(out[0].grad(), {1.0, 1.0});
  expect_values(x.grad(), {13.0, 14.0});  // y + 10
  expect_values(y.grad(), {11.0, 12.0});  // x + 10
}

TEST(CustomFunction, AutogradGradWithRespectToEachOutput) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor y = f64({3.0, 4.0}).requires_grad_();
  variable_list out = ProductAndSum::apply(x, y);
  Tensor loss = (out[0] * 2.0 + out[1] * 3.0).sum();
  variable_list g = tg::autograd::grad({loss}, {out[1], out[0], x}, {}, /*retain_graph=*/true);
  expect_values(g[0], {3.0, 3.0});
  expect_values(g[1], {2.0, 2.0});
  expect_values(g[2], {9.0, 11.0});  // 2 y + 3
  // the second output as the root of backward
  out[1].backward(f64({1.0, -1.0}));
  expect_values(x.grad(), {1.0, -1.0});
}

TEST(CustomFunction, StepperReportsTheGradientOfEachOutput) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor y = f64({3.0, 4.0}).requires_grad_();
  variable_list out = ProductAndSum::apply(x, y);
  tg::autograd::BackwardEngine engine({(out[1] * 5.0).sum()}, {}, false, false);
  bool found = false;
  while (!engine.done()) {
    tg::autograd::StepRecord step = engine.step();
    if (step.node.get() != out[0].grad_fn().get()) continue;
    found = true;
    ASSERT_EQ(step.grad_outputs.size(), 2u);
    EXPECT_FALSE(step.grad_outputs[0].defined());
    expect_values(step.grad_outputs[1], {5.0, 5.0});
  }
  EXPECT_TRUE(found);
}

// ================================================================ non-differentiable outputs

TEST(CustomFunction, NonDifferentiableOutputsHaveNoGradFn) {
  Tensor x = f64({-1.0, 3.0, 2.0}).requires_grad_();
  variable_list out = WithMask::apply(x);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].requires_grad());
  EXPECT_FALSE(out[1].requires_grad());
  EXPECT_EQ(out[1].grad_fn(), nullptr);
  EXPECT_FALSE(out[2].requires_grad());  // Int64: never differentiable
  EXPECT_EQ(out[2].item<int64_t>(), 1);
  expect_values(out[1], {0.0, 1.0, 1.0});
  EXPECT_EQ(out[0].grad_fn()->num_outputs(), 3u);
  out[0].sum().backward();
  expect_values(x.grad(), {2.0, 2.0, 2.0});
  ASSERT_EQ(with_mask_grads.size(), 3u);
  expect_values(with_mask_grads[1], {0.0, 0.0, 0.0});  // zeros of the mask's shape
  EXPECT_EQ(with_mask_grads[2].dtype(), tg::kInt64);
  EXPECT_EQ(with_mask_grads[2].dim(), 0);
}

// ================================================================ in place: mark_dirty

TEST(CustomFunction, MarkDirtyRebasesTheInputOntoTheNode) {
  Tensor a = f64({1.0, 2.0}).requires_grad_();
  Tensor x = a * 3.0;
  Tensor before = x * x;  // saved x before the in-place change
  Tensor y = DoubleInPlace::apply(x);
  EXPECT_TRUE(y.is_same(x));  // the very tensor, modified
  expect_values(x, {6.0, 12.0});
  EXPECT_EQ(tg::grad_fn_name(x), "DoubleInPlaceBackward");
  y.sum().backward();
  expect_values(a.grad(), {6.0, 6.0});
  // the node that saved x's old value refuses to run, as after a built-in in-place op
  EXPECT_NE(error_of([&] { before.sum().backward(); }).find("modified by an in-place operation"), std::string::npos);
}

TEST(CustomFunction, ErrorDirtyInputNotReturned) {
  Tensor x = f64({1.0}).requires_grad_() * 1.0;
  std::string message = error_of([&] { DirtyNotReturned::apply(x); });
  EXPECT_NE(message.find("DirtyNotReturnedBackward: a tensor of shape [1] was marked dirty (mark_dirty) but not "
                         "returned by forward"),
            std::string::npos)
      << message;
}

TEST(CustomFunction, ErrorDirtyLeafThatRequiresGrad) {
  Tensor x = f64({1.0}).requires_grad_();
  std::string message = error_of([&] { DoubleInPlace::apply(x); });
  EXPECT_NE(message.find("DoubleInPlaceBackward: a leaf tensor that requires grad (shape [1]) was modified in place"),
            std::string::npos)
      << message;
}

// ================================================================ backward's errors

TEST(CustomFunction, ErrorWrongNumberOfGradients) {
  Tensor x = f64({1.0}).requires_grad_();
  Tensor y = TooFewGradients::apply(x, 2.0);
  std::string message = error_of([&] { y.sum().backward(); });
  EXPECT_NE(message.find("TooFewGradientsBackward: function backward returned 1 gradients, but expected 2"),
            std::string::npos)
      << message;
}

TEST(CustomFunction, ErrorGradientForANonTensorArgument) {
  Tensor x = f64({1.0}).requires_grad_();
  Tensor y = GradientForANumber::apply(x, 2.0);
  std::string message = error_of([&] { y.sum().backward(); });
  EXPECT_NE(message.find("GradientForANumberBackward: function backward returned a gradient for non-tensor argument 1"),
            std::string::npos)
      << message;
}

TEST(CustomFunction, ErrorSavedTensorModifiedInPlaceAsForBuiltIns) {
  Tensor x = f64({1.0, 2.0}).requires_grad_();
  Tensor h = x * 1.0;
  Tensor y = Cube::apply(h);
  Tensor z = h * h;
  {
    tg::NoGradGuard guard;
    h.add_(1.0);
  }
  std::string custom = error_of([&] { y.sum().backward(); });
  std::string builtin = error_of([&] { z.sum().backward(); });
  EXPECT_NE(custom.find("a tensor needed by 'Cube'"), std::string::npos) << custom;
  EXPECT_NE(custom.find("has been modified by an in-place operation: it is at version 1, expected version 0"),
            std::string::npos)
      << custom;
  EXPECT_NE(builtin.find("has been modified by an in-place operation: it is at version 1, expected version 0"),
            std::string::npos)
      << builtin;
}

TEST(CustomFunction, ErrorBackwardTwiceThroughFreedSavedTensors) {
  Tensor x = f64({2.0}).requires_grad_();
  Tensor y = Cube::apply(x);
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  expect_values(x.grad(), {24.0});
  std::string message = error_of([&] { y.backward(); });
  EXPECT_NE(message.find("trying to backward through the graph a second time"), std::string::npos) << message;
}

// ================================================================ saved_data

TEST(CustomFunction, SavedDataHoldsEveryKind) {
  struct Keeper : public tg::autograd::Function<Keeper> {
    static Tensor forward(AutogradContext* ctx, Tensor x) {
      ctx->saved_data["double"] = 0.25;
      ctx->saved_data["float"] = 1.5f;
      ctx->saved_data["int"] = 7;
      ctx->saved_data["int64"] = int64_t{1} << 40;
      ctx->saved_data["bool"] = true;
      ctx->saved_data["string"] = "scale";
      ctx->saved_data["std::string"] = std::string("offset");
      ctx->saved_data["tensor"] = x * 2.0;
      ctx->saved_data["sizes"] = x.sizes();
      return x * 1.0;
    }
    static variable_list backward(AutogradContext* ctx, variable_list g) {
      auto& d = ctx->saved_data;
      EXPECT_DOUBLE_EQ(d["double"].toDouble(), 0.25);
      EXPECT_DOUBLE_EQ(d["float"].toDouble(), 1.5);
      EXPECT_EQ(d["int"].toInt(), 7);
      EXPECT_EQ(d["int64"].toInt(), int64_t{1} << 40);
      EXPECT_TRUE(d["bool"].toBool());
      EXPECT_EQ(d["string"].toStringRef(), "scale");
      EXPECT_EQ(d["std::string"].toStringRef(), "offset");
      EXPECT_EQ(d["sizes"].toIntVector(), (std::vector<int64_t>{2}));
      EXPECT_TRUE(d["missing"].isNone());
      return {g[0] * d["tensor"].toTensor()};
    }
  };
  Tensor x = f64({1.0, 3.0}).requires_grad_();
  Keeper::apply(x).sum().backward();
  expect_values(x.grad(), {2.0, 6.0});
}

TEST(CustomFunction, IValueKindsAndWrongKindErrors) {
  tg::IValue d = 2.0, i = 3, b = false, s = "text", t = f64({1.0}), none;
  EXPECT_TRUE(d.isDouble());
  EXPECT_TRUE(i.isInt());
  EXPECT_TRUE(b.isBool());
  EXPECT_TRUE(s.isString());
  EXPECT_TRUE(t.isTensor());
  EXPECT_TRUE(none.isNone());
  EXPECT_EQ(error_of([&] { i.toDouble(); }), "IValue: expected Double but got Int");
  EXPECT_EQ(error_of([&] { d.toInt(); }), "IValue: expected Int but got Double");
  EXPECT_EQ(error_of([&] { s.toBool(); }), "IValue: expected Bool but got String");
  EXPECT_EQ(error_of([&] { b.toStringRef(); }), "IValue: expected String but got Bool");
  EXPECT_EQ(error_of([&] { none.toTensor(); }), "IValue: expected Tensor but got None");
  EXPECT_EQ(error_of([&] { t.toIntVector(); }), "IValue: expected IntList but got Tensor");
}

// ================================================================ a straight-through estimator

TEST(CustomFunction, StraightThroughStepTrainsATinyNet) {
  // Targets: 1 if x0 + x1 > 0. Model: sigmoid(w2 . step(W1 x + b1) + b2); the step has no useful
  // derivative, the straight-through estimator passes the gradient where |pre-activation| <= 1.
  tg::manual_seed(0);
  Tensor inputs = tg::randn({64, 2}, tg::kFloat64);
  Tensor targets = (inputs.select(1, 0) + inputs.select(1, 1)).gt(0.0).to(tg::kFloat64).unsqueeze(1);
  Tensor w1 = (tg::randn({2, 8}, tg::kFloat64) * 0.5).requires_grad_();
  Tensor b1 = tg::zeros({8}, tg::kFloat64).requires_grad_();
  Tensor w2 = (tg::randn({8, 1}, tg::kFloat64) * 0.5).requires_grad_();
  Tensor b2 = tg::zeros({1}, tg::kFloat64).requires_grad_();
  auto loss_of = [&] {
    Tensor hidden = StepSTE::apply(tg::matmul(inputs, w1) + b1);
    Tensor p = tg::sigmoid(tg::matmul(hidden, w2) + b2);
    return tg::mean((p - targets) * (p - targets));
  };
  Tensor probe = StepSTE::apply(tg::matmul(inputs, w1) + b1);
  EXPECT_EQ(tg::grad_fn_name(probe), "StepSTEBackward");
  const double initial = loss_of().item<double>();
  double final_loss = initial;
  for (int step = 0; step < 300; ++step) {
    for (Tensor* p : {&w1, &b1, &w2, &b2}) p->mutable_grad() = Tensor();
    Tensor loss = loss_of();
    loss.backward();
    final_loss = loss.item<double>();
    tg::NoGradGuard guard;
    for (Tensor* p : {&w1, &b1, &w2, &b2}) p->sub_(p->grad() * 0.5);
  }
  EXPECT_TRUE(w1.grad().defined());
  EXPECT_GT(w1.grad().abs().sum().item<double>(), 0.0);  // the gradient got through the step
  EXPECT_LT(final_loss, 0.5 * initial) << "initial " << initial << ", final " << final_loss;
}

}  // namespace
