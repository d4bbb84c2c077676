// EarlyStopping: patience over a monitored metric, as Keras' and Lightning's callbacks.
#include <fmt/format.h>

#include <cmath>

#include "tapegrad/data/preprocessing.h"

namespace tg::data {

EarlyStopping::EarlyStopping(int64_t patience, double min_delta, Mode mode)
    : patience_(patience), min_delta_(min_delta), mode_(mode) {
  if (patience < 0) throw Error(fmt::format("EarlyStopping: patience must be non-negative, got {}", patience));
  if (!(min_delta >= 0)) throw Error(fmt::format("EarlyStopping: min_delta must be non-negative, got {}", min_delta));
}

bool EarlyStopping::step(double metric) {
  bool better = false;
  if (!std::isnan(metric)) {
    if (best_epoch_ < 0)
      better = true;
    else if (mode_ == Mode::kMin)
      better = metric < best_ - min_delta_;
    else
      better = metric > best_ + min_delta_;
  }
  improved_ = better;
  if (better) {
    best_ = metric;
    best_epoch_ = epochs_;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  ++epochs_;
  return should_stop();
}

void EarlyStopping::reset() {
  best_ = std::numeric_limits<double>::quiet_NaN();
  best_epoch_ = -1;
  improved_ = false;
  bad_epochs_ = 0;
  epochs_ = 0;
}

}  // namespace tg::data
