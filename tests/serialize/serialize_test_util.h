// Helpers shared by the safetensors tests: a private temporary directory, raw file writing for
// hand-made (corrupt) files, exact tensor construction and bitwise comparison.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../error_of.h"
#include "tapegrad/tapegrad.h"

namespace tg_test {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tg_serialize_XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }
  // Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string u64_le(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

// A safetensors file from a header text and the data buffer, as given (no checks, no padding).
inline std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return u64_le(header.size()) + header + data;
}

// A tensor of `sizes` holding exactly `values` (no round trip through double).
template <typename T>
tg::Tensor make_tensor(tg::IntArrayRef sizes, const std::vector<T>& values) {
  constexpr tg::ScalarType dtype = std::is_same_v<T, float>     ? tg::kFloat32
                                   : std::is_same_v<T, double>  ? tg::kFloat64
                                   : std::is_same_v<T, int64_t> ? tg::kInt64
                                                                : tg::kBool;
  tg::Tensor t = tg::empty(sizes, dtype);
  if (t.numel() != static_cast<int64_t>(values.size())) throw std::runtime_error("make_tensor: size");
  if (!values.empty()) {
    if constexpr (std::is_same_v<T, bool>) {
      for (std::size_t i = 0; i < values.size(); ++i) t.data_ptr<bool>()[i] = values[i];
    } else {
      std::memcpy(t.data_ptr<T>(), values.data(), values.size() * sizeof(T));
    }
  }
  return t;
}

// The row-major bytes of a tensor of any dtype and strides.
inline std::string bytes_of(const tg::Tensor& tensor) {
  tg::Tensor packed = tensor.detach().contiguous();
  const std::size_t n = static_cast<std::size_t>(packed.numel()) * tg::element_size(packed.dtype());
  if (n == 0) return {};
  const char* p = nullptr;
  switch (packed.dtype()) {
    case tg::kFloat32: p = reinterpret_cast<const char*>(packed.data_ptr<float>()); break;
    case tg::kFloat64: p = reinterpret_cast<const char*>(packed.data_ptr<double>()); break;
    case tg::kInt64: p = reinterpret_cast<const char*>(packed.data_ptr<int64_t>()); break;
    case tg::kBool: p = reinterpret_cast<const char*>(packed.data_ptr<bool>()); break;
  }
  return {p, n};
}

// Same dtype, same shape and the same bits (NaN payloads and -0.0 included).
inline ::testing::AssertionResult identical(const tg::Tensor& a, const tg::Tensor& b) {
  if (a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << "dtypes " << tg::dtype_name(a.dtype()) << " vs "
                                         << tg::dtype_name(b.dtype());
  if (!a.sizes().equals(b.sizes()))
    return ::testing::AssertionFailure() << "shapes " << tg::shape_str(a.sizes()) << " vs " << tg::shape_str(b.sizes());
  if (bytes_of(a) != bytes_of(b)) return ::testing::AssertionFailure() << "values differ:\n" << a << "\nvs\n" << b;
  return ::testing::AssertionSuccess();
}

}  // namespace tg_test
