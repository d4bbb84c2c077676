// Shared by the fuzz harnesses: a reader of the fuzzer's bytes, input written to an in-memory file
// (the readers take paths), gzip, and the checks every harness makes on what a reader returns.
// Included by exactly one translation unit per harness executable.
#pragma once
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <tapegrad/tapegrad.h>

// A single allocation larger than this fails (returns null, so tapegrad raises tg::Error) instead
// of succeeding: a legitimately huge but non-overflowing shape (zeros({1 << 31})) is not a bug, and
// libFuzzer would report its 8 GB as out-of-memory. Under ASan the allocator's own options do it
// (below); the plain replay build sets RLIMIT_AS (replay_main.cpp).
#if defined(__SANITIZE_ADDRESS__)
#define TG_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_FUZZ_ASAN 1
#endif
#endif
#ifdef TG_FUZZ_ASAN
extern "C" const char* __asan_default_options() {
  return "allocator_may_return_null=1:max_allocation_size_mb=512:detect_leaks=1";
}
#endif

namespace tg_fuzz {

// Consumes the fuzzer's bytes front to back; once they run out every value is 0.
class Bytes {
 public:
  Bytes(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
    return v;
  }
  // One of `values`.
  template <typename T>
  T pick(const std::vector<T>& values) {
    return values[u8() % values.size()];
  }
  // The rest of the bytes.
  std::string rest() {
    std::string out(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return out;
  }
  bool empty() const { return pos_ >= size_; }

 private:
  const uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// `content` as a file that exists only in memory; path() names it for the readers.
class MemFile {
 public:
  explicit MemFile(const std::string& content) {
    fd_ = ::memfd_create("tg_fuzz", 0);
    if (fd_ < 0) throw std::runtime_error("memfd_create failed");
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::write(fd_, content.data() + done, content.size() - done);
      if (n <= 0) throw std::runtime_error("write to memfd failed");
      done += static_cast<std::size_t>(n);
    }
  }
  ~MemFile() { ::close(fd_); }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_ = -1;
};

// gzip (one member) of `content`.
inline std::string gzip(const std::string& content) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, content.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(content.data()));
  zs.avail_in = static_cast<uInt>(content.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// What a reader returns must be a real tensor: its element count is the product of its sizes
// and every element can be read (under ASan an out-of-bounds read is reported here).
inline void touch(const tg::Tensor& t) {
  if (!t.defined()) return;
  int64_t numel = 1;
  for (int64_t s : t.sizes()) numel *= s;
  if (numel != t.numel()) __builtin_trap();
  if (t.numel() > (int64_t{1} << 20)) return;  // a view can be huge without memory behind it
  volatile double sink = t.to(tg::kFloat64).sum().item<double>();
  (void)sink;
}

}  // namespace tg_fuzz
