// Samplers decide which indices go into each batch, as libtorch's torch::data::samplers.
// RandomSampler(size) draws a fresh permutation from tapegrad's global generator at construction
// and at every reset() (every DataLoader begin()), so tg::manual_seed(s) before building the
// loader makes the whole run reproducible, as torch::manual_seed does for libtorch.
// RandomSampler(size, seed) uses its own generator instead: epoch e (the permutation after the
// (e+1)-th reset, i.e. the e-th begin() of a loader) is seeded_permutation(size, seed, e), whatever
// else draws random numbers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "tapegrad/tensor.h"

namespace tg::data::samplers {

template <typename BatchRequest = std::vector<std::size_t>>
class Sampler {
 public:
  using BatchRequestType = BatchRequest;
  virtual ~Sampler() = default;
  // Starts over (optionally with a new dataset size).
  virtual void reset(std::optional<std::size_t> new_size) = 0;
  // The next batch_size indices (fewer at the end), or nullopt when exhausted.
  virtual std::optional<BatchRequest> next(std::size_t batch_size) = 0;
};

class RandomSampler : public Sampler<> {
 public:
  explicit RandomSampler(int64_t size, Dtype index_dtype = kInt64);
  RandomSampler(int64_t size, uint64_t seed);

  void reset(std::optional<std::size_t> new_size = std::nullopt) override;
  std::optional<std::vector<std::size_t>> next(std::size_t batch_size) override;
  std::size_t index() const noexcept;  // indices handed out since the last reset

  // The current permutation (of the last reset), for inspection.
  const std::vector<int64_t>& indices() const noexcept { return indices_; }
  std::optional<uint64_t> seed() const noexcept { return seed_; }

 private:
  void draw(int64_t size, uint64_t epoch);
  std::vector<int64_t> indices_;
  std::size_t index_ = 0;
  std::optional<uint64_t> seed_;
  uint64_t resets_ = 0;  // the epoch number of the next reset, mixed into the seed
};

class SequentialSampler : public Sampler<> {
 public:
  explicit SequentialSampler(std::size_t size);

  void reset(std::optional<std::size_t> new_size = std::nullopt) override;
  std::optional<std::vector<std::size_t>> next(std::size_t batch_size) override;
  std::size_t index() const noexcept;

 private:
  std::size_t size_;
  std::size_t index_ = 0;
};

// A permutation of [0, n) that depends only on (seed, epoch): mt19937_64 seeded from both, then
// Fisher-Yates. Used by RandomSampler(size, seed), DataLoader(shuffle, seed), KFold and
// train_test_split.
std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t epoch = 0);
// A permutation of [0, n) from tapegrad's global generator (tg::randperm; see tg::manual_seed).
std::vector<int64_t> global_permutation(int64_t n);

}  // namespace tg::data::samplers
