// Optimizer::state_dict / load_state_dict: PyTorch's layout, exact resumption of a trajectory, and
// loads that fail as a whole (and say why) instead of half-writing the optimizer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.h>

#include "../error_of.h"
#include "trajectory_cases.h"

namespace tg_optim_test {
namespace {

using tg_test::error_of;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

bool same_dicts(const tg::OrderedDict<std::string, Tensor>& a, const tg::OrderedDict<std::string, Tensor>& b) {
  if (a.keys() != b.keys()) return false;
  for (const auto& item : a)
    if (!item.value().equal(b[item.key()])) return false;
  return true;
}

TEST(OptimStateDict, AdamLayoutFollowsPyTorch) {
  TrainingRun run(cases().at("adam_two_groups"));
  run.steps(cases().at("adam_two_groups"), 0, 3);
  auto dict = run.optimizer->state_dict();
  EXPECT_THAT(dict.keys(),
              ElementsAre("state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
                          "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq", "param_groups.0.params",
                          "param_groups.0.lr", "param_groups.0.betas.0", "param_groups.0.betas.1", "param_groups.0.eps",
                          "param_groups.0.weight_decay", "param_groups.0.amsgrad", "param_groups.1.params",
                          "param_groups.1.lr", "param_groups.1.betas.0", "param_groups.1.betas.1", "param_groups.1.eps",
                          "param_groups.1.weight_decay", "param_groups.1.amsgrad"));
  EXPECT_EQ(dict["state.0.step"].dim(), 0);
  EXPECT_EQ(dict["state.0.step"].dtype(), tg::kFloat64);
  EXPECT_EQ(dict["state.0.step"].item<double>(), 3);
  EXPECT_EQ(dict["state.1.exp_avg"].sizes().vec(), std::vector<int64_t>{2});
  EXPECT_EQ(dict["param_groups.0.lr"].item<double>(), 0.05);
  EXPECT_EQ(dict["param_groups.1.betas.0"].item<double>(), 0.5);
  EXPECT_EQ(dict["param_groups.0.amsgrad"].item<double>(), 1.0);
  EXPECT_EQ(dict["param_groups.1.params"].dtype(), tg::kInt64);
  EXPECT_EQ(dict["param_groups.1.params"][0].item<int64_t>(), 1);
}

TEST(OptimStateDict, IsACopyOfTheState) {
  const Case& c = cases().at("sgd_momentum");
  TrainingRun run(c);
  run.steps(c, 0, 2);
  auto dict = run.optimizer->state_dict();
  Tensor before = dict["state.0.momentum_buffer"].clone();
  run.steps(c, 2, 4);
  EXPECT_TRUE(dict["state.0.momentum_buffer"].equal(before));
}

TEST(OptimStateDict, SgdWithoutMomentumHasNoState) {
  const Case& c = cases().at("sgd");
  TrainingRun run(c);
  run.steps(c, 0, 2);
  for (const auto& key : run.optimizer->state_dict().keys()) EXPECT_THAT(key, Not(HasSubstr("state.")));
}

// Stop after 50 steps, load the state_dict into a fresh optimizer (whose options have been
// scrambled) over parameters holding the step-50 values, and finish: the last 50 steps must be
// bit-for-bit those of the uninterrupted run (and so match PyTorch).
class ResumeFromStateDict : public ::testing::TestWithParam<std::string> {};

TEST_P(ResumeFromStateDict, ContinuesTheTrajectoryExactly) {
  const Case& c = cases().at(GetParam());
  TrainingRun uninterrupted(c);
  const auto expected = uninterrupted.steps(c, 0, kSteps);

  TrainingRun first_half(c);
  first_half.steps(c, 0, 50);
  const auto saved = first_half.optimizer->state_dict();

  Case fresh_case = c;
  fresh_case.make_scheduler = nullptr;  // schedulers keep their own state; the lr comes from the dict
  fresh_case.make_plateau = nullptr;
  TrainingRun resumed(fresh_case);
  {
    tg::NoGradGuard no_grad;
    resumed.w1.copy_(first_half.w1);
    resumed.w2.copy_(first_half.w2);
  }
  for (auto& group : resumed.optimizer->param_groups()) group.options().set_lr(123.0);
  resumed.optimizer->load_state_dict(saved);
  EXPECT_TRUE(same_dicts(resumed.optimizer->state_dict(), saved));
  const auto rest = resumed.steps(fresh_case, 50, kSteps);
  for (int t = 50; t < kSteps; ++t) {
    std::vector<double> params(expected[t].begin(), expected[t].begin() + 5);
    std::vector<double> got(rest[t - 50].begin(), rest[t - 50].begin() + 5);
    ASSERT_EQ(got, params) << GetParam() << ", step " << t;
  }
  const auto& reference = reference_trajectories().at(GetParam());
  EXPECT_NEAR(rest.back()[0], reference.back()[0], 1e-6 * std::abs(reference.back()[0]));
}

INSTANTIATE_TEST_SUITE_P(Optim, ResumeFromStateDict,
                         ::testing::Values("sgd_all", "sgd_two_groups", "sgd_momentum_skip", "adam_all",
                                           "adam_two_groups", "adam_skip", "adamw_amsgrad", "rmsprop_all",
                                           "rmsprop_two_groups", "adagrad_all", "adagrad_two_groups"));

// A dict with the wrong keys is refused as a whole, listing every problem, and the optimizer
// carries on exactly as if the load had not been tried.
TEST(OptimLoadStateDict, WrongKeysThrowAndLeaveTheOptimizerUntouched) {
  const Case& c = cases().at("adam_all");
  TrainingRun run(c), control(c);
  run.steps(c, 0, 5);
  control.steps(c, 0, 5);
  const auto before = run.optimizer->state_dict();

  auto broken = before;
  broken.pop("state.1.exp_avg");
  broken.pop("param_groups.0.eps");
  broken.insert("state.0.momentum_buffer", tg::zeros({3}, tg::kFloat64));
  broken.insert("param_groups.0.momentum", tg::scalar_tensor(0.9, tg::kFloat64));
  broken.insert("state.7.step", tg::scalar_tensor(1.0, tg::kFloat64));
  broken.insert("momentum", tg::scalar_tensor(0.9, tg::kFloat64));
  broken["param_groups.0.lr"] = tg::scalar_tensor(77.0, tg::kFloat64);  // would be written if not checked first
  const std::string message = error_of([&] { run.optimizer->load_state_dict(broken); });
  EXPECT_THAT(message, HasSubstr("Adam.load_state_dict"));
  EXPECT_THAT(message, HasSubstr("missing keys: param_groups.0.eps, state.1.exp_avg"));
  EXPECT_THAT(message, HasSubstr("unexpected keys: "));
  for (const char* key : {"state.0.momentum_buffer", "param_groups.0.momentum", "state.7.step", "momentum"})
    EXPECT_THAT(message, HasSubstr(key));

  EXPECT_TRUE(same_dicts(run.optimizer->state_dict(), before));
  EXPECT_EQ(run.steps(c, 5, 10), control.steps(c, 5, 10));
}

TEST(OptimLoadStateDict, WrongShapesAreListed) {
  const Case& c = cases().at("rmsprop_all");
  TrainingRun run(c);
  run.steps(c, 0, 2);
  const auto before = run.optimizer->state_dict();
  auto broken = before;
  broken["state.1.square_avg"] = tg::zeros({3}, tg::kFloat64);
  broken["state.0.grad_avg"] = tg::zeros({3, 1}, tg::kFloat64);
  broken["state.0.step"] = tg::tensor({1.0, 2.0}, tg::kFloat64);
  const std::string message = error_of([&] { run.optimizer->load_state_dict(broken); });
  EXPECT_THAT(message, HasSubstr("state.1.square_avg has shape [3], the parameter has shape [2]"));
  EXPECT_THAT(message, HasSubstr("state.0.grad_avg has shape [3, 1], the parameter has shape [3]"));
  EXPECT_THAT(message, HasSubstr("state.0.step must be a one-element tensor holding a step count"));
  EXPECT_TRUE(same_dicts(run.optimizer->state_dict(), before));
}

TEST(OptimLoadStateDict, StateRequiredByTheOptionsMustBeThere) {
  // Adam state without max_exp_avg_sq cannot resume an amsgrad run.
  const Case& plain = cases().at("adam");
  TrainingRun run(plain);
  run.steps(plain, 0, 2);
  auto dict = run.optimizer->state_dict();
  dict["param_groups.0.amsgrad"] = tg::scalar_tensor(1.0, tg::kFloat64);
  EXPECT_THAT(error_of([&] { run.optimizer->load_state_dict(dict); }),
              HasSubstr("missing keys: state.0.max_exp_avg_sq, state.1.max_exp_avg_sq"));
}

TEST(OptimLoadStateDict, InvalidOptionValuesAreRefused) {
  const Case& c = cases().at("sgd_momentum");
  TrainingRun run(c);
  auto dict = run.optimizer->state_dict();
  dict["param_groups.0.lr"] = tg::scalar_tensor(-1.0, tg::kFloat64);
  EXPECT_THAT(error_of([&] { run.optimizer->load_state_dict(dict); }),
              HasSubstr("param_groups.0: SGD: invalid learning rate: -1"));
  EXPECT_EQ(run.optimizer->param_groups()[0].options().get_lr(), 0.02);
}

TEST(OptimLoadStateDict, GroupLayoutMustMatch) {
  TrainingRun two_groups(cases().at("adam_two_groups"));
  TrainingRun one_group(cases().at("adam"));
  const std::string message =
      error_of([&] { one_group.optimizer->load_state_dict(two_groups.optimizer->state_dict()); });
  EXPECT_THAT(message, HasSubstr("param_groups.0.params does not match this optimizer's group of 2 parameters"));
  EXPECT_THAT(message, HasSubstr("unexpected keys: param_groups.1.params"));
}

TEST(OptimLoadStateDict, ReplacesAllState) {
  // Loading the state of a fresh optimizer forgets what the steps accumulated.
  const Case& c = cases().at("adam");
  TrainingRun stepped(c), fresh(c);
  stepped.steps(c, 0, 3);
  stepped.optimizer->load_state_dict(fresh.optimizer->state_dict());
  EXPECT_TRUE(stepped.optimizer->state().empty());
}

TEST(OptimLoadStateDict, FloatStateIsCastToTheParameterDtype) {
  auto p = tg::tensor({1.0f, 2.0f}).requires_grad_();
  SGD sgd(std::vector<Tensor>{p}, SGDOptions(0.1).momentum(0.9));
  auto dict = sgd.state_dict();
  dict.insert("state.0.momentum_buffer", tg::tensor({0.5, 0.25}, tg::kFloat64));
  sgd.load_state_dict(dict);
  auto& state = static_cast<SGDParamState&>(*sgd.state().at(Optimizer::state_key(p)));
  EXPECT_EQ(state.momentum_buffer().dtype(), tg::kFloat32);
  EXPECT_EQ(state.momentum_buffer().data_ptr<float>()[1], 0.25f);
}

}  // namespace
}  // namespace tg_optim_test
