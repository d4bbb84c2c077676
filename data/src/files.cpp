// Reading a file's content in pieces, with transparent gzip: zlib inflates as the reader asks for
// bytes, so a corrupt or truncated stream is reported with its compressed byte offset, and no
// reader holds more than it asked for (a decompression bomb is cut off at the header's claim).
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "file_reader.h"
#include "tapegrad/error.h"

namespace tg::data::detail {
namespace {
constexpr std::size_t kChunk = std::size_t{1} << 16;
// deflate's best case is 258 bytes from one 2-bit code plus block overhead: 1032:1 (zlib's FAQ)
constexpr uint64_t kMaxDeflateRatio = 1032;
}  // namespace

FileReader::FileReader(std::string path, const char* who) : path_(std::move(path)), who_(who) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (!file_) throw Error(fmt::format("{}: cannot open '{}': {}", who_, path_, std::strerror(errno)));
  struct stat info {};
  if (::fstat(::fileno(file_), &info) == 0 && S_ISREG(info.st_mode)) {
    file_size_ = static_cast<uint64_t>(info.st_size);
    size_known_ = true;
  }
  uint8_t magic[2] = {0, 0};
  const std::size_t got = std::fread(magic, 1, 2, file_);
  gzip_ = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  in_.resize(kChunk);
  if (gzip_) {
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
      std::fclose(file_);
      throw Error(fmt::format("{}: '{}': cannot initialise zlib", who_, path_));
    }
    zs_open_ = true;
    std::memcpy(in_.data(), magic, 2);
    zs_.next_in = in_.data();
    zs_.avail_in = 2;
    consumed_ = 2;
  } else if (got > 0 && std::fseek(file_, 0, SEEK_SET) != 0) {
    std::fclose(file_);
    throw Error(fmt::format("{}: '{}': cannot seek back to the start: {}", who_, path_, std::strerror(errno)));
  }
}

FileReader::~FileReader() {
  if (zs_open_) inflateEnd(&zs_);
  if (file_) std::fclose(file_);
}

uint64_t FileReader::max_content_size() const {
  if (!size_known_) return UINT64_MAX;  // a pipe: nothing to check against before reading
  if (!gzip_) return file_size_;
  return file_size_ > UINT64_MAX / kMaxDeflateRatio ? UINT64_MAX : file_size_ * kMaxDeflateRatio;
}

std::size_t FileReader::read(std::size_t n, std::vector<uint8_t>& out) {
  std::size_t total = 0;
  while (total < n) {
    const std::size_t want = std::min(n - total, std::size_t{1} << 20);  // grow with what arrives
    const std::size_t start = out.size();
    out.resize(start + want);
    const std::size_t got = gzip_ ? inflate_into(out.data() + start, want) : read_plain(out.data() + start, want);
    out.resize(start + got);
    total += got;
    position_ += got;
    if (got < want) break;
  }
  return total;
}

std::size_t FileReader::read_plain(uint8_t* out, std::size_t n) {
  const std::size_t got = std::fread(out, 1, n, file_);
  if (got < n && std::ferror(file_))
    throw Error(
        fmt::format("{}: error reading '{}' after {} bytes: {}", who_, path_, position_ + got, std::strerror(errno)));
  return got;
}

void FileReader::fail_gzip(const std::string& what) {
  throw Error(fmt::format("{}: '{}': {} at compressed byte offset {} (after {} decompressed bytes)", who_, path_, what,
                          consumed_ - zs_.avail_in, position_));
}

std::size_t FileReader::inflate_into(uint8_t* out, std::size_t n) {
  // Moves unread input to the front of in_ and reads more behind it; false at the end of the file.
  auto refill = [&]() {
    if (zs_.avail_in > 0) std::memmove(in_.data(), zs_.next_in, zs_.avail_in);
    const std::size_t got = std::fread(in_.data() + zs_.avail_in, 1, in_.size() - zs_.avail_in, file_);
    if (got == 0 && std::ferror(file_))
      throw Error(fmt::format("{}: error reading '{}' at byte {}: {}", who_, path_, consumed_, std::strerror(errno)));
    zs_.next_in = in_.data();
    zs_.avail_in += static_cast<uInt>(got);
    consumed_ += got;
    return got > 0;
  };
  std::size_t produced = 0;
  while (produced < n && !stream_ended_) {
    if (zs_.avail_in == 0 && !refill())
      fail_gzip("truncated gzip data: the file ends before the end of the compressed stream");
    const std::size_t room = std::min<std::size_t>(n - produced, UINT_MAX / 2);
    zs_.next_out = out + produced;
    zs_.avail_out = static_cast<uInt>(room);
    const int status = inflate(&zs_, Z_NO_FLUSH);
    produced += room - zs_.avail_out;
    position_ += room - zs_.avail_out;  // for error messages; read() recounts from what it returns
    if (status == Z_STREAM_END) {
      if (zs_.avail_in < 2) refill();
      if (zs_.avail_in == 0) {
        stream_ended_ = true;
      } else if (zs_.avail_in >= 2 && zs_.next_in[0] == 0x1f && zs_.next_in[1] == 0x8b) {
        inflateReset(&zs_);  // another gzip member follows
      } else {
        const uint64_t at = consumed_ - zs_.avail_in;
        const uint64_t rest = file_size_ > at ? file_size_ - at : zs_.avail_in;
        fail_gzip(fmt::format("{} bytes of trailing data after the gzip stream", rest));
      }
    } else if (status == Z_BUF_ERROR) {
      if (zs_.avail_in == 0 && !refill())
        fail_gzip("truncated gzip data: the file ends before the end of the compressed stream");
    } else if (status != Z_OK) {
      fail_gzip(fmt::format("corrupt gzip data (zlib: {})", zs_.msg ? zs_.msg : zError(status)));
    }
  }
  position_ -= produced;
  return produced;
}

std::vector<uint8_t> read_file_bytes(const std::string& path, const char* who, std::size_t limit) {
  FileReader reader(path, who);
  std::vector<uint8_t> bytes;
  if (!reader.gzip() && reader.size_known() && reader.file_size() > limit)
    throw Error(
        fmt::format("{}: '{}' has {} bytes, more than the limit of {} bytes", who, path, reader.file_size(), limit));
  reader.read(limit == SIZE_MAX ? limit : limit + 1, bytes);
  if (bytes.size() > limit)
    throw Error(
        fmt::format("{}: '{}': the decompressed data is larger than the limit of {} bytes (the gzip "
                    "file has {} bytes)",
                    who, path, limit, reader.file_size()));
  return bytes;
}

}  // namespace tg::data::detail
