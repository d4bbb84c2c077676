// Anomaly mode (tapegrad/anomaly_mode.h): a NaN or Inf made by a backward rule raises a tg::Error
// naming the node, its sequence number, the slot, the chain from the loss and this file's line of
// the forward call; off, the same program runs and leaves NaN gradients; the switch and its guard;
// custom Functions; and the engine after an error. This program is built with -g1
// (tests/CMakeLists.txt), which the file-and-line checks need.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "../error_of.h"
#include "tapegrad/tapegrad.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using tg::Tensor;
using tg::autograd::AnomalyMode;
using tg::autograd::AutogradContext;
using tg::autograd::DetectAnomalyGuard;
using tg::autograd::variable_list;
using tg_test::error_of;

Tensor f64(std::initializer_list<double> values) { return tg::tensor(std::vector<double>(values), tg::kFloat64); }

// "test_anomaly_mode.cpp:42": what the error must name for a forward call on line 42 of this file.
std::string here(int line) { return "test_anomaly_mode.cpp:" + std::to_string(line); }

std::string label(const Tensor& t) {
  return t.grad_fn()->backward_name() + " (#" + std::to_string(t.grad_fn()->sequence_nr()) + ")";
}

// Anomaly mode is process-wide: every test starts and ends with it off.
class Anomaly : public ::testing::Test {
 protected:
  void SetUp() override { tg::autograd::set_detect_anomaly(false); }
  void TearDown() override { tg::autograd::set_detect_anomaly(false); }
};

// sqrt at 0 is 0, and its rule divides by 2 sqrt(x): times the zero gradient that `* 0` sends back,
// 0 / 0 = NaN, made by SqrtBackward0.
TEST_F(Anomaly, NanFromABackwardRuleNamesNodeSlotChainAndForwardLine) {
  DetectAnomalyGuard guard;
  Tensor x = f64({0.0, 1.0, 4.0}).requires_grad_();
  const int sqrt_line = __LINE__ + 1;
  Tensor r = tg::sqrt(x);
  Tensor m = r * 0.0;
  Tensor loss = m.sum();
  const std::string message = error_of([&] { loss.backward(); });

  EXPECT_THAT(message, HasSubstr("Function 'SqrtBackward0' returned nan values in its 0th output."));
  EXPECT_THAT(message, HasSubstr("'sqrt' (#" + std::to_string(r.grad_fn()->sequence_nr()) + ")"));
  EXPECT_THAT(message, HasSubstr("gradient for input 0 of the forward: shape [3], Float64, 1 NaN and 0 Inf"));
  EXPECT_THAT(message, HasSubstr("chain from the loss: " + label(loss) + " -> " + label(m) + " -> " + label(r)));
  EXPECT_THAT(message, HasSubstr("forward call: " + std::string(__FILE__) + ":" + std::to_string(sqrt_line)));
  EXPECT_THAT(message, HasSubstr("Traceback of forward call that caused the error:\n  #"));
  // the traceback starts at this test, not inside tapegrad
  const std::string traceback = message.substr(message.find("Traceback of forward call"));
  EXPECT_THAT(traceback.substr(0, traceback.find('\n', traceback.find('#'))), HasSubstr(here(sqrt_line)));
  EXPECT_THAT(traceback, Not(HasSubstr("autograd/src/")));
}

TEST_F(Anomaly, InfIsCaughtToo) {
  DetectAnomalyGuard guard;
  Tensor x = f64({0.0, 1.0}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor r = tg::sqrt(x);  // d sqrt(x) / dx at 0: 1 / 0 = Inf
  Tensor loss = r.sum();
  const std::string message = error_of([&] { loss.backward(); });
  EXPECT_THAT(message, HasSubstr("Function 'SqrtBackward0' returned inf values in its 0th output."));
  EXPECT_THAT(message, HasSubstr("0 NaN and 1 Inf among 2 elements"));
  EXPECT_THAT(message, HasSubstr(here(line)));
}

// The slot: x / y with only y requiring grad, y = 0: DivBackward0's output 1 (for y) is -x / y^2 = -Inf.
TEST_F(Anomaly, NamesTheSlotOfTheBadGradient) {
  DetectAnomalyGuard guard;
  Tensor x = f64({1.0, 2.0});
  Tensor y = f64({0.0, 1.0}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor q = x / y;
  Tensor loss = q.sum();
  const std::string message = error_of([&] { loss.backward(); });
  EXPECT_THAT(message, HasSubstr("Function 'DivBackward0' returned inf values in its 1th output."));
  EXPECT_THAT(message, HasSubstr("gradient for input 1 of the forward: shape [2], Float64"));
  EXPECT_THAT(message, HasSubstr("#" + std::to_string(q.grad_fn()->sequence_nr())));
  EXPECT_THAT(message, HasSubstr(here(line)));
}

TEST_F(Anomaly, OffTheSameProgramRunsAndLeavesNanGradients) {
  ASSERT_FALSE(AnomalyMode::is_enabled());
  Tensor x = f64({0.0, 1.0, 4.0}).requires_grad_();
  Tensor loss = (tg::sqrt(x) * 0.0).sum();
  EXPECT_EQ(loss.grad_fn()->anomaly_metadata(), nullptr);  // nothing captured while off
  loss.backward();
  EXPECT_TRUE(std::isnan(x.grad()[0].item<double>()));
  EXPECT_EQ(x.grad()[1].item<double>(), 0.0);
}

TEST_F(Anomaly, FiniteGradientsPassUnchanged) {
  DetectAnomalyGuard guard;
  Tensor x = f64({1.0, 4.0}).requires_grad_();
  (tg::sqrt(x) * 2.0).sum().backward();
  EXPECT_DOUBLE_EQ(x.grad()[0].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(x.grad()[1].item<double>(), 0.5);
}

TEST_F(Anomaly, GuardRestoresThePreviousState) {
  EXPECT_FALSE(AnomalyMode::is_enabled());
  {
    DetectAnomalyGuard outer;
    EXPECT_TRUE(AnomalyMode::is_enabled());
    {
      DetectAnomalyGuard inner;
      EXPECT_TRUE(AnomalyMode::is_enabled());
    }
    EXPECT_TRUE(AnomalyMode::is_enabled());  // the inner guard found it on and leaves it on
  }
  EXPECT_FALSE(AnomalyMode::is_enabled());
  tg::autograd::set_detect_anomaly(true);
  { DetectAnomalyGuard guard; }
  EXPECT_TRUE(AnomalyMode::is_enabled());
}

TEST_F(Anomaly, SetDetectAnomalyToggles) {
  tg::autograd::set_detect_anomaly(true);
  EXPECT_TRUE(AnomalyMode::is_enabled());
  tg::autograd::set_detect_anomaly(true);  // twice: still one switch
  tg::autograd::set_detect_anomaly(false);
  EXPECT_FALSE(AnomalyMode::is_enabled());
  AnomalyMode::set_enabled(true);
  EXPECT_TRUE(AnomalyMode::is_enabled());
  AnomalyMode::set_enabled(false);
  EXPECT_FALSE(AnomalyMode::is_enabled());
  // off again: recording keeps no call stacks
  Tensor x = f64({1.0}).requires_grad_();
  EXPECT_EQ(tg::exp(x).grad_fn()->anomaly_metadata(), nullptr);
}

TEST_F(Anomaly, MetadataNamesTheForwardCall) {
  DetectAnomalyGuard guard;
  Tensor x = f64({1.0}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor y = tg::exp(x);
  const tg::autograd::AnomalyMetadata* metadata = y.grad_fn()->anomaly_metadata();
  ASSERT_NE(metadata, nullptr);
  EXPECT_FALSE(metadata->frames.empty());
  EXPECT_THAT(metadata->forward_location(), HasSubstr(here(line)));
  EXPECT_THAT(metadata->forward_location(), HasSubstr("TestBody"));
  EXPECT_THAT(metadata->forward_traceback(), HasSubstr(here(line)));
  EXPECT_THAT(metadata->forward_traceback(), HasSubstr(" in main"));  // outward up to main, not beyond
  EXPECT_THAT(metadata->forward_traceback(), Not(HasSubstr("libc_start")));
  EXPECT_THAT(metadata->traceback(), HasSubstr(here(line)));  // the whole stack holds it too
}

// y = log(x) with a rule that divides by x: Inf at x = 0, made by the custom Function's node.
struct LogFn : public tg::autograd::Function<LogFn> {
  static Tensor forward(AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return tg::log(x);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    return {grad_outputs[0] / ctx->get_saved_variables()[0]};
  }
};

TEST_F(Anomaly, CustomFunctionBackwardIsCaughtAndNamed) {
  DetectAnomalyGuard guard;
  Tensor x = f64({0.0, 2.0}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor y = LogFn::apply(x);
  Tensor loss = (y * 3.0).sum();
  const std::string message = error_of([&] { loss.backward(); });
  const std::string name = y.grad_fn()->backward_name();
  EXPECT_THAT(name, HasSubstr("LogFn"));
  EXPECT_THAT(message, HasSubstr("Function '" + name + "' returned inf values in its 0th output."));
  EXPECT_THAT(message, HasSubstr("#" + std::to_string(y.grad_fn()->sequence_nr())));
  EXPECT_THAT(message, HasSubstr(" -> " + label(y)));
  EXPECT_THAT(message, HasSubstr(here(line)));
}

TEST_F(Anomaly, NodeRecordedWhileOffSaysSo) {
  Tensor x = f64({0.0}).requires_grad_();
  Tensor loss = tg::sqrt(x).sum();  // recorded with anomaly mode off
  DetectAnomalyGuard guard;         // on for the backward only
  const std::string message = error_of([&] { loss.backward(); });
  EXPECT_THAT(message, HasSubstr("Function 'SqrtBackward0' returned inf values"));
  EXPECT_THAT(message, HasSubstr("recorded while anomaly mode was off"));
}

TEST_F(Anomaly, AutogradGradChecksToo) {
  DetectAnomalyGuard guard;
  Tensor x = f64({0.0}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor r = tg::sqrt(x);
  const std::string message = error_of([&] { tg::autograd::grad({r.sum()}, {x}); });
  EXPECT_THAT(message, HasSubstr("SqrtBackward0"));
  EXPECT_THAT(message, HasSubstr(here(line)));
}

TEST_F(Anomaly, EngineWorksAfterAnError) {
  DetectAnomalyGuard guard;
  Tensor x = f64({0.0, 1.0}).requires_grad_();
  Tensor loss = tg::sqrt(x).sum();
  EXPECT_THAT(error_of([&] { loss.backward(); }), HasSubstr("SqrtBackward0"));
  // a new graph over the same leaf
  Tensor w = f64({2.0, 3.0}).requires_grad_();
  (w * w).sum().backward();
  EXPECT_DOUBLE_EQ(w.grad()[0].item<double>(), 4.0);
  EXPECT_DOUBLE_EQ(w.grad()[1].item<double>(), 6.0);
  Tensor z = f64({1.0, 4.0}).requires_grad_();
  (tg::sqrt(z) + x).sum().backward();
  EXPECT_DOUBLE_EQ(z.grad()[1].item<double>(), 0.25);
  EXPECT_DOUBLE_EQ(x.grad()[0].item<double>(), 1.0);
  // and the failed graph again, with anomaly mode off: it runs and leaves the Inf
  tg::autograd::set_detect_anomaly(false);
  x.mutable_grad() = Tensor();
  loss.backward();
  EXPECT_TRUE(std::isinf(x.grad()[0].item<double>()));
}

}  // namespace
