// Printing: operator<< and fmt give the same libtorch-like text: the values (summarised when large,
// 2-D slices for higher ranks), then "[ CPUFloatType{2,3}, requires_grad=..., grad_fn=...,
// is_leaf=... ]".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "tapegrad/tapegrad.h"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string streamed(const tg::Tensor& t) {
  std::ostringstream out;
  out << t;
  return out.str();
}

// The part before the "[ CPU...Type{...} ... ]" line.
std::string values_part(const std::string& text) { return text.substr(0, text.rfind("[ CPU")); }

TEST(Format, StreamAndFmtGiveIdenticalText) {
  tg::Tensor x = tg::tensor({{1.5, -2.0}, {3.25, 4.0}}, tg::requires_grad());
  tg::Tensor y = x * x;
  EXPECT_EQ(streamed(y), fmt::format("{}", y));
  EXPECT_EQ(streamed(y), tg::to_string(y));
  EXPECT_EQ(streamed(x), fmt::format("{}", x));
}

TEST(Format, SmallIntegerMatrixPrintsRowsThenTypeLine) {
  tg::Tensor t = tg::tensor({{1, 2}, {3, 4}});
  EXPECT_THAT(streamed(t), StartsWith(" 1 2\n 3 4\n[ CPULongType{2,2}"));
}

TEST(Format, OpOutputShowsTypeShapeGradFnAndNonLeaf) {
  tg::Tensor a = tg::ones({2, 3}, tg::requires_grad());
  tg::Tensor b = tg::full({2, 3}, 2.0);
  std::string text = streamed(a * b);
  EXPECT_THAT(text, AllOf(HasSubstr("CPUFloatType{2,3}"), HasSubstr("requires_grad=true"),
                          HasSubstr("grad_fn=MulBackward0"), HasSubstr("is_leaf=false")));
  EXPECT_EQ(values_part(text), " 2 2 2\n 2 2 2\n");
}

TEST(Format, GradFnNameFollowsTheOp) {
  tg::Tensor a = tg::ones({2}, tg::requires_grad());
  EXPECT_THAT(streamed(a.sum()), HasSubstr("grad_fn=SumBackward0"));
  EXPECT_THAT(streamed(a.exp()), HasSubstr("grad_fn=ExpBackward0"));
  EXPECT_EQ(tg::grad_fn_name(a * a), "MulBackward0");
}

TEST(Format, LeafRequiringGradShowsIsLeafTrueAndNoGradFn) {
  tg::Tensor a = tg::zeros({3}, tg::requires_grad());
  std::string text = streamed(a);
  EXPECT_THAT(text, AllOf(HasSubstr("CPUFloatType{3}"), HasSubstr("requires_grad=true"), HasSubstr("is_leaf=true"),
                          Not(HasSubstr("grad_fn"))));
}

TEST(Format, PlainTensorShowsRequiresGradFalse) {
  std::string text = streamed(tg::zeros({1}));
  EXPECT_THAT(text, AllOf(HasSubstr("requires_grad=false"), HasSubstr("is_leaf=true")));
}

TEST(Format, FractionalValuesPrintWithFourDecimals) {
  tg::Tensor t = tg::tensor({{1.5, -2.25}, {0.125, 10.0}});
  std::string values = values_part(streamed(t));
  EXPECT_THAT(values, AllOf(HasSubstr("1.5000"), HasSubstr("-2.2500"), HasSubstr("0.1250"), HasSubstr("10.0000")));
}

TEST(Format, WholeFloatValuesPrintWithoutDecimals) {
  tg::Tensor t = tg::tensor({{1.0, 2.0}, {3.0, 40.0}});
  EXPECT_THAT(streamed(t), StartsWith("  1  2\n  3 40\n[ CPUFloatType{2,2}"));
}

TEST(Format, Int64PrintsIntegers) {
  tg::Tensor t = tg::tensor({7, -12, 300});
  std::string text = streamed(t);
  EXPECT_THAT(text, HasSubstr("CPULongType{3}"));
  std::string values = values_part(text);
  EXPECT_THAT(values, AllOf(HasSubstr("7"), HasSubstr("-12"), HasSubstr("300"), Not(HasSubstr("."))));
}

TEST(Format, Float64AndBoolNameTheirTypes) {
  EXPECT_THAT(streamed(tg::zeros({2}, tg::kFloat64)), HasSubstr("CPUDoubleType{2}"));
  tg::Tensor b = tg::tensor({true, false});
  std::string text = streamed(b);
  EXPECT_THAT(text, StartsWith(" 1\n 0\n[ CPUBoolType{2}"));
}

TEST(Format, ZeroDimTensorPrintsItsValueAndEmptyShape) {
  std::string text = streamed(tg::tensor(2.5));
  EXPECT_THAT(text, AllOf(StartsWith("2.5000\n"), HasSubstr("CPUFloatType{}")));
}

TEST(Format, NanAndInfinityAreSpelledOut) {
  tg::Tensor t = tg::tensor({NAN, INFINITY, -INFINITY, 0.5});
  std::string values = values_part(streamed(t));
  EXPECT_THAT(values, AllOf(HasSubstr("nan"), HasSubstr("inf"), HasSubstr("-inf"), HasSubstr("0.5000")));
}

TEST(Format, LargeTensorIsSummarisedWithEllipsis) {
  tg::Tensor t = tg::arange(2000);
  std::string text = streamed(t);
  std::string values = values_part(text);
  EXPECT_THAT(values, AllOf(HasSubstr("..."), HasSubstr("1999"), HasSubstr("1997")));
  EXPECT_THAT(values, Not(HasSubstr("1000")));
  EXPECT_THAT(text, HasSubstr("CPULongType{2000}"));
  EXPECT_LT(text.size(), 200u) << "2000 elements were printed in full";
}

TEST(Format, LargeMatrixIsSummarisedInBothDims) {
  tg::Tensor t = tg::arange(100 * 100, tg::kFloat32).view({100, 100});
  std::string values = values_part(streamed(t));
  // row 0 starts 0 1 2 ... 97 98 99; the last row ends with 9999
  EXPECT_THAT(values, AllOf(HasSubstr("..."), HasSubstr("9999"), Not(HasSubstr("5050"))));
  EXPECT_LT(values.size(), 1000u);
}

TEST(Format, TensorAtTheThresholdIsPrintedInFull) {
  tg::Tensor t = tg::arange(1000);
  EXPECT_THAT(values_part(streamed(t)), AllOf(HasSubstr(" 500\n"), Not(HasSubstr("..."))));
}

TEST(Format, ThreeDimTensorPrintsLabelledSlices) {
  tg::Tensor t = tg::arange(8).view({2, 2, 2});
  std::string text = streamed(t);
  EXPECT_THAT(text, StartsWith("(0,.,.) = \n 0 1\n 2 3\n\n(1,.,.) = \n 4 5\n 6 7\n"));
  EXPECT_THAT(text, HasSubstr("CPULongType{2,2,2}"));
}

TEST(Format, FourDimTensorLabelsSlicesWithTwoIndices) {
  tg::Tensor t = tg::zeros({2, 1, 2, 2});
  std::string text = streamed(t);
  EXPECT_THAT(text, AllOf(HasSubstr("(0,0,.,.) ="), HasSubstr("(1,0,.,.) =")));
}

TEST(Format, TransposedViewPrintsTransposedValues) {
  tg::Tensor t = tg::tensor({{1, 2, 3}, {4, 5, 6}}).t();
  EXPECT_THAT(streamed(t), StartsWith(" 1 4\n 2 5\n 3 6\n[ CPULongType{3,2}"));
}

TEST(Format, UndefinedTensorPrintsAPlaceholder) { EXPECT_EQ(streamed(tg::Tensor()), "[ Tensor (undefined) ]"); }

TEST(Format, DtypesPrintTheirNames) {
  std::ostringstream out;
  out << tg::kInt64;
  EXPECT_EQ(out.str(), "Int64");
  EXPECT_EQ(fmt::format("{}", tg::kFloat64), "Float64");
  EXPECT_EQ(std::string(tg::dtype_name(tg::kBool)), "Bool");
}

}  // namespace
