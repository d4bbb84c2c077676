// ReduceLROnPlateau: PyTorch 1.13's ReduceLROnPlateau.step / _reduce_lr / is_better.
#include "tapegrad/optim/reduce_on_plateau.h"

#include <fmt/core.h>

#include <algorithm>
#include <limits>

namespace tg::optim {

ReduceLROnPlateauScheduler::ReduceLROnPlateauScheduler(Optimizer& optimizer, SchedulerMode mode, double factor,
                                                       int patience, double threshold, ThresholdMode threshold_mode,
                                                       int cooldown, const std::vector<double>& min_lr, double eps,
                                                       bool verbose)
    : optimizer_(optimizer),
      mode_(mode),
      factor_(factor),
      patience_(patience),
      threshold_(threshold),
      threshold_mode_(threshold_mode),
      cooldown_(cooldown),
      eps_(eps),
      verbose_(verbose) {
  if (!(factor < 1.0)) throw Error(fmt::format("ReduceLROnPlateauScheduler: factor should be < 1.0, got {}", factor));
  if (mode != min && mode != max) throw Error("ReduceLROnPlateauScheduler: mode must be min or max");
  if (threshold_mode != rel && threshold_mode != abs)
    throw Error("ReduceLROnPlateauScheduler: threshold_mode must be rel or abs");
  const std::size_t groups = optimizer.param_groups().size();
  if (min_lr.empty()) {
    min_lrs_.assign(groups, 0.0);
  } else if (min_lr.size() != groups) {
    throw Error(fmt::format("ReduceLROnPlateauScheduler: expected {} min_lrs (one per parameter group), got {}", groups,
                            min_lr.size()));
  } else {
    min_lrs_ = min_lr;
  }
  best_ = mode == min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  for (const auto& group : optimizer.param_groups()) last_lr_.push_back(group.options().get_lr());
}

bool ReduceLROnPlateauScheduler::is_better(double a, double best) const {
  if (mode_ == min && threshold_mode_ == rel) return a < best * (1. - threshold_);
  if (mode_ == min && threshold_mode_ == abs) return a < best - threshold_;
  if (mode_ == max && threshold_mode_ == rel) return a > best * (threshold_ + 1.);
  return a > best + threshold_;
}

void ReduceLROnPlateauScheduler::step(double metric) {
  last_epoch_ += 1;
  if (is_better(metric, best_)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    num_bad_epochs_ += 1;
  }
  if (cooldown_counter_ > 0) {
    cooldown_counter_ -= 1;
    num_bad_epochs_ = 0;  // bad epochs in cooldown do not count
  }
  if (num_bad_epochs_ > patience_) {
    reduce_lr();
    cooldown_counter_ = cooldown_;
    num_bad_epochs_ = 0;
  }
  last_lr_.clear();
  for (const auto& group : optimizer_.param_groups()) last_lr_.push_back(group.options().get_lr());
}

void ReduceLROnPlateauScheduler::reduce_lr() {
  auto& groups = optimizer_.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double old_lr = groups[g].options().get_lr();
    const double new_lr = std::max(old_lr * factor_, g < min_lrs_.size() ? min_lrs_[g] : 0.0);
    if (old_lr - new_lr > eps_) {
      groups[g].options().set_lr(new_lr);
      if (verbose_) fmt::print("Epoch {:05d}: reducing learning rate of group {} to {:.4e}.\n", last_epoch_, g, new_lr);
    }
  }
}

}  // namespace tg::optim
