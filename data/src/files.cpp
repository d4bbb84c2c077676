// Whole-file reads for the readers, with transparent gzip (zlib inflate over the file's bytes, so
// a corrupt or truncated stream can be reported with its byte offset).
#include <fmt/format.h>
#include <zlib.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "tapegrad/data/readers.h"
#include "tapegrad/error.h"

namespace tg::data::detail {
namespace {

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& path, const char* who) {
  std::vector<uint8_t> out;
  // The gzip trailer holds the uncompressed size mod 2^32: a good first guess for the buffer.
  if (compressed.size() >= 18) {
    const uint8_t* tail = compressed.data() + compressed.size() - 4;
    const std::size_t isize = tail[0] | (tail[1] << 8) | (tail[2] << 16) | (std::size_t{tail[3]} << 24);
    if (isize <= 64 * compressed.size() + 1024) out.reserve(isize);
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) throw Error(fmt::format("{}: '{}': cannot initialise zlib", who, path));
  std::size_t consumed = 0;  // compressed bytes fed to zlib so far
  std::size_t produced = 0;
  auto fail = [&](const std::string& what) {
    const std::size_t offset = consumed - zs.avail_in;
    inflateEnd(&zs);
    throw Error(fmt::format("{}: '{}': {} at compressed byte offset {} (after {} decompressed bytes)", who, path,
                            what, offset, produced));
  };
  while (true) {
    if (zs.avail_in == 0 && consumed < compressed.size()) {
      const std::size_t chunk = std::min<std::size_t>(compressed.size() - consumed, UINT_MAX / 2);
      zs.next_in = const_cast<Bytef*>(compressed.data() + consumed);
      zs.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    if (produced == out.size()) out.resize(std::max<std::size_t>(out.capacity(), produced + (1u << 20)));
    const std::size_t room = std::min<std::size_t>(out.size() - produced, UINT_MAX / 2);
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(room);
    const int status = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (status == Z_STREAM_END) {
      const std::size_t rest = compressed.size() - (consumed - zs.avail_in);
      if (rest == 0) break;
      const uint8_t* next = zs.next_in;
      if (rest >= 2 && next[0] == 0x1f && next[1] == 0x8b) {  // another gzip member follows
        inflateReset(&zs);
        continue;
      }
      fail(fmt::format("{} bytes of trailing data after the gzip stream", rest));
    }
    if (status == Z_BUF_ERROR && zs.avail_in == 0 && consumed == compressed.size())
      fail("truncated gzip data: the file ends before the end of the compressed stream");
    if (status != Z_OK && status != Z_BUF_ERROR)
      fail(fmt::format("corrupt gzip data (zlib: {})", zs.msg ? zs.msg : zError(status)));
  }
  inflateEnd(&zs);
  out.resize(produced);
  return out;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, const char* who) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw Error(fmt::format("{}: cannot open '{}': {}", who, path, std::strerror(errno)));
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file);
    bytes.insert(bytes.end(), buffer, buffer + n);
    if (n < sizeof buffer) break;
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) throw Error(fmt::format("{}: error reading '{}' after {} bytes", who, path, bytes.size()));
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return gunzip(bytes, path, who);
  return bytes;
}

}  // namespace tg::data::detail
