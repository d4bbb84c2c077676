// scikit-learn-style helpers for tensors: StandardScaler, train_test_split, KFold, and an
// EarlyStopping tracker for training loops.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "tapegrad/tensor.h"

namespace tg::data {

// Standardises features column by column: (X - mean) / scale for X of shape [n_samples, n_features],
// with the population standard deviation (ddof = 0) as sklearn. A constant column gets scale 1.
// Statistics are computed in float64; transform returns X's dtype.
class StandardScaler {
 public:
  explicit StandardScaler(bool with_mean = true, bool with_std = true);

  StandardScaler& fit(const Tensor& X);
  Tensor transform(const Tensor& X) const;
  Tensor fit_transform(const Tensor& X);
  Tensor inverse_transform(const Tensor& X) const;

  bool is_fitted() const { return mean_.defined(); }
  // Fitted statistics, [n_features] kFloat64 (sklearn's mean_, var_, scale_). Without with_mean
  // the mean is still computed but not subtracted; without with_std scale is all ones.
  const Tensor& mean() const;
  const Tensor& var() const;
  const Tensor& scale() const;
  int64_t n_features_in() const;
  int64_t n_samples_seen() const;

 private:
  void check_input(const Tensor& X, const char* where) const;
  bool with_mean_, with_std_;
  Tensor mean_, var_, scale_;
  int64_t n_samples_seen_ = 0;
};

struct TrainTestSplit {
  Tensor X_train, X_test, y_train, y_test;
};

// sklearn's train_test_split for one (X, y) pair split along dim 0: n_test = ceil(test_size * n),
// n_train = n - n_test. shuffle=false keeps the order (train first); shuffle=true takes a
// permutation (from `seed`, or from the global generator without one): its first n_test rows are
// the test set, the rest the training set.
TrainTestSplit train_test_split(const Tensor& X, const Tensor& y, double test_size = 0.2,
                                std::optional<uint64_t> seed = std::nullopt, bool shuffle = true);

// sklearn's KFold: split(n) gives n_splits (train, test) index pairs; test folds are consecutive
// slices of 0..n-1 (of a permutation of it when shuffle), the first n % n_splits folds one longer.
class KFold {
 public:
  struct Split {
    Tensor train_indices;  // [n - fold size] kInt64, increasing
    Tensor test_indices;   // [fold size] kInt64
  };

  explicit KFold(int64_t n_splits = 5, bool shuffle = false, std::optional<uint64_t> seed = std::nullopt);
  std::vector<Split> split(int64_t n_samples) const;
  int64_t get_n_splits() const { return n_splits_; }

 private:
  int64_t n_splits_;
  bool shuffle_;
  std::optional<uint64_t> seed_;
};

// Stops training when a metric has not improved for `patience` steps in a row. An improvement is
// a value below best - min_delta (Mode::kMin) or above best + min_delta (Mode::kMax); the first
// step always improves. NaN never does.
//   tg::data::EarlyStopping stopper(5, 1e-4);
//   for (int epoch = 0; ; ++epoch) { ...; if (stopper.step(val_loss)) break; }
class EarlyStopping {
 public:
  enum class Mode { kMin, kMax };

  explicit EarlyStopping(int64_t patience = 5, double min_delta = 0.0, Mode mode = Mode::kMin);

  // Records one epoch's metric; true when training should stop.
  bool step(double metric);
  double best() const { return best_; }               // NaN before the first step
  int64_t best_epoch() const { return best_epoch_; }  // 0-based step of the best value; -1 before
  bool improved() const { return improved_; }         // whether the last step improved
  int64_t num_bad_epochs() const { return bad_epochs_; }
  int64_t epochs() const { return epochs_; }  // steps so far
  bool should_stop() const { return bad_epochs_ >= patience_ && epochs_ > 0 && !improved_; }
  void reset();

 private:
  int64_t patience_;
  double min_delta_;
  Mode mode_;
  double best_ = std::numeric_limits<double>::quiet_NaN();
  int64_t best_epoch_ = -1;
  bool improved_ = false;
  int64_t bad_epochs_ = 0;
  int64_t epochs_ = 0;
};

}  // namespace tg::data
