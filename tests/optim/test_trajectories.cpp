// Every optimizer option and scheduler against PyTorch 1.13: 100 steps on the objective of
// trajectory_cases.h, every parameter value (and lr, where it changes) after every step.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "trajectory_cases.h"

namespace tg_optim_test {
namespace {

// The fixture keeps 13 significant digits; the two implementations agree to ~1e-13 relative, so
// 1e-6 leaves room only for a real difference in the update, never for a wrong formula.
constexpr double kRelTol = 1e-6;

double relative_error(double value, double reference) {
  return std::abs(value - reference) / std::max(std::abs(reference), 1e-9);
}

class PyTorchTrajectory : public ::testing::TestWithParam<std::string> {};

TEST_P(PyTorchTrajectory, MatchesEveryStep) {
  const std::string& name = GetParam();
  const auto& reference = reference_trajectories().at(name);
  const Case& c = cases().at(name);
  TrainingRun run(c);
  const auto rows = run.steps(c, 0, kSteps);
  ASSERT_EQ(rows.size(), reference.size());
  double worst = 0;
  for (std::size_t t = 0; t < rows.size(); ++t) {
    ASSERT_EQ(rows[t].size(), reference[t].size()) << "step " << t << ": row width (lrs recorded?)";
    for (std::size_t i = 0; i < rows[t].size(); ++i) {
      const double err = relative_error(rows[t][i], reference[t][i]);
      worst = std::max(worst, err);
      ASSERT_LE(err, kRelTol) << name << ", step " << t << ", value " << i << ": tapegrad " << rows[t][i]
                              << ", PyTorch " << reference[t][i];
    }
  }
  RecordProperty("max_relative_error", std::to_string(worst));
  std::printf("    %-28s worst relative difference from PyTorch %.1e\n", name.c_str(), worst);
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& [name, unused] : cases()) names.push_back(name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(Optim, PyTorchTrajectory, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(PyTorchTrajectoryFixture, HasExactlyTheCasesDefinedHere) {
  std::vector<std::string> in_file;
  for (const auto& [name, unused] : reference_trajectories()) in_file.push_back(name);
  EXPECT_EQ(in_file, case_names());
  for (const auto& [name, rows] : reference_trajectories()) EXPECT_EQ(rows.size(), std::size_t{kSteps}) << name;
}

// The trajectories must not be trivially equal: every case moves its parameters, and cases that
// differ only in one option end in different places.
TEST(PyTorchTrajectoryFixture, OptionsChangeTheTrajectory) {
  const auto& ref = reference_trajectories();
  for (const auto& [name, rows] : ref) EXPECT_NE(rows.front(), rows.back()) << name;
  const std::vector<std::pair<std::string, std::string>> pairs = {{"sgd", "sgd_momentum"},
                                                                  {"sgd_momentum", "sgd_dampening"},
                                                                  {"sgd_momentum", "sgd_nesterov"},
                                                                  {"sgd", "sgd_weight_decay"},
                                                                  {"adam", "adam_amsgrad"},
                                                                  {"adam", "adam_weight_decay"},
                                                                  {"adam", "adamw"},
                                                                  {"adam", "adam_betas_eps"},
                                                                  {"rmsprop", "rmsprop_centered"},
                                                                  {"rmsprop", "rmsprop_weight_decay"},
                                                                  {"adagrad", "adagrad_lr_decay"},
                                                                  {"adagrad", "adagrad_initial_accumulator"},
                                                                  {"adagrad", "adagrad_weight_decay"},
                                                                  {"adam", "adam_skip"},
                                                                  {"sgd_momentum", "sgd_momentum_skip"},
                                                                  {"sgd_momentum", "sgd_set_lr"}};
  for (const auto& [a, b] : pairs) {
    const auto& last_a = ref.at(a).back();
    const auto& last_b = ref.at(b).back();
    EXPECT_NE(std::vector<double>(last_a.begin(), last_a.begin() + 5),
              std::vector<double>(last_b.begin(), last_b.begin() + 5))
        << a << " vs " << b;
  }
}

}  // namespace
}  // namespace tg_optim_test
