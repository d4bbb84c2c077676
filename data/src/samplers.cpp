// RandomSampler, SequentialSampler and the permutations behind every shuffle in data/.
#include "tapegrad/data/samplers.h"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "tapegrad/ops.h"

namespace tg::data::samplers {
namespace {

// splitmix64: spreads (seed, epoch) over the whole state so nearby seeds give unrelated streams.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::optional<std::vector<std::size_t>> take(const std::vector<int64_t>* order, std::size_t size, std::size_t& index,
                                             std::size_t batch_size) {
  if (index >= size) return std::nullopt;
  const std::size_t count = std::min(batch_size, size - index);
  std::vector<std::size_t> batch(count);
  for (std::size_t i = 0; i < count; ++i) batch[i] = order ? static_cast<std::size_t>((*order)[index + i]) : index + i;
  index += count;
  return batch;
}

}  // namespace

std::vector<int64_t> seeded_permutation(int64_t n, uint64_t seed, uint64_t epoch) {
  if (n < 0) throw Error(fmt::format("seeded_permutation: n must be non-negative, got {}", n));
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::mt19937_64 engine(mix(mix(seed) ^ epoch));
  // Fisher-Yates with engine() % (i + 1), as tg::randperm: the same on every platform, unlike
  // std::shuffle or std::uniform_int_distribution.
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[static_cast<std::size_t>(i)], order[engine() % static_cast<uint64_t>(i + 1)]);
  return order;
}

std::vector<int64_t> global_permutation(int64_t n) {
  Tensor perm = tg::randperm(n, kInt64);
  const int64_t* p = perm.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + n);
}

RandomSampler::RandomSampler(int64_t size, Dtype index_dtype) {
  if (index_dtype != kInt64)
    throw Error(fmt::format("RandomSampler: index_dtype must be Int64, got {}", dtype_name(index_dtype)));
  draw(size, 0);
}

// With a seed, the constructor's permutation is epoch 0's and the k-th reset() draws epoch k - 1,
// so the first epoch of a loader (whose begin() resets) is epoch 0 either way.
RandomSampler::RandomSampler(int64_t size, uint64_t seed) : seed_(seed) { draw(size, 0); }

void RandomSampler::draw(int64_t size, uint64_t epoch) {
  if (size < 0) throw Error(fmt::format("RandomSampler: size must be non-negative, got {}", size));
  indices_ = seed_ ? seeded_permutation(size, *seed_, epoch) : global_permutation(size);
  index_ = 0;
}

void RandomSampler::reset(std::optional<std::size_t> new_size) {
  draw(new_size ? static_cast<int64_t>(*new_size) : static_cast<int64_t>(indices_.size()), resets_++);
}

std::optional<std::vector<std::size_t>> RandomSampler::next(std::size_t batch_size) {
  return take(&indices_, indices_.size(), index_, batch_size);
}

std::size_t RandomSampler::index() const noexcept { return index_; }

SequentialSampler::SequentialSampler(std::size_t size) : size_(size) {}

void SequentialSampler::reset(std::optional<std::size_t> new_size) {
  if (new_size) size_ = *new_size;
  index_ = 0;
}

std::optional<std::vector<std::size_t>> SequentialSampler::next(std::size_t batch_size) {
  return take(nullptr, size_, index_, batch_size);
}

std::size_t SequentialSampler::index() const noexcept { return index_; }

}  // namespace tg::data::samplers
