// LRScheduler and the epoch-based schedulers: PyTorch 1.13's get_lr() (chainable) formulas, term
// for term, so the lrs agree to the last bit.
#include "tapegrad/optim/lr_scheduler.h"

#include <fmt/core.h>

#include <cmath>
#include <numbers>

namespace tg::optim {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  base_lrs_ = get_current_lrs();
  last_lr_ = base_lrs_;
}

std::vector<double> LRScheduler::get_current_lrs() const {
  std::vector<double> lrs;
  for (const auto& group : optimizer_.param_groups()) lrs.push_back(group.options().get_lr());
  return lrs;
}

void LRScheduler::step() {
  ++last_epoch_;
  std::vector<double> lrs = get_lrs();
  auto& groups = optimizer_.param_groups();
  if (lrs.size() != groups.size())
    throw Error(fmt::format("LRScheduler: get_lrs() returned {} learning rates for {} parameter groups", lrs.size(),
                            groups.size()));
  for (std::size_t g = 0; g < groups.size(); ++g) groups[g].options().set_lr(lrs[g]);
  last_lr_ = std::move(lrs);
  ++step_count_;
}

void LRScheduler::initial_step() {
  last_epoch_ = -1;
  step();
}

StepLR::StepLR(Optimizer& optimizer, unsigned step_size, double gamma)
    : LRScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  if (step_size == 0) throw Error("StepLR: step_size must be positive, got 0");
  initial_step();
}

std::vector<double> StepLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0 || last_epoch_ % step_size_ != 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, const std::vector<int64_t>& milestones, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
  for (int64_t milestone : milestones) ++milestone_counts_[milestone];
  initial_step();
}

std::vector<double> MultiStepLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  auto it = milestone_counts_.find(last_epoch_);
  if (it == milestone_counts_.end()) return lrs;
  for (double& lr : lrs) lr = lr * std::pow(gamma_, static_cast<double>(it->second));
  return lrs;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : LRScheduler(optimizer), gamma_(gamma) {
  initial_step();
}

std::vector<double> ExponentialLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0) return lrs;
  for (double& lr : lrs) lr *= gamma_;
  return lrs;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t T_max, double eta_min)
    : LRScheduler(optimizer), T_max_(T_max), eta_min_(eta_min) {
  if (T_max <= 0) throw Error(fmt::format("CosineAnnealingLR: T_max must be positive, got {}", T_max));
  initial_step();
}

std::vector<double> CosineAnnealingLR::get_lrs() {
  constexpr double pi = std::numbers::pi;
  std::vector<double> lrs = get_current_lrs();
  const auto epoch = static_cast<double>(last_epoch_);
  const auto T_max = static_cast<double>(T_max_);
  if (last_epoch_ == 0) return lrs;
  if ((last_epoch_ - 1 - T_max_) % (2 * T_max_) == 0) {
    // At the bottom of the cosine the recursive form below would divide by zero; PyTorch steps
    // up by the closed form's increment instead.
    for (std::size_t g = 0; g < lrs.size(); ++g) {
      // A group added after the scheduler was made has no base lr: its current lr stands in.
      const double base_lr = g < base_lrs_.size() ? base_lrs_[g] : lrs[g];
      lrs[g] = lrs[g] + (base_lr - eta_min_) * (1 - std::cos(pi / T_max)) / 2;
    }
    return lrs;
  }
  for (double& lr : lrs)
    lr = (1 + std::cos(pi * epoch / T_max)) / (1 + std::cos(pi * (epoch - 1) / T_max)) * (lr - eta_min_) + eta_min_;
  return lrs;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, unsigned total_iters)
    : LRScheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  if (!(start_factor >= 0 && start_factor <= 1))
    throw Error(
        fmt::format("LinearLR: starting multiplicative factor expected to be between 0 and 1, got {}", start_factor));
  if (!(end_factor >= 0 && end_factor <= 1))
    throw Error(
        fmt::format("LinearLR: ending multiplicative factor expected to be between 0 and 1, got {}", end_factor));
  initial_step();
}

std::vector<double> LinearLR::get_lrs() {
  std::vector<double> lrs = get_current_lrs();
  if (last_epoch_ == 0) {
    for (double& lr : lrs) lr *= start_factor_;
    return lrs;
  }
  if (last_epoch_ > static_cast<int64_t>(total_iters_)) return lrs;
  const double delta = end_factor_ - start_factor_;
  for (double& lr : lrs)
    lr = lr * (1. + delta / (total_iters_ * start_factor_ + static_cast<double>(last_epoch_ - 1) * delta));
  return lrs;
}

}  // namespace tg::optim
