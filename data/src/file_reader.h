// Reading a file's content in pieces, plain or gzip (detected by its first two bytes), so that a
// reader can check a header's claims before it reads (or inflates) what the header announces. A
// decompression bomb then costs no more memory than the header claimed plus one byte.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <zlib.h>

namespace tg::data::detail {

class FileReader {
 public:
  // Opens `path`; tg::Error "<who>: cannot open '<path>': <reason>" when it cannot.
  FileReader(std::string path, const char* who);
  ~FileReader();
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  // Appends up to `n` bytes of content to `out` and returns how many it appended: fewer than `n`
  // only at the end of the content. `out` grows with what was actually read, never by `n` up front.
  // A corrupt or truncated gzip stream is a tg::Error naming the file and the compressed offset.
  std::size_t read(std::size_t n, std::vector<uint8_t>& out);

  bool gzip() const { return gzip_; }
  uint64_t file_size() const { return file_size_; }  // bytes on disk (0 unless size_known())
  bool size_known() const { return size_known_; }    // a regular file, not a pipe
  uint64_t position() const { return position_; }    // content bytes delivered so far
  const std::string& path() const { return path_; }
  // The most content a file of this size can hold: its size when plain; for gzip, deflate's
  // maximum ratio (1032:1) times the compressed size. A header claiming more is lying.
  uint64_t max_content_size() const;

 private:
  std::size_t read_plain(uint8_t* out, std::size_t n);
  std::size_t inflate_into(uint8_t* out, std::size_t n);
  [[noreturn]] void fail_gzip(const std::string& what);

  std::string path_;
  const char* who_;
  std::FILE* file_ = nullptr;
  uint64_t file_size_ = 0;
  bool size_known_ = false;
  uint64_t position_ = 0;
  bool gzip_ = false;
  bool stream_ended_ = false;  // gzip: the last member ended and the file has no more bytes
  z_stream zs_{};
  bool zs_open_ = false;
  uint64_t consumed_ = 0;  // compressed bytes handed to zlib so far
  std::vector<uint8_t> in_;
};

// The whole content of `path`; tg::Error "<who>: '<path>': ... more than <limit> bytes" when it is
// longer than `limit` (checked while reading: at most limit + 1 bytes are ever held).
std::vector<uint8_t> read_file_bytes(const std::string& path, const char* who, std::size_t limit);

}  // namespace tg::data::detail
