// Worker threads for the data loaders (see detail/prefetcher.h). Every piece of shared state is
// guarded by one mutex: workers hold it only to claim a job (calling the source, i.e. the sampler)
// and to publish a result, never while building a batch.
#include "tapegrad/data/detail/prefetcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tapegrad/error.h"
#include "tapegrad/tensor.h"

namespace tg::data::detail {

struct Prefetcher::State {
  struct Result {
    bool done = false;
    std::shared_ptr<void> batch;
    std::exception_ptr error;
  };

  JobSource source;
  std::size_t depth;
  bool ordered;
  std::optional<std::chrono::milliseconds> timeout;

  mutable std::mutex mutex;
  std::condition_variable room;           // workers wait here for space under `depth`
  std::condition_variable ready;          // the consumer waits here for a result
  std::map<std::size_t, Result> results;  // claimed and not yet taken, by job number
  std::size_t claimed = 0;                // jobs handed to workers
  std::size_t taken = 0;                  // results handed to the consumer
  std::size_t finished = 0;               // results published
  bool exhausted = false;                 // the source has no more jobs
  bool stopping = false;
  std::vector<std::thread> threads;

  void work(std::size_t worker) {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      room.wait(lock, [&] { return stopping || exhausted || claimed - taken < depth; });
      if (stopping || exhausted) return;
      const std::size_t number = claimed;
      Job job;
      try {
        job = source();
      } catch (...) {
        // The source (sampler) failed: this job number carries the error, and the epoch ends.
        results[number] = Result{true, nullptr, std::current_exception()};
        ++claimed;
        ++finished;
        exhausted = true;
        room.notify_all();
        ready.notify_all();
        return;
      }
      if (!job) {
        exhausted = true;
        room.notify_all();
        ready.notify_all();
        return;
      }
      ++claimed;
      results[number];  // in progress
      lock.unlock();
      Result result{true, nullptr, nullptr};
      try {
        NoGradGuard no_grad;  // batches are inputs, never part of a graph
        result.batch = job(worker);
      } catch (...) {
        result.error = std::current_exception();
      }
      job = nullptr;  // release what the job holds before taking the lock again
      lock.lock();
      results[number] = std::move(result);
      ++finished;
      ready.notify_all();
    }
  }

  // The result to hand out next, if one is ready.
  std::map<std::size_t, Result>::iterator pick() {
    if (ordered) {
      auto it = results.find(taken);
      return it != results.end() && it->second.done ? it : results.end();
    }
    for (auto it = results.begin(); it != results.end(); ++it)
      if (it->second.done) return it;
    return results.end();
  }
};

Prefetcher::Prefetcher(JobSource source, std::size_t workers, std::size_t depth, bool ordered,
                       std::optional<int64_t> timeout_ms)
    : state_(std::make_unique<State>()) {
  if (workers == 0) throw Error("DataLoader: the prefetcher needs at least one worker thread");
  state_->source = std::move(source);
  state_->depth = std::max<std::size_t>(depth, 1);
  state_->ordered = ordered;
  if (timeout_ms) state_->timeout = std::chrono::milliseconds(*timeout_ms);
  try {
    for (std::size_t w = 0; w < workers; ++w)
      state_->threads.emplace_back([state = state_.get(), w] { state->work(w); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->stopping = true;
    }
    state_->room.notify_all();
    for (std::thread& thread : state_->threads) thread.join();
    throw;
  }
}

Prefetcher::~Prefetcher() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
  }
  state_->room.notify_all();
  for (std::thread& thread : state_->threads) thread.join();
  // Results not taken are destroyed here, on the consumer's thread.
}

std::shared_ptr<void> Prefetcher::next() {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  while (true) {
    auto it = s.pick();
    if (it != s.results.end()) {
      State::Result result = std::move(it->second);
      s.results.erase(it);
      ++s.taken;
      lock.unlock();
      s.room.notify_all();
      if (result.error) std::rethrow_exception(result.error);
      return std::move(result.batch);
    }
    if (s.exhausted && s.results.empty()) return nullptr;
    if (s.timeout) {
      if (!s.ready.wait_for(lock, *s.timeout,
                            [&] { return s.pick() != s.results.end() || (s.exhausted && s.results.empty()); }))
        throw Error(fmt::format("DataLoader: timed out after {} ms waiting for batch {}", s.timeout->count(), s.taken));
    } else {
      s.ready.wait(lock);
    }
  }
}

std::size_t Prefetcher::ready() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::size_t count = 0;
  for (const auto& entry : state_->results) count += entry.second.done ? 1 : 0;
  return count;
}

std::size_t Prefetcher::finished() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->finished;
}

}  // namespace tg::data::detail
