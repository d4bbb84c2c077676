// The Tape over nn modules: parameters named by named_parameters(), a module holder or a module.
#include <gtest/gtest.h>
#include <tapegrad/tapegrad.h>

#include <set>

namespace {
std::set<std::string> parameter_names(const tg::autograd::Tape& tape) {
  std::set<std::string> out;
  for (const auto& t : tape.tensors())
    if (t.kind == tg::autograd::TapeTensor::Kind::Parameter) out.insert(t.name);
  return out;
}
}  // namespace

TEST(TapeNn, WatchNamesEveryParameterOfAModuleHolderWithItsPrefix) {
  tg::nn::Sequential net(tg::nn::Linear(4, 3), tg::nn::ReLU(), tg::nn::Linear(3, 2));
  tg::autograd::Tape tape;
  tape.watch(net, "net.");
  tg::Tensor loss = net->forward(tg::randn({5, 4})).pow(2).mean();
  EXPECT_EQ(parameter_names(tape), (std::set<std::string>{"net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"}));
  tape.backward(loss);
  // every parameter's accumulation is a step naming it, holding the gradient backward() left
  int accumulations = 0;
  for (const auto& step : tape.steps()) {
    if (step.leaf < 0) continue;
    ++accumulations;
    const tg::Tensor p = net->named_parameters()[step.leaf_name.substr(4)];  // a copy: the dict is a temporary
    EXPECT_TRUE(tg::allclose(step.accumulated.value.to(p.dtype()), p.grad())) << step.leaf_name;
  }
  EXPECT_EQ(accumulations, 4);
}

TEST(TapeNn, WatchTakesAModuleToo) {
  tg::nn::Linear fc(2, 2);
  tg::autograd::Tape tape;
  tape.watch(*fc);
  (void)fc->forward(tg::randn({1, 2})).sum();
  EXPECT_EQ(parameter_names(tape), (std::set<std::string>{"weight", "bias"}));
}
