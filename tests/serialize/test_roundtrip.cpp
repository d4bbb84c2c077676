// tg::safetensors::save then load gives back the same names, dtypes, shapes and bits, for every
// dtype, 0-d and empty tensors and any strides; the file layout is the one documented in
// safetensors.h (data in the given order, header padded to 8 bytes).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "serialize_test_util.h"

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using tg_test::identical;
using tg_test::make_tensor;
using tg_test::TempDir;
namespace st = tg::safetensors;

tg::OrderedDict<std::string, tg::Tensor> dict(std::initializer_list<std::pair<std::string, tg::Tensor>> items) {
  tg::OrderedDict<std::string, tg::Tensor> d("Tensor");
  for (const auto& [name, tensor] : items) d.insert(name, tensor);
  return d;
}

// Saves `tensors`, loads them back and expects every one identical (and in the same order).
void expect_round_trip(const tg::OrderedDict<std::string, tg::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {}) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  st::save(path, tensors, metadata);
  st::File file = st::load(path);
  ASSERT_EQ(file.tensors.keys(), tensors.keys());
  for (const auto& item : tensors) EXPECT_TRUE(identical(file.tensors[item.key()], item.value())) << item.key();
  EXPECT_EQ(file.metadata, metadata);
}

TEST(SafetensorsRoundTrip, Float32KeepsEveryBit) {
  using F = std::numeric_limits<float>;
  expect_round_trip(dict({{"w", make_tensor<float>({2, 4}, {1.5f, -0.0f, F::infinity(), -F::infinity(), F::quiet_NaN(),
                                                            F::denorm_min(), F::max(), 1.0f / 3.0f})}}));
}

TEST(SafetensorsRoundTrip, Float64KeepsEveryBit) {
  using D = std::numeric_limits<double>;
  expect_round_trip(dict(
      {{"w", make_tensor<double>({3, 2}, {0.1, -0.0, D::infinity(), D::quiet_NaN(), D::denorm_min(), D::max()})}}));
}

TEST(SafetensorsRoundTrip, Int64KeepsExtremes) {
  using I = std::numeric_limits<int64_t>;
  expect_round_trip(dict({{"i", make_tensor<int64_t>({4}, {I::min(), I::max(), -1, 0})}}));
}

TEST(SafetensorsRoundTrip, Bool) {
  expect_round_trip(dict({{"mask", make_tensor<bool>({2, 2}, {true, false, false, true})}}));
}

TEST(SafetensorsRoundTrip, ZeroDimTensorsOfEveryDtype) {
  expect_round_trip(dict({{"f", make_tensor<float>({}, {2.5f})},
                          {"d", make_tensor<double>({}, {-0.1})},
                          {"i", make_tensor<int64_t>({}, {42})},
                          {"b", make_tensor<bool>({}, {true})}}));
}

TEST(SafetensorsRoundTrip, EmptyTensorsKeepTheirShape) {
  expect_round_trip(dict({{"a", tg::empty({0}, tg::kFloat32)},
                          {"b", tg::empty({3, 0, 2}, tg::kFloat64)},
                          {"c", tg::empty({0, 5}, tg::kInt64)},
                          {"d", tg::empty({2, 0}, tg::kBool)},
                          {"e", make_tensor<float>({2}, {1, 2})}}));
}

TEST(SafetensorsRoundTrip, OnlyEmptyTensorsGiveAnEmptyDataBuffer) {
  TempDir dir;
  st::save(dir.file("e.safetensors"), dict({{"a", tg::empty({0, 3})}, {"b", tg::empty({0})}}));
  const std::string bytes = tg_test::read_bytes(dir.file("e.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(bytes.size(), 8 + n);
  st::File file = st::load(dir.file("e.safetensors"));
  EXPECT_EQ(file.tensors["a"].sizes().vec(), (std::vector<int64_t>{0, 3}));
}

TEST(SafetensorsRoundTrip, NoTensorsAtAll) {
  TempDir dir;
  st::save(dir.file("none.safetensors"), tg::OrderedDict<std::string, tg::Tensor>("Tensor"), {{"k", "v"}});
  st::File file = st::load(dir.file("none.safetensors"));
  EXPECT_TRUE(file.tensors.is_empty());
  EXPECT_EQ(file.metadata.at("k"), "v");
}

TEST(SafetensorsRoundTrip, NonContiguousInputsAreWrittenPacked) {
  tg::Tensor base = tg::arange(24, tg::kFloat64).reshape({2, 3, 4});
  auto tensors = dict({{"transposed", base.transpose(0, 2)},
                       {"permuted", base.permute({1, 2, 0})},
                       {"step", base.slice(2, 1, 4, 2)},
                       {"offset", base.select(0, 1).narrow(1, 1, 2)},
                       {"expanded", tg::arange(3, tg::kInt64).unsqueeze(0).expand({4, 3})},
                       {"bool_t", (base > 10.0).transpose(0, 1)}});
  for (const auto& item : tensors) {
    ASSERT_FALSE(item.value().is_contiguous()) << item.key();
  }
  TempDir dir;
  st::save(dir.file("v.safetensors"), tensors);
  st::File file = st::load(dir.file("v.safetensors"));
  for (const auto& item : tensors) {
    EXPECT_TRUE(file.tensors[item.key()].is_contiguous());
    EXPECT_TRUE(identical(file.tensors[item.key()], item.value().contiguous())) << item.key();
  }
  // Spot-check one value by hand: transposed[3][1][0] = base[0][1][3] = 7.
  EXPECT_EQ(file.tensors["transposed"].index({3, 1, 0}).item<double>(), 7.0);
}

TEST(SafetensorsRoundTrip, ManyDimensions) {
  expect_round_trip(dict({{"deep", tg::arange(256, tg::kFloat32).reshape({2, 2, 2, 2, 2, 2, 2, 2})}}));
}

TEST(SafetensorsRoundTrip, TensorThatRequiresGradSavesItsData) {
  tg::Tensor w = tg::randn({3, 2}, tg::kFloat64).requires_grad_();
  tg::Tensor y = w * 2.0;  // a non-leaf with a grad_fn
  TempDir dir;
  st::save(dir.file("g.safetensors"), dict({{"w", w}, {"y", y}}));
  st::File file = st::load(dir.file("g.safetensors"));
  EXPECT_TRUE(identical(file.tensors["w"], w.detach()));
  EXPECT_TRUE(identical(file.tensors["y"], y.detach()));
  EXPECT_FALSE(file.tensors["w"].requires_grad());
}

TEST(SafetensorsRoundTrip, LargeTensor) {
  expect_round_trip(dict({{"big", tg::randn({512, 1024})}, {"small", tg::ones({3})}}));
}

TEST(SafetensorsRoundTrip, MetadataAndUnusualNames) {
  expect_round_trip(dict({{"layer.0.weight", tg::ones({1})},
                          {"with \"quotes\" and \\backslash\\", tg::zeros({1})},
                          {"new\nline\ttab", tg::zeros({2})},
                          {"\xc3\xbcnicode \xe2\x9c\x93", tg::ones({2})},
                          {"", tg::ones({1})}}),
                    {{"format", "pt"}, {"json", "{\"lr\": 0.1}"}, {"", "empty key"}});
}

TEST(SafetensorsRoundTrip, KeepsTheGivenOrderNotAlphabetical) {
  expect_round_trip(dict({{"zeta", tg::ones({1})}, {"alpha", tg::ones({2})}, {"mid", tg::ones({3})}}));
}

TEST(SafetensorsRoundTrip, ThousandTensors) {
  tg::OrderedDict<std::string, tg::Tensor> tensors("Tensor");
  for (int i = 0; i < 1000; ++i) tensors.insert("t" + std::to_string(999 - i), tg::full({i % 3}, i));
  expect_round_trip(tensors);
}

TEST(SafetensorsRoundTrip, OverwritesAnExistingFile) {
  TempDir dir;
  const std::string path = dir.file("w.safetensors");
  st::save(path, dict({{"old", tg::ones({100})}}));
  st::save(path, dict({{"new", tg::zeros({2})}}));
  st::File file = st::load(path);
  EXPECT_EQ(file.tensors.keys(), std::vector<std::string>{"new"});
}

// ---------------------------------------------------------------------- the bytes written

struct Layout {
  uint64_t header_size;
  std::string header;
  std::string data;
};
Layout layout_of(const std::string& path) {
  const std::string bytes = tg_test::read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  return {n, bytes.substr(8, n), bytes.substr(8 + n)};
}

TEST(SafetensorsLayout, HeaderIsPaddedWithSpacesSoDataStartsAligned) {
  TempDir dir;
  for (int len = 1; len <= 9; ++len) {
    st::save(dir.file("a.safetensors"), dict({{std::string(len, 'x'), tg::ones({1}, tg::kFloat64)}}));
    Layout l = layout_of(dir.file("a.safetensors"));
    EXPECT_EQ((8 + l.header_size) % 8, 0u);
    EXPECT_EQ(l.header.front(), '{');
    const std::size_t close = l.header.rfind('}');
    EXPECT_EQ(l.header.find_first_not_of(' ', close + 1), std::string::npos);
    EXPECT_LT(l.header.size() - close - 1, 8u);
  }
}

TEST(SafetensorsLayout, HeaderListsMetadataFirstThenTensorsInOrder) {
  TempDir dir;
  st::save(dir.file("h.safetensors"),
           dict({{"b", make_tensor<float>({2}, {1.0f, 2.0f})}, {"a", make_tensor<int64_t>({}, {7})}}),
           {{"format", "pt"}});
  Layout l = layout_of(dir.file("h.safetensors"));
  EXPECT_THAT(l.header, HasSubstr(R"({"__metadata__":{"format":"pt"},)"
                                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                  R"("a":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})"));
  // 1.0f, 2.0f, then int64 7, all little-endian.
  EXPECT_EQ(l.data, std::string("\x00\x00\x80\x3f\x00\x00\x00\x40\x07\x00\x00\x00\x00\x00\x00\x00", 16));
}

TEST(SafetensorsLayout, NoMetadataMeansNoMetadataKey) {
  TempDir dir;
  st::save(dir.file("m.safetensors"), dict({{"x", tg::ones({1})}}));
  EXPECT_EQ(layout_of(dir.file("m.safetensors")).header.find("__metadata__"), std::string::npos);
}

TEST(SafetensorsLayout, DtypeNames) {
  TempDir dir;
  st::save(dir.file("d.safetensors"), dict({{"f", tg::ones({1}, tg::kFloat32)},
                                            {"d", tg::ones({1}, tg::kFloat64)},
                                            {"i", tg::ones({1}, tg::kInt64)},
                                            {"b", tg::ones({1}, tg::kBool)}}));
  const std::string header = layout_of(dir.file("d.safetensors")).header;
  EXPECT_THAT(header, HasSubstr(R"("f":{"dtype":"F32")"));
  EXPECT_THAT(header, HasSubstr(R"("d":{"dtype":"F64")"));
  EXPECT_THAT(header, HasSubstr(R"("i":{"dtype":"I64")"));
  EXPECT_THAT(header, HasSubstr(R"("b":{"dtype":"BOOL")"));
}

// ---------------------------------------------------------------------- save errors

TEST(SafetensorsSaveErrors, UndefinedTensorIsNamed) {
  TempDir dir;
  const std::string path = dir.file("u.safetensors");
  EXPECT_THAT(tg_test::error_of([&] {
                st::save(path, dict({{"ok", tg::ones({1})}, {"hole", tg::Tensor()}}));
              }),
              AllOf(HasSubstr(path), HasSubstr("'hole'"), HasSubstr("undefined")));
}

TEST(SafetensorsSaveErrors, MetadataKeyCannotNameATensor) {
  TempDir dir;
  const std::string path = dir.file("m.safetensors");
  EXPECT_THAT(tg_test::error_of([&] {
                st::save(path, dict({{"__metadata__", tg::ones({1})}}));
              }),
              AllOf(HasSubstr(path), HasSubstr("__metadata__")));
}

TEST(SafetensorsSaveErrors, InvalidUtf8NameIsRefused) {
  TempDir dir;
  const std::string path = dir.file("n.safetensors");
  EXPECT_THAT(tg_test::error_of([&] {
                st::save(path, dict({{"bad\xff", tg::ones({1})}}));
              }),
              AllOf(HasSubstr(path), HasSubstr("UTF-8")));
  EXPECT_THAT(dir.entries(), ::testing::IsEmpty());
}

}  // namespace
