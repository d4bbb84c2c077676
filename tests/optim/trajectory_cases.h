// The cases of tests/fixtures/optim/gen_reference.py, in C++: the objective, each case's optimizer
// and scheduler, and a runner that records the same rows the generator wrote.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.h>

namespace tg_optim_test {

using tg::Tensor;
using namespace tg::optim;

constexpr int kSteps = 100;

// loss(w1, w2) = sum((w1 - C)^4) / 4 + sum((A w1 - w2 + B)^2); w1: [3], w2: [2].
struct Objective {
  Tensor A = tg::tensor({{1.0, -0.5, 0.25}, {0.3, 0.8, -1.1}}, tg::kFloat64);
  Tensor B = tg::tensor({1.0, -2.0}, tg::kFloat64);
  Tensor C = tg::tensor({1.0, -0.5, 0.3}, tg::kFloat64);
  Tensor loss(const Tensor& w1, const Tensor& w2, bool quartic_only = false) const {
    Tensor quartic = (w1 - C).pow(4).sum() / 4;
    if (quartic_only) return quartic;
    return quartic + (tg::matmul(A, w1) - w2 + B).pow(2).sum();
  }
};

inline Tensor initial_w1() { return tg::tensor({0.5, -1.2, 2.0}, tg::kFloat64).requires_grad_(); }
inline Tensor initial_w2() { return tg::tensor({0.3, -0.7}, tg::kFloat64).requires_grad_(); }

// The ReduceLROnPlateau metric sequences of gen_reference.py.
inline double metric_down(int t) {
  if (t < 8) return 1.0 / (1 + t);
  if (40 <= t && t < 44) return 0.05 - 0.01 * (t - 40);
  return 0.125 + 0.0001 * (t % 3);
}
inline double metric_up(int t) {
  if (t < 10) return 0.1 * t;
  if (60 <= t && t < 63) return 2.0 + 0.1 * (t - 60);
  return 1.0 + 0.01 * (t % 5);
}

using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(const Tensor& w1, const Tensor& w2)>;

struct Case {
  MakeOptimizer make_optimizer;
  std::function<std::unique_ptr<LRScheduler>(Optimizer&)> make_scheduler;
  std::function<std::unique_ptr<ReduceLROnPlateauScheduler>(Optimizer&)> make_plateau;
  std::function<double(int)> metric;
  std::map<int, std::vector<double>> set_lr;  // step -> new lr of each group, set before that step
  bool skip_w2_on_odd_steps = false;
  bool record_lrs = false;
};

// One group holding both parameters.
template <typename Opt, typename Options>
MakeOptimizer one(Options options) {
  return [options](const Tensor& w1, const Tensor& w2) -> std::unique_ptr<Optimizer> {
    return std::make_unique<Opt>(std::vector<Tensor>{w1, w2}, options);
  };
}

// Group 0 = {w1} with options g0, group 1 = {w2} with g1 (the defaults are then unused).
template <typename Opt, typename Options>
MakeOptimizer two(Options g0, Options g1, Options defaults) {
  return [=](const Tensor& w1, const Tensor& w2) -> std::unique_ptr<Optimizer> {
    std::vector<OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<Tensor>{w1}, std::make_unique<Options>(g0));
    groups.emplace_back(std::vector<Tensor>{w2}, std::make_unique<Options>(g1));
    return std::make_unique<Opt>(std::move(groups), defaults);
  };
}

const std::map<std::string, Case>& cases();

// The state of a run between steps, so a test can stop, save and resume it.
struct TrainingRun {
  Tensor w1 = initial_w1();
  Tensor w2 = initial_w2();
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<LRScheduler> scheduler;
  std::unique_ptr<ReduceLROnPlateauScheduler> plateau;
  explicit TrainingRun(const Case& c);
  // Steps t (0-based) in [from, to) as the generator does; returns one row per step.
  std::vector<std::vector<double>> steps(const Case& c, int from, int to);
};

// Reads tests/fixtures/optim/trajectories.txt: case name -> rows.
const std::map<std::string, std::vector<std::vector<double>>>& reference_trajectories();

}  // namespace tg_optim_test
