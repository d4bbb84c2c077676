// The core layer on its own: this program links tapegrad::core and nothing above it (no Tensor, no
// autograd), so it also proves that core builds and links alone. It drives the kernels through
// core's internal interface (the one autograd uses) and checks them against naive loops.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tapegrad/checked_math.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/tensor_impl.h"
#include "tapegrad/ordered_dict.h"
#include "tapegrad/tensor_base.h"

namespace {

using tg::TensorBase;
namespace kernels = tg::kernels;

TensorBase make(std::vector<int64_t> sizes, const std::vector<double>& values, tg::ScalarType dtype = tg::kFloat64) {
  TensorBase t = tg::detail::make_tensor(sizes, dtype);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == tg::kFloat64)
      t.data_ptr<double>()[i] = values[i];
    else if (dtype == tg::kFloat32)
      t.data_ptr<float>()[i] = static_cast<float>(values[i]);
    else
      t.data_ptr<int64_t>()[i] = static_cast<int64_t>(values[i]);
  }
  return t;
}

std::vector<double> values(const TensorBase& t) {
  TensorBase c = kernels::contiguous(t);
  std::vector<double> out;
  for (int64_t i = 0; i < c.numel(); ++i) out.push_back(c.data_ptr<double>()[i]);
  return out;
}

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Core, TensorBaseMetadataAndData) {
  TensorBase t = make({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(t.dim(), 2);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.size(-1), 3);
  EXPECT_EQ(t.stride(0), 3);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.toString(), "CPUDoubleType");
  EXPECT_EQ(make({}, {2.5}).item<double>(), 2.5);
  EXPECT_NE(error_of([&] { t.data_ptr<float>(); }).find("data_ptr: tensor has dtype Float64, requested Float32"),
            std::string::npos);
  EXPECT_NE(error_of([&] { t.item<double>(); }).find("item: a Tensor with 6 elements"), std::string::npos);
  EXPECT_NE(error_of([] { TensorBase().sizes(); }).find("sizes: called on an undefined tensor"), std::string::npos);
}

TEST(Core, ViewsShareStorageAndStayInside) {
  TensorBase t = make({2, 3}, {1, 2, 3, 4, 5, 6});
  TensorBase transposed = tg::detail::make_view(t, {3, 2}, {1, 3}, 0, "transpose");
  EXPECT_TRUE(transposed.is_alias_of(t));
  EXPECT_FALSE(transposed.is_contiguous());
  EXPECT_EQ(values(transposed), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_NE(error_of([&] {
              tg::detail::make_view(t, {3, 3}, {3, 1}, 0, "as_strided");
            }).find("as_strided"),
            std::string::npos);
}

TEST(Core, PointwiseKernelsBroadcastAndPromote) {
  TensorBase a = make({2, 1}, {1, 2});
  TensorBase b = make({3}, {10, 20, 30}, tg::kInt64);
  TensorBase sum = kernels::binary(a, b, kernels::Binary::Add);
  EXPECT_EQ(sum.dtype(), tg::kFloat64);  // Float64 + Int64 -> Float64, as libtorch
  EXPECT_EQ(std::vector<int64_t>(sum.sizes().begin(), sum.sizes().end()), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values(sum), (std::vector<double>{11, 21, 31, 12, 22, 32}));
  TensorBase clamped = kernels::unary(make({4}, {-2, -0.5, 0.5, 2}), kernels::Unary::Clamp, -1, 1);
  EXPECT_EQ(values(clamped), (std::vector<double>{-1, -0.5, 0.5, 1}));
  TensorBase lt = kernels::binary(make({2}, {1, 5}), make({2}, {3, 3}), kernels::Binary::Lt);
  EXPECT_EQ(lt.dtype(), tg::kBool);
  EXPECT_EQ(lt.data_ptr<bool>()[0], true);
  EXPECT_EQ(lt.data_ptr<bool>()[1], false);
  EXPECT_NE(error_of([] {
              kernels::broadcast_shape(std::vector<int64_t>{2, 3}, std::vector<int64_t>{4}, "add");
            }).find("add"),
            std::string::npos);
}

TEST(Core, ReductionsAndMatmulMatchNaiveLoops) {
  TensorBase x = make({2, 3}, {1, -2, 3, 4, 5, -6});
  EXPECT_EQ(values(kernels::reduce(x, std::vector<int64_t>{1}, false, kernels::Reduce::Sum)),
            (std::vector<double>{2, 3}));
  EXPECT_EQ(values(kernels::reduce(x, std::vector<int64_t>{0}, true, kernels::Reduce::Max)),
            (std::vector<double>{4, 5, 3}));
  TensorBase w = make({3, 2}, {1, 2, 3, 4, 5, 6});
  std::vector<double> expected(4, 0.0);
  const std::vector<double> xv = values(x), wv = values(w);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 3; ++k) expected[i * 2 + j] += xv[i * 3 + k] * wv[k * 2 + j];
  EXPECT_EQ(values(kernels::matmul2d(x, w)), expected);
}

TEST(Core, Im2colAndCol2imAreAdjoint) {
  // <im2col(x), c> == <x, col2im(c)> for any x, c: col2im is im2col's transpose
  kernels::Window2d w{.kh = 2, .kw = 2, .dh = 1, .dw = 1, .ph = 1, .pw = 0, .sh = 1, .sw = 2};
  w.oh = (3 + 2 * 1 - 2) / 1 + 1;
  w.ow = (4 - 2) / 2 + 1;
  std::vector<double> xv(12), cv(4 * w.oh * w.ow);  // C*kh*kw rows of oh*ow columns
  for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = std::sin(static_cast<double>(i) + 1);
  for (std::size_t i = 0; i < cv.size(); ++i) cv[i] = std::cos(static_cast<double>(i) * 0.7);
  TensorBase x = make({1, 1, 3, 4}, xv);
  TensorBase cols = kernels::im2col(x, w);
  ASSERT_EQ(cols.numel(), static_cast<int64_t>(cv.size()));
  TensorBase c = make({1, 4, w.oh * w.ow}, cv);
  TensorBase folded = kernels::col2im(c, 1, 3, 4, w);
  double lhs = 0, rhs = 0;
  const std::vector<double> colv = values(cols), fv = values(folded);
  for (std::size_t i = 0; i < cv.size(); ++i) lhs += colv[i] * cv[i];
  for (std::size_t i = 0; i < xv.size(); ++i) rhs += xv[i] * fv[i];
  EXPECT_NEAR(lhs, rhs, 1e-12);
  // the first window (row -1 is padding) reads x[0][0], x[0][1] in its bottom row
  EXPECT_EQ(colv[0 * w.oh * w.ow], 0.0);
  EXPECT_EQ(colv[2 * w.oh * w.ow], xv[0]);
  EXPECT_EQ(colv[3 * w.oh * w.ow], xv[1]);
}

TEST(Core, MaxPoolReturnsTheFirstMaximumAndItsIndex) {
  kernels::Window2d w{.kh = 2, .kw = 2, .dh = 1, .dw = 1, .ph = 0, .pw = 0, .sh = 2, .sw = 2};
  w.oh = 1;
  w.ow = 2;
  TensorBase x = make({1, 1, 2, 4}, {1, 7, 3, 3, 7, 2, 3, 0});
  auto [out, indices] = kernels::max_pool2d(x, w);
  EXPECT_EQ(values(out), (std::vector<double>{7, 3}));
  EXPECT_EQ(indices.data_ptr<int64_t>()[0], 1);  // 7 at (0, 1) comes before 7 at (1, 0)
  EXPECT_EQ(indices.data_ptr<int64_t>()[1], 2);
}

TEST(Core, CheckedMathNamesTheOpAndTheShape) {
  const std::vector<int64_t> shape{int64_t{1} << 40, int64_t{1} << 40};
  std::string message = error_of([&] { tg::checked_numel(shape, "reshape"); });
  EXPECT_NE(message.find("reshape"), std::string::npos) << message;
  EXPECT_NE(message.find("[1099511627776, 1099511627776]"), std::string::npos) << message;
  EXPECT_EQ(tg::checked_mul(6, 7, "mul", shape), 42);
}

TEST(Core, OrderedDictKeepsInsertionOrder) {
  tg::OrderedDict<std::string, int> dict;
  dict.insert("weight", 1);
  dict.insert("bias", 2);
  EXPECT_EQ(dict.keys(), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_NE(error_of([&] { dict.insert("bias", 3); }).find("bias"), std::string::npos);
}

TEST(Core, ThreadCountAndMemoryStats) {
  const int before = tg::get_num_threads();
  tg::set_num_threads(1);
  EXPECT_EQ(tg::get_num_threads(), 1);
  tg::set_num_threads(before);
  const int64_t live = tg::memory_stats().live_bytes;
  {
    TensorBase t = tg::detail::make_tensor({1000}, tg::kFloat64);
    EXPECT_GE(tg::memory_stats().live_bytes, live + 8000);
  }
  EXPECT_EQ(tg::memory_stats().live_bytes, live);
}

}  // namespace
