// View semantics as libtorch's: view-returning ops share storage with their base (a write through
// one is seen through the other), share the version counter, and ops accept non-contiguous,
// broadcast, 0-d and size-0 operands with the right numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tapegrad/tapegrad.h"

namespace {

using V = std::vector<double>;
using Shape = std::vector<int64_t>;

std::vector<double> values(const tg::Tensor& t) {
  tg::Tensor d = t.detach().to(tg::kFloat64).contiguous();
  const double* p = d.data_ptr<double>();
  return {p, p + d.numel()};
}

// [[0, 1, 2], [3, 4, 5]] as Float32
tg::Tensor two_by_three() { return tg::arange(6, tg::kFloat32).view({2, 3}); }

// ---------------------------------------------------------------- sharing storage

TEST(Views, ViewSharesStorageWithItsBase) {
  tg::Tensor base = tg::arange(6, tg::kFloat32);
  tg::Tensor v = base.view({2, 3});
  EXPECT_TRUE(v.is_alias_of(base));
  v[1][2].fill_(50);
  EXPECT_EQ(values(base), (V{0, 1, 2, 3, 4, 50}));
  base[0].fill_(-1);
  EXPECT_EQ(v[0][0].item<float>(), -1.0f);
}

TEST(Views, WritingThroughAViewOfALeafRequiringGradUnderNoGradChangesTheLeaf) {
  tg::Tensor x = tg::zeros({2, 2}, tg::requires_grad());
  {
    tg::NoGradGuard guard;
    x[0][1].fill_(5);
    x.view({4})[2].fill_(7);
  }
  EXPECT_EQ(values(x), (V{0, 5, 7, 0}));
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(x.requires_grad());
}

TEST(Views, ReshapeOfContiguousTensorSharesStorage) {
  tg::Tensor base = two_by_three();
  tg::Tensor r = base.reshape({3, 2});
  EXPECT_TRUE(r.is_alias_of(base));
  r[2][1].fill_(9);
  EXPECT_EQ(base[1][2].item<float>(), 9.0f);
}

TEST(Views, ReshapeOfNonContiguousTensorCopies) {
  tg::Tensor base = two_by_three();
  tg::Tensor r = base.t().reshape({6});
  EXPECT_FALSE(r.is_alias_of(base));
  EXPECT_EQ(values(r), (V{0, 3, 1, 4, 2, 5}));
  r.fill_(0);
  EXPECT_EQ(values(base), (V{0, 1, 2, 3, 4, 5}));
}

TEST(Views, TransposeSharesStorageAndSwapsStrides) {
  tg::Tensor base = two_by_three();
  tg::Tensor t = base.transpose(0, 1);
  EXPECT_TRUE(t.is_alias_of(base));
  EXPECT_EQ(t.sizes().vec(), (Shape{3, 2}));
  EXPECT_EQ(t.strides().vec(), (Shape{1, 3}));
  t[2][0].fill_(20);  // is base[0][2]
  EXPECT_EQ(base[0][2].item<float>(), 20.0f);
}

TEST(Views, TransposeIsNonContiguousAndContiguousCopies) {
  tg::Tensor base = two_by_three();
  tg::Tensor t = base.t();
  EXPECT_FALSE(t.is_contiguous());
  tg::Tensor c = t.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_FALSE(c.is_alias_of(base));
  EXPECT_EQ(values(c), (V{0, 3, 1, 4, 2, 5}));
  c.fill_(-1);
  EXPECT_EQ(values(base), (V{0, 1, 2, 3, 4, 5}));  // the copy is independent of its source
}

TEST(Views, PermuteSharesStorage) {
  tg::Tensor base = tg::arange(24, tg::kFloat32).view({2, 3, 4});
  tg::Tensor p = base.permute({2, 0, 1});
  EXPECT_TRUE(p.is_alias_of(base));
  EXPECT_EQ(p.sizes().vec(), (Shape{4, 2, 3}));
  EXPECT_EQ(p[3][1][2].item<float>(), base[1][2][3].item<float>());
  p[3][1][2].fill_(-5);
  EXPECT_EQ(base[1][2][3].item<float>(), -5.0f);
}

TEST(Views, NarrowSharesStorageWithAnOffset) {
  tg::Tensor base = tg::arange(10, tg::kFloat32);
  tg::Tensor n = base.narrow(0, 3, 4);
  EXPECT_TRUE(n.is_alias_of(base));
  EXPECT_EQ(n.storage_offset(), 3);
  EXPECT_EQ(values(n), (V{3, 4, 5, 6}));
  n.fill_(0);
  EXPECT_EQ(values(base), (V{0, 1, 2, 0, 0, 0, 0, 7, 8, 9}));
}

TEST(Views, NarrowAlongColumnsSharesStorage) {
  tg::Tensor base = two_by_three();
  tg::Tensor col = base.narrow(1, 1, 1);
  EXPECT_EQ(col.sizes().vec(), (Shape{2, 1}));
  EXPECT_EQ(values(col), (V{1, 4}));
  col.mul_(10);
  EXPECT_EQ(values(base), (V{0, 10, 2, 3, 40, 5}));
}

TEST(Views, SelectAndIndexShareStorage) {
  tg::Tensor base = two_by_three();
  tg::Tensor row = base[1];
  tg::Tensor col = base.select(1, 2);
  EXPECT_TRUE(row.is_alias_of(base));
  EXPECT_TRUE(col.is_alias_of(base));
  EXPECT_EQ(values(row), (V{3, 4, 5}));
  EXPECT_EQ(values(col), (V{2, 5}));
  row.add_(100);
  EXPECT_EQ(values(base), (V{0, 1, 2, 103, 104, 105}));
  EXPECT_EQ(values(col), (V{2, 105}));
}

TEST(Views, NegativeIndexSelectsFromTheEnd) {
  tg::Tensor base = two_by_three();
  EXPECT_EQ(values(base.select(1, -1)), (V{2, 5}));
  EXPECT_EQ(values(base[-1]), (V{3, 4, 5}));
}

TEST(Views, ExpandSharesStorageWithZeroStride) {
  tg::Tensor base = tg::tensor({1.0, 2.0, 3.0});
  tg::Tensor e = base.expand({4, 3});
  EXPECT_TRUE(e.is_alias_of(base));
  EXPECT_EQ(e.sizes().vec(), (Shape{4, 3}));
  EXPECT_EQ(e.strides().vec(), (Shape{0, 1}));
  base[1].fill_(20);
  EXPECT_EQ(values(e), (V{1, 20, 3, 1, 20, 3, 1, 20, 3, 1, 20, 3}));
}

TEST(Views, ExpandOfSingletonDimRepeatsTheColumn) {
  tg::Tensor base = tg::tensor({{1.0}, {2.0}});
  tg::Tensor e = base.expand({-1, 3});
  EXPECT_EQ(e.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values(e), (V{1, 1, 1, 2, 2, 2}));
}

TEST(Views, SqueezeAndUnsqueezeShareStorage) {
  tg::Tensor base = tg::zeros({1, 3, 1});
  tg::Tensor s = base.squeeze();
  EXPECT_EQ(s.sizes().vec(), (Shape{3}));
  EXPECT_TRUE(s.is_alias_of(base));
  tg::Tensor s0 = base.squeeze(0);
  EXPECT_EQ(s0.sizes().vec(), (Shape{3, 1}));
  tg::Tensor u = s.unsqueeze(0);
  EXPECT_EQ(u.sizes().vec(), (Shape{1, 3}));
  EXPECT_TRUE(u.is_alias_of(base));
  u[0][2].fill_(4);
  EXPECT_EQ(base[0][2][0].item<float>(), 4.0f);
}

TEST(Views, SqueezeOfNonSingletonDimIsANoOp) {
  tg::Tensor base = tg::zeros({2, 3});
  EXPECT_EQ(base.squeeze(1).sizes().vec(), (Shape{2, 3}));
}

TEST(Views, SplitPiecesShareStorage) {
  tg::Tensor base = tg::arange(7, tg::kFloat32);
  std::vector<tg::Tensor> parts = base.split(3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(values(parts[0]), (V{0, 1, 2}));
  EXPECT_EQ(values(parts[1]), (V{3, 4, 5}));
  EXPECT_EQ(values(parts[2]), (V{6}));
  parts[1].fill_(0);
  EXPECT_EQ(values(base), (V{0, 1, 2, 0, 0, 0, 6}));
}

TEST(Views, ChunkPiecesShareStorage) {
  tg::Tensor base = two_by_three();
  std::vector<tg::Tensor> parts = base.chunk(2, 1);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].sizes().vec(), (Shape{2, 2}));
  EXPECT_EQ(parts[1].sizes().vec(), (Shape{2, 1}));
  EXPECT_EQ(values(parts[1]), (V{2, 5}));
  parts[1].fill_(-1);
  EXPECT_EQ(values(base), (V{0, 1, -1, 3, 4, -1}));
}

TEST(Views, UnbindGivesRowViews) {
  tg::Tensor base = two_by_three();
  std::vector<tg::Tensor> rows = base.unbind(0);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(values(rows[1]), (V{3, 4, 5}));
  rows[0].zero_();
  EXPECT_EQ(values(base), (V{0, 0, 0, 3, 4, 5}));
}

TEST(Views, FlattenOfContiguousSharesStorage) {
  tg::Tensor base = tg::zeros({2, 3, 4});
  tg::Tensor f = base.flatten(1);
  EXPECT_EQ(f.sizes().vec(), (Shape{2, 12}));
  EXPECT_TRUE(f.is_alias_of(base));
}

// ---------------------------------------------------------------- version counter

TEST(Views, VersionCounterIsSharedByViews) {
  tg::Tensor base = tg::zeros({4});
  tg::Tensor v = base.view({2, 2});
  tg::Tensor n = base.narrow(0, 1, 2);
  EXPECT_EQ(base._version(), 0);
  v.add_(1);
  EXPECT_EQ(base._version(), 1);
  EXPECT_EQ(v._version(), 1);
  EXPECT_EQ(n._version(), 1);
  base.mul_(2);
  EXPECT_EQ(v._version(), 2);
  EXPECT_EQ(n._version(), 2);
}

TEST(Views, DetachSharesTheVersionCounter) {
  tg::Tensor x = tg::ones({3});
  tg::Tensor d = x.detach();
  d.fill_(2);
  EXPECT_EQ(x._version(), 1);
  EXPECT_EQ(values(x), (V{2, 2, 2}));
}

TEST(Views, OutOfPlaceOpsDoNotBumpTheVersion) {
  tg::Tensor x = tg::ones({3});
  tg::Tensor y = x * 2 + x.exp();
  (void)y;
  EXPECT_EQ(x._version(), 0);
}

TEST(Views, CloneHasItsOwnVersionCounter) {
  tg::Tensor x = tg::ones({3});
  tg::Tensor c = x.clone();
  c.add_(1);
  EXPECT_EQ(c._version(), 1);
  EXPECT_EQ(x._version(), 0);
}

// ---------------------------------------------------------------- slice

TEST(Views, SliceWithStepTakesEveryNthElement) {
  tg::Tensor base = tg::arange(10, tg::kFloat32);
  EXPECT_EQ(values(base.slice(0, 1, 8, 3)), (V{1, 4, 7}));
  EXPECT_EQ(values(base.slice(0, 0, 10, 3)), (V{0, 3, 6, 9}));
  EXPECT_EQ(values(base.slice(0, 0, 10, 2)), (V{0, 2, 4, 6, 8}));
}

TEST(Views, SliceWithNegativeAndOmittedBounds) {
  tg::Tensor base = tg::arange(6, tg::kFloat32);
  EXPECT_EQ(values(base.slice(0, -2)), (V{4, 5}));
  EXPECT_EQ(values(base.slice(0, std::nullopt, -4)), (V{0, 1}));
  EXPECT_EQ(values(base.slice(0, 4, 100)), (V{4, 5}));
  EXPECT_EQ(base.slice(0, 5, 2).numel(), 0);
}

TEST(Views, SliceAlongSecondDimWithStep) {
  tg::Tensor base = tg::arange(12, tg::kFloat32).view({3, 4});
  tg::Tensor s = base.slice(1, 0, 4, 2);
  EXPECT_EQ(s.sizes().vec(), (Shape{3, 2}));
  EXPECT_EQ(values(s), (V{0, 2, 4, 6, 8, 10}));
}

TEST(Views, SliceWithUnitStepSharesStorage) {
  tg::Tensor base = tg::arange(6, tg::kFloat32);
  tg::Tensor s = base.slice(0, 2, 5);
  EXPECT_TRUE(s.is_alias_of(base));
  s.fill_(0);
  EXPECT_EQ(values(base), (V{0, 1, 0, 0, 0, 5}));
}

TEST(Views, SliceWithStepSharesStorage) {
  // libtorch: x.slice(0, 1, 8, 3) is a strided view; writing through it changes x.
  tg::Tensor base = tg::arange(10, tg::kFloat32);
  tg::Tensor s = base.slice(0, 1, 8, 3);
  EXPECT_TRUE(s.is_alias_of(base));
  s.fill_(-1);
  EXPECT_EQ(values(base), (V{0, -1, 2, 3, -1, 5, 6, -1, 8, 9}));
}

// ---------------------------------------------------------------- ops on non-contiguous inputs

TEST(Views, AddOfTwoTransposesGivesTransposedSum) {
  tg::Tensor a = two_by_three();
  tg::Tensor s = a.t() + a.t();
  EXPECT_EQ(s.sizes().vec(), (Shape{3, 2}));
  EXPECT_EQ(values(s), (V{0, 6, 2, 8, 4, 10}));
}

TEST(Views, MixingTransposedAndContiguousOperands) {
  tg::Tensor a = two_by_three();
  tg::Tensor b = tg::tensor({{1.0, 10.0}, {100.0, 1000.0}, {0.5, 0.25}});
  EXPECT_EQ(values(a.t() * b), (V{0, 30, 100, 4000, 1, 1.25}));
}

TEST(Views, UnaryOpOnNarrowedColumns) {
  tg::Tensor a = tg::tensor({{1.0, 4.0, 9.0}, {16.0, 25.0, 36.0}});
  tg::Tensor s = a.narrow(1, 1, 2).sqrt();
  EXPECT_EQ(values(s), (V{2, 3, 5, 6}));
}

TEST(Views, ReductionOverATransposedView) {
  tg::Tensor a = two_by_three();
  EXPECT_EQ(values(a.t().sum({1})), (V{3, 5, 7}));
  EXPECT_EQ(values(a.t().sum({0})), (V{3, 12}));
}

TEST(Views, InPlaceAddIntoATransposedView) {
  tg::Tensor a = two_by_three();
  a.t().add_(tg::tensor({10.0, 20.0}));  // adds 10 to row 0 and 20 to row 1 of a
  EXPECT_EQ(values(a), (V{10, 11, 12, 23, 24, 25}));
}

TEST(Views, MatmulWithTransposedOperandsMatchesContiguousCopies) {
  tg::manual_seed(5);
  tg::Tensor a = tg::randn({4, 3}, tg::kFloat64);
  tg::Tensor b = tg::randn({5, 4}, tg::kFloat64);
  tg::Tensor viewed = a.t().matmul(b.t());
  tg::Tensor copied = a.t().contiguous().matmul(b.t().contiguous());
  EXPECT_EQ(viewed.sizes().vec(), (Shape{3, 5}));
  EXPECT_TRUE(viewed.allclose(copied, 1e-12, 1e-12));
}

TEST(Views, MatmulOfATransposeGivesKnownNumbers) {
  tg::Tensor a = tg::tensor({{1.0, 2.0}, {3.0, 4.0}});
  tg::Tensor b = tg::tensor({{5.0, 6.0}, {7.0, 8.0}});
  // a^T b = [[1*5 + 3*7, 1*6 + 3*8], [2*5 + 4*7, 2*6 + 4*8]]
  EXPECT_EQ(values(a.t().matmul(b)), (V{26, 30, 38, 44}));
  // a b^T = [[1*5 + 2*6, 1*7 + 2*8], [3*5 + 4*6, 3*7 + 4*8]]
  EXPECT_EQ(values(a.matmul(b.t())), (V{17, 23, 39, 53}));
}

TEST(Views, MatmulOfANarrowedOperand) {
  tg::Tensor a = tg::tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}});
  tg::Tensor cols = a.narrow(1, 1, 2);  // [[2, 3], [5, 6]], row stride 3
  tg::Tensor eye = tg::eye(2);
  EXPECT_EQ(values(cols.matmul(eye)), (V{2, 3, 5, 6}));
}

TEST(Views, BmmWithTransposedBatchOperand) {
  tg::manual_seed(6);
  tg::Tensor a = tg::randn({2, 3, 4}, tg::kFloat64);
  tg::Tensor b = tg::randn({2, 5, 4}, tg::kFloat64);
  tg::Tensor viewed = a.bmm(b.transpose(1, 2));
  tg::Tensor copied = a.bmm(b.transpose(1, 2).contiguous());
  EXPECT_TRUE(viewed.allclose(copied, 1e-12, 1e-12));
}

// ---------------------------------------------------------------- broadcasting

TEST(Views, ColumnPlusRowBroadcastsToAMatrix) {
  tg::Tensor col = tg::tensor({{0.0}, {1.0}, {2.0}});      // [3, 1]
  tg::Tensor row = tg::tensor({{0.0, 10.0, 20.0, 30.0}});  // [1, 4]
  tg::Tensor s = col + row;
  EXPECT_EQ(s.sizes().vec(), (Shape{3, 4}));
  EXPECT_EQ(values(s), (V{0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32}));
}

TEST(Views, BroadcastingAddsLeadingDims) {
  tg::Tensor m = tg::zeros({2, 3});
  tg::Tensor v = tg::tensor({1.0, 2.0, 3.0});
  tg::Tensor s = m - v;
  EXPECT_EQ(s.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values(s), (V{-1, -2, -3, -1, -2, -3}));
}

TEST(Views, BroadcastShapesFollowsNumpyRules) {
  EXPECT_EQ(tg::broadcast_shapes({3, 1}, {1, 4}), (Shape{3, 4}));
  EXPECT_EQ(tg::broadcast_shapes({5, 1, 2}, {3, 1}), (Shape{5, 3, 2}));
  EXPECT_EQ(tg::broadcast_shapes({}, {2}), (Shape{2}));
}

// ---------------------------------------------------------------- 0-d and size-0 tensors

TEST(Views, ZeroDimTensorBroadcastsAgainstAVector) {
  tg::Tensor s = tg::scalar_tensor(3);
  EXPECT_EQ(s.dim(), 0);
  tg::Tensor r = s + tg::ones({2});
  EXPECT_EQ(r.sizes().vec(), (Shape{2}));
  EXPECT_EQ(values(r), (V{4, 4}));
}

TEST(Views, OpsOnZeroDimTensorsStayZeroDim) {
  tg::Tensor a = tg::tensor(2.0);
  tg::Tensor b = tg::tensor(5.0);
  tg::Tensor p = a * b;
  EXPECT_EQ(p.dim(), 0);
  EXPECT_EQ(p.item<float>(), 10.0f);
  EXPECT_EQ(p.sum().item<float>(), 10.0f);
  EXPECT_EQ(p.reshape({1}).sizes().vec(), (Shape{1}));
  EXPECT_EQ(p.unsqueeze(0).sizes().vec(), (Shape{1}));
}

TEST(Views, SumOfEmptyTensorIsZero) {
  tg::Tensor e = tg::zeros({0});
  EXPECT_EQ(e.numel(), 0);
  EXPECT_EQ(e.sum().item<float>(), 0.0f);
  EXPECT_EQ(tg::zeros({2, 0}).sum().item<float>(), 0.0f);
}

TEST(Views, ProdOfEmptyTensorIsOne) { EXPECT_EQ(tg::zeros({0}).prod().item<float>(), 1.0f); }

TEST(Views, SumOverAnEmptyDimGivesZerosOfTheOtherDims) {
  tg::Tensor s = tg::ones({2, 0}).sum({1});
  EXPECT_EQ(s.sizes().vec(), (Shape{2}));
  EXPECT_EQ(values(s), (V{0, 0}));
}

TEST(Views, ElementwiseOpOnSizeZeroTensorKeepsTheShape) {
  tg::Tensor e = tg::zeros({0, 3}) + tg::ones({3});
  EXPECT_EQ(e.sizes().vec(), (Shape{0, 3}));
  EXPECT_EQ(e.exp().numel(), 0);
}

TEST(Views, CatWithAnEmptyTensorKeepsTheOthers) {
  tg::Tensor a = tg::ones({2, 3});
  tg::Tensor empty_rows = tg::zeros({0, 3});
  tg::Tensor c = tg::cat({a, empty_rows}, 0);
  EXPECT_EQ(c.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values(c), V(6, 1.0));
}

TEST(Views, CatSkipsLegacyOneDimEmptyTensors) {
  tg::Tensor a = tg::tensor({{1.0, 2.0}});
  tg::Tensor legacy = tg::zeros({0});
  tg::Tensor c = tg::cat({legacy, a, legacy}, 0);
  EXPECT_EQ(c.sizes().vec(), (Shape{1, 2}));
  EXPECT_EQ(values(c), (V{1, 2}));
}

TEST(Views, CatAlongColumnsInterleavesRows) {
  tg::Tensor a = tg::tensor({{1.0}, {2.0}});
  tg::Tensor b = tg::tensor({{3.0, 4.0}, {5.0, 6.0}});
  tg::Tensor c = tg::cat({a, b}, 1);
  EXPECT_EQ(c.sizes().vec(), (Shape{2, 3}));
  EXPECT_EQ(values(c), (V{1, 3, 4, 2, 5, 6}));
}

TEST(Views, CatOfNonContiguousInputs) {
  tg::Tensor a = two_by_three();
  tg::Tensor c = tg::cat({a.t(), a.t()}, 1);
  EXPECT_EQ(c.sizes().vec(), (Shape{3, 4}));
  EXPECT_EQ(values(c), (V{0, 3, 0, 3, 1, 4, 1, 4, 2, 5, 2, 5}));
}

TEST(Views, StackAddsANewDim) {
  tg::Tensor a = tg::tensor({1.0, 2.0});
  tg::Tensor b = tg::tensor({3.0, 4.0});
  tg::Tensor s0 = tg::stack({a, b});
  EXPECT_EQ(s0.sizes().vec(), (Shape{2, 2}));
  EXPECT_EQ(values(s0), (V{1, 2, 3, 4}));
  tg::Tensor s1 = tg::stack({a, b}, 1);
  EXPECT_EQ(values(s1), (V{1, 3, 2, 4}));
}

TEST(Views, ViewOfEmptyTensorIsAllowed) {
  tg::Tensor e = tg::zeros({0, 4});
  EXPECT_EQ(e.view({2, 0, 2}).sizes().vec(), (Shape{2, 0, 2}));
  EXPECT_EQ(e.reshape({-1}).sizes().vec(), (Shape{0}));
}

}  // namespace
