// tg::data::DataLoader: tapegrad's prefetching loader over a TensorDataset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include <tapegrad/tapegrad.h>

#include "helpers.h"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tg::data::DataLoader;
using tg::data::DataLoaderOptions;
using tg::data::Example;

std::vector<int64_t> ints(const tg::Tensor& t) {
  tg::Tensor c = t.to(tg::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

// Row i of the data is [i, 100 + i]; target i is 1000 + i.
tg::data::datasets::TensorDataset rows(int64_t n) {
  tg::Tensor ids = tg::arange(static_cast<double>(n), tg::kFloat32).unsqueeze(1);
  return tg::data::datasets::TensorDataset(tg::cat({ids, ids + 100.0}, 1), tg::arange(1000.0, 1000.0 + n, tg::kInt64));
}

// The example ids of one epoch, checking that each row's data and target belong together.
std::vector<int64_t> run_epoch(DataLoader& loader, std::vector<int64_t>* batch_sizes = nullptr) {
  std::vector<int64_t> order;
  for (auto& batch : loader) {
    const auto ids = ints(batch.data.select(1, 0));
    EXPECT_EQ(ints(batch.data.select(1, 1)), [&] {
      std::vector<int64_t> v;
      for (int64_t id : ids) v.push_back(100 + id);
      return v;
    }());
    const auto targets = ints(batch.target);
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(targets[i], 1000 + ids[i]);
    if (batch_sizes) batch_sizes->push_back(static_cast<int64_t>(ids.size()));
    order.insert(order.end(), ids.begin(), ids.end());
  }
  return order;
}

std::vector<int64_t> iota(int64_t n) {
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(DataLoader, SequentialBatchesInOrder) {
  DataLoader loader(rows(10), DataLoaderOptions().batch_size(4));
  std::vector<int64_t> sizes;
  EXPECT_EQ(run_epoch(loader, &sizes), iota(10));
  EXPECT_THAT(sizes, ElementsAre(4, 4, 2));
  EXPECT_EQ(loader.size(), 3u);
  EXPECT_EQ(loader.dataset_size(), 10u);
}

TEST(DataLoader, DropLastCounts) {
  for (auto [n, bs, drop, expected] :
       std::vector<std::tuple<int64_t, std::size_t, bool, std::size_t>>{{10, 4, true, 2},
                                                                        {10, 4, false, 3},
                                                                        {12, 4, true, 3},
                                                                        {12, 4, false, 3},
                                                                        {3, 4, true, 0},
                                                                        {3, 4, false, 1}}) {
    DataLoader loader(rows(n), DataLoaderOptions().batch_size(bs).drop_last(drop).shuffle(true).seed(1));
    std::vector<int64_t> sizes;
    const auto order = run_epoch(loader, &sizes);
    EXPECT_EQ(sizes.size(), expected) << n << " " << bs << " " << drop;
    EXPECT_EQ(loader.size(), expected);
    for (int64_t size : sizes) EXPECT_EQ(size, drop ? static_cast<int64_t>(bs) : size);
    EXPECT_EQ(order.size(), drop ? expected * bs : static_cast<std::size_t>(n));
  }
}

TEST(DataLoader, SeededShuffleIsAFunctionOfSeedAndEpoch) {
  DataLoader loader(rows(37), DataLoaderOptions().batch_size(5).shuffle(true).seed(123));
  std::vector<std::vector<int64_t>> epochs;
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    tg::manual_seed(static_cast<uint64_t>(epoch) + 77);  // the global generator plays no part
    epochs.push_back(run_epoch(loader));
    EXPECT_EQ(loader.epoch(), epoch);
    EXPECT_EQ(epochs.back(), tg::data::samplers::seeded_permutation(37, 123, static_cast<uint64_t>(epoch)));
    EXPECT_EQ(epochs.back(), loader.epoch_order(epoch));
    std::vector<int64_t> sorted = epochs.back();
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, iota(37));  // every sample exactly once
  }
  EXPECT_NE(epochs[0], epochs[1]);
  EXPECT_NE(epochs[1], epochs[2]);
  // A fresh loader with the same seed replays the run; set_epoch resumes anywhere.
  DataLoader replay(rows(37), DataLoaderOptions().batch_size(5).shuffle(true).seed(123));
  EXPECT_EQ(run_epoch(replay), epochs[0]);
  replay.set_epoch(2);
  EXPECT_EQ(run_epoch(replay), epochs[2]);
  EXPECT_EQ(replay.epoch(), 2);
}

TEST(DataLoader, FirstBatchContentsWithSeedZero) {
  DataLoader loader(rows(8), DataLoaderOptions().batch_size(3).shuffle(true).seed(0).prefetch(0));
  const auto perm = tg::data::samplers::seeded_permutation(8, 0, 0);
  auto it = loader.begin();
  EXPECT_EQ(ints(it->data.select(1, 0)), std::vector<int64_t>(perm.begin(), perm.begin() + 3));
  EXPECT_EQ(it->data.dtype(), tg::kFloat32);
  EXPECT_EQ(it->target.dtype(), tg::kInt64);
  EXPECT_THAT(it->data.sizes().vec(), ElementsAre(3, 2));
}

TEST(DataLoader, SeedlessShuffleFollowsManualSeed) {
  DataLoader a(rows(30), DataLoaderOptions().batch_size(7).shuffle(true));
  DataLoader b(rows(30), DataLoaderOptions().batch_size(7).shuffle(true));
  tg::manual_seed(5);
  const auto first = run_epoch(a);
  tg::manual_seed(5);
  EXPECT_EQ(run_epoch(b), first);
  EXPECT_EQ(a.epoch_order(0), first);
  EXPECT_THROW(a.epoch_order(1), tg::Error);
  std::vector<int64_t> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, iota(30));
}

TEST(DataLoader, PrefetchAndWorkersDoNotChangeTheBatches) {
  DataLoader reference(rows(50), DataLoaderOptions().batch_size(6).shuffle(true).seed(4).prefetch(0));
  const auto expected = run_epoch(reference);
  for (std::size_t prefetch : {1u, 2u, 5u})
    for (std::size_t workers : {0u, 1u, 3u}) {
      DataLoader loader(rows(50),
                        DataLoaderOptions().batch_size(6).shuffle(true).seed(4).prefetch(prefetch).workers(workers));
      EXPECT_EQ(run_epoch(loader), expected) << prefetch << " " << workers;
    }
}

TEST(DataLoader, BatchesAreCopiesNotViewsOfTheDataset) {
  auto dataset = rows(4);
  DataLoader loader(dataset, DataLoaderOptions().batch_size(2));
  for (auto& batch : loader) batch.data.fill_(-1.0);
  EXPECT_EQ(ints(dataset.tensor.select(1, 0)), iota(4));
}

TEST(DataLoader, TargetlessDatasetGivesUndefinedTargets) {
  DataLoader loader(tg::data::datasets::TensorDataset(tg::zeros({5, 3})),
                    DataLoaderOptions().batch_size(2).shuffle(true).seed(1));
  int batches = 0;
  for (auto& batch : loader) {
    EXPECT_FALSE(batch.target.defined());
    ++batches;
  }
  EXPECT_EQ(batches, 3);
}

TEST(DataLoader, WorkerFillsTheQueueAheadOfTheLoopUpToPrefetch) {
  DataLoader loader(rows(100), DataLoaderOptions().batch_size(10).prefetch(3));
  auto it = loader.begin();
  EXPECT_EQ(ints(it->target)[0], 1000);  // batch 0 in hand
  // Batches 1, 2 and 3 get built while the loop holds batch 0...
  ASSERT_TRUE(tg_data_test::eventually([&] { return loader.queued() == 3; }));
  // ...and no more: the queue is bounded by prefetch.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(loader.queued(), 3u);
  ++it;
  EXPECT_EQ(ints(it->target)[0], 1010);
  ASSERT_TRUE(tg_data_test::eventually([&] { return loader.queued() == 3; }));
}

TEST(DataLoader, BatchKPlusOneIsBuiltBeforeTheLoopAsksForIt) {
  std::mutex mutex;
  std::vector<std::string> events;
  std::set<std::thread::id> builder_threads;
  auto log = [&](std::string event) {
    std::lock_guard<std::mutex> lock(mutex);
    events.push_back(std::move(event));
  };
  DataLoader loader(rows(40), DataLoaderOptions().batch_size(10).prefetch(1), [&](Example<> batch) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // slow augmentation
    {
      std::lock_guard<std::mutex> lock(mutex);
      builder_threads.insert(std::this_thread::get_id());
    }
    log("built " + std::to_string(ints(batch.target)[0] - 1000));
    return batch;
  });
  int64_t k = 0;
  for (auto& batch : loader) {
    EXPECT_EQ(ints(batch.target)[0], 1000 + 10 * k);
    // The "training step": wait until the worker has built the next batch on its own.
    if (k < 3) {
      const std::string next = "built " + std::to_string(10 * (k + 1));
      ASSERT_TRUE(tg_data_test::eventually([&] {
        std::lock_guard<std::mutex> lock(mutex);
        return std::find(events.begin(), events.end(), next) != events.end();
      }));
    }
    log("asked " + std::to_string(10 * (k + 1)));
    ++k;
  }
  EXPECT_EQ(k, 4);
  EXPECT_THAT(events, ElementsAre("built 0", "built 10", "asked 10", "built 20", "asked 20", "built 30", "asked 30",
                                  "asked 40"));
  EXPECT_EQ(builder_threads.size(), 1u);
  EXPECT_EQ(builder_threads.count(std::this_thread::get_id()), 0u);  // built off the training thread
}

TEST(DataLoader, BreakingOutEarlyStopsCleanlyAndTheNextEpochStartsFresh) {
  std::atomic<int> built{0};
  DataLoader loader(rows(1000), DataLoaderOptions().batch_size(1).prefetch(4).workers(2).shuffle(true).seed(8),
                    [&](Example<> batch) {
                      ++built;
                      return batch;
                    });
  int taken = 0;
  for (auto& batch : loader) {
    (void)batch;
    if (++taken == 2) break;
  }
  // The next begin() stops the first epoch's workers; only a bounded number of batches were built.
  std::vector<int64_t> order = run_epoch(loader);
  EXPECT_EQ(order, tg::data::samplers::seeded_permutation(1000, 8, 1));
  EXPECT_LE(built.load(), 2 + 4 + 2 + 1000);  // 2 taken, <= 4 queued, <= 2 in the workers' hands
  // Breaking out and destroying the loader with a full queue must not hang or leak.
  {
    DataLoader short_lived(rows(100), DataLoaderOptions().batch_size(1).prefetch(8));
    for (auto& batch : short_lived) {
      (void)batch;
      break;
    }
  }
}

TEST(DataLoader, AnExceptionWhileBuildingIsRethrownAtThatBatch) {
  for (std::size_t prefetch : {0u, 2u}) {
    DataLoader loader(rows(20), DataLoaderOptions().batch_size(4).prefetch(prefetch), [](Example<> batch) {
      if (ints(batch.target)[0] == 1012) throw tg::Error("augment: batch starting at 12 is broken");
      return batch;
    });
    std::vector<int64_t> firsts;
    try {
      for (auto& batch : loader) firsts.push_back(ints(batch.target)[0]);
      FAIL() << "no exception, prefetch " << prefetch;
    } catch (const tg::Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("batch starting at 12 is broken"));
    }
    EXPECT_THAT(firsts, ElementsAre(1000, 1004, 1008)) << "prefetch " << prefetch;
    // The loader stays usable: the next epoch fails at the same place, not before.
    firsts.clear();
    EXPECT_THROW(for (auto& batch : loader) firsts.push_back(ints(batch.target)[0]), tg::Error);
    EXPECT_EQ(firsts.size(), 3u);
  }
}

TEST(DataLoader, OldIteratorsAreRejectedAfterANewBegin) {
  DataLoader loader(rows(10), DataLoaderOptions().batch_size(2));
  auto old = loader.begin();
  EXPECT_EQ(ints(old->target)[0], 1000);
  auto fresh = loader.begin();
  try {
    ++old;
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("later begin()"));
  }
  EXPECT_EQ(ints(fresh->target)[0], 1000);
}

TEST(DataLoader, MovedLoaderKeepsWorking) {
  DataLoader loader(rows(9), DataLoaderOptions().batch_size(4).shuffle(true).seed(2));
  DataLoader moved = std::move(loader);
  EXPECT_EQ(run_epoch(moved), tg::data::samplers::seeded_permutation(9, 2, 0));
}

TEST(DataLoader, ManyEpochsWithSeveralWorkersAndEarlyBreaks) {
  // A stress run for the sanitizers (ASan, TSan): frequent starts, stops and hand-overs.
  DataLoader loader(rows(64), DataLoaderOptions().batch_size(3).prefetch(2).workers(3).shuffle(true).seed(6));
  for (int epoch = 0; epoch < 40; ++epoch) {
    int taken = 0;
    for (auto& batch : loader) {
      EXPECT_EQ(batch.data.size(1), 2);
      if (epoch % 3 == 1 && ++taken == epoch % 5) break;
    }
  }
  EXPECT_EQ(loader.epoch(), 39);
}

TEST(DataLoader, RejectsBadOptions) {
  try {
    DataLoader(rows(4), DataLoaderOptions().batch_size(0));
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("DataLoader: batch_size must be positive, got 0"));
  }
  EXPECT_THROW(DataLoader(tg::zeros({3, 2}), tg::zeros({2})), tg::Error);
  DataLoader loader(rows(4), DataLoaderOptions());
  EXPECT_THROW(loader.set_epoch(-1), tg::Error);
}

}  // namespace
