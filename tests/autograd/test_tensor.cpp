// Tensor basics: metadata, factories with exact values, dtype rules, copies, data access,
// reductions with indices, memory accounting, thread-count independence, xtensor conversion.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tapegrad/tapegrad.h"
#include "tapegrad/xtensor.h"

namespace {

// The values of a tensor as doubles, row-major (any dtype, any strides).
std::vector<double> values(const tg::Tensor& t) {
  tg::Tensor d = t.detach().to(tg::kFloat64).contiguous();
  const double* p = d.data_ptr<double>();
  return {p, p + d.numel()};
}

using V = std::vector<double>;
using Shape = std::vector<int64_t>;

// ---------------------------------------------------------------- metadata

TEST(Tensor, ZerosHasShapeDtypeAndContiguousStrides) {
  tg::Tensor t = tg::zeros({2, 3});
  EXPECT_EQ(t.dim(), 2);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(t.strides().vec(), (Shape{3, 1}));
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_EQ(t.storage_offset(), 0);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.toString(), "CPUFloatType");
  EXPECT_EQ(values(t), V(6, 0.0));
}

TEST(Tensor, DefaultConstructedTensorIsUndefined) {
  tg::Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_TRUE(tg::zeros({1}).defined());
}

TEST(Tensor, ToStringNamesEachDtypeAsLibtorch) {
  EXPECT_EQ(tg::zeros({1}, tg::kFloat64).toString(), "CPUDoubleType");
  EXPECT_EQ(tg::zeros({1}, tg::kInt64).toString(), "CPULongType");
  EXPECT_EQ(tg::zeros({1}, tg::kBool).toString(), "CPUBoolType");
}

// ---------------------------------------------------------------- factories

TEST(Tensor, OnesAndFullFillEveryElement) {
  EXPECT_EQ(values(tg::ones({2, 2})), V(4, 1.0));
  tg::Tensor f = tg::full({3}, 7.5, tg::kFloat64);
  EXPECT_EQ(f.dtype(), tg::kFloat64);
  EXPECT_EQ(values(f), (V{7.5, 7.5, 7.5}));
}

TEST(Tensor, FactoryOptionsSetDtypeAndRequiresGrad) {
  tg::Tensor t = tg::zeros({2}, tg::TensorOptions().dtype(tg::kFloat64).requires_grad(true));
  EXPECT_EQ(t.dtype(), tg::kFloat64);
  EXPECT_TRUE(t.requires_grad());
  EXPECT_TRUE(t.is_leaf());
  EXPECT_EQ(tg::zeros({2}, tg::kInt64).dtype(), tg::kInt64);
}

TEST(Tensor, EyeHasOnesOnTheDiagonal) {
  EXPECT_EQ(values(tg::eye(3)), (V{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  tg::Tensor rect = tg::eye(2, 3);
  EXPECT_EQ(rect.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values(rect), (V{1, 0, 0, 0, 1, 0}));
}

TEST(Tensor, ArangeWithIntegralArgumentsIsInt64) {
  tg::Tensor t = tg::arange(5);
  EXPECT_EQ(t.dtype(), tg::kInt64);
  EXPECT_EQ(values(t), (V{0, 1, 2, 3, 4}));
  tg::Tensor stepped = tg::arange(2, 11, 3);
  EXPECT_EQ(stepped.dtype(), tg::kInt64);
  EXPECT_EQ(values(stepped), (V{2, 5, 8}));
}

TEST(Tensor, ArangeWithFractionalArgumentsIsFloat32) {
  tg::Tensor t = tg::arange(0.5, 2, 0.5);
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_EQ(values(t), (V{0.5, 1.0, 1.5}));
}

TEST(Tensor, ArangeWithExplicitDtypeUsesIt) {
  tg::Tensor t = tg::arange(3, tg::kFloat64);
  EXPECT_EQ(t.dtype(), tg::kFloat64);
  EXPECT_EQ(values(t), (V{0, 1, 2}));
}

TEST(Tensor, ArangeCountsDownWithNegativeStep) { EXPECT_EQ(values(tg::arange(3, 0, -1)), (V{3, 2, 1})); }

TEST(Tensor, LinspaceIncludesBothEnds) {
  tg::Tensor t = tg::linspace(0, 1, 5);
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_EQ(values(t), (V{0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(values(tg::linspace(-1, 1, 3, tg::kFloat64)), (V{-1, 0, 1}));
  EXPECT_EQ(values(tg::linspace(2, 3, 1)), (V{2}));
}

TEST(Tensor, RandIsInTheHalfOpenUnitInterval) {
  tg::manual_seed(1);
  tg::Tensor t = tg::rand({10000});
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_GE(t.min().item<double>(), 0.0);
  EXPECT_LT(t.max().item<double>(), 1.0);
  EXPECT_NEAR(t.mean().item<double>(), 0.5, 0.02);
}

TEST(Tensor, RandnHasZeroMeanAndUnitStd) {
  tg::manual_seed(2);
  tg::Tensor t = tg::randn({10000}, tg::kFloat64);
  EXPECT_NEAR(t.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(t.std().item<double>(), 1.0, 0.05);
}

TEST(Tensor, RandintStaysInRangeAndHitsEveryValue) {
  tg::manual_seed(3);
  tg::Tensor t = tg::randint(3, 7, {1000});
  EXPECT_EQ(t.dtype(), tg::kInt64);
  EXPECT_EQ(t.min().item<int64_t>(), 3);
  EXPECT_EQ(t.max().item<int64_t>(), 6);
  tg::Tensor high_only = tg::randint(2, {100});
  EXPECT_EQ(high_only.min().item<int64_t>(), 0);
  EXPECT_EQ(high_only.max().item<int64_t>(), 1);
}

TEST(Tensor, RandpermIsAPermutation) {
  tg::manual_seed(4);
  tg::Tensor p = tg::randperm(20);
  EXPECT_EQ(p.dtype(), tg::kInt64);
  std::vector<double> v = values(p);
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, values(tg::arange(20)));
  EXPECT_NE(v, sorted) << "a shuffle of 20 elements left them all in order";
}

TEST(Tensor, LikeFactoriesCopyShapeAndDtype) {
  tg::Tensor ref = tg::zeros({2, 3}, tg::kInt64);
  tg::Tensor z = tg::zeros_like(ref);
  EXPECT_EQ(z.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(z.dtype(), tg::kInt64);
  EXPECT_EQ(values(tg::ones_like(ref)), V(6, 1.0));
  EXPECT_EQ(values(tg::full_like(ref, 4)), V(6, 4.0));
  EXPECT_EQ(tg::empty_like(ref).sizes().vec(), (Shape{2, 3}));
}

TEST(Tensor, LikeFactoriesAcceptADtypeOverride) {
  tg::Tensor ref = tg::zeros({4}, tg::kInt64);
  tg::Tensor o = tg::ones_like(ref, tg::kFloat64);
  EXPECT_EQ(o.dtype(), tg::kFloat64);
  EXPECT_EQ(values(o), V(4, 1.0));
  tg::Tensor r = tg::rand_like(tg::zeros({3, 2}));
  EXPECT_EQ(r.sizes().vec(), (Shape{3, 2}));
  EXPECT_EQ(r.dtype(), tg::kFloat32);
}

TEST(Tensor, ManualSeedMakesRandomNumbersReproducible) {
  tg::manual_seed(42);
  tg::Tensor a = tg::randn({100});
  tg::Tensor b = tg::rand({100});
  tg::manual_seed(42);
  tg::Tensor a2 = tg::randn({100});
  tg::Tensor b2 = tg::rand({100});
  EXPECT_TRUE(a.equal(a2));
  EXPECT_TRUE(b.equal(b2));
}

TEST(Tensor, DifferentSeedsGiveDifferentNumbers) {
  tg::manual_seed(42);
  tg::Tensor a = tg::rand({100});
  tg::manual_seed(43);
  tg::Tensor b = tg::rand({100});
  EXPECT_FALSE(a.equal(b));
}

TEST(Tensor, ConsecutiveDrawsDiffer) {
  tg::manual_seed(7);
  tg::Tensor a = tg::rand({50});
  tg::Tensor b = tg::rand({50});
  EXPECT_FALSE(a.equal(b));
}

// ---------------------------------------------------------------- tensor({...})

TEST(Tensor, NestedFloatListGivesFloat32Matrix) {
  tg::Tensor t = tg::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values(t), (V{1, 2, 3, 4, 5, 6}));
}

TEST(Tensor, ListOfSingletonListsIsAColumn) {
  tg::Tensor t = tg::tensor({{0.0}, {1.0}});
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 1}));
  EXPECT_EQ(values(t), (V{0, 1}));
}

TEST(Tensor, IntegerListGivesInt64) {
  tg::Tensor t = tg::tensor({1, 2, 3});
  EXPECT_EQ(t.dtype(), tg::kInt64);
  EXPECT_EQ(t.sizes().vec(), (Shape{3}));
  EXPECT_EQ(t.data_ptr<int64_t>()[2], 3);
}

TEST(Tensor, BoolListGivesBool) {
  tg::Tensor t = tg::tensor({true, false, true});
  EXPECT_EQ(t.dtype(), tg::kBool);
  EXPECT_EQ(values(t), (V{1, 0, 1}));
}

TEST(Tensor, MixedIntAndFloatListGivesFloat32) {
  tg::Tensor t = tg::tensor({1, 2.5});
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_EQ(values(t), (V{1, 2.5}));
}

TEST(Tensor, ScalarValueGivesZeroDimTensor) {
  tg::Tensor t = tg::tensor(2.5);
  EXPECT_EQ(t.dim(), 0);
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(t.item<double>(), 2.5);
}

TEST(Tensor, ThreeLevelNestingGivesThreeDims) {
  tg::Tensor t = tg::tensor({{{1, 2}}, {{3, 4}}, {{5, 6}}});
  EXPECT_EQ(t.sizes().vec(), (Shape{3, 1, 2}));
  EXPECT_EQ(values(t), (V{1, 2, 3, 4, 5, 6}));
}

TEST(Tensor, TensorOptionsOverrideTheInferredDtype) {
  tg::Tensor t = tg::tensor({1, 2}, tg::kFloat64);
  EXPECT_EQ(t.dtype(), tg::kFloat64);
  EXPECT_EQ(values(t), (V{1, 2}));
}

TEST(Tensor, TensorFromStdVectorCopiesValues) {
  std::vector<double> src{1.5, -2.0};
  tg::Tensor t = tg::tensor(src);
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  src[0] = 100;
  EXPECT_EQ(values(t), (V{1.5, -2.0}));
  EXPECT_EQ(tg::tensor(std::vector<int64_t>{4, 5}).dtype(), tg::kInt64);
}

// ---------------------------------------------------------------- from_blob, item, data_ptr

TEST(Tensor, FromBlobSharesTheCallersMemory) {
  float data[6] = {0, 1, 2, 3, 4, 5};
  tg::Tensor t = tg::from_blob(data, {2, 3});
  EXPECT_EQ(t.data_ptr<float>(), data);
  EXPECT_EQ(t[1][2].item<float>(), 5.0f);
  data[4] = 40;
  EXPECT_EQ(t[1][1].item<float>(), 40.0f);
  t.fill_(9);
  EXPECT_EQ(data[0], 9.0f);
  EXPECT_EQ(data[5], 9.0f);
}

TEST(Tensor, FromBlobDoesNotCountAsAnAllocatedStorage) {
  double data[4] = {1, 2, 3, 4};
  int64_t before = tg::memory_stats().live_storages;
  tg::Tensor t = tg::from_blob(data, {4}, tg::kFloat64);
  EXPECT_EQ(tg::memory_stats().live_storages, before);
  EXPECT_EQ(t.sum().item<double>(), 10.0);
}

TEST(Tensor, ItemConvertsToTheRequestedType) {
  tg::Tensor t = tg::tensor({{3.75}});
  EXPECT_EQ(t.item<float>(), 3.75f);
  EXPECT_EQ(t.item<double>(), 3.75);
  EXPECT_EQ(t.item<int64_t>(), 3);
  EXPECT_EQ(t.item_double(), 3.75);
  EXPECT_EQ(tg::tensor({int64_t{1} << 60}).item<int64_t>(), int64_t{1} << 60);
}

TEST(Tensor, DataPtrIsRowMajor) {
  tg::Tensor t = tg::tensor({{1.0, 2.0}, {3.0, 4.0}});
  const float* p = t.data_ptr<float>();
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[1], 2.0f);
  EXPECT_EQ(p[2], 3.0f);
  EXPECT_EQ(p[3], 4.0f);
}

// ---------------------------------------------------------------- conversions and copies

TEST(Tensor, ToInt64TruncatesTowardZero) {
  tg::Tensor t = tg::tensor({1.7, -2.5, 0.2}).to(tg::kInt64);
  EXPECT_EQ(t.dtype(), tg::kInt64);
  EXPECT_EQ(values(t), (V{1, -2, 0}));
}

TEST(Tensor, ToBoolIsTrueForNonZero) {
  tg::Tensor t = tg::tensor({0.0, 2.0, -0.5}).to(tg::kBool);
  EXPECT_EQ(t.dtype(), tg::kBool);
  EXPECT_EQ(t.data_ptr<bool>()[0], false);
  EXPECT_EQ(t.data_ptr<bool>()[1], true);
  EXPECT_EQ(t.data_ptr<bool>()[2], true);
}

TEST(Tensor, BoolToFloatGivesZeroAndOne) {
  tg::Tensor t = tg::tensor({true, false}).to(tg::kFloat32);
  EXPECT_EQ(t.dtype(), tg::kFloat32);
  EXPECT_EQ(values(t), (V{1, 0}));
}

TEST(Tensor, ToFloat64KeepsValues) {
  tg::Tensor t = tg::tensor({0.5, 0.25}).to(tg::kFloat64);
  EXPECT_EQ(t.dtype(), tg::kFloat64);
  EXPECT_EQ(t.data_ptr<double>()[1], 0.25);
}

TEST(Tensor, ToTheSameDtypeReturnsTheSameTensor) {
  tg::Tensor t = tg::ones({2});
  EXPECT_TRUE(t.to(tg::kFloat32).is_same(t));
}

TEST(Tensor, CloneIsIndependentOfTheOriginal) {
  tg::Tensor a = tg::tensor({1.0, 2.0});
  tg::Tensor c = a.clone();
  EXPECT_FALSE(c.is_alias_of(a));
  c.fill_(5);
  EXPECT_EQ(values(a), (V{1, 2}));
  EXPECT_EQ(values(c), (V{5, 5}));
}

TEST(Tensor, DetachSharesStorageButNotTheGraph) {
  tg::Tensor x = tg::tensor({1.0, 2.0}, tg::requires_grad());
  tg::Tensor y = x * 2;
  tg::Tensor d = y.detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_TRUE(d.is_alias_of(y));
  d.fill_(7);
  EXPECT_EQ(values(y), (V{7, 7}));
}

TEST(Tensor, ContiguousOfContiguousIsTheSameTensor) {
  tg::Tensor t = tg::ones({2, 3});
  EXPECT_TRUE(t.contiguous().is_same(t));
}

TEST(Tensor, ContiguousOfTransposeCopiesInRowMajorOrder) {
  tg::Tensor t = tg::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}).t();
  tg::Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(c.is_alias_of(t));
  EXPECT_EQ(c.strides().vec(), (Shape{2, 1}));
  const float* p = c.data_ptr<float>();
  EXPECT_EQ(std::vector<float>(p, p + 6), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(Tensor, CopyBroadcastsTheSourceIntoEveryRow) {
  tg::Tensor dst = tg::zeros({2, 3});
  dst.copy_(tg::tensor({1.0, 2.0, 3.0}));
  EXPECT_EQ(values(dst), (V{1, 2, 3, 1, 2, 3}));
}

TEST(Tensor, CopyConvertsTheSourceDtype) {
  tg::Tensor dst = tg::zeros({3}, tg::kFloat64);
  dst.copy_(tg::tensor({4, 5, 6}));
  EXPECT_EQ(dst.dtype(), tg::kFloat64);
  EXPECT_EQ(values(dst), (V{4, 5, 6}));
}

TEST(Tensor, CopyBumpsTheVersion) {
  tg::Tensor dst = tg::zeros({2});
  int64_t before = dst._version();
  dst.copy_(tg::ones({2}));
  EXPECT_EQ(dst._version(), before + 1);
}

TEST(Tensor, FillAndZeroOverwriteEveryElement) {
  tg::Tensor t = tg::arange(4, tg::kFloat32);
  t.fill_(2.5);
  EXPECT_EQ(values(t), V(4, 2.5));
  t.zero_();
  EXPECT_EQ(values(t), V(4, 0.0));
}

// ---------------------------------------------------------------- dtype promotion

TEST(Tensor, Int64PlusFloat32IsFloat32) {
  tg::Tensor r = tg::tensor({1, 2}) + tg::tensor({0.5, 0.25});
  EXPECT_EQ(r.dtype(), tg::kFloat32);
  EXPECT_EQ(values(r), (V{1.5, 2.25}));
}

TEST(Tensor, Float32PlusFloat64IsFloat64) {
  tg::Tensor r = tg::ones({1}, tg::kFloat32) + tg::ones({1}, tg::kFloat64);
  EXPECT_EQ(r.dtype(), tg::kFloat64);
}

TEST(Tensor, Int64DividedByInt64IsTrueDivisionInFloat32) {
  tg::Tensor r = tg::tensor({7, -7}) / tg::tensor({2, 2});
  EXPECT_EQ(r.dtype(), tg::kFloat32);
  EXPECT_EQ(values(r), (V{3.5, -3.5}));
}

TEST(Tensor, Int64TimesFractionalScalarIsFloat32) {
  tg::Tensor r = tg::tensor({1, 2}) * 2.5;
  EXPECT_EQ(r.dtype(), tg::kFloat32);
  EXPECT_EQ(values(r), (V{2.5, 5.0}));
}

TEST(Tensor, Int64TimesIntegralScalarStaysInt64) {
  tg::Tensor r = tg::tensor({1, 2}) * 3.0;
  EXPECT_EQ(r.dtype(), tg::kInt64);
  EXPECT_EQ(values(r), (V{3, 6}));
}

TEST(Tensor, ComparisonsReturnBool) {
  tg::Tensor x = tg::tensor({1.0, 2.0, 3.0});
  tg::Tensor gt = x > 1.5;
  EXPECT_EQ(gt.dtype(), tg::kBool);
  EXPECT_EQ(values(gt), (V{0, 1, 1}));
  tg::Tensor eq = x == tg::tensor({1.0, 0.0, 3.0});
  EXPECT_EQ(eq.dtype(), tg::kBool);
  EXPECT_EQ(values(eq), (V{1, 0, 1}));
  EXPECT_EQ(values(x.le(2.0)), (V{1, 1, 0}));
}

TEST(Tensor, SumOfBoolCountsTrueValuesAsInt64) {
  tg::Tensor s = (tg::tensor({1.0, 5.0, 3.0, 7.0}) > 2.5).sum();
  EXPECT_EQ(s.dtype(), tg::kInt64);
  EXPECT_EQ(s.item<int64_t>(), 3);
}

TEST(Tensor, SumOfInt64StaysInt64) {
  tg::Tensor s = tg::tensor({{1, 2}, {3, 4}}).sum({0});
  EXPECT_EQ(s.dtype(), tg::kInt64);
  EXPECT_EQ(values(s), (V{4, 6}));
}

// ---------------------------------------------------------------- reductions with indices

TEST(Tensor, ArgmaxWithoutDimIndexesTheFlattenedTensor) {
  tg::Tensor x = tg::tensor({{1.0, 5.0, 2.0}, {7.0, 0.0, 3.0}});
  tg::Tensor i = x.argmax();
  EXPECT_EQ(i.dtype(), tg::kInt64);
  EXPECT_EQ(i.dim(), 0);
  EXPECT_EQ(i.item<int64_t>(), 3);
  EXPECT_EQ(x.argmin().item<int64_t>(), 4);
}

TEST(Tensor, ArgmaxAndArgminAlongADim) {
  tg::Tensor x = tg::tensor({{1.0, 5.0, 2.0}, {7.0, 0.0, 3.0}});
  EXPECT_EQ(values(x.argmax(1)), (V{1, 0}));
  EXPECT_EQ(values(x.argmin(0)), (V{0, 1, 0}));
  EXPECT_EQ(x.argmax(1, /*keepdim=*/true).sizes().vec(), (Shape{2, 1}));
}

TEST(Tensor, MaxAlongDimReturnsValuesAndIndices) {
  tg::Tensor x = tg::tensor({{1.0, 5.0, 2.0}, {7.0, 0.0, 3.0}});
  auto [v, i] = x.max(1);
  EXPECT_EQ(values(v), (V{5, 7}));
  EXPECT_EQ(i.dtype(), tg::kInt64);
  EXPECT_EQ(values(i), (V{1, 0}));
  auto [mv, mi] = x.min(0, /*keepdim=*/true);
  EXPECT_EQ(mv.sizes().vec(), (Shape{1, 3}));
  EXPECT_EQ(values(mv), (V{1, 0, 2}));
  EXPECT_EQ(values(mi), (V{0, 1, 0}));
}

TEST(Tensor, MaxAndMinOverEverything) {
  tg::Tensor x = tg::tensor({{1.0, -5.0}, {7.0, 0.0}});
  EXPECT_EQ(x.max().item<float>(), 7.0f);
  EXPECT_EQ(x.min().item<float>(), -5.0f);
}

// ---------------------------------------------------------------- comparison of whole tensors

TEST(Tensor, AllcloseUsesRelativeAndAbsoluteTolerance) {
  tg::Tensor a = tg::tensor({1.0, 100.0}, tg::kFloat64);
  EXPECT_TRUE(a.allclose(tg::tensor({1.0 + 1e-9, 100.0 + 1e-4}, tg::kFloat64)));
  EXPECT_FALSE(a.allclose(tg::tensor({1.001, 100.0}, tg::kFloat64)));
  EXPECT_TRUE(a.allclose(tg::tensor({1.001, 100.0}, tg::kFloat64), 1e-5, 1e-2));
}

TEST(Tensor, AllcloseTreatsNanAsUnequalUnlessAsked) {
  tg::Tensor a = tg::tensor({NAN, 1.0});
  EXPECT_FALSE(a.allclose(a));
  EXPECT_TRUE(a.allclose(a, 1e-5, 1e-8, /*equal_nan=*/true));
}

TEST(Tensor, EqualRequiresSameShapeAndValues) {
  tg::Tensor a = tg::tensor({1.0, 2.0});
  EXPECT_TRUE(a.equal(tg::tensor({1.0, 2.0})));
  EXPECT_FALSE(a.equal(tg::tensor({1.0, 2.5})));
  EXPECT_FALSE(a.equal(tg::tensor({{1.0, 2.0}})));
}

// ---------------------------------------------------------------- memory

TEST(Tensor, LiveStorageCountFollowsTensorLifetimes) {
  int64_t before = tg::memory_stats().live_storages;
  {
    tg::Tensor a = tg::zeros({1000});
    tg::Tensor b = tg::zeros({10});
    EXPECT_EQ(tg::memory_stats().live_storages, before + 2);
    tg::Tensor view = a.narrow(0, 0, 10);  // a view adds no storage
    EXPECT_EQ(tg::memory_stats().live_storages, before + 2);
  }
  EXPECT_EQ(tg::memory_stats().live_storages, before);
}

TEST(Tensor, LiveBytesCountTheAllocation) {
  int64_t before = tg::memory_stats().live_bytes;
  tg::Tensor a = tg::zeros({1024}, tg::kFloat64);  // 8 KiB
  EXPECT_GE(tg::memory_stats().live_bytes - before, 8192);
}

// Runs the enclosing test with a 1 GiB cache limit (TG_CACHE_LIMIT_MB may set another one).
struct CacheLimitScope {
  int64_t previous = tg::memory_stats().cache_limit;
  CacheLimitScope() { tg::set_cache_limit(int64_t{1} << 30); }
  ~CacheLimitScope() { tg::set_cache_limit(previous); }
};

TEST(Tensor, FreedBuffersAreCachedAndReused) {
  CacheLimitScope limit;
  tg::empty_cache();
  { tg::Tensor a = tg::zeros({4096}); }
  tg::MemoryStats after_free = tg::memory_stats();
  EXPECT_GE(after_free.cached_bytes, 4096 * 4);
  tg::Tensor b = tg::zeros({4096});
  tg::MemoryStats after_reuse = tg::memory_stats();
  EXPECT_EQ(after_reuse.cache_hits, after_free.cache_hits + 1);
  EXPECT_LT(after_reuse.cached_bytes, after_free.cached_bytes);
}

TEST(Tensor, EmptyCacheReleasesEveryCachedBuffer) {
  CacheLimitScope limit;
  { tg::Tensor a = tg::zeros({10000}); }
  EXPECT_GT(tg::memory_stats().cached_bytes, 0);
  tg::empty_cache();
  tg::MemoryStats s = tg::memory_stats();
  EXPECT_EQ(s.cached_bytes, 0);
  EXPECT_EQ(s.cached_blocks, 0);
}

// ---------------------------------------------------------------- threads

TEST(Tensor, OneThreadGivesTheSameResultsAsTwo) {
  int original = tg::get_num_threads();
  tg::manual_seed(11);
  tg::Tensor a = tg::randn({100000}, tg::kFloat64);
  tg::Tensor b = tg::randn({100000}, tg::kFloat64);

  tg::set_num_threads(2);
  EXPECT_EQ(tg::get_num_threads(), 2);
  tg::Tensor elementwise2 = (a * b + a.exp()).sigmoid();
  double sum2 = (a * b).sum().item<double>();
  tg::Tensor rows2 = a.view({1000, 100}).sum({1});

  tg::set_num_threads(1);
  EXPECT_EQ(tg::get_num_threads(), 1);
  tg::Tensor elementwise1 = (a * b + a.exp()).sigmoid();
  double sum1 = (a * b).sum().item<double>();
  tg::Tensor rows1 = a.view({1000, 100}).sum({1});

  tg::set_num_threads(original);
  EXPECT_TRUE(elementwise1.equal(elementwise2));
  EXPECT_EQ(sum1, sum2);
  EXPECT_TRUE(rows1.equal(rows2));
  // and the numbers are right, not just equal: the mean of N(0,1) * N(0,1) is near 0
  EXPECT_NEAR(sum1 / 100000, 0.0, 0.02);
}

// ---------------------------------------------------------------- xtensor

TEST(Tensor, FromXarrayCopiesShapeValuesAndDtype) {
  xt::xarray<double> array = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
  tg::Tensor t = tg::from_xarray(array);
  EXPECT_EQ(t.dtype(), tg::kFloat64);
  EXPECT_EQ(t.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values(t), (V{1, 2, 3, 4, 5, 6}));
  array(0, 0) = 100;
  EXPECT_EQ(t[0][0].item<double>(), 1.0);
}

TEST(Tensor, ToXarrayOfTransposeGivesTransposedValues) {
  tg::Tensor t = tg::tensor({{1, 2, 3}, {4, 5, 6}}).t();
  xt::xarray<int64_t> array = tg::to_xarray<int64_t>(t);
  ASSERT_EQ(array.dimension(), 2u);
  EXPECT_EQ(array.shape()[0], 3u);
  EXPECT_EQ(array.shape()[1], 2u);
  EXPECT_EQ(array(0, 1), 4);
  EXPECT_EQ(array(2, 0), 3);
}

TEST(Tensor, XarrayRoundTripPreservesValues) {
  xt::xarray<float> array = {{0.5f, -1.5f}, {2.25f, 8.0f}};
  tg::Tensor t = tg::from_xarray(array, tg::requires_grad());
  EXPECT_TRUE(t.requires_grad());
  xt::xarray<float> back = tg::to_xarray<float>(t * 2);
  EXPECT_EQ(back, (xt::xarray<float>{{1.0f, -3.0f}, {4.5f, 16.0f}}));
}

}  // namespace
