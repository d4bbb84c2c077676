// safetensors reader and writer (the format is described in <tapegrad/safetensors.h>).
// load() treats the file as untrusted: every number in the header is checked against the file
// before anything is allocated or read, so a corrupt or hostile file gives a tg::Error naming the
// path (and the tensor), never a crash, an out-of-bounds read or an allocation beyond the file's size.
#include "tapegrad/safetensors.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "tapegrad/internal/tensor_impl.h"
#include "tapegrad/ops.h"

namespace tg::safetensors {
namespace {

// The reference implementation refuses headers above 100 MB; so do we (a header that size would
// already describe millions of tensors).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests 3 deep ({"name": {"shape": [2]}}); the limit leaves room for unknown fields
// while keeping a hostile "[[[[..." from building millions of nested values.
constexpr int kMaxHeaderDepth = 16;

// The file's dtypes. F16/BF16 load as kFloat32 and the narrower integers as kInt64 (exact
// conversions), so checkpoints written by PyTorch in half precision or with int32 buffers load.
enum class Kind { Float, Int, UInt, Bool, Half, BFloat };
struct FileDtype {
  const char* name;
  std::size_t bytes;
  Kind kind;
  ScalarType loads_as;
};
constexpr FileDtype kFileDtypes[] = {
    {"F32", 4, Kind::Float, kFloat32}, {"F64", 8, Kind::Float, kFloat64}, {"I64", 8, Kind::Int, kInt64},
    {"BOOL", 1, Kind::Bool, kBool},    {"F16", 2, Kind::Half, kFloat32},  {"BF16", 2, Kind::BFloat, kFloat32},
    {"I8", 1, Kind::Int, kInt64},      {"I16", 2, Kind::Int, kInt64},     {"I32", 4, Kind::Int, kInt64},
    {"U8", 1, Kind::UInt, kInt64},     {"U16", 2, Kind::UInt, kInt64},    {"U32", 4, Kind::UInt, kInt64},
    {"U64", 8, Kind::UInt, kInt64},
};

const FileDtype* find_file_dtype(const std::string& name) {
  for (const FileDtype& d : kFileDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

const char* file_dtype_name(ScalarType dtype) {
  switch (dtype) {
    case kFloat32: return "F32";
    case kFloat64: return "F64";
    case kInt64: return "I64";
    case kBool: return "BOOL";
  }
  return "?";
}

// The format is little-endian; on a big-endian host every element is byte-swapped on the way
// in and out.
void to_or_from_little_endian(char* data, std::size_t count, std::size_t bytes) {
  if constexpr (std::endian::native == std::endian::little) return;
  if (bytes == 1) return;
  for (std::size_t i = 0; i < count; ++i) std::reverse(data + i * bytes, data + (i + 1) * bytes);
}

uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // +-0
  } else {
    // subnormal half: normalise into a float exponent
    int32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (static_cast<uint32_t>(e) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// ---------------------------------------------------------------------------------------- files

// Owns a file descriptor; closes it on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text() { return std::strerror(errno); }

// ----------------------------------------------------------------------------------------- load

class Loader {
 public:
  explicit Loader(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(fmt::format("safetensors::load: '{}': {}", path_, what));
  }
  [[noreturn]] void fail(const std::string& tensor, const std::string& what) const {
    throw Error(fmt::format("safetensors::load: '{}': tensor '{}': {}", path_, tensor, what));
  }

  File run() {
    file_.fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_.fd < 0) fail(fmt::format("cannot open: {}", errno_text()));
    struct stat info {};
    if (::fstat(file_.fd, &info) != 0) fail(fmt::format("cannot stat: {}", errno_text()));
    if (!S_ISREG(info.st_mode)) fail("not a regular file");
    const uint64_t file_size = static_cast<uint64_t>(info.st_size);

    if (file_size < 8) fail(fmt::format("file has {} bytes, too short for the 8-byte header length", file_size));
    unsigned char length_bytes[8];
    read_exact(0, length_bytes, 8);
    const uint64_t header_size = read_u64_le(length_bytes);
    if (header_size > file_size - 8)
      fail(
          fmt::format("header length {} is larger than the {} bytes after it (truncated or not "
                      "a safetensors file)",
                      header_size, file_size - 8));
    if (header_size > kMaxHeaderBytes)
      fail(fmt::format("header length {} exceeds the limit of {} bytes", header_size, kMaxHeaderBytes));
    std::string header(static_cast<std::size_t>(header_size), '\0');
    read_exact(8, header.data(), header.size());
    if (header.empty() || header[0] != '{') fail("header does not start with '{' (not a safetensors file?)");
    // nlohmann's parser stops at a NUL byte and ignores the rest; no valid header contains one.
    if (header.find('\0') != std::string::npos)
      fail(fmt::format("header has a NUL byte at offset {} (padding must be spaces)", header.find('\0')));

    data_start_ = 8 + header_size;
    data_size_ = file_size - data_start_;
    parse_header(header);
    check_layout();
    return read_tensors();
  }

 private:
  struct Entry {
    std::string name;
    const FileDtype* dtype = nullptr;
    std::vector<int64_t> shape;
    uint64_t numel = 0;
    uint64_t begin = 0, end = 0;
  };

  void read_exact(uint64_t offset, void* out, std::size_t bytes) const {
    auto* dst = static_cast<char*>(out);
    while (bytes > 0) {
      const ssize_t got = ::pread(file_.fd, dst, bytes, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail(fmt::format("read error: {}", errno_text()));
      if (got == 0) fail("unexpected end of file (file changed while reading?)");
      dst += got;
      bytes -= static_cast<std::size_t>(got);
      offset += static_cast<uint64_t>(got);
    }
  }

  void parse_header(const std::string& header) {
    using nlohmann::json;
    // nlohmann keeps the last of duplicate keys silently; the spec forbids duplicates (two entries
    // of one name are a known way to make readers disagree), so the parser callback finds them.
    std::vector<std::set<std::string>> open_objects;
    std::string current_tensor, duplicate, duplicate_in;
    struct TooDeep {};
    auto callback = [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth > kMaxHeaderDepth) throw TooDeep{};
      if (event == json::parse_event_t::object_start) {
        open_objects.emplace_back();
      } else if (event == json::parse_event_t::object_end) {
        if (!open_objects.empty()) open_objects.pop_back();
      } else if (event == json::parse_event_t::key && !open_objects.empty()) {
        const std::string key = parsed.get<std::string>();
        if (depth == 1) current_tensor = key;
        if (!open_objects.back().insert(key).second && duplicate.empty()) {
          duplicate = key;
          duplicate_in = depth == 1 ? std::string() : current_tensor;
        }
      }
      return true;
    };
    json root;
    try {
      root = json::parse(header, callback);
    } catch (const json::exception& e) {
      fail(fmt::format("invalid JSON header: {}", e.what()));
    } catch (const TooDeep&) {
      fail(fmt::format("header JSON nests deeper than {} levels", kMaxHeaderDepth));
    }
    if (!duplicate.empty()) {
      if (duplicate_in.empty()) fail(fmt::format("duplicate tensor name '{}' in the header", duplicate));
      fail(duplicate_in, fmt::format("duplicate key '{}' in its header entry", duplicate));
    }
    if (!root.is_object()) fail("header is not a JSON object");

    for (const auto& [name, value] : root.items()) {
      if (name == "__metadata__") {
        if (!value.is_object()) fail("__metadata__ is not an object of strings");
        for (const auto& [key, text] : value.items()) {
          if (!text.is_string()) fail(fmt::format("__metadata__ value of '{}' is not a string", key));
          metadata_.emplace(key, text.get<std::string>());
        }
        continue;
      }
      entries_.push_back(parse_entry(name, value));
    }
  }

  Entry parse_entry(const std::string& name, const nlohmann::json& value) const {
    Entry entry;
    entry.name = name;
    if (!value.is_object())
      fail(name, fmt::format("header entry is a JSON {}, expected an object with dtype, shape and "
                             "data_offsets",
                             value.type_name()));
    auto dtype = value.find("dtype");
    if (dtype == value.end() || !dtype->is_string()) fail(name, "missing or non-string 'dtype'");
    const std::string dtype_text = dtype->get<std::string>();
    entry.dtype = find_file_dtype(dtype_text);
    if (!entry.dtype)
      fail(name, fmt::format("unsupported dtype '{}' (tapegrad reads F32, F64, I64, BOOL, F16, "
                             "BF16, I8, I16, I32, U8, U16, U32, U64)",
                             dtype_text));

    auto shape = value.find("shape");
    if (shape == value.end() || !shape->is_array()) fail(name, "missing or non-array 'shape'");
    // Every dim must be a non-negative integer, and the tensor made from the shape must exist:
    // its element count, strides and bytes (8 per element: the widest dtype tapegrad converts to)
    // fit int64 (checked_math.h, as everywhere else).
    for (const auto& dim : *shape) {
      if (!dim.is_number_unsigned())
        fail(name, fmt::format("shape {} has an entry that is not a non-negative integer", shape->dump()));
      if (dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail(name, fmt::format("shape {} overflows a 64-bit element count", shape->dump()));
      entry.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
    }
    try {
      (void)checked_contiguous_bytes(entry.shape, 8, "safetensors::load");
      entry.numel = static_cast<uint64_t>(checked_numel(entry.shape, "safetensors::load"));
    } catch (const Error&) {
      fail(name, fmt::format("shape {} overflows a 64-bit element count", shape->dump()));
    }
    const uint64_t numel = entry.numel;

    auto offsets = value.find("data_offsets");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      fail(name, "missing 'data_offsets' or not two non-negative integers [begin, end]");
    entry.begin = (*offsets)[0].get<uint64_t>();
    entry.end = (*offsets)[1].get<uint64_t>();
    if (entry.end < entry.begin)
      fail(name, fmt::format("data_offsets [{}, {}] end before they begin", entry.begin, entry.end));
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(numel, entry.dtype->bytes, &nbytes))
      fail(name, fmt::format("shape {} overflows a 64-bit byte count", shape->dump()));
    if (entry.end > data_size_)
      fail(name, fmt::format("data_offsets [{}, {}] go past the end of the {}-byte data buffer "
                             "(truncated file?)",
                             entry.begin, entry.end, data_size_));
    if (entry.end - entry.begin != nbytes)
      fail(name, fmt::format("data_offsets [{}, {}] hold {} bytes but dtype {} and shape {} need {}", entry.begin,
                             entry.end, entry.end - entry.begin, entry.dtype->name, shape->dump(), nbytes));
    return entry;
  }

  // The spec requires the tensors to tile the data buffer: no overlaps, no holes, nothing after.
  void check_layout() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t expected = 0;
    const Entry* previous = nullptr;
    for (const Entry& entry : entries_) {
      if (entry.begin < expected)
        fail(entry.name, fmt::format("data_offsets [{}, {}] overlap those of '{}' [{}, {}]", entry.begin, entry.end,
                                     previous->name, previous->begin, previous->end));
      if (entry.begin > expected)
        fail(entry.name, fmt::format("data_offsets [{}, {}] leave a hole: bytes [{}, {}) of the data "
                                     "buffer belong to no tensor",
                                     entry.begin, entry.end, expected, entry.begin));
      expected = entry.end;
      previous = &entry;
    }
    if (expected != data_size_)
      fail(
          fmt::format("the data buffer has {} bytes but the tensors cover only {} (trailing bytes "
                      "belong to no tensor)",
                      data_size_, expected));
  }

  File read_tensors() const {
    File result;
    result.metadata = metadata_;
    result.tensors.reserve(entries_.size());
    std::vector<char> staging;
    for (const Entry& entry : entries_) {
      Tensor tensor = empty(entry.shape, entry.dtype->loads_as);
      const std::size_t nbytes = static_cast<std::size_t>(entry.end - entry.begin);
      const std::size_t count = static_cast<std::size_t>(entry.numel);
      const FileDtype& dtype = *entry.dtype;
      if (nbytes > 0) {
        const bool native =
            dtype.kind == Kind::Float || dtype.kind == Kind::Bool || (dtype.kind == Kind::Int && dtype.bytes == 8);
        char* raw = native ? tensor.unsafe_impl()->data_bytes() : (staging.resize(nbytes), staging.data());
        read_exact(data_start_ + entry.begin, raw, nbytes);
        to_or_from_little_endian(raw, count, dtype.bytes);
        if (native) {
          if (dtype.kind == Kind::Bool) check_bools(entry, raw, count);
        } else {
          convert(entry, raw, tensor);
        }
      }
      result.tensors.insert(entry.name, std::move(tensor));
    }
    return result;
  }

  // A byte other than 0 or 1 is not a valid C++ bool (reading it would be undefined behaviour).
  void check_bools(const Entry& entry, const char* raw, std::size_t count) const {
    for (std::size_t i = 0; i < count; ++i) {
      const auto byte = static_cast<unsigned char>(raw[i]);
      if (byte > 1) fail(entry.name, fmt::format("BOOL element {} has byte value {} (expected 0 or 1)", i, byte));
    }
  }

  void convert(const Entry& entry, const char* raw, const Tensor& out) const {
    const std::size_t count = static_cast<std::size_t>(entry.numel);
    auto load = [&](auto type_tag, std::size_t i) {
      decltype(type_tag) v;
      std::memcpy(&v, raw + i * sizeof(v), sizeof(v));
      return v;
    };
    switch (entry.dtype->kind) {
      case Kind::Half: {
        float* dst = out.data_ptr<float>();
        for (std::size_t i = 0; i < count; ++i) dst[i] = half_to_float(load(uint16_t{}, i));
        return;
      }
      case Kind::BFloat: {
        float* dst = out.data_ptr<float>();
        for (std::size_t i = 0; i < count; ++i)
          dst[i] = std::bit_cast<float>(static_cast<uint32_t>(load(uint16_t{}, i)) << 16);
        return;
      }
      case Kind::Int: {
        int64_t* dst = out.data_ptr<int64_t>();
        for (std::size_t i = 0; i < count; ++i) {
          switch (entry.dtype->bytes) {
            case 1: dst[i] = load(int8_t{}, i); break;
            case 2: dst[i] = load(int16_t{}, i); break;
            default: dst[i] = load(int32_t{}, i); break;
          }
        }
        return;
      }
      case Kind::UInt: {
        int64_t* dst = out.data_ptr<int64_t>();
        for (std::size_t i = 0; i < count; ++i) {
          switch (entry.dtype->bytes) {
            case 1: dst[i] = load(uint8_t{}, i); break;
            case 2: dst[i] = load(uint16_t{}, i); break;
            case 4: dst[i] = load(uint32_t{}, i); break;
            default: {
              const uint64_t v = load(uint64_t{}, i);
              if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                fail(entry.name, fmt::format("U64 element {} = {} does not fit Int64", i, v));
              dst[i] = static_cast<int64_t>(v);
            }
          }
        }
        return;
      }
      case Kind::Float:
      case Kind::Bool: break;  // native, never converted
    }
  }

  std::string path_;
  Fd file_;
  uint64_t data_start_ = 0, data_size_ = 0;
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// ----------------------------------------------------------------------------------------- save

[[noreturn]] void save_fail(const std::string& path, const std::string& what) {
  throw Error(fmt::format("safetensors::save: '{}': {}", path, what));
}

void write_all(int fd, const char* data, std::size_t bytes, const std::string& path, const std::string& temp) {
  while (bytes > 0) {
    const ssize_t done = ::write(fd, data, bytes);
    if (done < 0 && errno == EINTR) continue;
    if (done <= 0) save_fail(path, fmt::format("cannot write '{}': {}", temp, errno_text()));
    data += done;
    bytes -= static_cast<std::size_t>(done);
  }
}

// A name no other writer (thread or process) picks: <path>.tmp.<pid>.<counter>.
std::string temp_path_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter.fetch_add(1));
}

// A writer killed between creating its temporary file and the rename (SIGKILL, the OOM killer)
// leaves <path>.tmp.<pid>.<n> behind, and nothing else ever removes it: a job that is killed and
// restarted again and again would fill its checkpoint directory with them. So before writing,
// remove this target's temporaries whose writer process no longer exists (kill(pid, 0) fails with
// ESRCH). Files of live writers (this process's other threads, other processes) are left alone.
// A pid is only meaningful on this host: should a directory be shared with a live writer the pid
// does not reach (another PID namespace, a network file system), its save fails at the rename
// with a tg::Error and its target intact; no file is ever corrupted.
void remove_stale_temps(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;  // an unreadable directory is not our error here; open() below reports it
  for (fs::directory_iterator it(target.parent_path().empty() ? fs::path(".") : target.parent_path(), ec), end;
       !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const char* p = name.data() + prefix.size();
    const char* const stop = name.data() + name.size();
    pid_t pid = 0;
    uint64_t counter = 0;
    auto [after_pid, pid_error] = std::from_chars(p, stop, pid);
    if (pid_error != std::errc() || pid <= 0 || after_pid == stop || *after_pid != '.') continue;
    auto [after_counter, counter_error] = std::from_chars(after_pid + 1, stop, counter);
    if (counter_error != std::errc() || after_counter != stop) continue;
    if (pid != ::getpid() && ::kill(pid, 0) == -1 && errno == ESRCH) ::unlink(it->path().c_str());
  }
}

}  // namespace

// Layout written: header entries and data in the order of `tensors` (insertion order), with
// `__metadata__` first when there is any; the header is padded with spaces so the data starts at a
// multiple of 8 bytes (as the reference writer does, so readers can map the data aligned).
void save(const std::string& path, const OrderedDict<std::string, Tensor>& tensors,
          const std::map<std::string, std::string>& metadata) {
  using nlohmann::ordered_json;
  ordered_json header = ordered_json::object();
  if (!metadata.empty()) {
    ordered_json meta = ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header["__metadata__"] = std::move(meta);
  }
  std::vector<Tensor> contiguous;
  contiguous.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& item : tensors) {
    const std::string& name = item.key();
    const Tensor& tensor = item.value();
    if (name == "__metadata__") save_fail(path, "'__metadata__' is reserved and cannot name a tensor");
    if (!tensor.defined()) save_fail(path, fmt::format("tensor '{}' is undefined", name));
    Tensor packed = tensor.detach().contiguous();
    const uint64_t nbytes = static_cast<uint64_t>(packed.numel()) * element_size(packed.dtype());
    header[name] = {{"dtype", file_dtype_name(packed.dtype())},
                    {"shape", packed.sizes().vec()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    contiguous.push_back(std::move(packed));
  }
  std::string header_text;
  try {
    header_text = header.dump();  // strict: invalid UTF-8 in a name or metadata throws
  } catch (const nlohmann::json::exception& e) {
    save_fail(path, fmt::format("tensor names and metadata must be valid UTF-8 ({})", e.what()));
  }
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  unsigned char length_bytes[8];
  for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>(header_text.size() >> (8 * i));

  // Write everything to a temporary file beside the target, flush it to disk, then rename over
  // the target: a reader (or a crash) sees either the old file or the complete new one.
  remove_stale_temps(path);
  std::string temp;
  Fd out;
  for (int attempt = 0; attempt < 100 && out.fd < 0; ++attempt) {
    temp = temp_path_for(path);  // O_EXCL: a stale file of that name (a crashed writer's) is skipped
    out.fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (out.fd < 0 && errno != EEXIST) break;
  }
  if (out.fd < 0) save_fail(path, fmt::format("cannot create temporary file '{}': {}", temp, errno_text()));
  try {
    write_all(out.fd, reinterpret_cast<const char*>(length_bytes), 8, path, temp);
    write_all(out.fd, header_text.data(), header_text.size(), path, temp);
    std::vector<char> swapped;
    for (const Tensor& packed : contiguous) {
      const std::size_t elem = element_size(packed.dtype());
      const std::size_t nbytes = static_cast<std::size_t>(packed.numel()) * elem;
      if (nbytes == 0) continue;
      const char* bytes = packed.unsafe_impl()->data_bytes();
      if constexpr (std::endian::native != std::endian::little) {
        swapped.assign(bytes, bytes + nbytes);
        to_or_from_little_endian(swapped.data(), static_cast<std::size_t>(packed.numel()), elem);
        bytes = swapped.data();
      }
      write_all(out.fd, bytes, nbytes, path, temp);
    }
    if (::fsync(out.fd) != 0) save_fail(path, fmt::format("cannot flush '{}': {}", temp, errno_text()));
    const int fd = out.fd;
    out.fd = -1;
    if (::close(fd) != 0) save_fail(path, fmt::format("cannot close '{}': {}", temp, errno_text()));
    if (::rename(temp.c_str(), path.c_str()) != 0)
      save_fail(path, fmt::format("cannot rename '{}' to it: {}", temp, errno_text()));
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  // Make the rename itself durable (best effort: some file systems refuse to fsync a directory).
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  Fd dir;
  dir.fd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd >= 0) (void)::fsync(dir.fd);
}

File load(const std::string& path) { return Loader(path).run(); }

}  // namespace tg::safetensors
