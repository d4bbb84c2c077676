// Optimizer behaviour beyond the numbers: options, groups, zero_grad, skipping, the tape, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.h>

#include <string>
#include "../error_of.h"

namespace {

using tg_test::error_of;

using ::testing::HasSubstr;
using tg::Tensor;
using namespace tg::optim;

Tensor param(std::initializer_list<double> values) {
  return tg::tensor(std::vector<double>(values), tg::kFloat64).requires_grad_();
}
double at(const Tensor& t, int64_t i) { return t.data_ptr<double>()[i]; }

// ---------------------------------------------------------------- options

TEST(OptimOptions, DefaultsAreLibtorchs) {
  AdamOptions adam;
  EXPECT_EQ(adam.lr(), 1e-3);
  EXPECT_EQ(adam.betas(), std::make_tuple(0.9, 0.999));
  EXPECT_EQ(adam.eps(), 1e-8);
  EXPECT_EQ(adam.weight_decay(), 0);
  EXPECT_FALSE(adam.amsgrad());
  EXPECT_EQ(AdamWOptions().weight_decay(), 1e-2);
  RMSpropOptions rms;
  EXPECT_EQ(rms.lr(), 1e-2);
  EXPECT_EQ(rms.alpha(), 0.99);
  EXPECT_EQ(rms.eps(), 1e-8);
  EXPECT_FALSE(rms.centered());
  AdagradOptions ada;
  EXPECT_EQ(ada.lr(), 1e-2);
  EXPECT_EQ(ada.eps(), 1e-10);
  EXPECT_EQ(ada.initial_accumulator_value(), 0);
  SGDOptions sgd(0.1);
  EXPECT_EQ(sgd.momentum(), 0);
  EXPECT_EQ(sgd.dampening(), 0);
  EXPECT_FALSE(sgd.nesterov());
}

TEST(OptimOptions, SettersChainAndGettersRead) {
  auto options = SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(1e-4);
  EXPECT_EQ(options.lr(), 0.1);
  EXPECT_EQ(options.momentum(), 0.9);
  EXPECT_TRUE(options.nesterov());
  EXPECT_EQ(options.weight_decay(), 1e-4);
  options.lr() = 0.5;  // TORCH_ARG's mutable getter
  EXPECT_EQ(options.get_lr(), 0.5);
  options.set_lr(0.25);
  EXPECT_EQ(options.lr(), 0.25);
  EXPECT_EQ(AdamOptions(0.1).betas(std::make_tuple(0.5, 0.6)).betas(), std::make_tuple(0.5, 0.6));
}

TEST(OptimOptions, CloneCopiesTheDerivedOptions) {
  std::unique_ptr<OptimizerOptions> base = std::make_unique<RMSpropOptions>(RMSpropOptions(0.3).centered(true));
  auto copy = base->clone();
  ASSERT_NE(dynamic_cast<RMSpropOptions*>(copy.get()), nullptr);
  EXPECT_EQ(static_cast<RMSpropOptions&>(*copy), static_cast<RMSpropOptions&>(*base));
}

// ---------------------------------------------------------------- invalid options

TEST(OptimOptions, InvalidValuesThrowNamingOptimizerAndValue) {
  auto p = param({1.0});
  std::vector<Tensor> ps{p};
  const std::vector<std::pair<std::function<void()>, std::string>> cases = {
      {[&] { SGD(ps, SGDOptions(-0.1)); }, "SGD: invalid learning rate: -0.1"},
      {[&] { SGD(ps, SGDOptions(0.1).momentum(-1)); }, "SGD: invalid momentum value: -1"},
      {[&] { SGD(ps, SGDOptions(0.1).weight_decay(-0.5)); }, "SGD: invalid weight_decay value: -0.5"},
      {[&] { SGD(ps, SGDOptions(0.1).nesterov(true)); },
       "SGD: nesterov momentum requires a momentum and zero dampening"},
      {[&] { SGD(ps, SGDOptions(0.1).momentum(0.9).dampening(0.1).nesterov(true)); },
       "SGD: nesterov momentum requires a momentum and zero dampening"},
      {[&] { Adam(ps, AdamOptions(-1)); }, "Adam: invalid learning rate: -1"},
      {[&] { Adam(ps, AdamOptions().betas(std::make_tuple(1.5, 0.9))); },
       "Adam: invalid beta parameter at index 0: 1.5"},
      {[&] { Adam(ps, AdamOptions().betas(std::make_tuple(0.9, 1.0))); }, "Adam: invalid beta parameter at index 1: 1"},
      {[&] { Adam(ps, AdamOptions().eps(-1e-8)); }, "Adam: invalid epsilon value: -1e-08"},
      {[&] { Adam(ps, AdamOptions().weight_decay(-2)); }, "Adam: invalid weight_decay value: -2"},
      {[&] { AdamW(ps, AdamWOptions().betas(std::make_tuple(-0.1, 0.9))); },
       "AdamW: invalid beta parameter at index 0: -0.1"},
      {[&] { AdamW(ps, AdamWOptions().weight_decay(-0.01)); }, "AdamW: invalid weight_decay value: -0.01"},
      {[&] { RMSprop(ps, RMSpropOptions().alpha(-0.5)); }, "RMSprop: invalid alpha value: -0.5"},
      {[&] { RMSprop(ps, RMSpropOptions().momentum(-0.5)); }, "RMSprop: invalid momentum value: -0.5"},
      {[&] { RMSprop(ps, RMSpropOptions().eps(-1)); }, "RMSprop: invalid epsilon value: -1"},
      {[&] { Adagrad(ps, AdagradOptions().lr_decay(-1)); }, "Adagrad: invalid lr_decay value: -1"},
      {[&] { Adagrad(ps, AdagradOptions().initial_accumulator_value(-1)); },
       "Adagrad: invalid initial_accumulator_value value: -1"},
      {[&] { Adagrad(ps, AdagradOptions(std::nan(""))); }, "Adagrad: invalid learning rate: nan"},
  };
  for (const auto& [make, message] : cases) EXPECT_THAT(error_of(make), HasSubstr(message));
}

TEST(OptimOptions, GroupOptionsAreValidatedToo) {
  auto a = param({1.0}), b = param({2.0});
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a});
  groups.emplace_back(std::vector<Tensor>{b},
                      std::make_unique<AdamOptions>(AdamOptions().betas(std::make_tuple(0.9, 2.0))));
  EXPECT_THAT(error_of([&] { Adam(groups, AdamOptions()); }), HasSubstr("Adam: invalid beta parameter at index 1: 2"));
}

TEST(OptimOptions, GroupOptionsOfAnotherOptimizerThrow) {
  auto a = param({1.0});
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a}, std::make_unique<SGDOptions>(0.1));
  EXPECT_THAT(error_of([&] { Adam(groups, AdamOptions()); }),
              HasSubstr("Adam: parameter group options must be AdamOptions"));
}

// ---------------------------------------------------------------- groups and parameters

TEST(OptimGroups, GroupWithoutOptionsCopiesTheDefaults) {
  auto a = param({1.0}), b = param({2.0});
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a});
  groups.emplace_back(std::vector<Tensor>{b}, std::make_unique<SGDOptions>(0.5));
  SGD sgd(groups, SGDOptions(0.1).momentum(0.9));
  ASSERT_EQ(sgd.param_groups().size(), 2u);
  const auto& g0 = static_cast<const SGDOptions&>(sgd.param_groups()[0].options());
  const auto& g1 = static_cast<const SGDOptions&>(sgd.param_groups()[1].options());
  EXPECT_EQ(g0.lr(), 0.1);
  EXPECT_EQ(g0.momentum(), 0.9);
  // libtorch: a group's own options replace the defaults as a whole (momentum is 0 here).
  EXPECT_EQ(g1.lr(), 0.5);
  EXPECT_EQ(g1.momentum(), 0);
  // The group holds a copy: changing the defaults later does not touch it.
  static_cast<SGDOptions&>(sgd.defaults()).lr(7);
  EXPECT_EQ(g0.lr(), 0.1);
}

TEST(OptimGroups, ParametersListsEveryGroupInOrder) {
  auto a = param({1.0}), b = param({2.0}), c = param({3.0});
  SGD sgd(std::vector<Tensor>{a, b}, SGDOptions(0.1));
  sgd.add_param_group(OptimizerParamGroup({c}, std::make_unique<SGDOptions>(0.2)));
  auto all = sgd.parameters();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(all[0].is_same(a));
  EXPECT_TRUE(all[1].is_same(b));
  EXPECT_TRUE(all[2].is_same(c));
  EXPECT_EQ(sgd.size(), 3u);
  EXPECT_EQ(sgd.param_groups()[1].options().get_lr(), 0.2);
}

TEST(OptimGroups, AddParametersJoinsTheFirstGroup) {
  auto a = param({1.0}), b = param({2.0});
  SGD sgd(std::vector<Tensor>{a}, SGDOptions(0.1));
  sgd.add_parameters({b});
  ASSERT_EQ(sgd.param_groups().size(), 1u);
  EXPECT_EQ(sgd.param_groups()[0].params().size(), 2u);
}

TEST(OptimGroups, AParameterInTwoGroupsThrows) {
  auto a = param({1.0});
  SGD sgd(std::vector<Tensor>{a}, SGDOptions(0.1));
  EXPECT_THAT(error_of([&] { sgd.add_param_group(OptimizerParamGroup({a})); }),
              HasSubstr("SGD: some parameters appear in more than one parameter group"));
  EXPECT_THAT(error_of([&] {
                SGD(std::vector<Tensor>{a, a}, SGDOptions(0.1));
              }),
              HasSubstr("more than one parameter group"));
}

TEST(OptimGroups, ANonLeafThrows) {
  auto a = param({1.0});
  Tensor b = a * 2;
  EXPECT_THAT(error_of([&] { Adam(std::vector<Tensor>{b}); }), HasSubstr("Adam: can't optimize a non-leaf Tensor"));
}

// ---------------------------------------------------------------- zero_grad

TEST(OptimZeroGrad, SetsGradientsUndefinedByDefault) {
  auto p = param({1.0, 2.0});
  (p * p).sum().backward();
  ASSERT_TRUE(p.grad().defined());
  SGD sgd(std::vector<Tensor>{p}, SGDOptions(0.1));
  sgd.zero_grad();
  EXPECT_FALSE(p.grad().defined());
}

TEST(OptimZeroGrad, SetToNoneFalseZeroesInPlace) {
  auto p = param({1.0, 2.0});
  (p * p).sum().backward();
  SGD sgd(std::vector<Tensor>{p}, SGDOptions(0.1));
  sgd.zero_grad(/*set_to_none=*/false);
  ASSERT_TRUE(p.grad().defined());
  EXPECT_EQ(at(p.grad(), 0), 0.0);
  EXPECT_EQ(at(p.grad(), 1), 0.0);
  // The next backward accumulates into the zeroed gradient: d(3p)/dp = 3.
  (p * 3).sum().backward();
  EXPECT_EQ(at(p.grad(), 1), 3.0);
}

// ---------------------------------------------------------------- step

TEST(OptimStep, SkipsParametersWithoutGradientAndKeepsNoStateForThem) {
  auto a = param({1.0}), b = param({2.0});
  Adam adam(std::vector<Tensor>{a, b}, AdamOptions(0.1));
  (a * a).sum().backward();  // b takes no part: no gradient
  adam.step();
  EXPECT_NE(at(a, 0), 1.0);
  EXPECT_EQ(at(b, 0), 2.0);
  EXPECT_EQ(adam.state().size(), 1u);
  EXPECT_EQ(adam.state().count(Optimizer::state_key(b)), 0u);
  auto& state = static_cast<AdamParamState&>(*adam.state().at(Optimizer::state_key(a)));
  EXPECT_EQ(state.step(), 1);
}

TEST(OptimStep, FirstSgdStepIsMinusLrTimesGradient) {
  auto p = param({1.0, -2.0});
  SGD sgd(std::vector<Tensor>{p}, SGDOptions(0.1));
  (p * p).sum().backward();  // grad = 2p = [2, -4]
  sgd.step();
  EXPECT_DOUBLE_EQ(at(p, 0), 1.0 - 0.1 * 2);
  EXPECT_DOUBLE_EQ(at(p, 1), -2.0 + 0.1 * 4);
}

TEST(OptimStep, FirstAdamStepMovesEachCoordinateByLr) {
  // With bias correction, Adam's first step is lr * g / (|g| + eps) per coordinate.
  auto p = param({1.0, -2.0});
  Adam adam(std::vector<Tensor>{p}, AdamOptions(0.01));
  (p * p * p).sum().backward();
  adam.step();
  EXPECT_NEAR(at(p, 0), 1.0 - 0.01, 1e-9);
  EXPECT_NEAR(at(p, 1), -2.0 - 0.01, 1e-9);
}

TEST(OptimStep, LrSetThroughTheParamGroupIsUsed) {
  auto p = param({1.0});
  SGD sgd(std::vector<Tensor>{p}, SGDOptions(0.1));
  sgd.param_groups()[0].options().set_lr(0.25);
  (p * p).sum().backward();
  sgd.step();
  EXPECT_DOUBLE_EQ(at(p, 0), 1.0 - 0.25 * 2);
  static_cast<SGDOptions&>(sgd.param_groups()[0].options()).lr(0.5);  // libtorch's usual cast
  sgd.step();
  EXPECT_DOUBLE_EQ(at(p, 0), 0.5 - 0.5 * 2);
}

TEST(OptimStep, DoesNotRecordOnTheTape) {
  auto p = param({1.0, 2.0});
  RMSprop rms(std::vector<Tensor>{p}, RMSpropOptions(0.1).momentum(0.5).centered(true));
  (p * p).sum().backward();
  ASSERT_TRUE(tg::is_grad_enabled());
  rms.step();  // an in-place update of a leaf that requires grad would throw if it recorded
  EXPECT_TRUE(p.is_leaf());
  EXPECT_EQ(p.grad_fn(), nullptr);
  EXPECT_TRUE(p.requires_grad());
  EXPECT_TRUE(tg::is_grad_enabled());
  auto& state = static_cast<RMSpropParamState&>(*rms.state().at(Optimizer::state_key(p)));
  EXPECT_FALSE(state.square_avg().requires_grad());
  EXPECT_FALSE(state.momentum_buffer().requires_grad());
}

TEST(OptimStep, ClosureRunsWithGradEnabledAndItsLossIsReturned) {
  auto p = param({3.0});
  SGD sgd(std::vector<Tensor>{p}, SGDOptions(0.1));
  int calls = 0;
  auto closure = [&] {
    ++calls;
    sgd.zero_grad();
    Tensor loss = (p * p).sum();
    loss.backward();
    return loss;
  };
  Tensor loss;
  {
    tg::NoGradGuard no_grad;  // the closure still records: step() turns grad mode on for it
    loss = sgd.step(closure);
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(loss.item<double>(), 9.0);
  EXPECT_DOUBLE_EQ(at(p, 0), 3.0 - 0.1 * 6);
  EXPECT_FALSE(sgd.step().defined());  // no closure: undefined loss
}

TEST(OptimStep, Float32ParametersStayFloat32) {
  auto p = tg::tensor({1.0f, -2.0f}).requires_grad_();
  AdamW adamw(std::vector<Tensor>{p}, AdamWOptions(0.1));
  (p * p).sum().backward();
  adamw.step();
  EXPECT_EQ(p.dtype(), tg::kFloat32);
  auto& state = static_cast<AdamParamState&>(*adamw.state().at(Optimizer::state_key(p)));
  EXPECT_EQ(state.exp_avg().dtype(), tg::kFloat32);
  EXPECT_NEAR(p.data_ptr<float>()[0], 1.0f * (1 - 0.1f * 0.01f) - 0.1f, 1e-6);
}

TEST(OptimStep, AdagradStateExistsFromConstruction) {
  auto p = param({1.0, 2.0});
  Adagrad adagrad(std::vector<Tensor>{p}, AdagradOptions(0.1).initial_accumulator_value(0.5));
  auto& state = static_cast<AdagradParamState&>(*adagrad.state().at(Optimizer::state_key(p)));
  EXPECT_EQ(state.step(), 0);
  EXPECT_EQ(at(state.sum(), 1), 0.5);
}

// A libtorch-style user optimizer: only step() is overridden.
class SignDescent : public Optimizer {
 public:
  SignDescent(std::vector<Tensor> params, double lr) : Optimizer(std::move(params), std::make_unique<SGDOptions>(lr)) {}
  Tensor step(LossClosure closure = nullptr) override {
    tg::NoGradGuard no_grad;
    for (auto& group : param_groups())
      for (auto& p : group.params())
        if (p.grad().defined()) p.sub_(p.grad().sign(), group.options().get_lr());
    return {};
  }
};

TEST(OptimStep, UserDefinedOptimizerWorksWithTheBase) {
  auto p = param({1.0, -1.0});
  SignDescent opt({p}, 0.25);
  (p * p * 10).sum().backward();
  opt.step();
  EXPECT_EQ(at(p, 0), 0.75);
  EXPECT_EQ(at(p, 1), -0.75);
  opt.zero_grad();
  EXPECT_FALSE(p.grad().defined());
  EXPECT_EQ(opt.state_dict().size(), 6u);  // param_groups.0.params + SGDOptions' five options
}

}  // namespace
