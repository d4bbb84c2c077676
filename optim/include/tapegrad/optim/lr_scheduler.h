// Learning-rate schedulers that set every parameter group's lr once per step(). The numbers are
// PyTorch's (torch.optim.lr_scheduler, 1.13): the chainable forms, which scale each group's
// current lr (so a change made by hand between steps carries on), and the initial step at
// construction (LinearLR scales the lr by start_factor right away).
//
//   tg::optim::StepLR scheduler(optimizer, /*step_size=*/30, /*gamma=*/0.1);
//   for (int epoch = 0; epoch < 90; ++epoch) { train(); scheduler.step(); }
#pragma once
#include <cstdint>
#include <map>
#include <vector>

#include "tapegrad/optim/optimizer.h"

namespace tg::optim {

// libtorch's torch::optim::LRScheduler. A subclass returns one lr per group from get_lrs(); it
// sees last_epoch_ (steps taken, PyTorch's last_epoch) and step_count_ (earlier calls of step(),
// libtorch's counter).
class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  void step();
  // The lrs the last step() set, one per group (PyTorch's get_last_lr()).
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  int64_t last_epoch() const { return last_epoch_; }

 protected:
  virtual std::vector<double> get_lrs() = 0;
  std::vector<double> get_current_lrs() const;
  // The constructor's step of PyTorch's schedulers: last_epoch -1 -> 0, lrs set by get_lrs().
  void initial_step();

  Optimizer& optimizer_;
  std::vector<double> base_lrs_;  // each group's lr when the scheduler was made
  int64_t last_epoch_ = 0;
  unsigned step_count_ = 0;

 private:
  std::vector<double> last_lr_;
};

// lr *= gamma every step_size steps.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, unsigned step_size, double gamma = 0.1);

 private:
  std::vector<double> get_lrs() override;
  unsigned step_size_;
  double gamma_;
};

// lr *= gamma at each milestone (a milestone listed k times multiplies by gamma^k).
class MultiStepLR : public LRScheduler {
 public:
  MultiStepLR(Optimizer& optimizer, const std::vector<int64_t>& milestones, double gamma = 0.1);

 private:
  std::vector<double> get_lrs() override;
  std::map<int64_t, int64_t> milestone_counts_;
  double gamma_;
};

// lr *= gamma every step.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 private:
  std::vector<double> get_lrs() override;
  double gamma_;
};

// lr follows half a cosine from the initial lr down to eta_min over T_max steps, then back up
// (SGDR without restarts), in PyTorch's recursive form.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min = 0);

 private:
  std::vector<double> get_lrs() override;
  int64_t T_max_;
  double eta_min_;
};

// The lr factor goes linearly from start_factor to end_factor over total_iters steps.
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, unsigned total_iters = 5);

 private:
  std::vector<double> get_lrs() override;
  double start_factor_;
  double end_factor_;
  unsigned total_iters_;
};

}  // namespace tg::optim
