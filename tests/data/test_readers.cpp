// read_idx, read_csv and the MNIST dataset: small generated files for every error, and Debian's
// real Fashion-MNIST for the numbers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include <tapegrad/tapegrad.h>

#include "../error_of.h"
#include "helpers.h"

namespace {

using tg_test::error_of;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tg_data_test::gzip_stored;
using tg_data_test::idx_bytes;
using tg_data_test::TempDir;
using tg_data_test::write_bytes;
using tg_data_test::write_text;

std::vector<int64_t> ints(const tg::Tensor& t) {
  tg::Tensor c = t.to(tg::kInt64).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}
std::vector<double> doubles(const tg::Tensor& t) {
  tg::Tensor c = t.to(tg::kFloat64).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// ---- IDX ----

TEST(ReadIdx, UnsignedBytesKeepTheirDims) {
  TempDir dir;
  write_bytes(dir.file("a.idx"), idx_bytes(0x08, {2, 3}, {0, 1, 2, 253, 254, 255}));
  tg::Tensor t = tg::data::read_idx(dir.file("a.idx"));
  EXPECT_THAT(t.sizes().vec(), ElementsAre(2, 3));
  EXPECT_EQ(t.dtype(), tg::kInt64);
  EXPECT_THAT(ints(t), ElementsAre(0, 1, 2, 253, 254, 255));
  tg::Tensor f = tg::data::read_idx(dir.file("a.idx"), tg::kFloat32);
  EXPECT_EQ(f.dtype(), tg::kFloat32);
  EXPECT_THAT(doubles(f), ElementsAre(0, 1, 2, 253, 254, 255));  // values, not scaled
}

TEST(ReadIdx, WiderTypesAreBigEndian) {
  TempDir dir;
  // int32: -2 and 65536 + 2
  write_bytes(dir.file("i32"), idx_bytes(0x0C, {2}, {0xff, 0xff, 0xff, 0xfe, 0x00, 0x01, 0x00, 0x02}));
  EXPECT_THAT(ints(tg::data::read_idx(dir.file("i32"))), ElementsAre(-2, 65538));
  // int16: -1 and 258; signed byte: -128, 127
  write_bytes(dir.file("i16"), idx_bytes(0x0B, {2}, {0xff, 0xff, 0x01, 0x02}));
  EXPECT_THAT(ints(tg::data::read_idx(dir.file("i16"))), ElementsAre(-1, 258));
  write_bytes(dir.file("i8"), idx_bytes(0x09, {2}, {0x80, 0x7f}));
  EXPECT_THAT(ints(tg::data::read_idx(dir.file("i8"))), ElementsAre(-128, 127));
  // float32 1.5 = 0x3FC00000, -2 = 0xC0000000
  write_bytes(dir.file("f32"), idx_bytes(0x0D, {1, 2}, {0x3f, 0xc0, 0, 0, 0xc0, 0, 0, 0}));
  tg::Tensor f = tg::data::read_idx(dir.file("f32"));
  EXPECT_EQ(f.dtype(), tg::kFloat32);
  EXPECT_THAT(doubles(f), ElementsAre(1.5, -2.0));
  // float64 0.1 = 0x3FB999999999999A
  write_bytes(dir.file("f64"), idx_bytes(0x0E, {1}, {0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a}));
  EXPECT_THAT(doubles(tg::data::read_idx(dir.file("f64"))), ElementsAre(0.1));
}

TEST(ReadIdx, GzipIsDetectedByContent) {
  TempDir dir;
  std::vector<uint8_t> payload(70000 * 2);  // spans several stored blocks
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  write_bytes(dir.file("big.idx"), gzip_stored(idx_bytes(0x08, {70000, 2}, payload)));
  tg::Tensor t = tg::data::read_idx(dir.file("big.idx"));
  EXPECT_THAT(t.sizes().vec(), ElementsAre(70000, 2));
  EXPECT_EQ(t[69999][1].item<int64_t>(), static_cast<uint8_t>(139999 * 7));
}

TEST(ReadIdx, MissingFileNamesThePath) {
  TempDir dir;
  const std::string message = error_of([&] { tg::data::read_idx(dir.file("nope.idx")); });
  EXPECT_THAT(message, HasSubstr("read_idx: cannot open '" + dir.file("nope.idx") + "'"));
  EXPECT_THAT(message, HasSubstr("No such file"));
}

TEST(ReadIdx, TruncatedHeader) {
  TempDir dir;
  write_bytes(dir.file("short"), {0, 0, 8});
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("short")); }),
              HasSubstr("'" + dir.file("short") + "': truncated header: the file has 3 bytes"));
  write_bytes(dir.file("dims"), {0, 0, 8, 3, 0, 0, 0, 2, 0, 0});  // 3 dims need 16 header bytes
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("dims")); }),
              HasSubstr("truncated header: 3 dims need 16 header bytes, the file ends at byte offset 10"));
}

TEST(ReadIdx, TruncatedDataGivesTheByteOffsets) {
  TempDir dir;
  write_bytes(dir.file("cut"), idx_bytes(0x08, {10, 28, 28}, std::vector<uint8_t>(100)));
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("cut")); }),
              HasSubstr("truncated data: the header declares dims [10, 28, 28] (7840 bytes from byte offset 16) "
                        "but the file ends at byte offset 116"));
  write_bytes(dir.file("long"), idx_bytes(0x08, {2}, {1, 2, 3}));
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("long")); }),
              HasSubstr("1 unexpected bytes after the data, from byte offset 10"));
}

TEST(ReadIdx, BadMagicNumber) {
  TempDir dir;
  write_bytes(dir.file("png"), {0x89, 'P', 'N', 'G', 0, 0, 0, 0});
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("png")); }),
              HasSubstr("bad magic number 0x89504E47 at byte 0"));
  write_bytes(dir.file("type"), {0, 0, 0x0A, 1, 0, 0, 0, 0});
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("type")); }), HasSubstr("bad magic number 0x00000A01"));
}

TEST(ReadIdx, CorruptAndTruncatedGzip) {
  TempDir dir;
  std::vector<uint8_t> good = gzip_stored(idx_bytes(0x08, {4}, {1, 2, 3, 4}));
  std::vector<uint8_t> corrupt = good;
  corrupt[10 + 5 + 8 + 1] ^= 0xff;  // a data byte (after the 8-byte IDX header): the CRC no longer matches
  write_bytes(dir.file("crc.gz"), corrupt);
  std::string message = error_of([&] { tg::data::read_idx(dir.file("crc.gz")); });
  EXPECT_THAT(message,
              HasSubstr("read_idx: '" + dir.file("crc.gz") + "': corrupt gzip data (zlib: incorrect data check)"));
  EXPECT_THAT(message, HasSubstr("at compressed byte offset"));
  std::vector<uint8_t> bad_block = good;
  bad_block[10 + 3] ^= 0xff;  // NLEN no longer complements LEN
  write_bytes(dir.file("block.gz"), bad_block);
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("block.gz")); }),
              HasSubstr("corrupt gzip data (zlib: invalid stored block lengths) at compressed byte offset"));
  write_bytes(dir.file("cut.gz"), std::vector<uint8_t>(good.begin(), good.begin() + 20));
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("cut.gz")); }),
              HasSubstr("truncated gzip data: the file ends before the end of the compressed stream at compressed "
                        "byte offset 20 (after 5 decompressed bytes)"));
  std::vector<uint8_t> trailing = good;
  trailing.push_back(0x42);
  write_bytes(dir.file("tail.gz"), trailing);
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("tail.gz")); }),
              HasSubstr("1 bytes of trailing data after the gzip stream"));
}

// ---- MNIST from generated files ----

// Writes an MNIST-layout folder: n images of rows x cols (pixel = (i * 31 + p) % 256), labels i % 10.
void write_mnist(const TempDir& dir, const std::string& prefix, uint32_t n, uint32_t rows, uint32_t cols, bool gz,
                 uint32_t labels = 0) {
  std::vector<uint8_t> pixels(std::size_t{n} * rows * cols), label_bytes(labels ? labels : n);
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<uint8_t>((i / (rows * cols) * 31 + i % (rows * cols)) % 256);
  for (std::size_t i = 0; i < label_bytes.size(); ++i) label_bytes[i] = static_cast<uint8_t>(i % 10);
  auto images = idx_bytes(0x08, {n, rows, cols}, pixels);
  auto label_file = idx_bytes(0x08, {static_cast<uint32_t>(label_bytes.size())}, label_bytes);
  const std::string suffix = gz ? ".gz" : "";
  write_bytes(dir.file(prefix + "-images-idx3-ubyte" + suffix), gz ? gzip_stored(images) : images);
  write_bytes(dir.file(prefix + "-labels-idx1-ubyte" + suffix), gz ? gzip_stored(label_file) : label_file);
}

TEST(MNIST, ReadsPlainAndGzipFolders) {
  for (bool gz : {false, true}) {
    TempDir dir;
    write_mnist(dir, "train", 12, 3, 2, gz);
    write_mnist(dir, "t10k", 5, 3, 2, gz);
    tg::data::datasets::MNIST train(dir.str());
    EXPECT_TRUE(train.is_train());
    EXPECT_EQ(train.size().value(), 12u);
    EXPECT_THAT(train.images().sizes().vec(), ElementsAre(12, 1, 3, 2));
    EXPECT_EQ(train.images().dtype(), tg::kFloat32);
    EXPECT_EQ(train.targets().dtype(), tg::kInt64);
    EXPECT_THAT(ints(train.targets()), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1));
    auto example = train.get(2);  // pixels (62 + p) / 255
    EXPECT_THAT(example.data.sizes().vec(), ElementsAre(1, 3, 2));
    EXPECT_FLOAT_EQ(example.data.flatten()[5].item<float>(), 67.0f / 255.0f);
    EXPECT_EQ(example.target.item<int64_t>(), 2);
    tg::data::datasets::MNIST test(dir.str(), tg::data::datasets::MNIST::Mode::kTest);
    EXPECT_FALSE(test.is_train());
    EXPECT_EQ(test.size().value(), 5u);
  }
}

TEST(MNIST, MissingFilesNameBothCandidates) {
  TempDir dir;
  const std::string message = error_of([&] { tg::data::datasets::MNIST m(dir.str()); });
  EXPECT_THAT(message, HasSubstr("MNIST: cannot find '" + dir.file("train-images-idx3-ubyte") + "' or '" +
                                 dir.file("train-images-idx3-ubyte") + ".gz'"));
}

TEST(MNIST, ImageLabelCountMismatchNamesBothFilesAndCounts) {
  TempDir dir;
  write_mnist(dir, "train", 12, 3, 2, false, 11);
  EXPECT_THAT(error_of([&] { tg::data::datasets::MNIST m(dir.str()); }),
              HasSubstr("MNIST: '" + dir.file("train-images-idx3-ubyte") + "' holds 12 images but '" +
                        dir.file("train-labels-idx1-ubyte") + "' holds 11 labels"));
}

TEST(MNIST, WrongMagicShowsExpectedAndGot) {
  TempDir dir;
  write_mnist(dir, "train", 4, 2, 2, false);
  // swap in a labels file where the images should be
  std::filesystem::copy_file(dir.file("train-labels-idx1-ubyte"), dir.file("train-images-idx3-ubyte"),
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_THAT(error_of([&] { tg::data::datasets::MNIST m(dir.str()); }),
              HasSubstr("'" + dir.file("train-images-idx3-ubyte") +
                        "': wrong magic number at byte 0: expected 0x00000803 (2051), got 0x00000801 (2049)"));
}

TEST(MNIST, TruncatedImagesGiveTheOffset) {
  TempDir dir;
  write_mnist(dir, "t10k", 4, 2, 2, false);
  auto bytes = idx_bytes(0x08, {4, 2, 2}, std::vector<uint8_t>(10));
  write_bytes(dir.file("t10k-images-idx3-ubyte"), bytes);
  EXPECT_THAT(error_of([&] { tg::data::datasets::MNIST m(dir.str(), tg::data::datasets::MNIST::Mode::kTest); }),
              HasSubstr("truncated data: the header declares dims [4, 2, 2] (16 bytes from byte offset 16) but the "
                        "file ends at byte offset 26"));
}

// ---- the real Fashion-MNIST (Debian's dataset-fashion-mnist) ----

const char* kFashion = "/usr/share/datasets/fashion-mnist";

TEST(FashionMNIST, TestSetMatchesNumbersComputedWithNumpy) {
  if (!std::filesystem::exists(std::string(kFashion) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "no Fashion-MNIST";
  tg::data::datasets::MNIST test(kFashion, tg::data::datasets::MNIST::Mode::kTest);
  ASSERT_EQ(test.size().value(), 10000u);
  EXPECT_THAT(test.images().sizes().vec(), ElementsAre(10000, 1, 28, 28));
  // 1000 examples of each class
  tg::Tensor histogram = tg::one_hot(test.targets(), 10).sum({0});
  EXPECT_THAT(ints(histogram), ::testing::Each(1000));
  EXPECT_THAT(ints(test.targets().narrow(0, 0, 10)), ElementsAre(9, 2, 1, 1, 6, 1, 4, 6, 5, 7));
  // Pixel checksums, from numpy on the raw bytes: the total, image 0's sum, a position-weighted
  // sum (weight = flat index % 7 + 1) and a row of image 0; the float sum in float64 of bytes / 255.
  const float* pixels = test.images().data_ptr<float>();
  int64_t total = 0, first = 0, weighted = 0;
  double float_sum = 0;
  for (int64_t i = 0; i < 10000 * 784; ++i) {
    const auto byte = static_cast<int64_t>(std::lround(pixels[i] * 255.0));
    EXPECT_FLOAT_EQ(pixels[i], static_cast<float>(byte) / 255.0f) << i;
    if (HasFailure()) break;
    total += byte;
    weighted += byte * (i % 7 + 1);
    if (i < 784) first += byte;
    float_sum += pixels[i];
  }
  EXPECT_EQ(total, 573469082);
  EXPECT_EQ(first, 33456);
  EXPECT_EQ(weighted, 2304878896);
  EXPECT_NEAR(float_sum, 2248898.4019832574, 1e-6);
  tg::Tensor row = test.images()[0][0][14].narrow(0, 10, 8) * 255.0;
  EXPECT_THAT(ints(row + 0.5), ElementsAre(0, 0, 98, 136, 110, 109, 110, 162));
}

TEST(FashionMNIST, TrainSetHas6000OfEachClass) {
  if (!std::filesystem::exists(std::string(kFashion) + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "no Fashion-MNIST";
  tg::data::datasets::MNIST train(kFashion);
  ASSERT_EQ(train.size().value(), 60000u);
  EXPECT_THAT(ints(tg::one_hot(train.targets(), 10).sum({0})), ::testing::Each(6000));
  EXPECT_THAT(ints(train.targets().narrow(0, 0, 10)), ElementsAre(9, 0, 0, 3, 0, 2, 7, 2, 5, 5));
  EXPECT_NEAR(train.images().sum(tg::kFloat64).item<double>(), 13455349.927203527, 1e-4);
}

TEST(FashionMNIST, ReadIdxGivesTheRawBytes) {
  if (!std::filesystem::exists(std::string(kFashion) + "/t10k-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "no Fashion-MNIST";
  tg::Tensor labels = tg::data::read_idx(std::string(kFashion) + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_THAT(labels.sizes().vec(), ElementsAre(10000));
  EXPECT_THAT(ints(labels.narrow(0, 0, 4)), ElementsAre(9, 2, 1, 1));
  tg::Tensor images = tg::data::read_idx(std::string(kFashion) + "/t10k-images-idx3-ubyte.gz", tg::kFloat64);
  EXPECT_THAT(images.sizes().vec(), ElementsAre(10000, 28, 28));
  EXPECT_EQ(images.sum().item<double>(), 573469082.0);
}

// ---- CSV ----

TEST(ReadCsv, HeaderAndNumbers) {
  TempDir dir;
  write_text(dir.file("a.csv"), "x, y ,\"label\"\n1,2.5,0\n-3e2, +4 ,1\n\n0.125,nan,inf\n");
  tg::data::CsvTable table = tg::data::read_csv(dir.file("a.csv"));
  EXPECT_THAT(table.columns, ElementsAre("x", "y", "label"));
  EXPECT_THAT(table.values.sizes().vec(), ElementsAre(3, 3));
  EXPECT_EQ(table.values.dtype(), tg::kFloat32);
  const auto v = doubles(table.values);
  EXPECT_EQ(v[0], 1.0);
  EXPECT_EQ(v[1], 2.5);
  EXPECT_EQ(v[3], -300.0);
  EXPECT_EQ(v[4], 4.0);
  EXPECT_EQ(v[6], 0.125);
  EXPECT_TRUE(std::isnan(v[7]));
  EXPECT_TRUE(std::isinf(v[8]));
}

TEST(ReadCsv, NoHeaderOtherDelimiterCrlfAndEmptyCells) {
  TempDir dir;
  write_text(dir.file("b.csv"), "1;2\r\n;4\r\n5;6");
  tg::data::CsvTable table =
      tg::data::read_csv(dir.file("b.csv"), tg::data::CsvOptions().header(false).delimiter(';').dtype(tg::kFloat64));
  EXPECT_THAT(table.columns, ElementsAre("0", "1"));
  EXPECT_EQ(table.values.dtype(), tg::kFloat64);
  const auto v = doubles(table.values);
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0], 1.0);
  EXPECT_TRUE(std::isnan(v[2]));  // empty cell, as pandas
  EXPECT_EQ(v[5], 6.0);
}

TEST(ReadCsv, HeaderOnlyGivesZeroRows) {
  TempDir dir;
  write_text(dir.file("h.csv"), "a,b,c\n");
  EXPECT_THAT(tg::data::read_csv(dir.file("h.csv")).values.sizes().vec(), ElementsAre(0, 3));
}

TEST(ReadCsv, GzipCsv) {
  TempDir dir;
  const std::string text = "a,b\n1,2\n3,4\n";
  write_bytes(dir.file("c.csv.gz"), gzip_stored(std::vector<uint8_t>(text.begin(), text.end())));
  EXPECT_THAT(doubles(tg::data::read_csv(dir.file("c.csv.gz")).values), ElementsAre(1, 2, 3, 4));
}

TEST(ReadCsv, NonNumericCellNamesLineColumnAndText) {
  TempDir dir;
  write_text(dir.file("bad.csv"), "sepal,petal,species\n5.1,1.4,0\n4.9,1.4,setosa\n");
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("bad.csv")); }),
              HasSubstr("read_csv: '" + dir.file("bad.csv") +
                        "' line 3, column 3 ('species'): cannot parse 'setosa' as a number"));
  write_text(dir.file("junk.csv"), "a\n1.5x\n");
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("junk.csv")); }),
              HasSubstr("line 2, column 1 ('a'): cannot parse '1.5x'"));
}

TEST(ReadCsv, RaggedRows) {
  TempDir dir;
  write_text(dir.file("ragged.csv"), "\na,b,c\n1,2,3\n4,5\n");
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("ragged.csv")); }),
              HasSubstr("read_csv: '" + dir.file("ragged.csv") + "' line 4 has 2 cells, expected 3 (as line 2)"));
}

TEST(ReadCsv, MissingAndEmptyFilesAndIntegerDtype) {
  TempDir dir;
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("none.csv")); }),
              HasSubstr("read_csv: cannot open '" + dir.file("none.csv") + "'"));
  write_text(dir.file("empty.csv"), "");
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("empty.csv")); }), HasSubstr("is empty: no header line"));
  write_text(dir.file("ok.csv"), "a\n1\n");
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("ok.csv"), tg::data::CsvOptions().dtype(tg::kInt64)); }),
              HasSubstr("read_csv: dtype must be Float32 or Float64"));
}

}  // namespace
