// train_test_split and KFold, with scikit-learn's sizes and fold layout.
#include <fmt/format.h>

#include <cmath>

#include "tapegrad/data/preprocessing.h"
#include "tapegrad/data/samplers.h"
#include "tapegrad/ops.h"

namespace tg::data {
namespace {

Tensor index_tensor(const int64_t* begin, int64_t count) {
  Tensor t = tg::empty({count}, kInt64);
  std::copy_n(begin, count, t.data_ptr<int64_t>());
  return t;
}

std::vector<int64_t> order(int64_t n, bool shuffle, std::optional<uint64_t> seed) {
  if (shuffle) return seed ? samplers::seeded_permutation(n, *seed) : samplers::global_permutation(n);
  std::vector<int64_t> sequential(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) sequential[static_cast<std::size_t>(i)] = i;
  return sequential;
}

}  // namespace

TrainTestSplit train_test_split(const Tensor& X, const Tensor& y, double test_size, std::optional<uint64_t> seed,
                                bool shuffle) {
  if (!X.defined() || !y.defined()) throw Error("train_test_split: X and y must be defined tensors");
  if (X.dim() == 0 || y.dim() == 0)
    throw Error(fmt::format("train_test_split: X and y need a dim 0 of samples, got shapes {} and {}",
                            shape_str(X.sizes()), shape_str(y.sizes())));
  if (X.size(0) != y.size(0))
    throw Error(fmt::format("train_test_split: X has {} samples (shape {}) but y has {} (shape {})", X.size(0),
                            shape_str(X.sizes()), y.size(0), shape_str(y.sizes())));
  if (!(test_size > 0.0 && test_size < 1.0))
    throw Error(fmt::format("train_test_split: test_size must be in (0, 1), got {}", test_size));
  const int64_t n = X.size(0);
  const auto n_test = static_cast<int64_t>(std::ceil(test_size * static_cast<double>(n)));
  const int64_t n_train = n - n_test;
  if (n_train == 0)
    throw Error(fmt::format("train_test_split: with n_samples={} and test_size={} the training set would be empty", n,
                            test_size));
  const std::vector<int64_t> indices = order(n, shuffle, seed);
  // sklearn: unshuffled, the first n_train rows train; shuffled, the permutation's first n_test test.
  const int64_t* test_begin = shuffle ? indices.data() : indices.data() + n_train;
  const int64_t* train_begin = shuffle ? indices.data() + n_test : indices.data();
  const Tensor train_index = index_tensor(train_begin, n_train);
  const Tensor test_index = index_tensor(test_begin, n_test);
  return {X.index_select(0, train_index), X.index_select(0, test_index), y.index_select(0, train_index),
          y.index_select(0, test_index)};
}

KFold::KFold(int64_t n_splits, bool shuffle, std::optional<uint64_t> seed)
    : n_splits_(n_splits), shuffle_(shuffle), seed_(seed) {
  if (n_splits < 2) throw Error(fmt::format("KFold: n_splits must be at least 2, got {}", n_splits));
}

std::vector<KFold::Split> KFold::split(int64_t n_samples) const {
  if (n_splits_ > n_samples)
    throw Error(fmt::format("KFold::split: cannot have n_splits={} greater than the number of samples n_samples={}",
                            n_splits_, n_samples));
  const std::vector<int64_t> indices = order(n_samples, shuffle_, seed_);
  std::vector<Split> splits;
  int64_t start = 0;
  for (int64_t fold = 0; fold < n_splits_; ++fold) {
    const int64_t size = n_samples / n_splits_ + (fold < n_samples % n_splits_ ? 1 : 0);
    std::vector<bool> in_test(static_cast<std::size_t>(n_samples), false);
    for (int64_t i = start; i < start + size; ++i)
      in_test[static_cast<std::size_t>(indices[static_cast<std::size_t>(i)])] = true;
    std::vector<int64_t> train;
    train.reserve(static_cast<std::size_t>(n_samples - size));
    for (int64_t i = 0; i < n_samples; ++i)
      if (!in_test[static_cast<std::size_t>(i)]) train.push_back(i);
    splits.push_back(
        {index_tensor(train.data(), static_cast<int64_t>(train.size())), index_tensor(indices.data() + start, size)});
    start += size;
  }
  return splits;
}

}  // namespace tg::data
