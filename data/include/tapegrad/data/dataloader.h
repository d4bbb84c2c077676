// Data loaders.
//
// libtorch style, over any dataset (usually mapped with Stack<> into tensor batches):
//   auto loader = tg::data::make_data_loader<tg::data::samplers::RandomSampler>(
//       dataset.map(tg::data::transforms::Stack<>()), tg::data::DataLoaderOptions().batch_size(64));
//   for (auto& batch : *loader) { batch.data; batch.target; }
// Without Stack each batch is the dataset's std::vector<Example<>>. workers(n) > 0 builds batches on
// n background threads (each with its own copy of the dataset, as libtorch), at most max_jobs
// (default 2 * workers) ahead of the loop.
//
// tapegrad's own loader over tensors, batching with index_select and prefetching in the background:
//   tg::data::DataLoader loader(tg::data::datasets::TensorDataset(x, y),
//       tg::data::DataLoaderOptions().batch_size(128).shuffle(true).seed(0).prefetch(2));
//   for (auto& batch : loader) { ... }   // each begin() is a new epoch, reshuffled
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "tapegrad/data/datasets.h"
#include "tapegrad/data/detail/prefetcher.h"
#include "tapegrad/data/example.h"
#include "tapegrad/data/samplers.h"
#include "tapegrad/error.h"

namespace tg::data {

// libtorch's DataLoaderOptions (batch_size, workers, max_jobs, timeout, enforce_ordering,
// drop_last) plus tapegrad's shuffle, seed and prefetch for tg::data::DataLoader.
// Setters chain: DataLoaderOptions().batch_size(64).drop_last(true); getters take no argument.
class DataLoaderOptions {
 public:
  DataLoaderOptions() = default;
  DataLoaderOptions(std::size_t batch_size) : batch_size_(batch_size) {}  // NOLINT: as libtorch

#define TG_DATA_OPTION(type, name, default_value)       \
 public:                                                \
  DataLoaderOptions& name(const type& value) {          \
    name##_ = value;                                    \
    return *this;                                       \
  }                                                     \
  const type& name() const noexcept { return name##_; } \
                                                        \
 private:                                               \
  type name##_ = default_value;

  TG_DATA_OPTION(std::size_t, batch_size, 1)
  // Background threads building batches (make_data_loader); 0 = on the calling thread.
  TG_DATA_OPTION(std::size_t, workers, 0)
  // make_data_loader: batches in flight at most (default 2 * workers).
  TG_DATA_OPTION(std::optional<std::size_t>, max_jobs, std::nullopt)
  // With several workers: hand out batches in sampler order (true) or as they finish.
  TG_DATA_OPTION(bool, enforce_ordering, true)
  // Omit a last batch smaller than batch_size.
  TG_DATA_OPTION(bool, drop_last, false)
  // DataLoader: a new permutation every epoch.
  TG_DATA_OPTION(bool, shuffle, false)
  // DataLoader: the permutation of epoch e is a function of (seed, e); without a seed it is drawn
  // from tapegrad's global generator (tg::manual_seed).
  TG_DATA_OPTION(std::optional<uint64_t>, seed, std::nullopt)
  // DataLoader: batches built ahead by the background thread; 0 = build on the calling thread.
  TG_DATA_OPTION(std::size_t, prefetch, 2)
#undef TG_DATA_OPTION

 public:
  // Give up (tg::Error) when a background batch takes longer than this: timeout(std::chrono::
  // milliseconds(500)) as libtorch, or any std::chrono::duration. Held as whole milliseconds so
  // that this header needs no <chrono> (which would cost every program a noticeable compile time).
  template <typename Duration>
  DataLoaderOptions& timeout(const Duration& duration) {
    using Period = typename Duration::period;
    timeout_ms_ = static_cast<int64_t>(duration.count() * 1000 * Period::num / Period::den);
    return *this;
  }
  std::optional<int64_t> timeout_ms() const noexcept { return timeout_ms_; }

 private:
  std::optional<int64_t> timeout_ms_;
};

namespace detail {
// Throws tg::Error("<where>: batch_size must be positive, got 0") and the like.
void check_options(const DataLoaderOptions& options, const char* where);
[[noreturn]] void throw_stale_iterator();
}  // namespace detail

// An input iterator over one epoch's batches; the batch is fetched lazily, on first dereference or
// comparison, as libtorch's. A default-constructed Iterator is the end sentinel.
template <typename Batch>
class Iterator {
 public:
  using difference_type = std::ptrdiff_t;
  using value_type = Batch;
  using pointer = Batch*;
  using reference = Batch&;
  using iterator_category = std::input_iterator_tag;

  Iterator() = default;
  explicit Iterator(std::function<std::optional<Batch>()> next_batch)
      : state_(std::make_shared<State>(State{std::move(next_batch), std::nullopt, false})) {}

  Iterator& operator++() {
    fetch();
    if (!state_ || !state_->batch) throw Error("DataLoader: attempted to increment the iterator past the end");
    state_->batch = state_->next_batch();
    return *this;
  }
  Batch& operator*() {
    fetch();
    if (!state_ || !state_->batch) throw Error("DataLoader: attempted to dereference the iterator past the end");
    return *state_->batch;
  }
  Batch* operator->() { return &**this; }
  bool operator==(const Iterator& other) const {
    if (state_ && other.state_) return state_ == other.state_;
    if (!state_ && !other.state_) return true;
    const Iterator& valid = state_ ? *this : other;
    valid.fetch();
    return !valid.state_->batch.has_value();
  }
  bool operator!=(const Iterator& other) const { return !(*this == other); }

 private:
  struct State {
    std::function<std::optional<Batch>()> next_batch;
    std::optional<Batch> batch;
    bool initialized;
  };
  void fetch() const {
    if (state_ && !state_->initialized) {
      state_->initialized = true;
      state_->batch = state_->next_batch();
    }
  }
  std::shared_ptr<State> state_;
};

// libtorch's StatelessDataLoader: a sampler's index lists -> dataset.get_batch -> batches.
// Each begin() resets the sampler and starts a new epoch; an earlier epoch still running is
// stopped first (libtorch refuses that instead), and its iterators may no longer be used.
template <typename Dataset, typename Sampler>
class StatelessDataLoader {
 public:
  using BatchType = typename Dataset::BatchType;
  using BatchRequestType = typename Sampler::BatchRequestType;

  StatelessDataLoader(Dataset dataset, Sampler sampler, DataLoaderOptions options)
      : options_(std::move(options)), sampler_(std::move(sampler)) {
    detail::check_options(options_, "make_data_loader");
    const std::size_t copies = options_.workers() > 0 ? options_.workers() : 1;
    if constexpr (std::is_copy_constructible_v<Dataset>) {
      datasets_.reserve(copies);
      for (std::size_t w = 1; w < copies; ++w) datasets_.push_back(dataset);
    } else if (copies > 1) {
      throw Error("make_data_loader: workers > 1 needs a copyable dataset (each worker gets a copy)");
    }
    datasets_.push_back(std::move(dataset));
  }
  ~StatelessDataLoader() { join(); }
  StatelessDataLoader(const StatelessDataLoader&) = delete;
  StatelessDataLoader& operator=(const StatelessDataLoader&) = delete;

  Iterator<BatchType> begin() {
    join();
    sampler_.reset();
    const uint64_t epoch = ++epoch_;
    if (options_.workers() > 0) {
      prefetcher_ = std::make_unique<detail::Prefetcher>(
          [this]() -> detail::Prefetcher::Job {
            std::optional<BatchRequestType> request = next_request();
            if (!request) return {};
            auto shared_request = std::make_shared<BatchRequestType>(std::move(*request));
            return [this, shared_request](std::size_t worker) -> std::shared_ptr<void> {
              return std::make_shared<BatchType>(datasets_[worker].get_batch(std::move(*shared_request)));
            };
          },
          options_.workers(), options_.max_jobs().value_or(2 * options_.workers()), options_.enforce_ordering(),
          options_.timeout_ms());
    }
    return Iterator<BatchType>([this, epoch]() { return next(epoch); });
  }
  Iterator<BatchType> end() { return Iterator<BatchType>(); }

  // Stops the background workers (they finish the batch in hand); begin() starts them again.
  void join() { prefetcher_.reset(); }
  const DataLoaderOptions& options() const noexcept { return options_; }

 private:
  std::optional<BatchRequestType> next_request() {
    std::optional<BatchRequestType> indices = sampler_.next(options_.batch_size());
    if (!indices || indices->size() == 0 || (indices->size() < options_.batch_size() && options_.drop_last()))
      return std::nullopt;
    return indices;
  }
  std::optional<BatchType> next(uint64_t epoch) {
    if (epoch != epoch_) detail::throw_stale_iterator();
    if (prefetcher_) {
      std::shared_ptr<void> batch = prefetcher_->next();
      if (!batch) return std::nullopt;
      return std::move(*static_cast<BatchType*>(batch.get()));
    }
    if (std::optional<BatchRequestType> request = next_request())
      return datasets_.front().get_batch(std::move(*request));
    return std::nullopt;
  }

  DataLoaderOptions options_;
  Sampler sampler_;
  std::vector<Dataset> datasets_;  // one per worker
  uint64_t epoch_ = 0;
  std::unique_ptr<detail::Prefetcher> prefetcher_;  // last: stopped before the rest is destroyed
};

template <typename Dataset, typename Sampler>
std::unique_ptr<StatelessDataLoader<Dataset, Sampler>> make_data_loader(Dataset dataset, Sampler sampler,
                                                                        DataLoaderOptions options) {
  return std::make_unique<StatelessDataLoader<Dataset, Sampler>>(std::move(dataset), std::move(sampler),
                                                                 std::move(options));
}

// Builds Sampler(dataset.size()). For RandomSampler, options.seed(s) (when given) makes it
// RandomSampler(size, s); otherwise it draws from the global generator, as libtorch's.
template <typename Sampler = samplers::RandomSampler, typename Dataset>
std::enable_if_t<std::is_constructible_v<Sampler, std::size_t>, std::unique_ptr<StatelessDataLoader<Dataset, Sampler>>>
make_data_loader(Dataset dataset, DataLoaderOptions options = DataLoaderOptions()) {
  const std::optional<std::size_t> size = dataset.size();
  if (!size) throw Error("make_data_loader: the dataset must have a size to construct the sampler");
  if constexpr (std::is_same_v<Sampler, samplers::RandomSampler>) {
    if (options.seed()) {
      samplers::RandomSampler sampler(static_cast<int64_t>(*size), *options.seed());
      return make_data_loader(std::move(dataset), std::move(sampler), std::move(options));
    }
  }
  return make_data_loader(std::move(dataset), Sampler(*size), std::move(options));
}

// tapegrad's loader over a TensorDataset: batch k of an epoch is
// {data.index_select(0, idx), targets.index_select(0, idx)} for the epoch's k-th slice of indices
// (sequential, or a permutation when shuffle). With prefetch(n) > 0, one background thread (or
// `workers` threads) builds up to n batches ahead of the loop; breaking out of the loop, calling
// begin() again or destroying the loader stops it cleanly, and an exception thrown while building
// a batch is rethrown by the loop at that batch. An optional transform runs on each assembled batch
// on the worker (e.g. normalisation or augmentation); with workers(n) > 1 it runs on n threads at
// once, so it must be safe to call concurrently.
class DataLoader {
 public:
  using BatchTransform = std::function<Example<>(Example<>)>;

  explicit DataLoader(datasets::TensorDataset dataset, DataLoaderOptions options = DataLoaderOptions(),
                      BatchTransform transform = nullptr);
  DataLoader(Tensor data, Tensor targets, DataLoaderOptions options = DataLoaderOptions(),
             BatchTransform transform = nullptr);
  ~DataLoader();
  DataLoader(DataLoader&&) noexcept;
  DataLoader& operator=(DataLoader&&) noexcept;

  // Starts the next epoch (reshuffled when shuffle) and returns its first batch.
  Iterator<Example<>> begin();
  Iterator<Example<>> end() { return Iterator<Example<>>(); }

  std::size_t size() const;          // batches per epoch
  std::size_t dataset_size() const;  // examples
  // The epoch the last begin() started (0 for the first), -1 before any.
  int64_t epoch() const;
  // The next begin() starts epoch `epoch` (to resume a run, or to replay an epoch).
  void set_epoch(int64_t epoch);
  // The order of examples in epoch `epoch`; for a seedless shuffle, the last begin()'s order.
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  // Batches the background thread has finished that the loop has not taken yet.
  std::size_t queued() const;
  const DataLoaderOptions& options() const;
  const datasets::TensorDataset& dataset() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tg::data
