// The background batch builder behind both data loaders: worker threads pull jobs from a source
// (in order, one at a time) and build batches while the consumer trains on earlier ones. At most
// `depth` batches are claimed and not yet taken; the consumer takes them in job order (or in
// completion order when not ordered). A worker's exception is handed to the consumer at that
// batch's turn and rethrown there. Destruction stops the workers (each finishes the batch it is
// building) and joins them. Batches are type-erased so that <thread> stays out of public headers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace tg::data::detail {

class Prefetcher {
 public:
  // Builds one batch on worker `worker` (0 .. workers-1); may run concurrently on several workers.
  using Job = std::function<std::shared_ptr<void>(std::size_t worker)>;
  // The next job, or an empty Job when the epoch has no more batches. Called by workers under the
  // prefetcher's lock, so never concurrently.
  using JobSource = std::function<Job()>;

  Prefetcher(JobSource source, std::size_t workers, std::size_t depth, bool ordered = true,
             std::optional<int64_t> timeout_ms = std::nullopt);
  ~Prefetcher();
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Blocks until the next batch is ready; nullptr once the epoch is over. Rethrows the exception a
  // job (or the source) threw; throws tg::Error when `timeout_ms` passes without a batch.
  std::shared_ptr<void> next();

  std::size_t ready() const;     // finished batches waiting for the consumer
  std::size_t finished() const;  // batches finished since construction (taken or not)

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tg::data::detail
