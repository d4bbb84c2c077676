// StandardScaler, as scikit-learn's: population statistics, computed in float64.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string_view>

#include "tapegrad/data/preprocessing.h"
#include "tapegrad/ops.h"

namespace tg::data {

StandardScaler::StandardScaler(bool with_mean, bool with_std) : with_mean_(with_mean), with_std_(with_std) {}

void StandardScaler::check_input(const Tensor& X, const char* where) const {
  if (!X.defined()) throw Error(fmt::format("StandardScaler::{}: X is undefined", where));
  if (X.dim() != 2)
    throw Error(fmt::format("StandardScaler::{}: X must be 2-D [n_samples, n_features], got shape {}", where,
                            shape_str(X.sizes())));
  if (!X.is_floating_point())
    throw Error(fmt::format("StandardScaler::{}: X must be Float32 or Float64, got {}", where, dtype_name(X.dtype())));
  if (std::string_view(where) == "fit") {
    if (X.size(0) == 0) throw Error("StandardScaler::fit: X has no samples (shape " + shape_str(X.sizes()) + ")");
    return;
  }
  if (!is_fitted()) throw Error(fmt::format("StandardScaler::{}: called before fit", where));
  if (X.size(1) != n_features_in())
    throw Error(fmt::format("StandardScaler::{}: X has {} features but the scaler was fitted on {}", where, X.size(1),
                            n_features_in()));
}

StandardScaler& StandardScaler::fit(const Tensor& X) {
  check_input(X, "fit");
  NoGradGuard no_grad;
  const Tensor x = X.to(kFloat64);
  mean_ = x.mean({0});
  var_ = (x - mean_).square().mean({0});
  if (with_std_) {
    // sklearn's _handle_zeros_in_scale: a (near-)constant column is left unscaled.
    const double tiny = 10 * std::numeric_limits<double>::epsilon();
    Tensor std_dev = var_.sqrt();
    scale_ = tg::where(std_dev < tiny, 1.0, std_dev);
  } else {
    scale_ = tg::ones({X.size(1)}, kFloat64);
  }
  n_samples_seen_ = X.size(0);
  return *this;
}

Tensor StandardScaler::transform(const Tensor& X) const {
  check_input(X, "transform");
  Tensor x = X.to(kFloat64);
  if (with_mean_) x = x - mean_;
  if (with_std_) x = x / scale_;
  return x.to(X.dtype());
}

Tensor StandardScaler::fit_transform(const Tensor& X) { return fit(X).transform(X); }

Tensor StandardScaler::inverse_transform(const Tensor& X) const {
  check_input(X, "inverse_transform");
  Tensor x = X.to(kFloat64);
  if (with_std_) x = x * scale_;
  if (with_mean_) x = x + mean_;
  return x.to(X.dtype());
}

const Tensor& StandardScaler::mean() const {
  if (!is_fitted()) throw Error("StandardScaler::mean: called before fit");
  return mean_;
}
const Tensor& StandardScaler::var() const {
  if (!is_fitted()) throw Error("StandardScaler::var: called before fit");
  return var_;
}
const Tensor& StandardScaler::scale() const {
  if (!is_fitted()) throw Error("StandardScaler::scale: called before fit");
  return scale_;
}
int64_t StandardScaler::n_features_in() const { return is_fitted() ? mean_.size(0) : 0; }
int64_t StandardScaler::n_samples_seen() const { return n_samples_seen_; }

}  // namespace tg::data
