// Anomaly mode through nn modules: the node that makes a NaN is recorded deep inside tapegrad (a
// module's forward in nn/src, then the op in autograd/src), and the error must name the line of
// the user's code that called the module, here in this file. Built with -g1 (tests/CMakeLists.txt).
#include <tapegrad/tapegrad.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "../error_of.h"

namespace nn = tg::nn;
using ::testing::HasSubstr;
using ::testing::Not;
using tg::Tensor;
using tg::autograd::DetectAnomalyGuard;
using tg_test::error_of;

namespace {

std::string here(int line) { return "test_anomaly_nn.cpp:" + std::to_string(line); }

// The first line of the traceback: the innermost frame outside tapegrad.
std::string first_frame(const std::string& message) {
  const std::size_t start = message.find("Traceback of forward call that caused the error:\n");
  if (start == std::string::npos) return {};
  const std::size_t line = message.find('\n', start) + 1;
  return message.substr(line, message.find('\n', line) - line);
}

// LayerNorm without eps on a row of equal values: variance 0, 1 / sqrt(0) = Inf, and the
// normalized row 0 * Inf = NaN; the backward rules inside tg::layer_norm return NaN.
nn::LayerNorm unstable_norm() { return nn::LayerNorm(nn::LayerNormOptions({3}).eps(0.0)); }

class AnomalyNn : public ::testing::Test {
 protected:
  void SetUp() override { tg::autograd::set_detect_anomaly(false); }
  void TearDown() override { tg::autograd::set_detect_anomaly(false); }
};

TEST_F(AnomalyNn, ModuleForwardNamesTheCallersLine) {
  DetectAnomalyGuard guard;
  nn::LayerNorm norm = unstable_norm();
  Tensor x = tg::ones({2, 3}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor y = norm->forward(x);
  const std::string message = error_of([&] { y.sum().backward(); });
  EXPECT_THAT(message, HasSubstr("returned nan values"));
  EXPECT_THAT(message, HasSubstr("forward call: " + std::string(__FILE__) + ":" + std::to_string(line)));
  EXPECT_THAT(first_frame(message), HasSubstr(here(line)));
  // tapegrad's own frames (nn's module, autograd's op) are not where the traceback starts
  EXPECT_THAT(message, Not(HasSubstr("nn/src/modules.cpp")));
  EXPECT_THAT(message, Not(HasSubstr("LayerNormImpl::forward")));
}

TEST_F(AnomalyNn, ModuleHolderCallNamesTheCallersLine) {
  DetectAnomalyGuard guard;
  nn::LayerNorm norm = unstable_norm();
  Tensor x = tg::ones({1, 3}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor y = norm(x);  // ModuleHolder::operator(): forward with hooks, inlined from nn's header
  const std::string message = error_of([&] { y.sum().backward(); });
  EXPECT_THAT(first_frame(message), HasSubstr(here(line)));
  EXPECT_THAT(message, Not(HasSubstr("include/tapegrad/nn/module.h")));
}

// A user's module around a built-in one: the innermost user frame is the user's forward, and the
// traceback goes on outward to the test's call of it.
int net_forward_line = 0;
struct NetImpl : nn::Module {
  NetImpl() { norm = register_module("norm", unstable_norm()); }
  Tensor forward(const Tensor& x) {
    net_forward_line = __LINE__ + 1;
    return norm->forward(x * 2.0);
  }
  nn::LayerNorm norm{nullptr};
};
TG_MODULE(Net);

TEST_F(AnomalyNn, UserModuleAroundABuiltinOne) {
  DetectAnomalyGuard guard;
  Net net;
  Tensor x = tg::ones({2, 3}).requires_grad_();
  const int line = __LINE__ + 1;
  Tensor y = net->forward(x);
  const std::string message = error_of([&] { y.sum().backward(); });
  EXPECT_THAT(first_frame(message), HasSubstr(here(net_forward_line)));
  EXPECT_THAT(first_frame(message), HasSubstr("forward"));  // "in forward (inlined)" when inlined
  EXPECT_THAT(message, HasSubstr(here(line)));              // further out in the traceback
}

TEST_F(AnomalyNn, OffTheModuleLeavesNanGradients) {
  nn::LayerNorm norm = unstable_norm();
  Tensor x = tg::ones({1, 3}).requires_grad_();
  norm->forward(x).sum().backward();
  EXPECT_GT(tg::isnan(norm->weight.grad()).to(tg::kFloat32).sum().item<float>(), 0.0f);
}

}  // namespace
