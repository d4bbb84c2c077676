// The core layer on its own: this program links tapegrad::core and nothing above it (no Tensor, no
// autograd), so it also proves that core builds and links alone. It drives the kernels through
// core's internal interface (the one autograd uses) and checks them against naive loops.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tapegrad/checked_math.h"
#include "tapegrad/internal/kernels.h"
#include "tapegrad/internal/tensor_impl.h"
#include "tapegrad/ordered_dict.h"
#include "tapegrad/small_vector.h"
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

// max_pool2d has three loops: 2x2 windows with stride 2 (vectorized, two passes), other windows
// inside the plane, and the general one (padding, dilation). All must keep libtorch's rule (the
// first maximum wins; a NaN takes over, so the last NaN wins) on values full of ties, signed zeros,
// infinities and NaNs, in float and double, checked against a plain scan of each window.
TEST(Core, MaxPoolPathsKeepTheFirstMaximumAndTheLastNaN) {
  const double nan = std::nan("");
  // NaNs of both signs: the window's NaN is returned as it is (libtorch), so its sign must survive
  const std::vector<double> palette{1, -1, 0, -0.0, 2, -INFINITY, INFINITY, nan, 2, 1, -nan};
  struct Case {
    int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  };
  for (const Case c : {Case{2, 2, 2, 2, 0, 0, 1, 1}, Case{3, 3, 1, 1, 0, 0, 1, 1}, Case{2, 3, 1, 2, 0, 0, 1, 1},
                       Case{3, 3, 2, 2, 1, 1, 1, 1}, Case{2, 2, 1, 1, 0, 0, 2, 2}})
    for (tg::ScalarType dtype : {tg::kFloat32, tg::kFloat64}) {
      const int64_t H = 9, W = 12;
      std::vector<double> xv(2 * H * W);
      for (std::size_t i = 0; i < xv.size(); ++i) xv[i] = palette[(i * 7 + i / 5) % palette.size()];
      xv[3] = nan;  // a NaN in the first window of the first row, and rows without any
      kernels::Window2d w{
          .kh = c.kh, .kw = c.kw, .dh = c.dh, .dw = c.dw, .ph = c.ph, .pw = c.pw, .sh = c.sh, .sw = c.sw};
      w.oh = (H + 2 * c.ph - c.dh * (c.kh - 1) - 1) / c.sh + 1;
      w.ow = (W + 2 * c.pw - c.dw * (c.kw - 1) - 1) / c.sw + 1;
      auto [out, indices] = kernels::max_pool2d(make({1, 2, H, W}, xv, dtype), w);
      std::vector<double> got;
      for (int64_t i = 0; i < out.numel(); ++i)
        got.push_back(dtype == tg::kFloat32 ? out.data_ptr<float>()[i] : out.data_ptr<double>()[i]);
      for (int64_t plane = 0; plane < 2; ++plane)
        for (int64_t oy = 0; oy < w.oh; ++oy)
          for (int64_t ox = 0; ox < w.ow; ++ox) {
            double best = -INFINITY;
            int64_t at = -1;
            for (int64_t i = 0; i < c.kh; ++i)
              for (int64_t j = 0; j < c.kw; ++j) {
                const int64_t y = oy * c.sh - c.ph + i * c.dh, x = ox * c.sw - c.pw + j * c.dw;
                if (y < 0 || y >= H || x < 0 || x >= W) continue;
                const double v = xv[static_cast<std::size_t>((plane * H + y) * W + x)];
                if (at < 0) at = y * W + x;  // an all -inf window: its first position
                if (v > best || std::isnan(v)) {
                  best = v;
                  at = y * W + x;
                }
              }
            const int64_t k = (plane * w.oh + oy) * w.ow + ox;
            const std::string where = "kernel " + std::to_string(c.kh) + "x" + std::to_string(c.kw) + " stride " +
                                      std::to_string(c.sh) + " plane " + std::to_string(plane) + " output (" +
                                      std::to_string(oy) + ", " + std::to_string(ox) + ")";
            EXPECT_EQ(indices.data_ptr<int64_t>()[k], at) << where;
            if (std::isnan(best))
              EXPECT_TRUE(std::isnan(got[static_cast<std::size_t>(k)])) << where;
            else
              EXPECT_EQ(got[static_cast<std::size_t>(k)], best) << where;
            EXPECT_EQ(std::signbit(got[static_cast<std::size_t>(k)]), std::signbit(best)) << where;
          }
    }
}

// Signed zeros compare equal, so only the order of arrival decides which one a window returns.
TEST(Core, MaxPoolReturnsTheFirstOfEqualSignedZeros) {
  kernels::Window2d w{.kh = 2, .kw = 2, .dh = 1, .dw = 1, .ph = 0, .pw = 0, .sh = 2, .sw = 2};
  w.oh = 1;
  w.ow = 2;
  for (tg::ScalarType dtype : {tg::kFloat32, tg::kFloat64}) {
    // window 0: -0 first, then 0 below it; window 1: 0 first, then -0 below it
    auto [out, indices] = kernels::max_pool2d(make({1, 1, 2, 4}, {-0.0, -1, 0.0, -1, 0.0, -1, -0.0, -1}, dtype), w);
    const double first = dtype == tg::kFloat32 ? out.data_ptr<float>()[0] : out.data_ptr<double>()[0];
    const double second = dtype == tg::kFloat32 ? out.data_ptr<float>()[1] : out.data_ptr<double>()[1];
    EXPECT_TRUE(std::signbit(first));
    EXPECT_FALSE(std::signbit(second));
    EXPECT_EQ(indices.data_ptr<int64_t>()[0], 0);
    EXPECT_EQ(indices.data_ptr<int64_t>()[1], 2);
  }
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

// The loops run with the instruction set tg::get_cpu_capability() names: the CPU's best unless
// TG_CPU_CAPABILITY=default asks for the baseline (ctest runs this program both ways in a portable
// build); a -march=native build reports what it was compiled for; a sanitizer build has only the
// baseline loops.
// DimVector against std::vector through a fixed pseudo-random run of every mutation, so that each
// crosses the inline/heap boundary (6 dims) both ways; copies and moves of both kinds; a heap
// buffer is stolen by a move; assigning a slice of itself.
TEST(Core, DimVectorBehavesAsAVectorAcrossTheInlineLimit) {
  EXPECT_EQ(sizeof(tg::DimVector), 56u);
  tg::DimVector v;
  std::vector<int64_t> model;
  uint64_t state = 12345;
  auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  for (int step = 0; step < 4000; ++step) {
    const int64_t value = int64_t(next(1000)) - 500;
    switch (next(7)) {
      case 0:
        if (model.size() < 14) {
          v.push_back(value);
          model.push_back(value);
        }
        break;
      case 1: {
        const std::size_t n = next(14);
        v.resize(n, value);
        model.resize(n, value);
        break;
      }
      case 2:
        if (!model.empty()) {
          const std::size_t pos = next(model.size());
          v.erase(pos);
          model.erase(model.begin() + std::ptrdiff_t(pos));
        }
        break;
      case 3:
        if (model.size() < 14) {
          const std::size_t pos = next(model.size() + 1);
          v.insert(pos, value);
          model.insert(model.begin() + std::ptrdiff_t(pos), value);
        }
        break;
      case 4: {  // a slice of itself
        const std::size_t from = model.empty() ? 0 : next(model.size());
        v.assign(tg::IntArrayRef(v.data() + from, model.size() - from));
        model.erase(model.begin(), model.begin() + std::ptrdiff_t(from));
        break;
      }
      case 5: {
        tg::DimVector copy(v);
        tg::DimVector assigned;
        assigned = v;
        ASSERT_EQ(copy.vec(), model);
        ASSERT_EQ(assigned.vec(), model);
        const int64_t* buffer = copy.data();
        tg::DimVector moved(std::move(copy));
        EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): a move leaves it empty
        if (model.size() > tg::DimVector::kInline) {
          EXPECT_EQ(moved.data(), buffer);  // stolen, not copied
        }
        v = std::move(moved);
        break;
      }
      default: {
        const std::size_t n = next(14);
        std::vector<int64_t> values(n, value);
        for (std::size_t i = 0; i < n; ++i) values[i] += int64_t(i);
        v = tg::DimVector(tg::IntArrayRef(values));
        model = values;
      }
    }
    ASSERT_EQ(v.size(), model.size()) << "step " << step;
    ASSERT_EQ(v.vec(), model) << "step " << step;
    ASSERT_TRUE(tg::IntArrayRef(v) == tg::IntArrayRef(model));
  }
}

// SmallVector with an element type that owns memory (ASan reports any element it leaks or
// destroys twice): inline up to N, then the pool; a move steals a block and moves inline elements.
TEST(Core, SmallVectorKeepsTwoInsideAndMovesToThePoolBeyond) {
  auto live = std::make_shared<int>(0);  // use_count() - 1 = elements alive
  auto alive = [&] { return live.use_count() - 1; };
  {
    tg::SmallVector<std::shared_ptr<int>, 2> v;
    v.push_back(live);
    v.emplace_back(live);
    EXPECT_TRUE(v.is_inline());
    EXPECT_EQ(alive(), 2);
    v.push_back(v[0]);  // an element of itself, while it grows
    EXPECT_FALSE(v.is_inline());
    EXPECT_EQ(v.size(), 3u);
    EXPECT_EQ(alive(), 3);
    for (const auto& p : v) EXPECT_EQ(p, live);
    const std::shared_ptr<int>* block = v.data();
    tg::SmallVector<std::shared_ptr<int>, 2> stolen(std::move(v));
    EXPECT_EQ(stolen.data(), block);
    EXPECT_TRUE(v.empty() && v.is_inline());  // NOLINT(bugprone-use-after-move): a move leaves it empty
    EXPECT_EQ(alive(), 3);
    stolen.resize(1);
    EXPECT_EQ(alive(), 1);
    tg::SmallVector<std::shared_ptr<int>, 2> moved_inline;
    moved_inline.resize(2);
    moved_inline = std::move(stolen);  // the two empty pointers die, the block moves
    EXPECT_EQ(moved_inline.size(), 1u);
    EXPECT_EQ(alive(), 1);
    tg::SmallVector<std::shared_ptr<int>, 2> small;
    small.push_back(live);
    tg::SmallVector<std::shared_ptr<int>, 2> from_small(std::move(small));
    EXPECT_TRUE(from_small.is_inline());
    EXPECT_EQ(alive(), 2);
    from_small.reserve(40);  // past the pool's largest block: operator new
    for (int i = 0; i < 39; ++i) from_small.push_back(live);
    EXPECT_EQ(alive(), 41);
  }
  EXPECT_EQ(alive(), 0);
}

TEST(Core, CpuCapabilityFollowsTheCpuAndTheEnvironment) {
  const char* env = std::getenv("TG_CPU_CAPABILITY");
  const bool forced_default = !TG_NATIVE_BUILD && env != nullptr && std::string(env) == "default";
  const bool cpu_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx2 = TG_NATIVE_BUILD ? cpu_avx2 : !TG_SANITIZED_BUILD && !forced_default && cpu_avx2;
  EXPECT_EQ(tg::get_cpu_capability(), avx2 ? "AVX2" : "DEFAULT");
}

// Every length from 0 to 70 (vector bodies, their remainders, and none) and an offset start, for
// float and double, against plain loops: the same figures from either copy of the loops.
TEST(Core, PointwiseAndReductionLoopsMatchPlainLoopsAtEveryLength) {
  for (tg::ScalarType dtype : {tg::kFloat32, tg::kFloat64}) {
    for (int64_t n = 0; n <= 70; ++n) {
      std::vector<double> a(n + 1), b(n + 1);
      for (int64_t i = 0; i <= n; ++i) {
        a[i] = std::sin(0.7 * double(i)) * 3;
        b[i] = std::cos(1.3 * double(i)) - 0.25;
      }
      // offset 1: the data starts one element into the buffer, unaligned for a vector load
      TensorBase ta = tg::detail::make_view(make({n + 1}, a, dtype), {n}, {1}, 1, "slice");
      TensorBase tb = tg::detail::make_view(make({n + 1}, b, dtype), {n}, {1}, 1, "slice");
      auto as_double = [&](const TensorBase& t) {
        TensorBase wide = tg::detail::make_tensor(t.sizes(), tg::kFloat64);
        kernels::copy(wide, t);
        return values(wide);
      };
      auto round = [&](double v) { return dtype == tg::kFloat32 ? double(float(v)) : v; };
      const std::vector<double> sum = as_double(kernels::binary(ta, tb, kernels::Binary::Add));
      const std::vector<double> product = as_double(kernels::binary(ta, tb, kernels::Binary::Mul));
      const std::vector<double> maximum = as_double(kernels::binary(ta, tb, kernels::Binary::Maximum));
      ASSERT_EQ(sum.size(), std::size_t(n));
      double total = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double x = round(a[i + 1]), y = round(b[i + 1]);
        EXPECT_EQ(sum[i], round(x + y)) << "n " << n << " i " << i;
        EXPECT_EQ(product[i], round(x * y)) << "n " << n << " i " << i;
        EXPECT_EQ(maximum[i], std::max(x, y)) << "n " << n << " i " << i;
        total += x;
      }
      const std::vector<double> reduced =
          as_double(kernels::reduce(ta, std::vector<int64_t>{0}, false, kernels::Reduce::Sum));
      EXPECT_NEAR(reduced.at(0), total, 1e-5 * (1 + std::abs(total))) << "n " << n;
    }
  }
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

// The live counts are kept per thread and summed: a storage made on one thread and freed on another,
// and the counts a thread leaves when it exits, must still add up.
TEST(Core, MemoryStatsAddUpAcrossThreads) {
  const tg::MemoryStats before = tg::memory_stats();
  TensorBase made_elsewhere;
  std::thread maker([&] {
    made_elsewhere = tg::detail::make_tensor({300}, tg::kFloat32);         // freed on the main thread
    TensorBase temporary = tg::detail::make_tensor({5000}, tg::kFloat64);  // freed here
  });
  maker.join();  // the thread has exited: its counts moved to the registry's total
  EXPECT_EQ(tg::memory_stats().live_storages, before.live_storages + 1);
  EXPECT_GE(tg::memory_stats().live_bytes, before.live_bytes + 1200);
  std::thread freer([&] { made_elsewhere = TensorBase(); });
  freer.join();
  EXPECT_EQ(tg::memory_stats().live_storages, before.live_storages);
  EXPECT_EQ(tg::memory_stats().live_bytes, before.live_bytes);
}

}  // namespace
