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

// 5, the chain written in one line: the tensor argmax was given is gone, so the answer is hedged.
TEST(ExplainGrad, NotOnThePathWhenTheCutInputIsGone) {
  tg::manual_seed(0);
  auto w = tg::randn({3, 2}, tg::requires_grad());
  auto b = tg::zeros({1}, tg::requires_grad());
  auto x = tg::randn({4, 3});
  auto loss = (x.mm(w).argmax(1).to(tg::kFloat32) + b).sum();
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

}  // namespace
