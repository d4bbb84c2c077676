// LR schedulers beyond the trajectories: construction-time step, get_last_lr, arguments,
// ReduceLROnPlateau's counters on a sequence a reader can follow, and a user-defined scheduler.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tapegrad/tapegrad.h>

#include <cmath>
#include "../error_of.h"

namespace {

using tg_test::error_of;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tg::Tensor;
using namespace tg::optim;

Tensor param() { return tg::tensor({1.0}, tg::kFloat64).requires_grad_(); }

double lr_of(const Optimizer& optimizer, std::size_t group = 0) {
  return optimizer.param_groups()[group].options().get_lr();
}

TEST(StepLR, MultipliesByGammaEveryStepSizeSteps) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  StepLR scheduler(sgd, 3, 0.5);
  std::vector<double> lrs;
  for (int i = 0; i < 7; ++i) {
    scheduler.step();
    lrs.push_back(lr_of(sgd));
  }
  EXPECT_THAT(lrs, ElementsAre(1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25));
  EXPECT_THAT(scheduler.get_last_lr(), ElementsAre(0.25));
  EXPECT_EQ(scheduler.last_epoch(), 7);
}

TEST(StepLR, RejectsZeroStepSize) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  EXPECT_THAT(error_of([&] { StepLR(sgd, 0); }), HasSubstr("StepLR: step_size must be positive"));
}

TEST(MultiStepLR, RepeatedMilestoneAppliesGammaTwice) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  MultiStepLR scheduler(sgd, {2, 4, 4}, 0.1);
  std::vector<double> lrs;
  for (int i = 0; i < 5; ++i) {
    scheduler.step();
    lrs.push_back(lr_of(sgd));
  }
  EXPECT_DOUBLE_EQ(lrs[0], 1.0);
  EXPECT_DOUBLE_EQ(lrs[1], 0.1);
  EXPECT_DOUBLE_EQ(lrs[2], 0.1);
  EXPECT_DOUBLE_EQ(lrs[3], 0.001);
  EXPECT_DOUBLE_EQ(lrs[4], 0.001);
}

TEST(LinearLR, ScalesTheLrAtConstructionAsPyTorch) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(0.4));
  LinearLR scheduler(sgd, 0.25, 1.0, 3);
  EXPECT_DOUBLE_EQ(lr_of(sgd), 0.1);  // 0.4 * start_factor before any step()
  EXPECT_THAT(scheduler.get_last_lr(), ElementsAre(lr_of(sgd)));
  scheduler.step();
  EXPECT_DOUBLE_EQ(lr_of(sgd), 0.2);
  scheduler.step();
  EXPECT_DOUBLE_EQ(lr_of(sgd), 0.3);
  scheduler.step();
  EXPECT_DOUBLE_EQ(lr_of(sgd), 0.4);
  scheduler.step();
  EXPECT_DOUBLE_EQ(lr_of(sgd), 0.4);
}

TEST(LinearLR, RejectsFactorsOutsideZeroOne) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(0.4));
  EXPECT_THAT(error_of([&] { LinearLR(sgd, 1.5); }),
              HasSubstr("LinearLR: starting multiplicative factor expected to be between 0 and 1, got 1.5"));
  EXPECT_THAT(error_of([&] { LinearLR(sgd, 0.5, -1); }), HasSubstr("ending multiplicative factor"));
}

TEST(CosineAnnealingLR, ReachesEtaMinAtTMaxAndComesBack) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  CosineAnnealingLR scheduler(sgd, 4, 0.2);
  std::vector<double> lrs;
  for (int i = 0; i < 8; ++i) {
    scheduler.step();
    lrs.push_back(lr_of(sgd));
  }
  // Closed form: 0.2 + 0.8 * (1 + cos(pi t / 4)) / 2.
  for (int t = 1; t <= 8; ++t)
    EXPECT_NEAR(lrs[t - 1], 0.2 + 0.8 * (1 + std::cos(M_PI * t / 4)) / 2, 1e-12) << "t = " << t;
  EXPECT_NEAR(lrs[3], 0.2, 1e-12);
  EXPECT_NEAR(lrs[7], 1.0, 1e-12);
}

TEST(ExponentialLR, AppliesToEveryGroup) {
  auto a = param(), b = param();
  std::vector<OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<Tensor>{a}, std::make_unique<AdamOptions>(0.1));
  groups.emplace_back(std::vector<Tensor>{b}, std::make_unique<AdamOptions>(0.01));
  Adam adam(groups);
  ExponentialLR scheduler(adam, 0.5);
  scheduler.step();
  scheduler.step();
  EXPECT_THAT(scheduler.get_last_lr(), ElementsAre(0.025, 0.0025));
  EXPECT_EQ(lr_of(adam, 1), 0.0025);
}

// libtorch-style: a subclass overrides get_lrs() and reads step_count_ (earlier step() calls).
class HalveEachStep : public LRScheduler {
 public:
  explicit HalveEachStep(Optimizer& optimizer) : LRScheduler(optimizer) {}

 private:
  std::vector<double> get_lrs() override {
    std::vector<double> lrs;
    for (double base : base_lrs_) lrs.push_back(base * std::pow(0.5, step_count_ + 1));
    return lrs;
  }
};

TEST(LRScheduler, UserDefinedSchedulerSetsItsLrs) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  HalveEachStep scheduler(sgd);
  EXPECT_EQ(lr_of(sgd), 1.0);  // no step at construction for a user scheduler (libtorch)
  scheduler.step();
  scheduler.step();
  EXPECT_EQ(lr_of(sgd), 0.25);
}

TEST(ReduceLROnPlateau, ReducesAfterPatienceThenCoolsDown) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  ReduceLROnPlateau scheduler(sgd, ReduceLROnPlateauScheduler::min, /*factor=*/0.5, /*patience=*/2,
                              /*threshold=*/0.1, ReduceLROnPlateauScheduler::rel, /*cooldown=*/1);
  // metric:   10   9.5 (not 10% better)  9.5  9.5 -> 3 bad > patience 2: lr 0.5, cooldown 1
  //           9.5 (in cooldown: ignored)  9.5  9.5  9.5 -> 3 bad again: lr 0.25
  const std::vector<double> metrics = {10, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5};
  std::vector<double> lrs;
  for (double m : metrics) {
    scheduler.step(m);
    lrs.push_back(lr_of(sgd));
  }
  EXPECT_THAT(lrs, ElementsAre(1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25));
  EXPECT_EQ(scheduler.best(), 10);
  EXPECT_EQ(scheduler.cooldown_counter(), 1);
  EXPECT_THAT(scheduler.get_last_lr(), ElementsAre(0.25));
}

TEST(ReduceLROnPlateau, StopsAtMinLrAndIgnoresChangesBelowEps) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  ReduceLROnPlateauScheduler scheduler(sgd, ReduceLROnPlateauScheduler::max, 0.1, 0, 1e-4,
                                       ReduceLROnPlateauScheduler::abs, 0, {0.05});
  for (int i = 0; i < 4; ++i) scheduler.step(1.0);  // first sets best, then never better
  EXPECT_DOUBLE_EQ(lr_of(sgd), 0.05);               // 1 -> 0.1 -> max(0.01, 0.05)

  SGD tiny(std::vector<Tensor>{param()}, SGDOptions(1e-8));
  ReduceLROnPlateauScheduler no_change(tiny, ReduceLROnPlateauScheduler::min, 0.5, 0);
  no_change.step(1.0);
  no_change.step(1.0);
  EXPECT_EQ(lr_of(tiny), 1e-8);  // 1e-8 - 5e-9 is not more than eps = 1e-8
}

TEST(ReduceLROnPlateau, RejectsBadArguments) {
  SGD sgd(std::vector<Tensor>{param()}, SGDOptions(1.0));
  EXPECT_THAT(error_of([&] { ReduceLROnPlateauScheduler(sgd, ReduceLROnPlateauScheduler::min, 1.0); }),
              HasSubstr("factor should be < 1.0, got 1"));
  EXPECT_THAT(error_of([&] {
                ReduceLROnPlateauScheduler(sgd, ReduceLROnPlateauScheduler::min, 0.1, 10, 1e-4,
                                           ReduceLROnPlateauScheduler::rel, 0, {0.1, 0.2});
              }),
              HasSubstr("expected 1 min_lrs (one per parameter group), got 2"));
}

}  // namespace
