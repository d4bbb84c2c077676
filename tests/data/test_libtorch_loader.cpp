// Datasets, transforms, samplers and make_data_loader (libtorch's API).
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
using tg::data::Example;
using tg::data::datasets::Dataset;

// Example i: data [i, 10 i] (kFloat32), target i*i (kInt64).
struct Squares : Dataset<Squares> {
  explicit Squares(std::size_t n) : n(n) {}
  Example<> get(std::size_t i) override {
    const double x = static_cast<double>(i);
    return {tg::tensor({x, 10 * x}), tg::tensor(static_cast<long>(i * i))};
  }
  std::optional<std::size_t> size() const override { return n; }
  std::size_t n;
};

std::vector<int64_t> ints(const tg::Tensor& t) {
  tg::Tensor c = t.to(tg::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

// The example ids of a Stack<>ed Squares batch (column 0 of data).
std::vector<int64_t> ids(const Example<>& batch) { return ints(batch.data.select(1, 0)); }

TEST(Example, HoldsDataAndTarget) {
  Example<> e(tg::tensor({1.0, 2.0}), tg::tensor(3L));
  EXPECT_EQ(e.data.size(0), 2);
  EXPECT_EQ(e.target.item<int64_t>(), 3);
  tg::data::TensorExample only(tg::tensor({4.0}));
  tg::Tensor& data = only;  // converts to its data, as libtorch's
  EXPECT_FLOAT_EQ(data.item<float>(), 4.0f);
}

TEST(Stack, StacksDataAndTargets) {
  Squares ds(5);
  auto batch = tg::data::transforms::Stack<>().apply_batch(ds.get_batch({1, 3}));
  EXPECT_THAT(batch.data.sizes().vec(), ElementsAre(2, 2));
  EXPECT_THAT(ints(batch.data), ElementsAre(1, 10, 3, 30));
  EXPECT_THAT(ints(batch.target), ElementsAre(1, 9));
}

TEST(Stack, EmptyBatchIsAnError) { EXPECT_THROW(tg::data::transforms::Stack<>().apply_batch({}), tg::Error); }

TEST(MapDataset, MapsThenStacks) {
  auto mapped = Squares(4)
                    .map(tg::data::transforms::Lambda<Example<>>([](Example<> e) {
                      e.data = e.data * 2.0;
                      return e;
                    }))
                    .map(tg::data::transforms::Stack<>());
  EXPECT_EQ(mapped.size().value(), 4u);
  Example<> batch = mapped.get_batch({0, 2});
  EXPECT_THAT(ints(batch.data), ElementsAre(0, 0, 4, 40));
  EXPECT_THAT(ints(batch.target), ElementsAre(0, 4));
}

TEST(Normalize, PerChannelAsLibtorch) {
  // [2 channels, 1, 2] data; mean/std per channel.
  tg::Tensor image = tg::tensor({{{1.0, 3.0}}, {{10.0, 20.0}}});
  tg::data::transforms::Normalize<> normalize({1.0, 10.0}, {2.0, 5.0});
  EXPECT_THAT(normalize.mean.sizes().vec(), ElementsAre(2, 1, 1));
  tg::Tensor out = normalize(image);
  EXPECT_TRUE(out.allclose(tg::tensor({{{0.0, 1.0}}, {{0.0, 2.0}}})));
  // As a dataset transform the target passes through.
  auto e = normalize.apply(Example<>(image, tg::tensor(7L)));
  EXPECT_EQ(e.target.item<int64_t>(), 7);
  tg::data::transforms::Normalize<> mnist(0.5, 0.25);
  EXPECT_FLOAT_EQ(mnist(tg::full({1, 1, 1}, 1.0)).item<float>(), 2.0f);
}

TEST(Normalize, RejectsZeroStddevAndSizeMismatch) {
  try {
    tg::data::transforms::Normalize<>({0.0, 0.0}, {1.0, 0.0});
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Normalize: stddev of channel 1 is 0"));
  }
  EXPECT_THROW(tg::data::transforms::Normalize<>({0.0, 0.0}, {1.0}), tg::Error);
}

TEST(TensorDataset, OneTensorAsLibtorchAndPairs) {
  tg::data::datasets::TensorDataset single(tg::arange(6.0).reshape({3, 2}));
  EXPECT_EQ(single.size().value(), 3u);
  EXPECT_THAT(ints(single.get(2).data), ElementsAre(4, 5));
  EXPECT_FALSE(single.get(0).target.defined());
  tg::data::datasets::TensorDataset stacked(std::vector<tg::Tensor>{tg::ones({2}), tg::zeros({2})});
  EXPECT_THAT(stacked.tensor.sizes().vec(), ElementsAre(2, 2));
  tg::data::datasets::TensorDataset pair(tg::arange(6.0).reshape({3, 2}), tg::tensor({7L, 8L, 9L}));
  EXPECT_EQ(pair.get(1).target.item<int64_t>(), 8);
  // Stack of target-less examples leaves the batch target undefined.
  Example<> batch = tg::data::transforms::Stack<>().apply_batch(single.get_batch({0, 1}));
  EXPECT_FALSE(batch.target.defined());
  EXPECT_THAT(batch.data.sizes().vec(), ElementsAre(2, 2));
}

TEST(TensorDataset, RejectsMismatchedRows) {
  try {
    tg::data::datasets::TensorDataset(tg::zeros({3, 2}), tg::zeros({4}));
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("data has 3 examples"));
    EXPECT_THAT(e.what(), HasSubstr("targets has 4"));
  }
}

TEST(SequentialSampler, HandsOutConsecutiveBatches) {
  tg::data::samplers::SequentialSampler sampler(5);
  EXPECT_THAT(sampler.next(2).value(), ElementsAre(0, 1));
  EXPECT_THAT(sampler.next(2).value(), ElementsAre(2, 3));
  EXPECT_THAT(sampler.next(2).value(), ElementsAre(4));
  EXPECT_FALSE(sampler.next(2).has_value());
  sampler.reset(3);
  EXPECT_THAT(sampler.next(5).value(), ElementsAre(0, 1, 2));
}

TEST(RandomSampler, GlobalGeneratorFollowsManualSeed) {
  tg::manual_seed(11);
  tg::data::samplers::RandomSampler a(20);
  tg::manual_seed(11);
  tg::data::samplers::RandomSampler b(20);
  EXPECT_EQ(a.indices(), b.indices());
  std::vector<int64_t> sorted = a.indices();
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(20);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(sorted, expected);
}

TEST(RandomSampler, SeededEpochsArePureFunctionsOfSeedAndEpoch) {
  tg::data::samplers::RandomSampler sampler(10, uint64_t{42});
  EXPECT_EQ(sampler.indices(), tg::data::samplers::seeded_permutation(10, 42, 0));
  tg::manual_seed(1);  // the global generator does not matter
  sampler.reset();
  EXPECT_EQ(sampler.indices(), tg::data::samplers::seeded_permutation(10, 42, 0));
  sampler.reset();
  EXPECT_EQ(sampler.indices(), tg::data::samplers::seeded_permutation(10, 42, 1));
  EXPECT_NE(tg::data::samplers::seeded_permutation(10, 42, 0), tg::data::samplers::seeded_permutation(10, 42, 1));
  EXPECT_NE(tg::data::samplers::seeded_permutation(10, 42, 0), tg::data::samplers::seeded_permutation(10, 43, 0));
  // batches walk the permutation
  const auto perm = sampler.indices();
  auto first = sampler.next(4).value();
  EXPECT_EQ(std::vector<int64_t>(first.begin(), first.end()), std::vector<int64_t>(perm.begin(), perm.begin() + 4));
  EXPECT_EQ(sampler.index(), 4u);
}

TEST(MakeDataLoader, SequentialBatchesWithStack) {
  auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
      Squares(10).map(tg::data::transforms::Stack<>()), tg::data::DataLoaderOptions().batch_size(4));
  std::vector<std::vector<int64_t>> seen, targets;
  for (auto& batch : *loader) {
    seen.push_back(ids(batch));
    targets.push_back(ints(batch.target));
  }
  EXPECT_THAT(seen, ElementsAre(ElementsAre(0, 1, 2, 3), ElementsAre(4, 5, 6, 7), ElementsAre(8, 9)));
  EXPECT_THAT(targets.back(), ElementsAre(64, 81));
}

TEST(MakeDataLoader, DropLastOmitsTheShortBatch) {
  auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
      Squares(10).map(tg::data::transforms::Stack<>()), tg::data::DataLoaderOptions().batch_size(4).drop_last(true));
  int batches = 0;
  for (auto& batch : *loader) {
    EXPECT_EQ(batch.data.size(0), 4);
    ++batches;
  }
  EXPECT_EQ(batches, 2);
}

TEST(MakeDataLoader, WithoutStackYieldsVectorsOfExamples) {
  auto loader =
      tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(Squares(5), tg::data::DataLoaderOptions(2));
  std::vector<std::size_t> sizes;
  for (std::vector<Example<>>& batch : *loader) {
    sizes.push_back(batch.size());
    EXPECT_EQ(batch.front().data.dim(), 1);
  }
  EXPECT_THAT(sizes, ElementsAre(2, 2, 1));
}

TEST(MakeDataLoader, RandomSamplerVisitsEverySampleOncePerEpochAndReshuffles) {
  tg::manual_seed(3);
  auto loader = tg::data::make_data_loader(Squares(50).map(tg::data::transforms::Stack<>()),
                                           tg::data::DataLoaderOptions().batch_size(8));
  std::vector<std::vector<int64_t>> epochs;
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> order;
    for (auto& batch : *loader) {
      auto batch_ids = ids(batch);
      order.insert(order.end(), batch_ids.begin(), batch_ids.end());
      EXPECT_THAT(ints(batch.target), ::testing::Pointwise(::testing::Eq(), [&] {
                    std::vector<int64_t> squares;
                    for (int64_t id : batch_ids) squares.push_back(id * id);
                    return squares;
                  }()));
    }
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> expected(50);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(sorted, expected);
    epochs.push_back(order);
  }
  EXPECT_NE(epochs[0], epochs[1]);
  // the same seed gives the same run
  tg::manual_seed(3);
  auto again = tg::data::make_data_loader(Squares(50).map(tg::data::transforms::Stack<>()),
                                          tg::data::DataLoaderOptions().batch_size(8));
  std::vector<int64_t> order;
  for (auto& batch : *again) {
    auto batch_ids = ids(batch);
    order.insert(order.end(), batch_ids.begin(), batch_ids.end());
  }
  EXPECT_EQ(order, epochs[0]);
}

TEST(MakeDataLoader, OptionsSeedGivesTheSeededPermutation) {
  auto loader = tg::data::make_data_loader(Squares(12).map(tg::data::transforms::Stack<>()),
                                           tg::data::DataLoaderOptions().batch_size(5).seed(9));
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<int64_t> order;
    for (auto& batch : *loader) {
      auto batch_ids = ids(batch);
      order.insert(order.end(), batch_ids.begin(), batch_ids.end());
    }
    EXPECT_EQ(order, tg::data::samplers::seeded_permutation(12, 9, static_cast<uint64_t>(epoch)));
  }
}

TEST(MakeDataLoader, WorkersGiveTheSameBatchesInOrder) {
  for (std::size_t workers : {1u, 2u, 3u}) {
    auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
        Squares(23).map(tg::data::transforms::Stack<>()), tg::data::DataLoaderOptions().batch_size(3).workers(workers));
    std::vector<int64_t> order;
    for (int epoch = 0; epoch < 2; ++epoch) {
      order.clear();
      for (auto& batch : *loader) {
        auto batch_ids = ids(batch);
        order.insert(order.end(), batch_ids.begin(), batch_ids.end());
      }
      std::vector<int64_t> expected(23);
      std::iota(expected.begin(), expected.end(), 0);
      EXPECT_EQ(order, expected) << workers << " workers, epoch " << epoch;
    }
  }
}

TEST(MakeDataLoader, UnorderedWorkersStillDeliverEverySampleOnce) {
  auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
      Squares(40).map(tg::data::transforms::Stack<>()),
      tg::data::DataLoaderOptions().batch_size(3).workers(3).enforce_ordering(false));
  std::multiset<int64_t> seen;
  for (auto& batch : *loader)
    for (int64_t id : ids(batch)) seen.insert(id);
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 40u);
}

// Throws from get() for one index.
struct Faulty : Dataset<Faulty> {
  Example<> get(std::size_t i) override {
    if (i == 7) throw tg::Error("Faulty: example 7 is unreadable");
    return {tg::tensor({static_cast<double>(i)}), tg::tensor(0L)};
  }
  std::optional<std::size_t> size() const override { return 12; }
};

TEST(MakeDataLoader, ExceptionsReachTheLoopWithAndWithoutWorkers) {
  for (std::size_t workers : {0u, 1u, 2u}) {
    auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
        Faulty().map(tg::data::transforms::Stack<>()), tg::data::DataLoaderOptions().batch_size(2).workers(workers));
    int good_batches = 0;
    try {
      for (auto& batch : *loader) {
        (void)batch;
        ++good_batches;
      }
      FAIL() << "no exception with " << workers << " workers";
    } catch (const tg::Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("example 7 is unreadable"));
    }
    EXPECT_EQ(good_batches, 3) << workers << " workers";  // batches {0,1}, {2,3}, {4,5}; {6,7} fails
  }
}

// Records the order in which batches are built, so tests can see prefetching happen.
struct Recorder {
  std::mutex mutex;
  std::vector<std::size_t> started;  // first index of each batch, at the start of its get_batch
  std::vector<std::size_t> finished;
  std::vector<std::size_t> snapshot_started() {
    std::lock_guard<std::mutex> lock(mutex);
    return started;
  }
  std::vector<std::size_t> snapshot_finished() {
    std::lock_guard<std::mutex> lock(mutex);
    return finished;
  }
};

struct Recording : tg::data::datasets::BatchDataset<Recording, Example<>> {
  explicit Recording(std::shared_ptr<Recorder> recorder) : recorder(std::move(recorder)) {}
  Example<> get_batch(std::vector<std::size_t> indices) override {
    {
      std::lock_guard<std::mutex> lock(recorder->mutex);
      recorder->started.push_back(indices.front());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a slow disk
    std::vector<double> values(indices.begin(), indices.end());
    Example<> batch(tg::tensor(values), tg::tensor(values));
    std::lock_guard<std::mutex> lock(recorder->mutex);
    recorder->finished.push_back(indices.front());
    return batch;
  }
  std::optional<std::size_t> size() const override { return 40; }
  std::shared_ptr<Recorder> recorder;
};

TEST(MakeDataLoader, WorkerBuildsTheNextBatchesBeforeTheLoopAsksAndStopsAtMaxJobs) {
  auto recorder = std::make_shared<Recorder>();
  auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
      Recording(recorder), tg::data::DataLoaderOptions().batch_size(4).workers(1).max_jobs(2));
  auto it = loader->begin();
  EXPECT_EQ(ints(it->data)[0], 0);  // batch 0 taken
  // Without being asked, the worker builds batches 1 and 2 (first indices 4 and 8)...
  ASSERT_TRUE(tg_data_test::eventually([&] { return recorder->snapshot_finished().size() >= 3; }));
  // ...and then waits: max_jobs = 2 batches ahead of the loop, so batch 3 is not started.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_THAT(recorder->snapshot_started(), ElementsAre(0, 4, 8));
  ++it;  // take batch 1: room for batch 3
  EXPECT_EQ(ints(it->data)[0], 4);
  ASSERT_TRUE(tg_data_test::eventually([&] { return recorder->snapshot_finished().size() >= 4; }));
  EXPECT_THAT(recorder->snapshot_started(), ElementsAre(0, 4, 8, 12));
  // Break out early: destroying the loader stops the worker cleanly.
  loader.reset();
}

TEST(MakeDataLoader, BeginAgainStartsANewEpochAndInvalidatesOldIterators) {
  auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
      Squares(10).map(tg::data::transforms::Stack<>()), tg::data::DataLoaderOptions().batch_size(3).workers(2));
  auto old = loader->begin();
  EXPECT_THAT(ids(*old), ElementsAre(0, 1, 2));
  auto fresh = loader->begin();
  EXPECT_THAT(ids(*fresh), ElementsAre(0, 1, 2));
  EXPECT_THROW(++old, tg::Error);
  ++fresh;
  EXPECT_THAT(ids(*fresh), ElementsAre(3, 4, 5));
}

TEST(MakeDataLoader, TimeoutRaisesInsteadOfWaitingForever) {
  struct Stuck : tg::data::datasets::BatchDataset<Stuck, Example<>> {
    Example<> get_batch(std::vector<std::size_t>) override {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return {tg::zeros({1}), tg::zeros({1})};
    }
    std::optional<std::size_t> size() const override { return 2; }
  };
  auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
      Stuck(), tg::data::DataLoaderOptions().batch_size(1).workers(1).timeout(std::chrono::milliseconds(1)));
  try {
    for (auto& batch : *loader) (void)batch;
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("timed out after 1 ms waiting for batch 0"));
  }
}

TEST(MakeDataLoader, RejectsBatchSizeZero) {
  try {
    tg::data::make_data_loader(Squares(3), tg::data::DataLoaderOptions().batch_size(0));
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("make_data_loader: batch_size must be positive, got 0"));
  }
}

TEST(Iterator, EndIsASentinelAndPastTheEndIsAnError) {
  auto loader = tg::data::make_data_loader<tg::data::samplers::SequentialSampler>(
      Squares(2).map(tg::data::transforms::Stack<>()), tg::data::DataLoaderOptions(2));
  auto it = loader->begin();
  EXPECT_TRUE(it != loader->end());
  ++it;
  EXPECT_TRUE(it == loader->end());
  EXPECT_THROW(*it, tg::Error);
  EXPECT_THROW(++it, tg::Error);
}

}  // namespace
