// Readers never trust a header: the files of the hostile-input report (issue 13), each a
// regression test named after what it checks. Dims whose element count or strides overflow are
// errors before anything is allocated; a gzip stream is inflated only as far as the header's claim
// (a decompression bomb costs kilobytes, not gigabytes); every error names the file and the offset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <limits>

#include <tapegrad/tapegrad.h>

#include "../error_of.h"
#include "helpers.h"

namespace {

using tg_test::error_of;

using ::testing::AllOf;
using ::testing::HasSubstr;
using tg_data_test::idx_bytes;
using tg_data_test::TempDir;
using tg_data_test::write_bytes;

// Writes a gzip file holding `head` followed by `zeros_mib` MiB of zero bytes, built as repeated
// gzip members of 64 MiB of zeros (each compresses to about 64 KiB), so a 1 GiB bomb costs the
// test one 64 MiB deflate.
void write_gzip_bomb(const std::string& path, const std::vector<uint8_t>& head, int zeros_mib) {
  auto deflate_all = [](const std::vector<uint8_t>& in) {
    z_stream zs{};
    deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<uint8_t> out(deflateBound(&zs, in.size()));
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
  };
  std::ofstream file(path, std::ios::binary);
  const std::vector<uint8_t> first = deflate_all(head);
  file.write(reinterpret_cast<const char*>(first.data()), static_cast<std::streamsize>(first.size()));
  const std::vector<uint8_t> zeros = deflate_all(std::vector<uint8_t>(std::size_t{64} << 20, 0));
  for (int i = 0; i < zeros_mib / 64; ++i)
    file.write(reinterpret_cast<const char*>(zeros.data()), static_cast<std::streamsize>(zeros.size()));
}

// The process's peak resident memory in KiB since the last reset_peak_rss() (Linux: VmHWM, reset
// by writing 5 to /proc/self/clear_refs).
int64_t peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6));
  return -1;
}
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

TEST(HostileIdx, ZeroDimBesideTwoDimsNear2p32IsAnErrorNotAnInt64Overflow) {
  // The report's 16-byte file: ubyte, 3 dims [0, 2^32 - 16, 2^32 - 16]. 0 data bytes are due, so a
  // size check alone passes; the tensor's stride for dim 0 would be 2^64.
  TempDir dir;
  write_bytes(dir.file("strides"), idx_bytes(0x08, {0, 0xFFFFFFF0u, 0xFFFFFFF0u}, {}));
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("strides")); }),
              AllOf(HasSubstr("read_idx: '" + dir.file("strides") + "': the dims at byte offset 4 describe no tensor"),
                    HasSubstr("the product of its nonzero sizes overflows int64")));
}

TEST(HostileIdx, FiveDimsOf2p31AreAnErrorNotATensorWithoutMemory) {
  // The report's 24-byte file: 2^155 elements, which wrapped to 0 in 128-bit arithmetic, so the
  // reader returned a [2147483648 x 5] tensor backed by 0 bytes.
  TempDir dir;
  write_bytes(dir.file("wrap"), idx_bytes(0x08, {1u << 31, 1u << 31, 1u << 31, 1u << 31, 1u << 31}, {}));
  EXPECT_THAT(
      error_of([&] { tg::data::read_idx(dir.file("wrap")); }),
      AllOf(HasSubstr("describe no tensor that can exist"), HasSubstr("the number of elements overflows int64")));
}

TEST(HostileIdx, MnistWithOverflowingImageDimsIsAnError) {
  TempDir dir;
  write_bytes(dir.file("train-images-idx3-ubyte"), idx_bytes(0x08, {0, 0xFFFFFFF0u, 0xFFFFFFF0u}, {}));
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_bytes(0x08, {0}, {}));
  EXPECT_THAT(error_of([&] { tg::data::datasets::MNIST mnist(dir.str()); }),
              AllOf(HasSubstr("MNIST: '" + dir.file("train-images-idx3-ubyte") + "'"),
                    HasSubstr("the product of its nonzero sizes overflows int64")));
}

TEST(HostileIdx, GzipBombIsCutOffAfterTheDeclaredDataWithoutInflatingIt) {
  // The report's bomb: a 9-byte header declaring one element, then 1 GiB of zeros (about 1 MB of
  // gzip). Inflating it whole peaked at 2.1 GB; now reading stops one byte past the claim.
  TempDir dir;
  write_gzip_bomb(dir.file("bomb.gz"), idx_bytes(0x08, {1}, {7}), 1024);
  EXPECT_LT(std::filesystem::file_size(dir.file("bomb.gz")), std::uintmax_t{2} << 20);
  reset_peak_rss();
  const int64_t before = peak_rss_kib();
  const std::string message = error_of([&] { tg::data::read_idx(dir.file("bomb.gz")); });
  const int64_t growth_kib = peak_rss_kib() - before;
  EXPECT_THAT(message,
              HasSubstr("read_idx: '" + dir.file("bomb.gz") +
                        "': unexpected bytes after the data, from byte offset 9 (the dims [1] declare 1 bytes)"));
  EXPECT_LT(growth_kib, 32 * 1024) << "reading the bomb grew the peak RSS by " << growth_kib << " KiB";
}

TEST(HostileIdx, GzipHeaderClaimingMoreThanDeflateCanHoldIsAnErrorBeforeAllocating) {
  // 2^51 bytes declared by a file of a few dozen bytes: deflate expands at most 1032:1
  TempDir dir;
  write_gzip_bomb(dir.file("liar.gz"), idx_bytes(0x08, {1u << 31, 1u << 20}, {1, 2, 3}), 0);
  reset_peak_rss();
  const int64_t before = peak_rss_kib();
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("liar.gz")); }),
              HasSubstr("truncated data: the header declares dims [2147483648, 1048576] (2251799813685248 bytes from "
                        "byte offset 12) but a gzip file of"));
  EXPECT_LT(peak_rss_kib() - before, 8 * 1024);
}

TEST(HostileIdx, TruncatedGzipDataGivesTheOffsetItReached) {
  TempDir dir;
  write_gzip_bomb(dir.file("short.gz"), idx_bytes(0x08, {1000}, std::vector<uint8_t>(10, 1)), 0);
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("short.gz")); }),
              HasSubstr("truncated data: the header declares dims [1000] (1000 bytes from byte offset 8) but the file "
                        "ends at byte offset 18"));
}

TEST(HostileIdx, NanReadAsInt64IsAnErrorNotUndefinedBehaviour) {
  TempDir dir;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<uint8_t> payload(16, 0);
  uint64_t bits;
  std::memcpy(&bits, &nan, 8);
  for (int i = 0; i < 8; ++i) payload[8 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));  // element 1, big-endian
  write_bytes(dir.file("nan"), idx_bytes(0x0E, {2}, payload));
  EXPECT_THAT(error_of([&] { tg::data::read_idx(dir.file("nan"), tg::kInt64); }),
              HasSubstr("element 1 (at data byte offset 8) is nan, which cannot be read as Int64"));
  EXPECT_TRUE(std::isnan(tg::data::read_idx(dir.file("nan"))[1].item<double>()));  // as Float64: fine
}

TEST(HostileCsv, GzipBombStopsAtMaxBytes) {
  TempDir dir;
  write_gzip_bomb(dir.file("bomb.csv.gz"), {'a', '\n', '1', '\n'}, 256);
  reset_peak_rss();
  const int64_t before = peak_rss_kib();
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("bomb.csv.gz"), tg::data::CsvOptions().max_bytes(1 << 20)); }),
              HasSubstr("read_csv: '" + dir.file("bomb.csv.gz") +
                        "': the decompressed data is larger than the limit "
                        "of 1048576 bytes"));
  EXPECT_LT(peak_rss_kib() - before, 32 * 1024);
}

TEST(HostileCsv, PlainFileOverMaxBytesIsAnErrorBeforeReading) {
  TempDir dir;
  tg_data_test::write_text(dir.file("big.csv"), std::string(5000, '1') + "\n");
  EXPECT_THAT(error_of([&] { tg::data::read_csv(dir.file("big.csv"), tg::data::CsvOptions().max_bytes(4096)); }),
              HasSubstr("read_csv: '" + dir.file("big.csv") + "' has 5001 bytes, more than the limit of 4096 bytes"));
  EXPECT_EQ(tg::data::read_csv(dir.file("big.csv"), tg::data::CsvOptions().header(false)).values.numel(), 1);
}

}  // namespace
