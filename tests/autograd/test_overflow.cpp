// Shape arithmetic is checked everywhere (checked_math.h): a size, stride, element or byte count
// that would overflow int64 is a tg::Error naming the op and the shape, never a wrapped value that
// allocates a tiny buffer behind a huge shape. Huge views (expand, no memory behind them) feed the
// ops that would otherwise need gigabytes to reach their overflow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include <tapegrad/tapegrad.h>
#include "../error_of.h"

// Under ASan a failed huge allocation returns null (as malloc does without ASan) rather than
// aborting, so the out-of-memory path below is tested in the sanitizer build too.
#if defined(__SANITIZE_ADDRESS__)
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
#endif

namespace {

using tg_test::error_of;

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t k2p40 = int64_t{1} << 40;
constexpr int64_t k2p62 = int64_t{1} << 62;

// A tensor of `sizes` with no memory behind it: a single 1 expanded.
tg::Tensor huge_view(std::vector<int64_t> sizes) {
  return tg::ones(std::vector<int64_t>(sizes.size(), 1)).expand(sizes);
}

TEST(CheckedShape, ZerosWhoseElementCountOverflowsIsAnError) {
  EXPECT_EQ(error_of([] {
              tg::zeros({k2p40, k2p40});
            }),
            "zeros: shape [1099511627776, 1099511627776] is too large: the number of elements overflows int64");
}

TEST(CheckedShape, ZeroSizedShapeWhoseOtherSizesOverflowIsAnError) {
  // 0 elements, but the contiguous stride of dim 0 would be 2^80; in the other order, kernels'
  // partial products (2^40 * 2^40 before the 0) would overflow: every tensor keeps the product of
  // its nonzero sizes within int64
  EXPECT_EQ(error_of([] {
              tg::empty({0, k2p40, k2p40});
            }),
            "empty: shape [0, 1099511627776, 1099511627776] is too large: the product of its nonzero sizes "
            "overflows int64");
  EXPECT_THAT(error_of([] { tg::empty({k2p40, k2p40, 0}); }), HasSubstr("the product of its nonzero sizes"));
  EXPECT_EQ(tg::empty({k2p40, 0, 1 << 20}).numel(), 0);  // within the bound: a valid empty tensor
}

TEST(CheckedShape, ByteCountOverflowIsAnError) {
  EXPECT_THAT(error_of([] { tg::zeros({k2p62}, tg::kFloat64); }),
              HasSubstr("zeros: shape [4611686018427387904] is too large: the size in bytes overflows int64"));
}

TEST(CheckedShape, HugeValidShapeIsAnOutOfMemoryErrorNamingTheOp) {
  // 2^45 floats = 128 TiB: no overflow, but no machine has it
  EXPECT_THAT(error_of([] { tg::ones({int64_t{1} << 45}); }),
              AllOf(HasSubstr("ones: cannot allocate 140737488355328 bytes for shape [35184372088832] (Float32)")));
}

TEST(CheckedShape, NegativeSizeIsAnError) {
  EXPECT_EQ(error_of([] { tg::full({2, -3}, 1.0); }), "full: negative dimension -3 in shape [2, -3]");
}

TEST(CheckedShape, FactoriesWithHugeCounts) {
  EXPECT_THAT(error_of([] { tg::arange(0.0, 1e300); }), HasSubstr("arange: 0 -> 1e+300 in steps of 1 has"));
  EXPECT_THAT(error_of([] { tg::eye(k2p40, k2p40); }),
              HasSubstr("eye: shape [1099511627776, 1099511627776] is too large"));
  EXPECT_THAT(error_of([] { tg::randperm(k2p62); }),
              HasSubstr("randperm: shape [4611686018427387904] is too large: the size in bytes overflows int64"));
  float blob[4] = {};
  EXPECT_THAT(error_of([&] { tg::from_blob(blob, {k2p40, k2p40}); }), HasSubstr("from_blob: shape"));
}

TEST(CheckedShape, RandintOverTheWholeInt64RangeStaysInRange) {
  // high - low overflows int64: the range is computed in uint64
  tg::manual_seed(7);
  const int64_t low = std::numeric_limits<int64_t>::min() / 2, high = kMax / 2;
  tg::Tensor r = tg::randint(low, high, {1000}, tg::kInt64);
  EXPECT_GE(r.min().item<int64_t>(), low);
  EXPECT_LT(r.max().item<int64_t>(), high);
  EXPECT_LT(r.min().item<int64_t>(), 0);  // both halves of the range are reached
  EXPECT_GT(r.max().item<int64_t>(), 0);
}

TEST(CheckedShape, ReshapeWhoseKnownSizesOverflowIsAnError) {
  EXPECT_THAT(error_of([] {
                tg::ones({4}).reshape({k2p40, k2p40, -1});
              }),
              HasSubstr("reshape: shape [1099511627776, 1099511627776, -1] is too large: the number of elements "
                        "overflows int64"));
  EXPECT_THAT(
      error_of([] {
        tg::ones({0}).view({0, k2p40, k2p40});
      }),
      HasSubstr("view: shape [0, 1099511627776, 1099511627776] is too large: the product of its nonzero sizes"));
}

TEST(CheckedShape, ExpandToAnOverflowingShapeIsAnError) {
  EXPECT_EQ(error_of([] {
              tg::ones({1, 1}).expand({k2p40, k2p40});
            }),
            "expand: shape [1099511627776, 1099511627776] is too large: the number of elements overflows int64");
  EXPECT_THAT(error_of([] { tg::ones({1, 1}).expand({-5, 2}); }), HasSubstr("expand: invalid size -5 at dimension 0"));
  // a huge view that fits int64 is fine: nothing is allocated
  EXPECT_EQ(huge_view({k2p40, 1 << 20}).numel(), int64_t{1} << 60);
}

TEST(CheckedShape, BroadcastWhoseResultOverflowsIsAnError) {
  const tg::Tensor column = huge_view({k2p40, 1}), row = huge_view({1, k2p40});
  EXPECT_THAT(error_of([&] { (void)(column + row); }),
              AllOf(HasSubstr("shape [1099511627776, 1099511627776] is too large"), HasSubstr("overflows int64")));
  EXPECT_THAT(error_of([&] { tg::broadcast_shapes({k2p40, 1}, {1, k2p40}); }), HasSubstr("broadcast_shapes: shape"));
}

TEST(CheckedShape, CatWhoseSizesSumPastInt64IsAnError) {
  const tg::Tensor part = huge_view({k2p62});
  EXPECT_EQ(error_of([&] {
              tg::cat({part, part});
            }),
            "cat: shape [4611686018427387904] is too large: the size of the cat dimension overflows int64");
}

TEST(CheckedShape, ConvAndPoolingWithHugeParametersAreErrors) {
  const tg::Tensor x = tg::ones({1, 1, 3, 3}), w = tg::ones({1, 1, 2, 2});
  EXPECT_THAT(error_of([&] {
                tg::conv2d(x, w, {}, 1, {k2p62, k2p62});
              }),
              HasSubstr("conv2d: shape [1, 1, 3, 3] is too large: the padded input size overflows int64"));
  EXPECT_THAT(error_of([&] {
                tg::conv2d(x, w, {}, 1, 0, {kMax, kMax});
              }),
              HasSubstr("the dilated kernel size overflows int64"));
  EXPECT_THAT(error_of([&] {
                tg::max_pool2d(x, {k2p62, k2p62}, 1, {k2p62 / 2, k2p62 / 2});
              }),
              HasSubstr("max_pool2d: shape [4611686018427387904, 4611686018427387904] is too large"));
  EXPECT_THAT(error_of([&] {
                tg::conv_transpose2d(x, w, {}, {k2p62, k2p62});
              }),
              HasSubstr("conv_transpose2d: shape [1, 1, 3, 3] is too large: the output size overflows int64"));
}

TEST(CheckedShape, Im2colRowCountOverflowIsCaughtBeforeAnythingIsAllocated) {
  // C = 2^40 channels (a view), a 4096 x 4096 kernel: C * kh * kw = 2^64 rows
  const tg::Tensor x = huge_view({1, k2p40, 1, 1});
  EXPECT_THAT(error_of([&] {
                tg::im2col(x, {4096, 4096}, 1, {2048, 2048}, 1);
              }),
              HasSubstr("im2col: shape [1, 1099511627776, 1, 1] is too large: the number of rows (C * kh * kw) "
                        "overflows int64"));
}

TEST(CheckedShape, NarrowSliceSplitAndPadWithHugeArguments) {
  const tg::Tensor x = tg::arange(10, tg::kFloat32);
  // start + length would overflow: still the ordinary range error
  EXPECT_THAT(error_of([&] { tg::narrow(x, 0, 2, kMax); }),
              HasSubstr("narrow: start (2) + length (9223372036854775807) "
                        "exceeds dimension size (10)"));
  // end - start + step - 1 would overflow: a huge step takes one element
  tg::Tensor one = tg::slice(x, 0, 3, std::nullopt, kMax);
  ASSERT_EQ(one.numel(), 1);
  EXPECT_EQ(one.item<float>(), 3.0f);
  // start += split_size would overflow: one chunk of everything
  std::vector<tg::Tensor> chunks = tg::split(x, kMax);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].numel(), 10);
  EXPECT_THAT(error_of([&] {
                tg::split_with_sizes(x, {kMax, kMax});
              }),
              HasSubstr("split_with_sizes: shape [9223372036854775807, 9223372036854775807] is too large: the sum of "
                        "the sizes overflows int64"));
  EXPECT_THAT(error_of([&] { tg::pad(x, {kMax, kMax}); }), HasSubstr("overflows int64"));
}

}  // namespace

namespace {

using ::testing::HasSubstr;
using tg_test::error_of;

// What the fuzzers found (fuzz/crashes/shape_ops/), as tests of their own.
TEST(CheckedShapeFuzzFindings, ChunkOfAHugeDimIntoManyChunksDoesNotOverflow) {
  // (size + chunks - 1) / chunks overflowed for chunks near INT64_MAX
  std::vector<tg::Tensor> pieces = tg::chunk(tg::arange(5, tg::kFloat32), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(pieces.size(), 5u);
}

TEST(CheckedShapeFuzzFindings, PoolingPaddingCheckDoesNotOverflow) {
  // 2 * padding > kernel overflowed for padding near INT64_MAX
  const int64_t huge = std::numeric_limits<int64_t>::max();
  EXPECT_THAT(error_of([&] {
                tg::avg_pool2d(tg::ones({1, 1, 4, 4}), {3, 3}, {1, 1}, {huge, huge});
              }),
              HasSubstr("avg_pool2d: padding [9223372036854775807, 9223372036854775807] should be at most half of "
                        "kernel_size [3, 3]"));
  EXPECT_THAT(error_of([&] {
                tg::max_pool2d(tg::ones({1, 1, 4, 4}), {3, 3}, {1, 1}, {huge, huge});
              }),
              HasSubstr("max_pool2d: padding"));
}

TEST(CheckedShapeFuzzFindings, SplitIntoMorePiecesThanMemoryHoldsIsAnError) {
  // a dim of 2^62 (a view) in pieces of 1 looped for ever
  const tg::Tensor x = tg::ones({1}).expand({int64_t{1} << 62});
  EXPECT_THAT(error_of([&] { tg::split(x, 1); }),
              HasSubstr("split: dim 0 of size 4611686018427387904 in pieces of 1 gives 4611686018427387904 tensors, "
                        "more than memory can hold"));
}

TEST(CheckedShapeFuzzFindings, Col2imWithANegativeOutputSizeIsAnError) {
  EXPECT_THAT(error_of([] {
                tg::col2im(tg::ones({1, 4, 1}), {-9223372036854775807, 3}, {2, 2}, 1, 0, 1);
              }),
              HasSubstr("col2im: the spatial size [-9223372036854775807, 3] must be non-negative"));
}

}  // namespace

namespace {
TEST(CheckedShapeFuzzFindings, ConvWithHugeGroupsIsAnError) {
  const int64_t huge = int64_t{1} << 62;
  EXPECT_THAT(tg_test::error_of([&] {
                tg::conv2d(tg::ones({1, 4, 3, 3}), tg::ones({4, 4, 1, 1}), {}, 1, 0, 1, huge);
              }),
              ::testing::HasSubstr("conv2d: shape [4, 4, 1, 1] is too large: in_channels * groups overflows int64"));
  EXPECT_THAT(tg_test::error_of([] {
                tg::conv2d(tg::ones({1, 0, 3, 3}), tg::ones({2, 0, 1, 1}), {}, 1, 0, 1, 2);
              }),
              ::testing::HasSubstr("cannot be split into 2 groups"));
}
}  // namespace

namespace {
TEST(CheckedShapeFuzzFindings, PaddingAnEmptyTensorByAHugeAmountGivesAnEmptyTensor) {
  // the copy of the (empty) input went to a view at offset 2^62 * stride, past any storage
  const tg::Tensor out = tg::pad(tg::ones({0, 2}), {int64_t{1} << 61, 0});
  EXPECT_EQ(out.size(0), 0);
  EXPECT_EQ(out.size(1), 2 + (int64_t{1} << 61));
}
}  // namespace

namespace {
TEST(CheckedShapeFuzzFindings, ArangeWhoseInt64ValuesPassInt64IsAnError) {
  // 9.22e18 cast to int64 was undefined behaviour
  EXPECT_THAT(tg_test::error_of([] { tg::arange(9.2e18, 9.3e18, 1e16); }),
              ::testing::HasSubstr("arange: the values from 9.2e+18 to 9.29e+18 do not fit Int64"));
  EXPECT_EQ(tg::arange(9.2e18, 9.3e18, 1e16, tg::kFloat64).size(0), 10);  // as doubles: fine
}
}  // namespace

namespace {
TEST(CheckedShapeFuzzFindings, MaxPoolWithAHugeKernelAndPaddingFinishes) {
  // the work estimate oh*ow*kh*kw overflowed, and finding the first row inside the padding looped
  // 2^61 times; the window covers the whole input, so the maximum is the input's
  const int64_t k = int64_t{1} << 62;
  const tg::Tensor x = tg::arange(16, tg::kFloat32).reshape({1, 1, 4, 4});
  const tg::Tensor out = tg::max_pool2d(x, {k, 1}, {1, 1}, {k / 2, 0});
  EXPECT_EQ(out.size(2), 5);  // (4 + 2^62 - 2^62) / 1 + 1
  EXPECT_EQ(out.amax().item<float>(), 15.0f);
}
}  // namespace
