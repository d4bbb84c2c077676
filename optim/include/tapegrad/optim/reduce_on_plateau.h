// ReduceLROnPlateau: multiply every group's lr by `factor` once a metric has stopped improving for
// more than `patience` steps; libtorch 2.x's ReduceLROnPlateauScheduler with PyTorch's numbers.
//
//   tg::optim::ReduceLROnPlateauScheduler scheduler(optimizer, tg::optim::ReduceLROnPlateauScheduler::min);
//   for (...) { train(); scheduler.step(validation_loss); }
#pragma once
#include <vector>

#include "tapegrad/optim/optimizer.h"

namespace tg::optim {

class ReduceLROnPlateauScheduler {
 public:
  enum SchedulerMode { min, max };  // is a lower or a higher metric better
  enum ThresholdMode { rel, abs };  // is an improvement relative to the best or absolute

  // min_lr: one lower bound per group, or empty for 0. An lr changes only if it would move by
  // more than eps.
  ReduceLROnPlateauScheduler(Optimizer& optimizer, SchedulerMode mode = min, double factor = 0.1, int patience = 10,
                             double threshold = 1e-4, ThresholdMode threshold_mode = rel, int cooldown = 0,
                             const std::vector<double>& min_lr = {}, double eps = 1e-8, bool verbose = false);
  virtual ~ReduceLROnPlateauScheduler() = default;

  void step(double metric);
  const std::vector<double>& get_last_lr() const { return last_lr_; }
  double best() const { return best_; }
  int num_bad_epochs() const { return num_bad_epochs_; }
  int cooldown_counter() const { return cooldown_counter_; }
  int64_t last_epoch() const { return last_epoch_; }

 private:
  bool is_better(double a, double best) const;
  void reduce_lr();

  Optimizer& optimizer_;
  SchedulerMode mode_;
  double factor_;
  int patience_;
  double threshold_;
  ThresholdMode threshold_mode_;
  int cooldown_;
  std::vector<double> min_lrs_;
  double eps_;
  bool verbose_;
  double best_;
  int num_bad_epochs_ = 0;
  int cooldown_counter_ = 0;
  int64_t last_epoch_ = 0;
  std::vector<double> last_lr_;
};

// PyTorch's name.
using ReduceLROnPlateau = ReduceLROnPlateauScheduler;

}  // namespace tg::optim
