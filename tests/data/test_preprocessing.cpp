// Iris, StandardScaler, train_test_split, KFold and EarlyStopping, against numbers from
// scikit-learn 1.2 (load_iris, StandardScaler, KFold, train_test_split).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include <tapegrad/tapegrad.h>
#include "../error_of.h"

namespace {

using tg_test::error_of;

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pointwise;

std::vector<int64_t> ints(const tg::Tensor& t) {
  tg::Tensor c = t.to(tg::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}
std::vector<double> doubles(const tg::Tensor& t) {
  tg::Tensor c = t.to(tg::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// ---- Iris ----

TEST(Iris, ShapesNamesAndClasses) {
  auto iris = tg::data::datasets::iris();
  EXPECT_THAT(iris.features.sizes().vec(), ElementsAre(150, 4));
  EXPECT_EQ(iris.features.dtype(), tg::kFloat32);
  EXPECT_EQ(iris.targets.dtype(), tg::kInt64);
  EXPECT_THAT(iris.feature_names,
              ElementsAre("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"));
  EXPECT_THAT(iris.class_names, ElementsAre("setosa", "versicolor", "virginica"));
  EXPECT_THAT(ints(tg::one_hot(iris.targets, 3).sum({0})), ElementsAre(50, 50, 50));
  EXPECT_THAT(ints(iris.targets.index_select(0, tg::tensor({0L, 50L, 100L, 149L}))), ElementsAre(0, 1, 2, 2));
}

TEST(Iris, RowsAndColumnMeansEqualScikitLearn) {
  auto iris = tg::data::datasets::iris();
  EXPECT_THAT(doubles(iris.features[0]), Pointwise(DoubleNear(1e-6), {5.1, 3.5, 1.4, 0.2}));
  // rows 35 and 38 (1-based) are the two sklearn corrects relative to the UCI file
  EXPECT_THAT(doubles(iris.features[34]), Pointwise(DoubleNear(1e-6), {4.9, 3.1, 1.5, 0.2}));
  EXPECT_THAT(doubles(iris.features[37]), Pointwise(DoubleNear(1e-6), {4.9, 3.6, 1.4, 0.1}));
  EXPECT_THAT(doubles(iris.features[149]), Pointwise(DoubleNear(1e-6), {5.9, 3.0, 5.1, 1.8}));
  EXPECT_THAT(
      doubles(iris.features.to(tg::kFloat64).mean({0})),
      Pointwise(DoubleNear(1e-6), {5.843333333333335, 3.057333333333334, 3.7580000000000027, 1.199333333333334}));
}

// ---- StandardScaler ----

TEST(StandardScaler, MatchesScikitLearnOnIris) {
  auto iris = tg::data::datasets::iris();
  tg::data::StandardScaler scaler;
  tg::Tensor z = scaler.fit_transform(iris.features);
  EXPECT_EQ(z.dtype(), tg::kFloat32);
  EXPECT_EQ(scaler.n_features_in(), 4);
  EXPECT_EQ(scaler.n_samples_seen(), 150);
  // sklearn's mean_, scale_ (population std) and var_
  EXPECT_THAT(doubles(scaler.mean()), Pointwise(DoubleNear(1e-6), {5.843333333333335, 3.057333333333334,
                                                                   3.7580000000000027, 1.199333333333334}));
  EXPECT_THAT(doubles(scaler.scale()), Pointwise(DoubleNear(1e-6), {0.8253012917851409, 0.43441096773549437,
                                                                    1.7594040657753032, 0.7596926279021594}));
  EXPECT_THAT(doubles(scaler.var()), Pointwise(DoubleNear(1e-6), {0.6811222222222222, 0.1887128888888887,
                                                                  3.0955026666666674, 0.5771328888888888}));
  EXPECT_THAT(doubles(z[0]), Pointwise(DoubleNear(1e-5), {-0.9006811702978099, 1.0190043519716065, -1.3402265266227635,
                                                          -1.3154442950077407}));
  EXPECT_THAT(doubles(z[149]), Pointwise(DoubleNear(1e-5), {0.06866179325140129, -0.1319794793216258,
                                                            0.7627582691805523, 0.7906706536370729}));
  // standardised columns: mean 0, population std 1
  EXPECT_THAT(doubles(z.to(tg::kFloat64).mean({0})), Pointwise(DoubleNear(1e-6), {0.0, 0.0, 0.0, 0.0}));
  EXPECT_THAT(doubles(z.to(tg::kFloat64).std({0}, false)), Pointwise(DoubleNear(1e-6), {1.0, 1.0, 1.0, 1.0}));
  EXPECT_TRUE(scaler.inverse_transform(z).allclose(iris.features, 1e-5, 1e-5));
}

TEST(StandardScaler, WithoutMeanOnlyScales) {
  auto iris = tg::data::datasets::iris();
  tg::data::StandardScaler scaler(/*with_mean=*/false);
  tg::Tensor z = scaler.fit_transform(iris.features);
  EXPECT_THAT(doubles(z[0]), Pointwise(DoubleNear(1e-5),
                                       {6.179561392626216, 8.056886819052625, 0.7957239767904438, 0.2632643685806017}));
  tg::data::StandardScaler center_only(true, /*with_std=*/false);
  EXPECT_TRUE(center_only.fit_transform(iris.features).allclose(iris.features - iris.features.mean({0}), 1e-5, 1e-5));
  EXPECT_THAT(doubles(center_only.scale()), ElementsAre(1, 1, 1, 1));
}

TEST(StandardScaler, ConstantColumnIsLeftUnscaled) {
  tg::Tensor x = tg::tensor({{1.0, 5.0}, {3.0, 5.0}}, tg::kFloat64);
  tg::data::StandardScaler scaler;
  EXPECT_THAT(doubles(scaler.fit_transform(x)), ElementsAre(-1.0, 0.0, 1.0, 0.0));
  EXPECT_THAT(doubles(scaler.scale()), ElementsAre(1.0, 1.0));
}

TEST(StandardScaler, ErrorsNameTheFunctionAndValues) {
  tg::data::StandardScaler scaler;
  EXPECT_THAT(error_of([&] {
                scaler.transform(tg::zeros({2, 3}));
              }),
              HasSubstr("StandardScaler::transform: called before fit"));
  EXPECT_THAT(error_of([&] {
                scaler.inverse_transform(tg::zeros({2, 3}));
              }),
              HasSubstr("StandardScaler::inverse_transform: called before fit"));
  scaler.fit(tg::rand({5, 4}));
  EXPECT_THAT(error_of([&] {
                scaler.transform(tg::zeros({2, 3}));
              }),
              HasSubstr("StandardScaler::transform: X has 3 features but the scaler was fitted on 4"));
  EXPECT_THAT(error_of([&] { scaler.fit(tg::zeros({4})); }),
              HasSubstr("StandardScaler::fit: X must be 2-D [n_samples, n_features], got shape [4]"));
  EXPECT_THAT(error_of([&] { scaler.fit(tg::zeros({0, 4})); }), HasSubstr("StandardScaler::fit: X has no samples"));
}

// ---- train_test_split ----

TEST(TrainTestSplit, UnshuffledLayoutIsScikitLearns) {
  tg::Tensor X = tg::arange(20.0, tg::kInt64).reshape({10, 2});
  tg::Tensor y = tg::arange(10.0, tg::kInt64);
  auto [X_train, X_test, y_train, y_test] = tg::data::train_test_split(X, y, 0.25, std::nullopt, /*shuffle=*/false);
  EXPECT_THAT(ints(y_train), ElementsAre(0, 1, 2, 3, 4, 5, 6));
  EXPECT_THAT(ints(y_test), ElementsAre(7, 8, 9));
  EXPECT_THAT(ints(X_test), ElementsAre(14, 15, 16, 17, 18, 19));
  EXPECT_THAT(X_train.sizes().vec(), ElementsAre(7, 2));
}

TEST(TrainTestSplit, SizesAsScikitLearn) {
  // (n, test_size) -> (n_train, n_test) from sklearn: ceil for the test set.
  for (auto [n, test_size, n_train, n_test] : std::vector<std::tuple<int64_t, double, int64_t, int64_t>>{
           {150, 0.2, 120, 30}, {10, 0.25, 7, 3}, {7, 0.5, 3, 4}, {3, 0.1, 2, 1}}) {
    auto split = tg::data::train_test_split(tg::zeros({n, 3}), tg::zeros({n}), test_size, 0);
    EXPECT_EQ(split.X_train.size(0), n_train) << n << " " << test_size;
    EXPECT_EQ(split.y_test.size(0), n_test) << n << " " << test_size;
  }
}

TEST(TrainTestSplit, ShuffledIsASeededPartitionKeepingPairs) {
  auto iris = tg::data::datasets::iris();
  tg::Tensor ids = tg::arange(150.0, tg::kInt64);
  auto a = tg::data::train_test_split(ids, iris.targets, 0.2, 42);
  auto b = tg::data::train_test_split(ids, iris.targets, 0.2, 42);
  EXPECT_TRUE(a.X_test.equal(b.X_test));
  EXPECT_TRUE(a.X_train.equal(b.X_train));
  EXPECT_FALSE(a.X_test.equal(tg::data::train_test_split(ids, iris.targets, 0.2, 43).X_test));
  const auto perm = tg::data::samplers::seeded_permutation(150, 42);
  EXPECT_EQ(ints(a.X_test), std::vector<int64_t>(perm.begin(), perm.begin() + 30));
  std::vector<int64_t> all = ints(a.X_train), test = ints(a.X_test);
  all.insert(all.end(), test.begin(), test.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(150);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
  // rows of X and y stay together: id i has class i / 50
  std::vector<int64_t> train_ids = ints(a.X_train), train_classes = ints(a.y_train);
  for (std::size_t i = 0; i < train_ids.size(); ++i) EXPECT_EQ(train_classes[i], train_ids[i] / 50);
}

TEST(TrainTestSplit, RejectsBadArguments) {
  EXPECT_THAT(error_of([] {
                tg::data::train_test_split(tg::zeros({10, 2}), tg::zeros({10}), 1.5);
              }),
              HasSubstr("train_test_split: test_size must be in (0, 1), got 1.5"));
  EXPECT_THAT(error_of([] {
                tg::data::train_test_split(tg::zeros({10, 2}), tg::zeros({10}), 0.0);
              }),
              HasSubstr("test_size must be in (0, 1), got 0"));
  EXPECT_THAT(error_of([] {
                tg::data::train_test_split(tg::zeros({10, 2}), tg::zeros({9}));
              }),
              HasSubstr("train_test_split: X has 10 samples (shape [10, 2]) but y has 9 (shape [9])"));
  EXPECT_THAT(error_of([] {
                tg::data::train_test_split(tg::zeros({1, 2}), tg::zeros({1}), 0.5);
              }),
              HasSubstr("the training set would be empty"));
}

// ---- KFold ----

std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> folds(const tg::data::KFold& kfold, int64_t n) {
  std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> out;
  for (auto& [train, test] : kfold.split(n)) out.emplace_back(ints(train), ints(test));
  return out;
}

TEST(KFold, IndicesEqualScikitLearn) {
  using P = std::pair<std::vector<int64_t>, std::vector<int64_t>>;
  EXPECT_THAT(
      folds(tg::data::KFold(5), 13),
      ElementsAre(P{{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {0, 1, 2}}, P{{0, 1, 2, 6, 7, 8, 9, 10, 11, 12}, {3, 4, 5}},
                  P{{0, 1, 2, 3, 4, 5, 9, 10, 11, 12}, {6, 7, 8}}, P{{0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12}, {9, 10}},
                  P{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {11, 12}}));
  EXPECT_THAT(folds(tg::data::KFold(3), 10),
              ElementsAre(P{{4, 5, 6, 7, 8, 9}, {0, 1, 2, 3}}, P{{0, 1, 2, 3, 7, 8, 9}, {4, 5, 6}},
                          P{{0, 1, 2, 3, 4, 5, 6}, {7, 8, 9}}));
  EXPECT_EQ(tg::data::KFold().get_n_splits(), 5);
}

TEST(KFold, ShuffledFoldsPartitionTheSamples) {
  tg::data::KFold kfold(4, /*shuffle=*/true, /*seed=*/7);
  const auto splits = folds(kfold, 22);
  EXPECT_EQ(splits, folds(kfold, 22));  // seeded: the same every time
  std::vector<int64_t> tested;
  const auto perm = tg::data::samplers::seeded_permutation(22, 7);
  int64_t start = 0;
  for (const auto& [train, test] : splits) {
    EXPECT_EQ(train.size() + test.size(), 22u);
    EXPECT_TRUE(std::is_sorted(train.begin(), train.end()));
    EXPECT_EQ(test,
              std::vector<int64_t>(perm.begin() + start, perm.begin() + start + static_cast<int64_t>(test.size())));
    start += static_cast<int64_t>(test.size());
    tested.insert(tested.end(), test.begin(), test.end());
  }
  EXPECT_THAT(std::vector<std::size_t>(
                  {splits[0].second.size(), splits[1].second.size(), splits[2].second.size(), splits[3].second.size()}),
              ElementsAre(6, 6, 5, 5));
  std::sort(tested.begin(), tested.end());
  std::vector<int64_t> expected(22);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(tested, expected);
}

TEST(KFold, RejectsBadSplitCounts) {
  EXPECT_THAT(error_of([] { tg::data::KFold(1); }), HasSubstr("KFold: n_splits must be at least 2, got 1"));
  EXPECT_THAT(error_of([] { tg::data::KFold(5).split(3); }),
              HasSubstr("KFold::split: cannot have n_splits=5 greater than the number of samples n_samples=3"));
}

// ---- EarlyStopping ----

TEST(EarlyStopping, StopsAfterPatienceStepsWithoutImprovement) {
  tg::data::EarlyStopping stopper(2);
  std::vector<bool> stops;
  for (double loss : {1.0, 0.8, 0.9, 0.7, 0.75, 0.71, 0.72}) stops.push_back(stopper.step(loss));
  EXPECT_THAT(stops, ElementsAre(false, false, false, false, false, true, true));
  EXPECT_EQ(stopper.best(), 0.7);
  EXPECT_EQ(stopper.best_epoch(), 3);
  EXPECT_FALSE(stopper.improved());
  EXPECT_EQ(stopper.num_bad_epochs(), 3);
}

TEST(EarlyStopping, MinDeltaAndMaxMode) {
  tg::data::EarlyStopping stopper(1, 0.01, tg::data::EarlyStopping::Mode::kMax);
  EXPECT_FALSE(stopper.step(0.80));
  EXPECT_TRUE(stopper.improved());
  EXPECT_FALSE(stopper.step(0.82));  // +0.02 > min_delta: improvement
  EXPECT_TRUE(stopper.improved());
  EXPECT_TRUE(stopper.step(0.825));  // +0.005: not enough
  EXPECT_FALSE(stopper.improved());
  EXPECT_EQ(stopper.best(), 0.82);
  EXPECT_EQ(stopper.best_epoch(), 1);
}

TEST(EarlyStopping, NanNeverImprovesAndResetStartsOver) {
  tg::data::EarlyStopping stopper(0);
  EXPECT_EQ(stopper.best_epoch(), -1);
  EXPECT_FALSE(stopper.step(3.0));
  EXPECT_TRUE(stopper.step(std::nan("")));
  stopper.reset();
  EXPECT_EQ(stopper.epochs(), 0);
  EXPECT_FALSE(stopper.step(5.0));
  EXPECT_EQ(stopper.best(), 5.0);
}

TEST(EarlyStopping, RejectsNegativeArguments) {
  EXPECT_THAT(error_of([] { tg::data::EarlyStopping(-1); }),
              HasSubstr("EarlyStopping: patience must be non-negative, got -1"));
  EXPECT_THAT(error_of([] { tg::data::EarlyStopping(1, -0.5); }),
              HasSubstr("EarlyStopping: min_delta must be non-negative, got -0.5"));
}

}  // namespace
