// The tape and the engine: accumulation, autograd::grad, hooks, retain_grad, grad mode, freed
// graphs, version checks, higher-order gradients, stepping, and memory behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "../error_of.h"
#include "tapegrad/tapegrad.h"

namespace {

using tg_test::error_of;

tg::Tensor f64(std::initializer_list<double> values) {
  std::vector<double> v(values);
  return tg::tensor(v, tg::kFloat64);
}

double at(const tg::Tensor& t, int64_t i) { return t.reshape({-1})[i].item<double>(); }

TEST(Autograd, ChainRuleOnAPolynomial) {
  tg::Tensor x = f64({2.0}).requires_grad_();
  tg::Tensor y = (x * x * 3.0 + x).sum();  // dy/dx = 6x + 1 = 13
  y.backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 13.0);
}

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  tg::Tensor x = f64({1.0, 2.0}).requires_grad_();
  (x * 3.0).sum().backward();
  (x * x).sum().backward();  // + 2x
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 5.0);
  EXPECT_DOUBLE_EQ(at(x.grad(), 1), 7.0);
}

TEST(Autograd, SharedInputGetsTheSumOfBothPaths) {
  tg::Tensor x = f64({3.0}).requires_grad_();
  tg::Tensor a = x * 2.0;
  tg::Tensor y = (a + a * a).sum();  // y = 2x + 4x^2, dy/dx = 2 + 8x = 26
  y.backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 26.0);
}

TEST(Autograd, BroadcastGradientIsSummedBackToTheInputShape) {
  tg::Tensor a = tg::ones({3, 1}, tg::kFloat64).requires_grad_();
  tg::Tensor b = tg::ones({1, 4}, tg::kFloat64).requires_grad_();
  (a * b).sum().backward();
  EXPECT_EQ(a.grad().sizes().vec(), (std::vector<int64_t>{3, 1}));
  EXPECT_DOUBLE_EQ(at(a.grad(), 0), 4.0);
  EXPECT_DOUBLE_EQ(at(b.grad(), 3), 3.0);
}

TEST(Autograd, BackwardWithExplicitGradientForNonScalar) {
  tg::Tensor x = f64({1.0, 2.0, 3.0}).requires_grad_();
  tg::Tensor y = x * x;
  y.backward(f64({1.0, 0.5, 0.0}));
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 2.0);
  EXPECT_DOUBLE_EQ(at(x.grad(), 1), 2.0);
  EXPECT_DOUBLE_EQ(at(x.grad(), 2), 0.0);
}

TEST(Autograd, GradReturnsGradientsWithoutTouchingLeafGrad) {
  tg::Tensor x = f64({2.0}).requires_grad_();
  tg::Tensor w = f64({5.0}).requires_grad_();
  tg::Tensor y = (x * w).sum();
  auto grads = tg::autograd::grad({y}, {x, w});
  EXPECT_DOUBLE_EQ(at(grads[0], 0), 5.0);
  EXPECT_DOUBLE_EQ(at(grads[1], 0), 2.0);
  EXPECT_FALSE(x.grad().defined());
  EXPECT_FALSE(w.grad().defined());
}

TEST(Autograd, GradOfAnIntermediateTensor) {
  tg::Tensor x = f64({2.0}).requires_grad_();
  tg::Tensor h = x * 3.0;
  tg::Tensor y = (h * h).sum();  // dy/dh = 2h = 12
  auto grads = tg::autograd::grad({y}, {h});
  EXPECT_DOUBLE_EQ(at(grads[0], 0), 12.0);
}

TEST(Autograd, GradOfUnusedInputNeedsAllowUnused) {
  tg::Tensor x = f64({2.0}).requires_grad_();
  tg::Tensor unused = f64({1.0}).requires_grad_();
  tg::Tensor y = (x * x).sum();
  EXPECT_NE(error_of([&] { tg::autograd::grad({y}, {x, unused}, {}, true); }).find("not used"), std::string::npos);
  auto grads = tg::autograd::grad({y}, {x, unused}, {}, true, false, /*allow_unused=*/true);
  EXPECT_DOUBLE_EQ(at(grads[0], 0), 4.0);
  EXPECT_FALSE(grads[1].defined());
}

TEST(Autograd, RetainGradKeepsTheGradientOfANonLeaf) {
  tg::Tensor x = f64({1.0, 2.0}).requires_grad_();
  tg::Tensor h = x * 2.0;
  h.retain_grad();
  (h * h).sum().backward();
  ASSERT_TRUE(h.grad().defined());
  EXPECT_DOUBLE_EQ(at(h.grad(), 1), 8.0);  // 2h
  EXPECT_TRUE(h.retains_grad());
}

TEST(Autograd, NonLeafWithoutRetainGradHasNoGrad) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::Tensor h = x * 2.0;
  (h * h).sum().backward();
  EXPECT_FALSE(h.grad().defined());
}

TEST(Autograd, HookOnNonLeafCanReplaceTheGradient) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::Tensor h = x * 3.0;
  h.register_hook([](const tg::Tensor& g) { return g * 10.0; });
  h.sum().backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 30.0);
}

TEST(Autograd, HookOnLeafSeesTheGradientAndCanBeRemoved) {
  tg::Tensor x = f64({1.0, 1.0}).requires_grad_();
  double seen = 0;
  unsigned handle = x.register_hook([&](const tg::Tensor& g) { seen = g.sum().item<double>(); });
  (x * 4.0).sum().backward();
  EXPECT_DOUBLE_EQ(seen, 8.0);
  x.remove_hook(handle);
  seen = -1;
  (x * 4.0).sum().backward();
  EXPECT_DOUBLE_EQ(seen, -1);
}

TEST(Autograd, NoGradGuardStopsRecording) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::Tensor y;
  {
    tg::NoGradGuard guard;
    y = x * 2.0;
    EXPECT_FALSE(tg::is_grad_enabled());
  }
  EXPECT_TRUE(tg::is_grad_enabled());
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FALSE(y.grad_fn());
}

TEST(Autograd, NoGradGuardIsThreadLocal) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::NoGradGuard guard;
  bool other_thread_records = false;
  std::thread worker([&] { other_thread_records = (x * 2.0).requires_grad(); });
  worker.join();
  EXPECT_TRUE(other_thread_records);
  EXPECT_FALSE((x * 2.0).requires_grad());
}

TEST(Autograd, DetachCutsTheGraphButSharesData) {
  tg::Tensor x = f64({1.0, 2.0}).requires_grad_();
  tg::Tensor d = (x * 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  tg::Tensor y = (x * d).sum();  // d is a constant
  y.backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 1), 4.0);
}

TEST(Autograd, RequiresGradPropagatesToOutputs) {
  tg::Tensor a = f64({1.0});
  tg::Tensor b = f64({1.0}).requires_grad_();
  EXPECT_FALSE((a * 2.0).requires_grad());
  EXPECT_TRUE((a * b).requires_grad());
  EXPECT_FALSE((a * b).is_leaf());
  EXPECT_EQ(tg::grad_fn_name(a * b), "MulBackward0");
}

TEST(Autograd, SecondBackwardThroughAFreedGraphFailsClearly) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::Tensor y = (x.exp() * x).sum();
  y.backward();
  std::string message = error_of([&] { y.backward(); });
  EXPECT_NE(message.find("second time"), std::string::npos) << message;
  EXPECT_NE(message.find("retain_graph"), std::string::npos) << message;
}

TEST(Autograd, RetainGraphAllowsASecondBackward) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::Tensor y = (x.exp() * x).sum();  // dy/dx = e^x (1 + x) = 2e
  y.backward({}, true);
  y.backward();
  EXPECT_NEAR(at(x.grad(), 0), 4.0 * std::exp(1.0), 1e-12);
}

TEST(Autograd, InPlaceChangeOfASavedTensorIsDetectedAtBackward) {
  tg::Tensor x = f64({1.0, 2.0}).requires_grad_();
  tg::Tensor a = x * 2.0;
  tg::Tensor b = (a * a).sum();  // saves a
  a.add_(1.0);
  std::string message = error_of([&] { b.backward(); });
  EXPECT_NE(message.find("modified by an in-place operation"), std::string::npos) << message;
  EXPECT_NE(message.find("version 1"), std::string::npos) << message;
}

TEST(Autograd, InPlaceOpOnNonLeafIsRecorded) {
  tg::Tensor x = f64({1.0, 2.0}).requires_grad_();
  tg::Tensor a = x * 2.0;
  a.mul_(3.0);  // a = 6x
  a.sum().backward();
  EXPECT_DOUBLE_EQ(at(x.grad(), 0), 6.0);
  EXPECT_EQ(a._version(), 1);
}

TEST(Autograd, InPlaceOpOnLeafThatRequiresGradIsRefused) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  std::string message = error_of([&] { x.add_(1.0); });
  EXPECT_NE(message.find("add_"), std::string::npos);
  EXPECT_NE(message.find("leaf"), std::string::npos);
  tg::NoGradGuard guard;  // the optimizer's way
  x.add_(1.0);
  EXPECT_DOUBLE_EQ(at(x, 0), 2.0);
}

TEST(Autograd, SecondDerivativeOfACube) {
  tg::Tensor x = f64({2.0}).requires_grad_();
  tg::Tensor y = (x * x * x).sum();
  auto dy = tg::autograd::grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  EXPECT_DOUBLE_EQ(at(dy[0], 0), 12.0);  // 3x^2
  auto d2y = tg::autograd::grad({dy[0].sum()}, {x});
  EXPECT_DOUBLE_EQ(at(d2y[0], 0), 12.0);  // 6x
}

TEST(Autograd, CreateGraphBackwardGivesLeafGradWithAGraph) {
  tg::Tensor x = f64({3.0}).requires_grad_();
  (x * x).sum().backward({}, std::nullopt, /*create_graph=*/true);
  tg::Tensor g = x.grad();
  EXPECT_TRUE(g.requires_grad());
  auto d2 = tg::autograd::grad({g.sum()}, {x});
  EXPECT_DOUBLE_EQ(at(d2[0], 0), 2.0);
  // x -> x.grad -> its graph -> a node that saved x: the reference cycle libtorch documents for
  // backward(create_graph=true). Resetting the grad breaks it (LeakSanitizer checks we did).
  x.mutable_grad() = tg::Tensor();
}

// Hessian-vector product of a small network (tanh hidden layer) against finite differences of the
// gradient: (grad(w + eps v) - grad(w - eps v)) / 2 eps.
TEST(Autograd, HessianVectorProductOfASmallNetworkMatchesFiniteDifferences) {
  tg::manual_seed(3);
  tg::Tensor x = tg::randn({5, 3}, tg::kFloat64);
  tg::Tensor target = tg::randn({5, 1}, tg::kFloat64);
  tg::Tensor w1 = tg::randn({3, 4}, tg::kFloat64).requires_grad_();
  tg::Tensor w2 = tg::randn({4, 1}, tg::kFloat64).requires_grad_();
  tg::Tensor v1 = tg::randn({3, 4}, tg::kFloat64);
  tg::Tensor v2 = tg::randn({4, 1}, tg::kFloat64);
  auto loss_of = [&](const tg::Tensor& a, const tg::Tensor& b) {
    tg::Tensor out = tg::tanh(x.matmul(a)).matmul(b);
    return ((out - target) * (out - target)).mean();
  };
  auto g = tg::autograd::grad({loss_of(w1, w2)}, {w1, w2}, {}, std::nullopt, true);
  tg::Tensor dot = (g[0] * v1).sum() + (g[1] * v2).sum();
  auto hv = tg::autograd::grad({dot}, {w1, w2});

  const double eps = 1e-5;
  auto grad_at = [&](double sign) {
    tg::Tensor a = (w1.detach() + v1 * (sign * eps)).requires_grad_();
    tg::Tensor b = (w2.detach() + v2 * (sign * eps)).requires_grad_();
    return tg::autograd::grad({loss_of(a, b)}, {a, b});
  };
  auto plus = grad_at(1), minus = grad_at(-1);
  tg::Tensor fd1 = (plus[0] - minus[0]) / (2 * eps);
  tg::Tensor fd2 = (plus[1] - minus[1]) / (2 * eps);
  EXPECT_TRUE(tg::allclose(hv[0], fd1, 1e-6, 1e-8)) << hv[0] << fd1;
  EXPECT_TRUE(tg::allclose(hv[1], fd2, 1e-6, 1e-8)) << hv[1] << fd2;
  EXPECT_GT(hv[0].abs().sum().item<double>(), 1e-3);  // not trivially zero
}

TEST(Engine, StepsVisitNodesNewestFirstAndMatchBackward) {
  tg::Tensor x = f64({0.5, -1.0}).requires_grad_();
  tg::Tensor y = (tg::tanh(x * 2.0) * x).sum();
  auto tape = tg::autograd::collect_tape(y);
  tg::autograd::BackwardEngine engine({y}, {}, /*retain_graph=*/true, false);
  std::vector<uint64_t> order;
  int observed = 0;
  engine.add_observer([&](const tg::autograd::StepRecord&) { ++observed; });
  while (!engine.done()) {
    auto next = engine.peek();
    auto record = engine.step();
    EXPECT_EQ(record.node, next);
    order.push_back(record.node->sequence_nr());
  }
  EXPECT_EQ(order.size(), tape.size());
  EXPECT_EQ(observed, static_cast<int>(tape.size()));
  for (std::size_t i = 1; i < order.size(); ++i) EXPECT_GT(order[i - 1], order[i]);
  tg::Tensor stepped = x.grad().clone();
  x.mutable_grad() = tg::Tensor();
  y.backward();
  EXPECT_TRUE(tg::allclose(stepped, x.grad()));
}

TEST(Engine, StepRecordShowsGradientsFlowingThroughEachNode) {
  tg::Tensor x = f64({3.0}).requires_grad_();
  tg::Tensor y = (x * 2.0).sum();
  tg::autograd::BackwardEngine engine({y}, {}, false, false);
  auto first = engine.step();
  EXPECT_STREQ(first.node->name(), "sum");
  EXPECT_DOUBLE_EQ(first.grad_output.item<double>(), 1.0);
  auto second = engine.step();
  EXPECT_STREQ(second.node->name(), "mul_scalar");
  EXPECT_DOUBLE_EQ(at(second.grad_inputs[0], 0), 2.0);
  auto third = engine.step();
  EXPECT_TRUE(third.node->is_accumulate_grad());
  EXPECT_TRUE(engine.done());
}

TEST(Tape, NodesExposeNameEdgesSavedTensorsAndOutputMeta) {
  tg::Tensor a = tg::ones({2, 3}, tg::kFloat64).requires_grad_();
  tg::Tensor b = tg::ones({3, 4}, tg::kFloat64).requires_grad_();
  tg::Tensor c = tg::mm(a, b);
  const auto& node = c.grad_fn();
  ASSERT_TRUE(node);
  EXPECT_STREQ(node->name(), "mm");
  EXPECT_EQ(node->backward_name(), "MmBackward0");
  EXPECT_EQ(node->next_edges().size(), 2u);
  EXPECT_TRUE(node->next_edges()[0].function->is_accumulate_grad());
  EXPECT_EQ(node->output_meta().sizes.vec(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(node->saved_tensors().size(), 2u);
  EXPECT_FALSE(node->saved_released());
  c.sum().backward();
  EXPECT_TRUE(node->saved_released());
  EXPECT_FALSE(node->saved_tensors()[0].defined());
}

TEST(Tape, CollectTapeListsEveryNodeNewestFirst) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::Tensor y = (x.exp() + x).sum();
  auto tape = tg::autograd::collect_tape(y);
  std::vector<std::string> names;
  for (const auto& n : tape) names.push_back(n->name());
  EXPECT_EQ(names, (std::vector<std::string>{"sum", "add", "exp", "accumulate_grad"}));
}

// No reference cycles: once the output is gone, every node of its graph is gone.
TEST(Memory, GraphIsFreedWhenTheOutputIsDropped) {
  tg::Tensor x = f64({1.0, 2.0}).requires_grad_();
  std::weak_ptr<tg::autograd::Node> exp_node;
  {
    tg::Tensor e = x.exp();  // saves its own output
    exp_node = e.grad_fn();
    tg::Tensor y = (e * x).sum();
    EXPECT_FALSE(exp_node.expired());
  }
  EXPECT_TRUE(exp_node.expired());
}

TEST(Memory, TenThousandTrainingStepsDoNotGrowLiveStorage) {
  tg::manual_seed(1);
  tg::Tensor x = tg::randn({8, 4});
  tg::Tensor target = tg::randn({8, 1});
  tg::Tensor w1 = (tg::randn({4, 16}) * 0.3).detach().requires_grad_();
  tg::Tensor w2 = (tg::randn({16, 1}) * 0.3).detach().requires_grad_();
  auto step = [&] {
    tg::Tensor out = tg::relu(x.matmul(w1)).matmul(w2);
    tg::Tensor loss = ((out - target) * (out - target)).mean();
    loss.backward();
    tg::NoGradGuard guard;
    for (tg::Tensor* p : {&w1, &w2}) {
      p->sub_(p->grad() * 0.01);
      p->mutable_grad().zero_();
    }
  };
  for (int i = 0; i < 100; ++i) step();
  int64_t live_after_warmup = tg::memory_stats().live_storages;
  for (int i = 0; i < 10000; ++i) step();
  EXPECT_EQ(tg::memory_stats().live_storages, live_after_warmup);
}

TEST(Memory, DeepChainIsDestroyedWithoutRecursion) {
  tg::Tensor x = tg::ones({1}).requires_grad_();
  int64_t live_before = tg::memory_stats().live_storages;
  std::weak_ptr<tg::autograd::Node> first;
  tg::Tensor h = x * 1.0;
  first = h.grad_fn();
  for (int i = 0; i < 200000; ++i) h = h * x;  // each mul saves its inputs
  EXPECT_GT(tg::memory_stats().live_storages, live_before + 1000);
  h = tg::Tensor();  // a recursive destructor would overflow the stack here
  EXPECT_TRUE(first.expired());
  EXPECT_EQ(tg::memory_stats().live_storages, live_before);
}

TEST(Memory, BackwardThroughALongChain) {
  tg::Tensor x = f64({1.0}).requires_grad_();
  tg::Tensor h = x;
  for (int i = 0; i < 20000; ++i) h = h * 1.0001;
  h.sum().backward();
  EXPECT_NEAR(at(x.grad(), 0), std::pow(1.0001, 20000), 1e-9);
}

}  // namespace

// ---- users' cases: pow at base 0 and at negative bases, first and second order ----
// Reference values: PyTorch 1.13 where it is finite; where it gives NaN for a derivative that
// exists (d/dx x^0 at x = 0, whose function is the constant 1, and d/dy 0^y for y > 0, whose
// function is the constant 0) the value is the mathematical one.
namespace {
struct PowCase {
  double base, exponent;
  double dx, dxx;  // d/d base and d^2/d base^2 of base^exponent
};
const PowCase kPowCases[] = {
    {0, 0, 0, 0},
    {0, 1, 1, 0},
    {0, 2, 0, 2},
    {0, 3, 0, 0},
    {0, 0.5, INFINITY, -INFINITY},
    {0, -1, -INFINITY, INFINITY},
    {-2, 2, -4, 2},
    {-2, 3, 12, -12},
    {-1.5, 0, 0, 0},
};

// First and second derivative of f at x (a 0-d float64 tensor).
std::pair<double, double> first_and_second(const std::function<tg::Tensor(const tg::Tensor&)>& f, double x0) {
  tg::Tensor x = tg::scalar_tensor(x0, tg::kFloat64).requires_grad_();
  tg::Tensor d = tg::autograd::grad({f(x)}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  double second = 0;
  if (d.requires_grad()) {
    tg::Tensor dd = tg::autograd::grad({d}, {x}, {}, std::nullopt, false, /*allow_unused=*/true)[0];
    if (dd.defined()) second = dd.item<double>();
  }
  return {d.item<double>(), second};
}

void expect_same(double got, double want, const std::string& what) {
  if (std::isinf(want))
    EXPECT_EQ(got, want) << what;
  else
    EXPECT_NEAR(got, want, 1e-12) << what;
}
}  // namespace

TEST(PowGradients, AtBaseZeroAndNegativeBasesFirstAndSecondOrder) {
  for (const PowCase& c : kPowCases) {
    std::string at = "pow(" + std::to_string(c.base) + ", " + std::to_string(c.exponent) + ")";
    tg::Tensor y = tg::scalar_tensor(c.exponent, tg::kFloat64);
    auto [tt_dx, tt_dxx] = first_and_second([&](const tg::Tensor& x) { return tg::pow(x, y); }, c.base);
    expect_same(tt_dx, c.dx, "tensor^tensor d/dx at " + at);
    expect_same(tt_dxx, c.dxx, "tensor^tensor d2/dx2 at " + at);
    auto [ts_dx, ts_dxx] = first_and_second([&](const tg::Tensor& x) { return tg::pow(x, c.exponent); }, c.base);
    expect_same(ts_dx, c.dx, "tensor^scalar d/dx at " + at);
    expect_same(ts_dxx, c.dxx, "tensor^scalar d2/dx2 at " + at);
  }
}

TEST(PowGradients, ExponentGradientAtBaseZero) {
  // d/dy 0^y = 0 for y >= 0 (0^y is the constant 0 for y > 0), for both exponent forms;
  // -inf for y < 0 as libtorch; and NaN at a negative base (x^y log x with log of a negative).
  for (double e : {0.0, 1.0, 2.0, 0.5}) {
    tg::Tensor x = tg::scalar_tensor(0.0, tg::kFloat64);
    auto [tt_dy, tt_dyy] = first_and_second([&](const tg::Tensor& y) { return tg::pow(x, y); }, e);
    EXPECT_EQ(tt_dy, 0.0) << e;
    EXPECT_EQ(tt_dyy, 0.0) << e;
    auto [st_dy, st_dyy] = first_and_second([&](const tg::Tensor& y) { return tg::pow(0.0, y); }, e);
    EXPECT_EQ(st_dy, 0.0) << e;
    EXPECT_EQ(st_dyy, 0.0) << e;
  }
  auto [neg_dy, neg_dyy] = first_and_second([](const tg::Tensor& y) { return tg::pow(0.0, y); }, -1.0);
  EXPECT_EQ(neg_dy, -INFINITY);
  auto [nb_dy, nb_dyy] = first_and_second([](const tg::Tensor& y) { return tg::pow(-2.0, y); }, 2.0);
  EXPECT_TRUE(std::isnan(nb_dy));
}

// ---- users' case: the second derivative of prod with repeated zeros ----
TEST(ProdGradients, SecondDerivativeWithTwoZeros) {
  tg::Tensor x = f64({0, 4, 0, 5}).requires_grad_();
  tg::Tensor g = tg::autograd::grad({x.prod()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  for (int i = 0; i < 4; ++i) EXPECT_EQ(at(g, i), 0.0);
  tg::Tensor gg = tg::autograd::grad({g.sum()}, {x})[0];
  const double want[] = {20, 0, 20, 0};  // d/dx_j sum_i prod_{k != i} x_k = sum_{i != j} prod_{k != i, j} x_k
  for (int i = 0; i < 4; ++i) EXPECT_EQ(at(gg, i), want[i]) << i;
}

TEST(ProdGradients, SecondDerivativeAlongADimWithZeroTwoAndThreeZeros) {
  tg::Tensor x = f64({0, 4, 0, 5, 1, 2, 3, 4, 0, 0, 0, 2}).reshape({3, 4}).requires_grad_();
  tg::Tensor g = tg::autograd::grad({x.prod(1).sum()}, {x}, {}, std::nullopt, true)[0];
  const double first[] = {0, 0, 0, 0, 24, 12, 8, 6, 0, 0, 0, 0};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(at(g, i), first[i]) << i;
  tg::Tensor gg = tg::autograd::grad({g.sum()}, {x})[0];
  const double second[] = {20, 0, 20, 0, 26, 19, 14, 11, 0, 0, 0, 0};
  for (int i = 0; i < 12; ++i) EXPECT_EQ(at(gg, i), second[i]) << i;
}

// gather accepts a 1-d input with a 0-d index and a 0-d input with a 1-d index (as libtorch); its
// rule scatters the gradient back, so scatter_add must accept the same mix (PyTorch 1.13 values).
TEST(GatherGradients, ZeroDimIndexAndZeroDimInput) {
  tg::Tensor x = f64({1, 2, 3, 4, 5}).requires_grad_();
  tg::Tensor y = tg::gather(x, 0, tg::scalar_tensor(2, tg::kInt64));
  EXPECT_EQ(y.dim(), 0);
  EXPECT_EQ(y.item<double>(), 3.0);
  y.backward();
  const double want[] = {0, 0, 1, 0, 0};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(at(x.grad(), i), want[i]);

  tg::Tensor x0 = tg::scalar_tensor(7.0, tg::kFloat64).requires_grad_();
  tg::Tensor pair = tg::gather(x0, 0, tg::tensor(std::vector<int64_t>{0, 0}, tg::kInt64));
  EXPECT_EQ(at(pair, 0), 7.0);
  EXPECT_EQ(at(pair, 1), 7.0);
  pair.sum().backward();
  EXPECT_EQ(x0.grad().item<double>(), 2.0);

  tg::Tensor scattered = tg::zeros({5}, tg::kFloat64)
                             .scatter_add(0, tg::scalar_tensor(2, tg::kInt64), tg::scalar_tensor(3.0, tg::kFloat64));
  EXPECT_EQ(at(scattered, 2), 3.0);
  EXPECT_EQ(scattered.sum().item<double>(), 3.0);
}

// A graph held by a static object is destroyed at exit, after the thread's thread_local objects:
// the iterative node destruction must not rely on a thread_local container (ASan found a
// heap-use-after-free there when a test kept gradients of a create_graph backward in a global).
namespace {
std::vector<tg::Tensor> graph_kept_until_exit;
}  // namespace

TEST(Memory, AGraphHeldByAStaticIsDestroyedSafelyAtExit) {
  tg::Tensor x = f64({1, 2, 3}).requires_grad_();
  tg::Tensor y = x;
  for (int i = 0; i < 100; ++i) y = tg::sin(y) * 1.5;
  tg::Tensor g = tg::autograd::grad({y.sum()}, {x}, {}, std::nullopt, /*create_graph=*/true)[0];
  graph_kept_until_exit.push_back(g);  // released after main returns, by the exit handlers
  EXPECT_TRUE(g.requires_grad());
}

namespace {
// As in libtorch, a leaf's grad() is a reference to its one gradient slot, made when the leaf starts
// to require grad: a reference taken before backward sees the gradient backward writes.
TEST(Autograd, GradReferenceTakenBeforeBackwardSeesTheGradient) {
  tg::Tensor w = tg::ones({2}).requires_grad_();
  const tg::Tensor& g = w.grad();
  EXPECT_FALSE(g.defined());
  (w * 3.0).sum().backward();
  ASSERT_TRUE(g.defined());
  EXPECT_TRUE(g.equal(tg::full({2}, 3.0)));
  tg::Tensor b = tg::zeros({2}, tg::TensorOptions().requires_grad(true));  // through a factory
  const tg::Tensor& gb = b.grad();
  (b * 2.0).sum().backward();
  EXPECT_TRUE(gb.defined());
}
}  // namespace
