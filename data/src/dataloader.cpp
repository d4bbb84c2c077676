// tg::data::DataLoader: batches of a TensorDataset by index_select, built ahead of the training loop
// on a background thread (detail::Prefetcher). Each epoch's order is fixed when begin() starts it:
// sequential, seeded_permutation(n, seed, epoch), or a permutation from the global generator.
#include <fmt/format.h>

#include <algorithm>

#include "tapegrad/data/dataloader.h"
#include "tapegrad/ops.h"

namespace tg::data {

namespace detail {

void check_options(const DataLoaderOptions& options, const char* where) {
  if (options.batch_size() == 0) throw Error(fmt::format("{}: batch_size must be positive, got 0", where));
  if (options.max_jobs() && *options.max_jobs() == 0)
    throw Error(fmt::format("{}: max_jobs must be positive, got 0", where));
  if (options.timeout_ms() && *options.timeout_ms() <= 0)
    throw Error(fmt::format("{}: timeout must be at least 1 ms, got {} ms", where, *options.timeout_ms()));
}

void throw_stale_iterator() {
  throw Error("DataLoader: this iterator belongs to an epoch that a later begin() has replaced");
}

}  // namespace detail

struct DataLoader::Impl {
  datasets::TensorDataset dataset;
  DataLoaderOptions options;
  BatchTransform transform;
  int64_t next_epoch = 0;
  int64_t current_epoch = -1;
  std::vector<int64_t> order;  // this epoch's example order; empty when sequential
  std::size_t next_batch = 0;  // batches handed out (synchronous) or claimed (prefetching)
  std::unique_ptr<detail::Prefetcher> prefetcher;

  Impl(datasets::TensorDataset dataset_, DataLoaderOptions options_, BatchTransform transform_)
      : dataset(std::move(dataset_)), options(std::move(options_)), transform(std::move(transform_)) {
    detail::check_options(options, "DataLoader");
  }

  int64_t examples() const { return dataset.tensor.size(0); }

  std::size_t batches() const {
    const auto n = static_cast<std::size_t>(examples());
    const std::size_t bs = options.batch_size();
    return options.drop_last() ? n / bs : (n + bs - 1) / bs;
  }

  std::vector<int64_t> order_of(int64_t epoch) const {
    if (!options.shuffle()) {
      std::vector<int64_t> sequential(static_cast<std::size_t>(examples()));
      for (int64_t i = 0; i < examples(); ++i) sequential[static_cast<std::size_t>(i)] = i;
      return sequential;
    }
    if (options.seed()) return samplers::seeded_permutation(examples(), *options.seed(), static_cast<uint64_t>(epoch));
    if (epoch != current_epoch)
      throw Error(
          fmt::format("DataLoader::epoch_order: without a seed only the current epoch's order ({}) is "
                      "known, asked for epoch {}",
                      current_epoch, epoch));
    return order;
  }

  // Batch k of the current epoch; called on a worker thread when prefetching. Reads only state
  // that begin() fixed before starting the workers.
  Example<> build(std::size_t k) const {
    const int64_t start = static_cast<int64_t>(k * options.batch_size());
    const int64_t count = std::min<int64_t>(static_cast<int64_t>(options.batch_size()), examples() - start);
    Example<> batch;
    if (order.empty()) {  // sequential: a copy of consecutive rows
      batch.data = dataset.tensor.narrow(0, start, count).clone();
      if (dataset.targets.defined()) batch.target = dataset.targets.narrow(0, start, count).clone();
    } else {
      Tensor index = tg::empty({count}, kInt64);
      std::copy_n(order.begin() + start, count, index.data_ptr<int64_t>());
      batch.data = dataset.tensor.index_select(0, index);
      if (dataset.targets.defined()) batch.target = dataset.targets.index_select(0, index);
    }
    if (transform) batch = transform(std::move(batch));
    return batch;
  }

  void start_epoch() {
    prefetcher.reset();  // stop the previous epoch's workers before touching what they read
    current_epoch = next_epoch++;
    order.clear();
    if (options.shuffle())
      order = options.seed()
                  ? samplers::seeded_permutation(examples(), *options.seed(), static_cast<uint64_t>(current_epoch))
                  : samplers::global_permutation(examples());
    next_batch = 0;
    if (options.prefetch() > 0) {
      prefetcher = std::make_unique<detail::Prefetcher>(
          [this]() -> detail::Prefetcher::Job {
            if (next_batch >= batches()) return {};
            const std::size_t k = next_batch++;
            return [this, k](std::size_t) -> std::shared_ptr<void> { return std::make_shared<Example<>>(build(k)); };
          },
          std::max<std::size_t>(options.workers(), 1), options.prefetch(), true, options.timeout_ms());
    }
  }

  std::optional<Example<>> next(int64_t epoch) {
    if (epoch != current_epoch) detail::throw_stale_iterator();
    if (prefetcher) {
      std::shared_ptr<void> batch = prefetcher->next();
      if (!batch) return std::nullopt;
      return std::move(*static_cast<Example<>*>(batch.get()));
    }
    if (next_batch >= batches()) return std::nullopt;
    return build(next_batch++);
  }
};

DataLoader::DataLoader(datasets::TensorDataset dataset, DataLoaderOptions options, BatchTransform transform)
    : impl_(std::make_unique<Impl>(std::move(dataset), std::move(options), std::move(transform))) {}

DataLoader::DataLoader(Tensor data, Tensor targets, DataLoaderOptions options, BatchTransform transform)
    : DataLoader(datasets::TensorDataset(std::move(data), std::move(targets)), std::move(options),
                 std::move(transform)) {}

DataLoader::~DataLoader() = default;
DataLoader::DataLoader(DataLoader&&) noexcept = default;
DataLoader& DataLoader::operator=(DataLoader&&) noexcept = default;

Iterator<Example<>> DataLoader::begin() {
  impl_->start_epoch();
  return Iterator<Example<>>([impl = impl_.get(), epoch = impl_->current_epoch] { return impl->next(epoch); });
}

std::size_t DataLoader::size() const { return impl_->batches(); }
std::size_t DataLoader::dataset_size() const { return static_cast<std::size_t>(impl_->examples()); }
int64_t DataLoader::epoch() const { return impl_->current_epoch; }
void DataLoader::set_epoch(int64_t epoch) {
  if (epoch < 0) throw Error(fmt::format("DataLoader::set_epoch: epoch must be non-negative, got {}", epoch));
  impl_->next_epoch = epoch;  // takes effect at the next begin()
}
std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const { return impl_->order_of(epoch); }
std::size_t DataLoader::queued() const { return impl_->prefetcher ? impl_->prefetcher->ready() : 0; }
const DataLoaderOptions& DataLoader::options() const { return impl_->options; }
const datasets::TensorDataset& DataLoader::dataset() const { return impl_->dataset; }

}  // namespace tg::data
