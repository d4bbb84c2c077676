// tg::save / tg::load of an optimizer through a safetensors file: a resumed run continues exactly,
// and every failure names the file and leaves the optimizer as it was.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../error_of.h"
#include "trajectory_cases.h"

namespace tg_optim_test {
namespace {

using tg_test::error_of;

using ::testing::HasSubstr;

class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_((std::filesystem::temp_directory_path() / ("tg_optim_" + std::to_string(::getpid()) + "_" + name))
                  .string()) {}
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool same_dicts(const tg::OrderedDict<std::string, Tensor>& a, const tg::OrderedDict<std::string, Tensor>& b) {
  if (a.keys() != b.keys()) return false;
  for (const auto& item : a)
    if (!item.value().equal(b[item.key()])) return false;
  return true;
}

TEST(OptimSaveLoad, ResumedRunContinuesExactly) {
  for (const char* name : {"adam_two_groups", "rmsprop_all", "sgd_all", "adagrad_all", "adamw_amsgrad"}) {
    const Case& c = cases().at(name);
    TrainingRun uninterrupted(c);
    const auto expected = uninterrupted.steps(c, 0, kSteps);

    TempFile file(std::string(name) + ".safetensors");
    TrainingRun first_half(c);
    first_half.steps(c, 0, 40);
    tg::save(*first_half.optimizer, file.path());

    TrainingRun resumed(c);
    {
      tg::NoGradGuard no_grad;
      resumed.w1.copy_(first_half.w1);
      resumed.w2.copy_(first_half.w2);
    }
    for (auto& group : resumed.optimizer->param_groups()) group.options().set_lr(9.0);
    tg::load(*resumed.optimizer, file.path());
    EXPECT_TRUE(same_dicts(resumed.optimizer->state_dict(), first_half.optimizer->state_dict())) << name;
    const auto rest = resumed.steps(c, 40, kSteps);
    for (int t = 40; t < kSteps; ++t) ASSERT_EQ(rest[t - 40], expected[t]) << name << ", step " << t;
  }
}

TEST(OptimSaveLoad, FileOfAnotherOptimizerTypeIsRefused) {
  TempFile file("sgd.safetensors");
  TrainingRun sgd(cases().at("sgd_momentum"));
  sgd.steps(cases().at("sgd_momentum"), 0, 2);
  tg::save(*sgd.optimizer, file.path());
  TrainingRun adam(cases().at("adam"));
  adam.steps(cases().at("adam"), 0, 2);
  const auto before = adam.optimizer->state_dict();
  const std::string message = error_of([&] { tg::load(*adam.optimizer, file.path()); });
  EXPECT_THAT(message, HasSubstr(file.path()));
  EXPECT_THAT(message, HasSubstr("holds the state of a SGD optimizer, cannot load it into Adam"));
  EXPECT_TRUE(same_dicts(adam.optimizer->state_dict(), before));
}

TEST(OptimSaveLoad, MismatchedStateNamesTheFile) {
  TempFile file("two_groups.safetensors");
  TrainingRun two(cases().at("adam_two_groups"));
  tg::save(*two.optimizer, file.path());
  TrainingRun one(cases().at("adam"));
  const std::string message = error_of([&] { tg::load(*one.optimizer, file.path()); });
  EXPECT_THAT(message, HasSubstr(file.path()));
  EXPECT_THAT(message, HasSubstr("Adam.load_state_dict"));
}

TEST(OptimSaveLoad, MissingOrCorruptFileNamesTheFile) {
  TrainingRun run(cases().at("adam"));
  const std::string missing = (std::filesystem::temp_directory_path() / "tg_optim_no_such_file.safetensors").string();
  EXPECT_THAT(error_of([&] { tg::load(*run.optimizer, missing); }), HasSubstr(missing));

  TempFile garbage("garbage.safetensors");
  std::ofstream(garbage.path()) << "not a safetensors file";
  EXPECT_THAT(error_of([&] { tg::load(*run.optimizer, garbage.path()); }), HasSubstr(garbage.path()));
}

}  // namespace
}  // namespace tg_optim_test
