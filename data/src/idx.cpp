// IDX files (the MNIST container): read_idx for any element type, and the MNIST datasets.
// Layout: bytes 0-1 zero, byte 2 the element type, byte 3 the number of dims, then each dim as a
// big-endian uint32, then the elements, big-endian, row-major.
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <type_traits>

#include "file_reader.h"
#include "tapegrad/checked_math.h"
#include "tapegrad/data/mnist.h"
#include "tapegrad/data/readers.h"
#include "tapegrad/ops.h"

namespace tg::data {
namespace {

struct IdxFile {
  std::vector<uint8_t> data;  // the elements' bytes, exactly as many as the dims declare
  uint8_t type = 0;
  std::vector<int64_t> dims;
};

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::size_t element_bytes(uint8_t type) {
  switch (type) {
    case 0x08:
    case 0x09: return 1;
    case 0x0B: return 2;
    case 0x0C:
    case 0x0D: return 4;
    case 0x0E: return 8;
    default: return 0;
  }
}

// Reads and checks the header, then the data. The header is never trusted: its dims must give an
// element count (and the strides and bytes of the tensor made from them) that fit int64, and the
// data they announce must fit in the file (for gzip, in what deflate can expand the file to) before
// anything is allocated; the data is then read in pieces, and one byte more is an error.
// `expected_magic`, when given, must match the first four bytes exactly (MNIST knows its files).
IdxFile read_idx_file(const std::string& path, const char* who, std::optional<uint32_t> expected_magic = std::nullopt) {
  detail::FileReader reader(path, who);
  std::vector<uint8_t> head;
  reader.read(4, head);
  if (head.size() < 4)
    throw Error(fmt::format("{}: '{}': truncated header: the file has {} bytes, an IDX header needs at least 4", who,
                            path, head.size()));
  const uint32_t magic = big_endian_u32(head.data());
  if (expected_magic && magic != *expected_magic)
    throw Error(fmt::format("{}: '{}': wrong magic number at byte 0: expected 0x{:08X} ({}), got 0x{:08X} ({})", who,
                            path, *expected_magic, *expected_magic, magic, magic));
  if (head[0] != 0 || head[1] != 0 || element_bytes(head[2]) == 0)
    throw Error(
        fmt::format("{}: '{}': bad magic number 0x{:08X} at byte 0: an IDX file starts with two zero "
                    "bytes, a type code (0x08, 0x09, 0x0B-0x0E) and the number of dims",
                    who, path, magic));
  IdxFile idx;
  idx.type = head[2];
  const std::size_t ndims = head[3];
  const std::size_t header = 4 + 4 * ndims;
  reader.read(4 * ndims, head);
  if (head.size() < header)
    throw Error(fmt::format("{}: '{}': truncated header: {} dims need {} header bytes, the file ends at byte offset {}",
                            who, path, ndims, header, head.size()));
  for (std::size_t d = 0; d < ndims; ++d) idx.dims.push_back(big_endian_u32(head.data() + 4 + 4 * d));
  int64_t data_bytes = 0;
  try {
    // 8 bytes per element: the widest dtype the tensor may be read as
    (void)checked_contiguous_bytes(idx.dims, 8, who);
    data_bytes = checked_mul(checked_numel(idx.dims, who), static_cast<int64_t>(element_bytes(idx.type)), who, idx.dims,
                             "the size in bytes");
  } catch (const Error& e) {
    throw Error(
        fmt::format("{}: '{}': the dims at byte offset 4 describe no tensor that can exist ({})", who, path, e.what()));
  }
  const auto claimed = static_cast<uint64_t>(data_bytes);
  if (!reader.gzip() && reader.size_known() &&
      reader.file_size() != header + claimed) {  // a plain file's size is known
    if (reader.file_size() < header + claimed)
      throw Error(
          fmt::format("{}: '{}': truncated data: the header declares dims {} ({} bytes from byte offset {}) "
                      "but the file ends at byte offset {}",
                      who, path, shape_str(idx.dims), claimed, header, reader.file_size()));
    throw Error(fmt::format("{}: '{}': {} unexpected bytes after the data, from byte offset {}", who, path,
                            reader.file_size() - header - claimed, header + claimed));
  }
  if (reader.gzip() && claimed > reader.max_content_size())
    throw Error(
        fmt::format("{}: '{}': truncated data: the header declares dims {} ({} bytes from byte offset {}) "
                    "but a gzip file of {} bytes cannot hold that many (deflate expands at most 1032:1)",
                    who, path, shape_str(idx.dims), claimed, header, reader.file_size()));
  reader.read(static_cast<std::size_t>(claimed), idx.data);  // grows with what arrives, not by `claimed`
  if (idx.data.size() < claimed)
    throw Error(
        fmt::format("{}: '{}': truncated data: the header declares dims {} ({} bytes from byte offset {}) "
                    "but the file ends at byte offset {}",
                    who, path, shape_str(idx.dims), claimed, header, header + idx.data.size()));
  std::vector<uint8_t> extra;
  if (reader.read(1, extra) > 0)  // gzip: a bomb behind a small header stops here
    throw Error(
        fmt::format("{}: '{}': unexpected bytes after the data, from byte offset {} (the dims {} declare "
                    "{} bytes)",
                    who, path, header + claimed, shape_str(idx.dims), claimed));
  return idx;
}

// A float read as Int64 must be a number in int64's range (the cast of NaN or 1e300 is undefined).
template <typename Out, typename Raw>
Out convert(Raw value, std::size_t index, const std::string& path, std::size_t element_size) {
  if constexpr (std::is_floating_point_v<Raw> && std::is_same_v<Out, int64_t>) {
    if (!(value >= -0x1p63 && value < 0x1p63))
      throw Error(
          fmt::format("read_idx: '{}': element {} (at data byte offset {}) is {}, which cannot be read as "
                      "Int64",
                      path, index, index * element_size, value));
  }
  return static_cast<Out>(value);
}

template <typename Raw, typename Out>
void decode(const uint8_t* p, std::size_t n, Out* out, const std::string& path) {
  for (std::size_t i = 0; i < n; ++i, p += sizeof(Raw)) {
    uint8_t swapped[sizeof(Raw)];
    for (std::size_t k = 0; k < sizeof(Raw); ++k) swapped[k] = p[sizeof(Raw) - 1 - k];
    Raw value;
    std::memcpy(&value, swapped, sizeof(Raw));
    out[i] = convert<Out>(value, i, path, sizeof(Raw));
  }
}

template <typename Out>
void decode_any(const IdxFile& idx, std::size_t n, Out* out, const std::string& path) {
  const uint8_t* p = idx.data.data();
  switch (idx.type) {
    case 0x08:
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<Out>(p[i]);
      break;
    case 0x09: decode<int8_t>(p, n, out, path); break;
    case 0x0B: decode<int16_t>(p, n, out, path); break;
    case 0x0C: decode<int32_t>(p, n, out, path); break;
    case 0x0D: decode<float>(p, n, out, path); break;
    case 0x0E: decode<double>(p, n, out, path); break;
    default: break;
  }
}

// root/name or root/name.gz, whichever exists (the plain file first).
std::string locate(const std::string& root, const std::string& name) {
  const std::filesystem::path plain = std::filesystem::path(root) / name;
  std::error_code ec;
  if (std::filesystem::exists(plain, ec)) return plain.string();
  const std::string gz = plain.string() + ".gz";
  if (std::filesystem::exists(gz, ec)) return gz;
  throw Error(fmt::format("MNIST: cannot find '{}' or '{}'", plain.string(), gz));
}

}  // namespace

Tensor read_idx(const std::string& path, std::optional<ScalarType> dtype) {
  IdxFile idx = read_idx_file(path, "read_idx");
  const ScalarType natural = idx.type == 0x0D ? kFloat32 : idx.type == 0x0E ? kFloat64 : kInt64;
  const ScalarType out_type = dtype.value_or(natural);
  Tensor out = tg::empty(idx.dims, out_type);
  const auto n = static_cast<std::size_t>(out.numel());
  switch (out_type) {
    case kFloat32: decode_any(idx, n, out.data_ptr<float>(), path); break;
    case kFloat64: decode_any(idx, n, out.data_ptr<double>(), path); break;
    case kInt64: decode_any(idx, n, out.data_ptr<int64_t>(), path); break;
    case kBool: decode_any(idx, n, out.data_ptr<bool>(), path); break;
  }
  return out;
}

namespace datasets {

MNIST::MNIST(const std::string& root, Mode mode) : is_train_(mode == Mode::kTrain) {
  const std::string prefix = is_train_ ? "train" : "t10k";
  const std::string image_path = locate(root, prefix + "-images-idx3-ubyte");
  const std::string label_path = locate(root, prefix + "-labels-idx1-ubyte");
  // Magic numbers: 0x0000 + type 0x08 (unsigned byte) + dims (3 for images, 1 for labels).
  const IdxFile images = read_idx_file(image_path, "MNIST", 0x00000803u);
  const IdxFile labels = read_idx_file(label_path, "MNIST", 0x00000801u);
  if (images.dims[0] != labels.dims[0])
    throw Error(fmt::format("MNIST: '{}' holds {} images but '{}' holds {} labels", image_path, images.dims[0],
                            label_path, labels.dims[0]));
  const int64_t n = images.dims[0], rows = images.dims[1], cols = images.dims[2];
  images_ = tg::empty({n, 1, rows, cols}, kFloat32);
  float* pixels = images_.data_ptr<float>();
  const uint8_t* raw = images.data.data();
  // Bytes to [0, 1] as libtorch's MNIST: to(kFloat32).div_(255), a float division.
  for (int64_t i = 0; i < n * rows * cols; ++i) pixels[i] = static_cast<float>(raw[i]) / 255.0f;
  targets_ = tg::empty({n}, kInt64);
  int64_t* targets = targets_.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) targets[i] = labels.data[static_cast<std::size_t>(i)];
}

Example<> MNIST::get(std::size_t index) {
  if (static_cast<int64_t>(index) >= images_.size(0))
    throw Error(fmt::format("MNIST::get: index {} is out of range for {} examples", index, images_.size(0)));
  return {images_[static_cast<int64_t>(index)], targets_[static_cast<int64_t>(index)]};
}

std::optional<std::size_t> MNIST::size() const { return static_cast<std::size_t>(images_.size(0)); }
bool MNIST::is_train() const noexcept { return is_train_; }
const Tensor& MNIST::images() const { return images_; }
const Tensor& MNIST::targets() const { return targets_; }

}  // namespace datasets
}  // namespace tg::data
