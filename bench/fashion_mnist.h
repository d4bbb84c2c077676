// Fashion-MNIST's IDX files read into bytes, the one reader of tg_bench and libtorch_bench (the
// real-data rows of their mlp and cnn subcommands, train_epoch.h): plain C++17 and zlib, no tensor
// library, so that both programs read the identical bytes with the identical code. Debian's
// dataset-fashion-mnist installs the files in kFashionMnistDir; any folder of MNIST-format files,
// gzip-compressed (name.gz) or not, works. tg_bench links ZLIB::ZLIB (bench/CMakeLists.txt),
// libtorch_bench -lz (bench/run_libtorch_baseline.sh).
#pragma once
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// One IDX file of unsigned bytes: its dimensions and its data, row-major.
struct IdxFile {
  std::string path;  // the file read (with .gz when it was compressed)
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Reads an IDX file of unsigned bytes with `rank` dimensions from `base` + ".gz" or, when that does
// not exist, `base` (gzread passes an uncompressed file through). The header is checked: the magic
// 0x0000 0x08 <rank>, every size from 1 to 2^28, at most 2^31 bytes of data, and the data exactly as
// long as the sizes say. Throws std::runtime_error naming the file and what is wrong.
inline IdxFile read_idx(const std::string& base, int rank) {
  IdxFile file;
  gzFile gz = nullptr;
  for (const std::string& candidate : {base + ".gz", base}) {
    errno = 0;
    gz = gzopen(candidate.c_str(), "rb");
    if (gz != nullptr) {
      file.path = candidate;
      break;
    }
    if (errno != ENOENT)
      throw std::runtime_error(candidate + ": cannot open: " + (errno ? std::strerror(errno) : "out of memory"));
  }
  if (gz == nullptr) throw std::runtime_error("no " + base + ".gz (nor " + base + ")");
  // Closes the file on every path out of this function.
  struct Closer {
    gzFile gz;
    ~Closer() { gzclose(gz); }
  } closer{gz};
  auto fail = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(file.path + ": " + what);
  };
  // Reads exactly n bytes; false at the end of the data; throws on a read error (a corrupt stream).
  auto read_exactly = [&](void* out, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - got, std::size_t{1} << 30));
      const int r = gzread(gz, static_cast<uint8_t*>(out) + got, chunk);
      if (r < 0) {
        int code = 0;
        const char* message = gzerror(gz, &code);
        throw fail(std::string("bad gzip data: ") + (message ? message : "read error"));
      }
      if (r == 0) return false;
      got += static_cast<std::size_t>(r);
    }
    return true;
  };
  auto big_endian = [](const uint8_t* b) {
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
  };

  uint8_t word[4];
  if (!read_exactly(word, 4)) throw fail("too short for an IDX header");
  const uint32_t magic = big_endian(word), expected = 0x00000800u | static_cast<uint32_t>(rank);
  if (magic != expected) {
    char text[160];
    std::snprintf(text, sizeof text, "not a %d-dimensional IDX file of unsigned bytes (magic 0x%08x, expected 0x%08x)",
                  rank, static_cast<unsigned>(magic), static_cast<unsigned>(expected));
    throw fail(text);
  }
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    if (!read_exactly(word, 4)) throw fail("the IDX header ends inside its sizes");
    const int64_t size = big_endian(word);
    if (size < 1 || size > (int64_t{1} << 28))
      throw fail("size " + std::to_string(size) + " of dimension " + std::to_string(d) + " out of range");
    total *= size;
    if (total > (int64_t{1} << 31)) throw fail("more than 2^31 bytes of data announced");
    file.dims.push_back(size);
  }
  file.data.resize(static_cast<std::size_t>(total));
  if (!read_exactly(file.data.data(), file.data.size()))
    throw fail("truncated: less than the " + std::to_string(total) + " bytes of data its header announces");
  uint8_t extra;
  if (read_exactly(&extra, 1)) throw fail("more data than the header's " + std::to_string(total) + " bytes");
  return file;
}

// The four files of Fashion-MNIST (or MNIST) in `dir`.
struct FashionMnistBytes {
  IdxFile train_images, train_labels, test_images, test_labels;
};

// Reads and checks them: images [n, 28, 28], labels [n] below 10, as many labels as images.
// Throws std::runtime_error with a one-line reason (no such folder, a missing or bad file).
inline FashionMnistBytes read_fashion_mnist(const std::string& dir) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) throw std::runtime_error("no folder " + dir);
  auto read_pair = [&](const std::string& prefix, IdxFile& images, IdxFile& labels) {
    images = read_idx(dir + "/" + prefix + "-images-idx3-ubyte", 3);
    labels = read_idx(dir + "/" + prefix + "-labels-idx1-ubyte", 1);
    if (images.dims[1] != 28 || images.dims[2] != 28)
      throw std::runtime_error(images.path + ": images of " + std::to_string(images.dims[1]) + "x" +
                               std::to_string(images.dims[2]) + " pixels, not 28x28");
    if (labels.dims[0] != images.dims[0])
      throw std::runtime_error(labels.path + " holds " + std::to_string(labels.dims[0]) + " labels but " + images.path +
                               " " + std::to_string(images.dims[0]) + " images");
    for (const uint8_t label : labels.data)
      if (label >= 10) throw std::runtime_error(labels.path + ": label " + std::to_string(label) + " is not 0-9");
  };
  FashionMnistBytes bytes;
  read_pair("train", bytes.train_images, bytes.train_labels);
  read_pair("t10k", bytes.test_images, bytes.test_labels);
  return bytes;
}

}  // namespace bench
