// Bad input never crashes: every misuse throws tg::Error whose message names the op and the
// offending shapes, dtypes or values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "../error_of.h"
#include "tapegrad/tapegrad.h"

namespace {

using tg_test::error_of;

using ::testing::AllOf;
using ::testing::HasSubstr;

// ---------------------------------------------------------------- shapes in binary ops

TEST(Errors, AddShapeMismatchNamesBothShapes) {
  tg::Tensor a = tg::zeros({2, 3});
  tg::Tensor b = tg::zeros({4});
  EXPECT_THAT(error_of([&] { (void)(a + b); }),
              AllOf(HasSubstr("add"), HasSubstr("[2, 3]"), HasSubstr("[4]"), HasSubstr("3 vs 4")));
}

TEST(Errors, MulShapeMismatchNamesBothShapes) {
  tg::Tensor a = tg::ones({3, 2});
  tg::Tensor b = tg::ones({3, 5});
  EXPECT_THAT(error_of([&] { (void)(a * b); }), AllOf(HasSubstr("mul"), HasSubstr("[3, 2]"), HasSubstr("[3, 5]")));
}

TEST(Errors, InPlaceAddCannotGrowTheDestination) {
  tg::Tensor a = tg::zeros({3});
  tg::Tensor b = tg::zeros({2, 3});
  EXPECT_THAT(error_of([&] { a.add_(b); }), AllOf(HasSubstr("add_"), HasSubstr("[3]"), HasSubstr("[2, 3]")));
}

// ---------------------------------------------------------------- matrix products

TEST(Errors, MatmulShapeMismatchNamesBothShapes) {
  tg::Tensor a = tg::zeros({3, 4});
  tg::Tensor b = tg::zeros({5, 6});
  EXPECT_EQ(error_of([&] { (void)tg::matmul(a, b); }),
            "matmul: shapes [3, 4] and [5, 6] cannot be multiplied (4 != 5)");
}

TEST(Errors, MmInnerDimMismatchNamesBothShapes) {
  tg::Tensor a = tg::zeros({2, 3});
  tg::Tensor b = tg::zeros({4, 5});
  EXPECT_EQ(error_of([&] { (void)a.mm(b); }), "mm: shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)");
}

TEST(Errors, BmmInnerDimMismatchNamesBothShapes) {
  tg::Tensor a = tg::zeros({2, 3, 4});
  tg::Tensor b = tg::zeros({2, 5, 6});
  EXPECT_EQ(error_of([&] { (void)tg::bmm(a, b); }),
            "bmm: shapes [2, 3, 4] and [2, 5, 6] cannot be multiplied (4 != 5)");
}

TEST(Errors, BmmBatchMismatchNamesBothShapes) {
  tg::Tensor a = tg::zeros({2, 3, 4});
  tg::Tensor b = tg::zeros({3, 4, 5});
  EXPECT_THAT(error_of([&] { (void)tg::bmm(a, b); }),
              AllOf(HasSubstr("bmm"), HasSubstr("[2, 3, 4]"), HasSubstr("[3, 4, 5]")));
}

TEST(Errors, MmRejectsNonMatrixNamingTheShape) {
  tg::Tensor a = tg::zeros({2, 3, 4});
  tg::Tensor b = tg::zeros({4, 5});
  EXPECT_THAT(error_of([&] { (void)tg::mm(a, b); }), AllOf(HasSubstr("mm"), HasSubstr("2-D"), HasSubstr("[2, 3, 4]")));
}

TEST(Errors, MatmulOfMixedFloatDtypesNamesBothDtypes) {
  tg::Tensor a = tg::zeros({2, 2}, tg::kFloat32);
  tg::Tensor b = tg::zeros({2, 2}, tg::kFloat64);
  EXPECT_THAT(error_of([&] { (void)tg::matmul(a, b); }),
              AllOf(HasSubstr("matmul"), HasSubstr("Float32"), HasSubstr("Float64")));
}

// ---------------------------------------------------------------- dims out of range

TEST(Errors, SumOverDimOutOfRangeNamesDimAndRank) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_EQ(error_of([&] { (void)x.sum({2}); }),
            "sum: dim 2 is out of range for a tensor of 2 dims (expected in [-2, 1])");
}

TEST(Errors, SoftmaxOverDimOutOfRangeNamesDim) {
  tg::Tensor x = tg::zeros({4});
  EXPECT_THAT(error_of([&] { (void)x.softmax(-3); }),
              AllOf(HasSubstr("softmax"), HasSubstr("dim -3"), HasSubstr("1 dims")));
}

TEST(Errors, TransposeDimOutOfRangeNamesDim) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_THAT(error_of([&] { (void)x.transpose(0, 3); }),
              AllOf(HasSubstr("transpose"), HasSubstr("dim 3"), HasSubstr("2 dims")));
}

TEST(Errors, SqueezeDimOutOfRangeNamesDim) {
  tg::Tensor x = tg::zeros({1, 3});
  EXPECT_THAT(error_of([&] { (void)x.squeeze(4); }), AllOf(HasSubstr("squeeze"), HasSubstr("dim 4")));
}

TEST(Errors, NarrowDimOutOfRangeNamesDim) {
  tg::Tensor x = tg::zeros({5});
  EXPECT_THAT(error_of([&] { (void)x.narrow(1, 0, 2); }),
              AllOf(HasSubstr("narrow"), HasSubstr("dim 1"), HasSubstr("1 dims")));
}

TEST(Errors, SelectDimOutOfRangeNamesDim) {
  tg::Tensor x = tg::zeros({2, 2});
  EXPECT_THAT(error_of([&] { (void)x.select(2, 0); }), AllOf(HasSubstr("select"), HasSubstr("dim 2")));
}

TEST(Errors, SizeOfMissingDimNamesDim) {
  tg::Tensor x = tg::zeros({2, 2});
  EXPECT_THAT(error_of([&] { (void)x.size(5); }), AllOf(HasSubstr("size"), HasSubstr("dim 5")));
}

// ---------------------------------------------------------------- indices out of range

TEST(Errors, GatherIndexOutOfRangeNamesIndexAndSize) {
  tg::Tensor x = tg::zeros({2, 3});
  tg::Tensor index = tg::tensor({{0, 5}, {1, 2}});
  EXPECT_THAT(error_of([&] { (void)x.gather(1, index); }),
              AllOf(HasSubstr("gather"), HasSubstr("index 5"), HasSubstr("size 3")));
}

TEST(Errors, IndexSelectIndexOutOfRangeNamesTheOpIndexAndSize) {
  tg::Tensor x = tg::zeros({4, 2});
  tg::Tensor index = tg::tensor({0, 7});
  EXPECT_THAT(error_of([&] { (void)x.index_select(0, index); }),
              AllOf(HasSubstr("index_select"), HasSubstr("7"), HasSubstr("size 4")));
}

TEST(Errors, IndexSelectWithFloatIndexNamesTheDtype) {
  tg::Tensor x = tg::zeros({4});
  tg::Tensor index = tg::tensor({0.0, 1.0});
  EXPECT_THAT(error_of([&] { (void)x.index_select(0, index); }),
              AllOf(HasSubstr("index_select"), HasSubstr("Int64"), HasSubstr("Float32")));
}

TEST(Errors, SelectIndexOutOfRangeNamesIndexAndSize) {
  tg::Tensor x = tg::zeros({3, 2});
  EXPECT_EQ(error_of([&] { (void)x[3]; }),
            "select: index 3 is out of bounds for dimension 0 with size 3 (shape [3, 2])");
}

TEST(Errors, NarrowPastTheEndNamesStartLengthAndSize) {
  tg::Tensor x = tg::zeros({4});
  EXPECT_THAT(error_of([&] { (void)x.narrow(0, 2, 3); }),
              AllOf(HasSubstr("narrow"), HasSubstr("start (2)"), HasSubstr("length (3)"), HasSubstr("size (4)")));
}

TEST(Errors, OneHotLabelOutOfRangeNamesLabelAndClassCount) {
  tg::Tensor labels = tg::tensor({0, 5, 1});
  EXPECT_EQ(error_of([&] { (void)tg::one_hot(labels, 3); }),
            "one_hot: class value 5 is out of range for num_classes 3");
}

TEST(Errors, OneHotNegativeLabelNamesValueAndPosition) {
  tg::Tensor labels = tg::tensor({0, -1});
  EXPECT_THAT(error_of([&] { (void)tg::one_hot(labels, 3); }),
              AllOf(HasSubstr("one_hot"), HasSubstr("-1"), HasSubstr("position 1")));
}

// ---------------------------------------------------------------- float-only ops on integers

TEST(Errors, ExpOnInt64NamesDtypeAndShape) {
  tg::Tensor x = tg::tensor({1, 2, 3});
  EXPECT_EQ(error_of([&] { (void)x.exp(); }),
            "exp: expected a floating-point tensor (Float32 or Float64), got Int64 with shape [3]");
}

TEST(Errors, LogOnInt64NamesDtype) {
  tg::Tensor x = tg::ones({2, 2}, tg::kInt64);
  EXPECT_THAT(error_of([&] { (void)tg::log(x); }), AllOf(HasSubstr("log"), HasSubstr("Int64"), HasSubstr("[2, 2]")));
}

TEST(Errors, SigmoidOnInt64NamesDtype) {
  tg::Tensor x = tg::arange(4);
  ASSERT_EQ(x.dtype(), tg::kInt64);
  EXPECT_THAT(error_of([&] { (void)x.sigmoid(); }), AllOf(HasSubstr("sigmoid"), HasSubstr("Int64"), HasSubstr("[4]")));
}

TEST(Errors, SoftmaxOnInt64NamesDtype) {
  tg::Tensor x = tg::tensor({{1, 2}, {3, 4}});
  EXPECT_THAT(error_of([&] { (void)x.softmax(1); }),
              AllOf(HasSubstr("softmax"), HasSubstr("Int64"), HasSubstr("[2, 2]")));
}

TEST(Errors, MeanOfInt64AsksForAFloatDtype) {
  tg::Tensor x = tg::tensor({1, 2});
  EXPECT_THAT(error_of([&] { (void)x.mean(); }), AllOf(HasSubstr("mean"), HasSubstr("Int64")));
}

// ---------------------------------------------------------------- autograd misuse

TEST(Errors, BackwardOnNonScalarWithoutGradientNamesTheShape) {
  tg::Tensor x = tg::ones({2, 3}, tg::requires_grad());
  tg::Tensor y = x * 2;
  EXPECT_THAT(error_of([&] { y.backward(); }),
              AllOf(HasSubstr("backward"), HasSubstr("scalar outputs"), HasSubstr("[2, 3]")));
}

TEST(Errors, BackwardWithGradientOfWrongShapeNamesBothShapes) {
  tg::Tensor x = tg::ones({2, 3}, tg::requires_grad());
  tg::Tensor y = x * 2;
  EXPECT_THAT(error_of([&] {
                y.backward(tg::ones({3, 2}));
              }),
              AllOf(HasSubstr("backward"), HasSubstr("[3, 2]"), HasSubstr("[2, 3]")));
}

TEST(Errors, SecondBackwardThroughFreedGraphSuggestsRetainGraph) {
  tg::Tensor x = tg::tensor({1.0, 2.0}, tg::requires_grad());
  tg::Tensor loss = (x * x).sum();
  loss.backward();
  EXPECT_THAT(error_of([&] { loss.backward(); }), AllOf(HasSubstr("backward"), HasSubstr("second time"),
                                                        HasSubstr("'mul'"), HasSubstr("retain_graph=true")));
}

TEST(Errors, SecondBackwardSucceedsWithRetainGraph) {
  tg::Tensor x = tg::tensor({1.0, 2.0}, tg::requires_grad());
  tg::Tensor loss = (x * x).sum();
  loss.backward({}, /*retain_graph=*/true);
  loss.backward();
  // d/dx sum(x^2) = 2x, accumulated twice
  EXPECT_TRUE(x.grad().equal(tg::tensor({4.0, 8.0})));
}

TEST(Errors, AutogradGradOfInputNotRequiringGradNamesTheInput) {
  tg::Tensor x = tg::ones({2}, tg::requires_grad());
  tg::Tensor constant = tg::ones({2});
  tg::Tensor y = (x * constant).sum();
  EXPECT_EQ(error_of([&] {
              (void)tg::autograd::grad({y}, {x, constant});
            }),
            "autograd::grad: input 1 (shape [2]) does not require grad");
}

TEST(Errors, BackwardOnTensorNotRequiringGradNamesTheShape) {
  tg::Tensor y = tg::ones({1}).sum();
  EXPECT_THAT(error_of([&] { y.backward(); }),
              AllOf(HasSubstr("backward"), HasSubstr("does not require grad"), HasSubstr("shape []")));
}

TEST(Errors, BackwardUnderNoGradGuardOutputDoesNotRequireGrad) {
  tg::Tensor x = tg::ones({3}, tg::requires_grad());
  tg::Tensor y;
  {
    tg::NoGradGuard guard;
    y = (x * 2).sum();
  }
  EXPECT_THAT(error_of([&] { y.backward(); }), HasSubstr("does not require grad"));
}

TEST(Errors, RequiresGradOnInt64NamesDtypeAndShape) {
  tg::Tensor x = tg::zeros({3}, tg::kInt64);
  EXPECT_EQ(error_of([&] { x.requires_grad_(); }),
            "requires_grad_: only floating-point tensors can require gradients, got a Int64 tensor "
            "of shape [3]");
}

TEST(Errors, RequiresGradFalseOnNonLeafNamesTheProducingOp) {
  tg::Tensor x = tg::ones({2}, tg::requires_grad());
  tg::Tensor y = x.exp();
  EXPECT_THAT(error_of([&] { y.requires_grad_(false); }),
              AllOf(HasSubstr("requires_grad_"), HasSubstr("leaf"), HasSubstr("'exp'")));
}

TEST(Errors, InPlaceOpOnLeafRequiringGradNamesTheOpAndShape) {
  tg::Tensor x = tg::ones({2, 2}, tg::requires_grad());
  EXPECT_THAT(error_of([&] { x.add_(1.0); }),
              AllOf(HasSubstr("add_"), HasSubstr("leaf"), HasSubstr("[2, 2]"), HasSubstr("NoGradGuard")));
}

TEST(Errors, InPlaceOpOnLeafIsAllowedUnderNoGradGuard) {
  tg::Tensor x = tg::ones({2}, tg::requires_grad());
  {
    tg::NoGradGuard guard;
    x.mul_(3.0);
  }
  EXPECT_TRUE(x.equal(tg::tensor({3.0, 3.0})));
  EXPECT_TRUE(x.requires_grad());
  EXPECT_TRUE(x.is_leaf());
}

TEST(Errors, ModifyingASavedInputInPlaceIsDetectedAtBackward) {
  tg::Tensor x = tg::tensor({0.5, 1.0, 1.5}, tg::requires_grad());
  tg::Tensor a = x * 2;    // non-leaf: in-place ops on it are allowed
  tg::Tensor b = a.sin();  // saves a (version 0)
  a.mul_(3.0);             // a is now at version 1
  EXPECT_EQ(a._version(), 1);
  std::string message = error_of([&] { b.sum().backward(); });
  EXPECT_THAT(message,
              AllOf(HasSubstr("backward"), HasSubstr("'sin'"), HasSubstr("shape [3]"), HasSubstr("Float32"),
                    HasSubstr("modified by an in-place operation"), HasSubstr("version 1, expected version 0")));
}

TEST(Errors, ModifyingASavedOutputInPlaceIsDetectedAtBackward) {
  tg::Tensor x = tg::tensor({0.0, 1.0}, tg::requires_grad());
  tg::Tensor y = x.exp();  // saves its output
  y.add_(1.0);
  EXPECT_THAT(error_of([&] { y.sum().backward(); }),
              AllOf(HasSubstr("'exp'"), HasSubstr("modified by an in-place operation")));
}

TEST(Errors, InPlaceOnAViewWhileRecordingIsRejected) {
  tg::Tensor x = tg::ones({4}, tg::requires_grad());
  tg::Tensor y = x * 2;
  tg::Tensor part = y.narrow(0, 0, 2);
  EXPECT_THAT(error_of([&] { part.mul_(2.0); }), AllOf(HasSubstr("mul_"), HasSubstr("view"), HasSubstr("[2]")));
}

// ---------------------------------------------------------------- shape ops

TEST(Errors, ViewOfNonContiguousNamesShapeSizeAndStride) {
  tg::Tensor x = tg::zeros({2, 3}).t();
  EXPECT_THAT(error_of([&] { (void)x.view({6}); }), AllOf(HasSubstr("view"), HasSubstr("[6]"), HasSubstr("[3, 2]"),
                                                          HasSubstr("[1, 3]"), HasSubstr("reshape")));
}

TEST(Errors, ViewWithWrongNumelNamesShapeAndSize) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_EQ(error_of([&] {
              (void)x.view({4, 2});
            }),
            "view: shape [4, 2] is invalid for input of size 6 (shape [2, 3])");
}

TEST(Errors, ReshapeWithWrongNumelNamesShapeAndSize) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_EQ(error_of([&] { (void)x.reshape({4}); }),
            "reshape: shape [4] is invalid for input of size 6 (shape [2, 3])");
}

TEST(Errors, ReshapeWithTwoInferredDimsIsRejected) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_THAT(error_of([&] {
                (void)x.reshape({-1, -1});
              }),
              AllOf(HasSubstr("reshape"), HasSubstr("only one dimension can be inferred")));
}

TEST(Errors, ExpandToIncompatibleSizeNamesBothShapes) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_THAT(error_of([&] {
                (void)x.expand({4, 3});
              }),
              AllOf(HasSubstr("expand"), HasSubstr("(4)"), HasSubstr("(2)"), HasSubstr("[2, 3]"), HasSubstr("[4, 3]")));
}

TEST(Errors, CatWithMismatchedShapesNamesBothShapes) {
  tg::Tensor a = tg::zeros({2, 3});
  tg::Tensor b = tg::zeros({2, 4});
  EXPECT_THAT(error_of([&] {
                (void)tg::cat({a, b}, 0);
              }),
              AllOf(HasSubstr("cat"), HasSubstr("[2, 3]"), HasSubstr("[2, 4]"), HasSubstr("tensor number 1")));
}

TEST(Errors, CatWithDifferentRanksNamesBothShapes) {
  tg::Tensor a = tg::zeros({2, 3});
  tg::Tensor b = tg::zeros({2, 3, 1});
  EXPECT_THAT(error_of([&] {
                (void)tg::cat({a, b}, 0);
              }),
              AllOf(HasSubstr("cat"), HasSubstr("[2, 3]"), HasSubstr("[2, 3, 1]")));
}

TEST(Errors, CatOfEmptyListIsRejected) {
  EXPECT_THAT(error_of([] { (void)tg::cat({}, 0); }), HasSubstr("cat"));
}

TEST(Errors, StackOfDifferentShapesNamesBothShapesAndEntry) {
  tg::Tensor a = tg::zeros({2});
  tg::Tensor b = tg::zeros({3});
  EXPECT_EQ(error_of([&] {
              (void)tg::stack({a, b});
            }),
            "stack: expects each tensor to be equal size, but got [2] at entry 0 and [3] at entry 1");
}

TEST(Errors, PermuteWithWrongNumberOfDimsNamesTheShape) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_THAT(error_of([&] { (void)x.permute({0}); }), AllOf(HasSubstr("permute"), HasSubstr("[2, 3]")));
}

TEST(Errors, TOfThreeDimTensorSuggestsTranspose) {
  tg::Tensor x = tg::zeros({2, 3, 4});
  EXPECT_THAT(error_of([&] { (void)x.t(); }), AllOf(HasSubstr("t:"), HasSubstr("[2, 3, 4]"), HasSubstr("transpose")));
}

TEST(Errors, PadWithOddLengthNamesThePadding) {
  tg::Tensor x = tg::zeros({2, 2});
  EXPECT_EQ(error_of([&] {
              (void)tg::pad(x, {1, 2, 3});
            }),
            "pad: padding length must be even (pairs of left/right), got [1, 2, 3]");
}

// ---------------------------------------------------------------- data access

TEST(Errors, ItemOnMultiElementTensorNamesCountAndShape) {
  tg::Tensor x = tg::zeros({2, 3});
  EXPECT_EQ(error_of([&] { (void)x.item<float>(); }),
            "item: a Tensor with 6 elements cannot be converted to a scalar (shape [2, 3])");
}

TEST(Errors, DataPtrOfWrongTypeNamesBothDtypes) {
  tg::Tensor x = tg::zeros({2});
  EXPECT_EQ(error_of([&] { (void)x.data_ptr<double>(); }), "data_ptr: tensor has dtype Float32, requested Float64");
}

// ---------------------------------------------------------------- undefined tensors

TEST(Errors, MetadataOfUndefinedTensorNamesTheAccessor) {
  tg::Tensor undefined;
  EXPECT_EQ(error_of([&] { (void)undefined.sizes(); }), "sizes: called on an undefined tensor");
}

TEST(Errors, ArithmeticWithUndefinedTensorNamesTheOp) {
  tg::Tensor undefined;
  tg::Tensor x = tg::ones({2});
  EXPECT_EQ(error_of([&] { (void)(undefined + x); }), "add: first input is an undefined tensor");
  EXPECT_EQ(error_of([&] { (void)(x * undefined); }), "mul: second input is an undefined tensor");
}

TEST(Errors, UnaryOpOnUndefinedTensorNamesTheOp) {
  tg::Tensor undefined;
  EXPECT_EQ(error_of([&] { (void)undefined.exp(); }), "exp: input is an undefined tensor");
  EXPECT_EQ(error_of([&] { (void)undefined.sum(); }), "sum: input is an undefined tensor");
  EXPECT_EQ(error_of([&] { (void)undefined.reshape({1}); }), "reshape: input is an undefined tensor");
}

TEST(Errors, BackwardOnUndefinedTensorIsAnError) {
  tg::Tensor undefined;
  EXPECT_THAT(error_of([&] { undefined.backward(); }), AllOf(HasSubstr("backward"), HasSubstr("undefined")));
}

TEST(Errors, LikeFactoryOfUndefinedTensorIsAnError) {
  tg::Tensor undefined;
  EXPECT_THAT(error_of([&] { (void)tg::zeros_like(undefined); }), HasSubstr("undefined"));
}

// ---------------------------------------------------------------- factories

TEST(Errors, ZerosWithNegativeSizeNamesTheOpAndShape) {
  EXPECT_THAT(error_of([] {
                (void)tg::zeros({2, -1});
              }),
              AllOf(HasSubstr("zeros"), HasSubstr("-1"), HasSubstr("[2, -1]")));
}

TEST(Errors, OnesWithNegativeSizeNamesTheOpAndShape) {
  EXPECT_THAT(error_of([] { (void)tg::ones({-3}); }), AllOf(HasSubstr("ones"), HasSubstr("-3"), HasSubstr("[-3]")));
}

TEST(Errors, RandnWithNegativeSizeNamesTheOp) {
  EXPECT_THAT(error_of([] { (void)tg::randn({-2}); }), AllOf(HasSubstr("randn"), HasSubstr("[-2]")));
}

TEST(Errors, ArangeWithZeroStepIsRejected) {
  EXPECT_EQ(error_of([] { (void)tg::arange(0, 5, 0); }), "arange: step must be nonzero");
}

TEST(Errors, ArangeWithStepOfWrongSignNamesTheBounds) {
  EXPECT_THAT(error_of([] { (void)tg::arange(0, 5, -1); }),
              AllOf(HasSubstr("arange"), HasSubstr("5"), HasSubstr("-1")));
}

TEST(Errors, RandintWithEmptyRangeNamesLowAndHigh) {
  EXPECT_EQ(error_of([] { (void)tg::randint(5, 5, {3}); }), "randint: expected low < high, got low=5 high=5");
  EXPECT_THAT(error_of([] { (void)tg::randint(7, 2, {3}); }), AllOf(HasSubstr("low=7"), HasSubstr("high=2")));
}

TEST(Errors, RandWithIntegerDtypeIsRejected) {
  EXPECT_THAT(error_of([] { (void)tg::rand({2}, tg::kInt64); }), AllOf(HasSubstr("rand"), HasSubstr("floating-point")));
}

TEST(Errors, RaggedNestedListIsRejected) {
  EXPECT_THAT(error_of([] { (void)tg::tensor({{1.0, 2.0}, {3.0}}); }), AllOf(HasSubstr("tensor"), HasSubstr("ragged")));
}

TEST(Errors, WhereWithNonBoolConditionNamesTheDtype) {
  tg::Tensor condition = tg::tensor({1.0, 0.0, 1.0});
  tg::Tensor a = tg::ones({3});
  tg::Tensor b = tg::zeros({3});
  EXPECT_EQ(error_of([&] { (void)tg::where(condition, a, b); }),
            "where: condition must be a Bool tensor, got Float32 (shape [3])");
}

TEST(Errors, SetNumThreadsRejectsZero) {
  EXPECT_THAT(error_of([] { tg::set_num_threads(0); }), AllOf(HasSubstr("set_num_threads"), HasSubstr("0")));
}

// ---------------------------------------------------------------- gradcheck

TEST(Errors, GradcheckWithFloat32InputAsksForFloat64) {
  tg::Tensor x = tg::ones({3}, tg::TensorOptions().dtype(tg::kFloat32).requires_grad(true));
  auto fn = [](const std::vector<tg::Tensor>& in) { return in[0] * in[0]; };
  EXPECT_THAT(error_of([&] { (void)tg::autograd::gradcheck(fn, {x}); }),
              AllOf(HasSubstr("gradcheck"), HasSubstr("input 0"), HasSubstr("Float32"), HasSubstr("Float64")));
}

TEST(Errors, GradcheckReportsAWrongGradientWithBothValues) {
  // step() has a zero gradient by definition, but a jump at the threshold: finite differences
  // straddling x = 0 see a slope of 1 / (2 eps), so gradcheck must fail there.
  tg::Tensor x = tg::zeros({1}, tg::TensorOptions().dtype(tg::kFloat64).requires_grad(true));
  auto fn = [](const std::vector<tg::Tensor>& in) { return tg::step(in[0]); };
  EXPECT_THAT(error_of([&] { (void)tg::autograd::gradcheck(fn, {x}); }),
              AllOf(HasSubstr("gradcheck: Jacobian mismatch"), HasSubstr("analytical 0")));
}

}  // namespace
