// explain_grad: one program per answer, written as a confused user would write it, asserting on
// the key phrases and on the names and numbers the answer must give (docs/explain-grad.md copies
// the printed answers).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "tapegrad/tapegrad.h"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using tg::autograd::explain_grad;

// Every answer is printed, so that the docs can quote real output.
std::string shown(const std::string& answer) {
  std::cout << "explain_grad: " << answer << "\n";
  return answer;
}

TEST(ExplainGrad, UndefinedTensor) {
  tg::Tensor w;  // declared, never assigned
  EXPECT_THAT(shown(explain_grad(w)), HasSubstr("undefined"));
  EXPECT_THAT(explain_grad(w, tg::ones({1}, tg::requires_grad())), HasSubstr("undefined"));
}

// 1. "loss.backward() says nothing requires grad": the weight was made without requires_grad.
TEST(ExplainGrad, LeafCreatedWithoutRequiresGrad) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 2});  // forgot tg::requires_grad()
  auto x = tg::randn({4, 3});
  auto loss = x.mm(w).sum();
  EXPECT_THROW(loss.backward(), tg::Error);
  std::string answer = shown(explain_grad(w));
  EXPECT_THAT(answer, AllOf(HasSubstr("shape [3, 2], dtype Float32"), HasSubstr("is a leaf that does not require grad"),
                            HasSubstr("tg::randn({3, 2}, tg::TensorOptions().requires_grad(true))"),
                            HasSubstr("requires_grad_(true)")));
}

// 2. "I want to learn integer counts": randint gives Int64, which cannot have a gradient.
TEST(ExplainGrad, IntegerTensor) {
  auto counts = tg::randint(0, 5, {4});
  std::string answer = shown(explain_grad(counts));
  EXPECT_THAT(answer, AllOf(HasSubstr("shape [4], dtype Int64"), HasSubstr("only floating-point tensors"),
                            HasSubstr("this one is Int64"), HasSubstr(".to(tg::kFloat32)")));
}

// 3. "hidden.grad() is undefined after backward": hidden is an intermediate result.
TEST(ExplainGrad, NonLeafWithoutRetainGrad) {
  tg::manual_seed(0);
  auto x = tg::randn({4, 3});
  auto w = tg::randn({3, 2}, tg::requires_grad());
  auto hidden = x.mm(w);
  auto loss = hidden.relu().sum();
  loss.backward();
  EXPECT_FALSE(hidden.grad().defined());
  std::string answer = shown(explain_grad(hidden));
  EXPECT_THAT(answer, AllOf(HasSubstr("shape [4, 2], dtype Float32"), HasSubstr("is not a leaf"),
                            HasSubstr("computed by MmBackward0"), HasSubstr("retain_grad() before backward()"),
                            HasSubstr("tg::autograd::grad({loss}, {t})")));
}

// 4a. "scaled has no grad_fn": it was computed in a block copied from evaluation code.
TEST(ExplainGrad, MadeUnderNoGradGuard) {
  tg::manual_seed(0);
  auto w = tg::randn({3}, tg::requires_grad());
  auto x = tg::randn({4, 3});
  tg::Tensor scaled;
  {
    tg::NoGradGuard no_grad;
    scaled = x * w;
  }
  auto loss = scaled.sum();
  EXPECT_FALSE(loss.requires_grad());
  std::string answer = shown(explain_grad(scaled));
  EXPECT_THAT(answer, AllOf(HasSubstr("shape [4, 3], dtype Float32"), HasSubstr("does not require grad"),
                            HasSubstr("mul ran while grad mode was off"), HasSubstr("NoGradGuard")));
  // a tensor computed from it says where its graph was lost
  EXPECT_THAT(shown(explain_grad(loss)),
              AllOf(HasSubstr("shape [], dtype Float32"),
                    HasSubstr("computed from a tensor that mul made while grad mode was off")));
}

// 4b. "features has no gradient": it is the detach() of the encoder's output.
TEST(ExplainGrad, MadeByDetach) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 5}, tg::requires_grad());
  auto x = tg::randn({2, 3});
  auto features = x.mm(w).detach();
  std::string answer = shown(explain_grad(features));
  EXPECT_THAT(answer, AllOf(HasSubstr("shape [2, 5], dtype Float32"), HasSubstr("was made by detach()"),
                            HasSubstr("on purpose"), HasSubstr("original tensor")));
  EXPECT_THAT(explain_grad(features.relu()), HasSubstr("computed from the result of detach()"));
}

// 5. "w.grad() stays undefined": the loss uses the predicted class, and argmax has no gradient.
TEST(ExplainGrad, NotOnThePathBecauseOfArgmax) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 2}, tg::requires_grad());
  auto b = tg::zeros({1}, tg::requires_grad());
  auto x = tg::randn({4, 3});
  auto target = tg::tensor({0.0, 1.0, 1.0, 0.0});
  auto scores = x.mm(w);
  auto predicted = scores.argmax(1).to(tg::kFloat32);
  auto loss = (predicted + b - target).pow(2).mean();
  loss.backward();
  EXPECT_FALSE(w.grad().defined());
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer, AllOf(HasSubstr("shape [3, 2], dtype Float32"), HasSubstr("is not on any path to the output"),
                            HasSubstr("shape [], dtype Float32"), HasSubstr("cut at argmax"),
                            HasSubstr("a tensor computed from this one (shape [4, 2], dtype Float32)"),
                            HasSubstr("(shape [4], dtype Int64)"), HasSubstr("argmax has no gradient")));
  // from w alone: backward did not reach it, and argmax is named
  EXPECT_THAT(shown(explain_grad(w)), AllOf(HasSubstr(".grad() is undefined"), HasSubstr("argmax was given")));
  // the indices themselves
  EXPECT_THAT(shown(explain_grad(scores.argmax(1))),
              AllOf(HasSubstr("dtype Int64"), HasSubstr("made by argmax from a tensor that required grad")));
}

// 5, the chain written in one line: the tensor argmax was given is gone, but the cut remembered
// which leaves its graph reached, so the answer still names argmax and ties it to w.
TEST(ExplainGrad, NotOnThePathWhenTheCutInputIsGone) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 2}, tg::requires_grad());
  auto b = tg::zeros({1}, tg::requires_grad());
  auto x = tg::randn({4, 3});
  auto loss = (x.mm(w).argmax(1).to(tg::kFloat32) + b).sum();
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer, AllOf(HasSubstr("is not on any path"), HasSubstr("most likely cut at argmax"),
                            HasSubstr("argmax was given a tensor computed from this one")));
}

// 5, the same with a long forward pass hidden in a helper: the cut cannot be tied to w any more
// (its graph is gone and too deep to have been remembered), so the answer is hedged.
TEST(ExplainGrad, NotOnThePathWhenTheCutInputIsGoneAndDeep) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 2}, tg::requires_grad());
  auto b = tg::zeros({1}, tg::requires_grad());
  auto x = tg::randn({4, 3});
  auto predict = [&] {
    auto h = x.mm(w);
    for (int layer = 0; layer < 40; ++layer) h = h * 1.01;
    return h.argmax(1).to(tg::kFloat32);  // "the predicted class"
  };
  auto loss = (predict() + b).sum();
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer, AllOf(HasSubstr("is not on any path"), HasSubstr("cannot tell for sure"), HasSubstr("argmax")));
}

// 5, a NoGradGuard in the middle of the forward pass.
TEST(ExplainGrad, NotOnThePathBecauseOfNoGradGuard) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 2}, tg::requires_grad());
  auto v = tg::randn({2}, tg::requires_grad());
  auto x = tg::randn({4, 3});
  tg::Tensor features;
  {
    tg::NoGradGuard no_grad;  // "the backbone is frozen"
    features = x.mm(w);
  }
  auto loss = (features * v).sum();
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer, AllOf(HasSubstr("is not on any path"), HasSubstr("The path is cut at mm"),
                            HasSubstr("mm was given this tensor"), HasSubstr("grad mode was off")));
}

// 6. "the second step crashes on w.grad()": the update made w a new, non-leaf tensor.
TEST(ExplainGrad, LeafReplacedByAnUpdate) {
  tg::manual_seed(0);
  auto w = tg::randn({3}, tg::requires_grad());
  auto x = tg::randn({8, 3});
  auto y = tg::randn({8});
  const double lr = 0.1;
  for (int step = 0; step < 2; ++step) {
    auto loss = ((x * w).sum(1) - y).pow(2).mean();
    loss.backward();
    if (step == 1) {
      EXPECT_FALSE(w.grad().defined());
      std::string answer = shown(explain_grad(w));
      EXPECT_THAT(answer, AllOf(HasSubstr("shape [3], dtype Float32"), HasSubstr("no longer the leaf you created"),
                                HasSubstr("SubBackward0"), HasSubstr("w = w - lr * w.grad()"),
                                HasSubstr("tg::NoGradGuard"), HasSubstr("w.sub_("), HasSubstr("optimizer")));
      EXPECT_THAT(explain_grad(w, loss), HasSubstr("no longer the leaf you created"));
      break;
    }
    w = w - lr * w.grad();  // the bug: outside NoGradGuard, w becomes the output of a sub
  }
}

// 7. "w.grad() is all zeros": every hidden unit is negative, so relu passes nothing back.
TEST(ExplainGrad, ZeroGradientFromRelu) {
  auto w = tg::tensor({0.5, -0.25, 1.0}, tg::requires_grad());
  auto x = tg::tensor({{1.0, 2.0, 3.0}, {0.5, 1.0, 1.5}});
  auto hidden = (x * w).sum(1) - 10.0;  // a bias of -10: every unit starts dead
  auto loss = hidden.relu().sum();
  const uint64_t relu_nr = loss.grad_fn()->next_edges()[0].function->sequence_nr();
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_FALSE(w.grad().defined());  // explain_grad left .grad() alone
  loss.backward();
  EXPECT_TRUE(w.grad().defined());
  EXPECT_EQ(w.grad().abs().sum().item<double>(), 0.0);
  EXPECT_THAT(answer, AllOf(HasSubstr("shape [3], dtype Float32"), HasSubstr("exists but is all zero"),
                            HasSubstr(fmt::format("relu (#{})", relu_nr)),
                            HasSubstr("received a nonzero gradient but sent zeros"),
                            HasSubstr("all of its inputs were negative")));
  // after backward the graph is freed: the answer says so and reads .grad()
  EXPECT_THAT(shown(explain_grad(w, loss)), AllOf(HasSubstr("already freed by backward()"), HasSubstr("all zero")));
  EXPECT_THAT(shown(explain_grad(w)), HasSubstr("all zero"));
}

// 7, clamp: every input lies outside the clamp's range.
TEST(ExplainGrad, ZeroGradientFromClamp) {
  auto w = tg::tensor({2.0, 3.0}, tg::requires_grad());
  auto probability = (w * 2.0).clamp(0.0, 1.0);  // "keep it a probability"
  auto loss = (probability - 0.5).pow(2).sum();
  const uint64_t clamp_nr = probability.grad_fn()->sequence_nr();
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer, AllOf(HasSubstr(fmt::format("clamp (#{})", clamp_nr)),
                            HasSubstr("every input was outside [min, max] = [0, 1]")));
}

// 8. The happy case, checked before and after backward; explain_grad changes no .grad().
TEST(ExplainGrad, NonzeroGradient) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 2}, tg::requires_grad());
  auto x = tg::randn({4, 3});
  auto hidden = x.mm(w);
  hidden.retain_grad();
  auto loss = hidden.tanh().sum();
  std::string before = shown(explain_grad(w, loss));
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(hidden.grad().defined());  // not even a retained non-leaf's
  loss.backward();
  const std::string norm = fmt::format("norm {:.4g}", w.grad().norm().item<double>());
  EXPECT_THAT(before, AllOf(HasSubstr("shape [3, 2], dtype Float32"), HasSubstr("exists and is nonzero"),
                            HasSubstr("shape [3, 2], " + norm)));
  std::string after = shown(explain_grad(w));
  EXPECT_THAT(after, AllOf(HasSubstr("nonzero gradient"), HasSubstr("shape [3, 2] and " + norm)));
  EXPECT_THAT(explain_grad(hidden), HasSubstr("nonzero gradient"));
}

// Review findings: programs written by a confused newcomer.

// "explain_grad(r) says r came from an update, but r is just a residual": p - target is not an
// update, even after backward() gave p a gradient of r's shape.
TEST(ExplainGrad, ResidualOfALeafIsNotAnUpdate) {
  auto target = tg::ones({3});
  auto p = tg::zeros({3}, tg::requires_grad());
  auto r = p - target;
  r.pow(2).sum().backward();
  std::string answer = shown(explain_grad(r));
  EXPECT_THAT(answer,
              AllOf(Not(HasSubstr("no longer the leaf")), Not(HasSubstr("w = w - lr * w.grad()")),
                    HasSubstr("is not a leaf"), HasSubstr("computed by SubBackward0"), HasSubstr("retain_grad()")));
  // and with a tensor that was never given a gradient
  tg::manual_seed(0);
  auto pred = tg::randn({4, 1}, tg::requires_grad());
  auto diff = pred - tg::randn({4, 1});
  diff.pow(2).mean().backward();
  EXPECT_THAT(shown(explain_grad(diff)), AllOf(Not(HasSubstr("no longer the leaf")), HasSubstr("is not a leaf")));
}

// "w is never used: why does it blame a detach I did somewhere else?": a cut made before w existed,
// in a finished block, on another tensor, is not about w.
TEST(ExplainGrad, UnusedTensorIsNotBlamedOnAnEarlierCut) {
  {  // some earlier, finished computation that detached something
    auto a = tg::randn({5}, tg::requires_grad());
    auto d = (a * 2.0).detach();
  }
  auto w = tg::randn({3}, tg::requires_grad());  // never used below
  auto v = tg::randn({3}, tg::requires_grad());
  auto loss = (v * v).sum();
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer,
              AllOf(HasSubstr("shape [3], dtype Float32"), HasSubstr("does not appear in the graph of the output"),
                    HasSubstr("nothing computed from it reached the output"), Not(HasSubstr("detach")),
                    Not(HasSubstr("most recent cut")), Not(HasSubstr("[5]"))));
  // an earlier evaluation under NoGradGuard over another parameter is not about w either
  auto x = tg::randn({4, 3});
  auto u = tg::randn({3, 1}, tg::requires_grad());
  {
    tg::NoGradGuard no_grad;
    auto eval = x.mm(u);
  }
  auto loss2 = x.mm(u).pow(2).mean();
  EXPECT_THAT(shown(explain_grad(w, loss2)),
              AllOf(HasSubstr("does not appear in the graph of the output"), Not(HasSubstr("grad mode was off"))));
}

// "w2 is my updated weight: does loss2 depend on it?": the two-argument question is answered
// first, and the replaced-leaf hint comes second.
TEST(ExplainGrad, UpdatedCopyAnswersTheTwoArgumentQuestionFirst) {
  tg::manual_seed(0);
  auto x = tg::randn({4, 3});
  auto y = tg::randn({4, 1});
  auto w = tg::randn({3, 1}, tg::requires_grad());
  auto loss = (x.mm(w) - y).pow(2).mean();
  loss.backward();
  auto w2 = w - 0.1 * w.grad();  // grad mode on
  auto loss2 = (x.mm(w2) - y).pow(2).mean();
  std::string answer = shown(explain_grad(w2, loss2));
  EXPECT_THAT(answer, AllOf(testing::StartsWith("The gradient of the output"), HasSubstr("exists and is nonzero"),
                            HasSubstr("no longer the leaf you created"), HasSubstr("SubBackward0")));
  EXPECT_LT(answer.find("exists and is nonzero"), answer.find("no longer the leaf"));
}

// "I called opt.zero_grad() and now explain_grad says backward was never called": it was; the
// answer must be true after zero_grad() too.
TEST(ExplainGrad, UndefinedAfterZeroGrad) {
  tg::manual_seed(0);
  auto x = tg::randn({4, 3});
  auto y = tg::randn({4, 1});
  auto w = tg::randn({3, 1}, tg::requires_grad());
  tg::optim::SGD opt({w}, tg::optim::SGDOptions(0.1));
  auto loss = (x.mm(w) - y).pow(2).mean();
  loss.backward();
  opt.step();
  opt.zero_grad();
  std::string answer = shown(explain_grad(w));
  EXPECT_THAT(answer, AllOf(HasSubstr(".grad() is undefined"), HasSubstr("since its gradient was last reset"),
                            HasSubstr("optimizer.zero_grad() sets it to undefined"),
                            Not(HasSubstr("backward() was not called"))));
}

// "the gradient is nonzero, so why does my second unit never learn?": one column of w is dead.
TEST(ExplainGrad, PartlyDeadReluNamesTheZeroColumn) {
  auto w = tg::tensor({{1.0f, -1.0f}, {1.0f, -1.0f}, {1.0f, -1.0f}}, tg::requires_grad());
  auto x = tg::ones({4, 3});
  auto hidden = x.mm(w);
  auto loss = hidden.relu().sum();
  const uint64_t relu_nr = loss.grad_fn()->next_edges()[0].function->sequence_nr();
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer, AllOf(HasSubstr("exists and is nonzero"), HasSubstr("1 of its 2 columns is all zero (column 1"),
                            HasSubstr(fmt::format("relu (#{})", relu_nr))));
  loss.backward();
  EXPECT_THAT(shown(explain_grad(w)),
              AllOf(HasSubstr("nonzero gradient"), HasSubstr("1 of its 2 columns is all zero (column 1")));
  // a vector: the zero entries are counted
  auto v = tg::tensor({1.0f, -2.0f, 3.0f}, tg::requires_grad());
  EXPECT_THAT(shown(explain_grad(v, v.relu().sum())),
              AllOf(HasSubstr("exists and is nonzero"), HasSubstr("1 of its 3 entries is exactly zero (index 1")));
}

// "loss uses w twice and its gradient is zero": the * 0.0 path is zero, and the other use was cut
// by detach(); both are said.
TEST(ExplainGrad, ZeroThroughOnePathAndCutOnAnother) {
  tg::manual_seed(0);
  auto x = tg::randn({4, 3});
  auto y = tg::randn({4, 1});
  auto w = tg::randn({3, 1}, tg::requires_grad());
  auto loss = (x.mm(w).detach() * 2.0 - y).pow(2).mean() + w.sum() * 0.0;
  std::string answer = shown(explain_grad(w, loss));
  EXPECT_THAT(answer, AllOf(HasSubstr("exists but is all zero"), HasSubstr("mul_scalar"), HasSubstr("multiplies by 0"),
                            HasSubstr("Another use of it gives no gradient at all"),
                            HasSubstr("detach was given a tensor computed from this one")));
}

}  // namespace
