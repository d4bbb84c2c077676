// Scalar types, shapes and the small fixed-capacity vector that holds sizes and strides without a
// heap allocation (a tensor op on 16 floats must not pay for malloc twice just to store its shape).
#pragma once
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace tg {

enum class ScalarType : int8_t { Float32, Float64, Int64, Bool };
using Dtype = ScalarType;
inline constexpr ScalarType kFloat32 = ScalarType::Float32;
inline constexpr ScalarType kFloat = ScalarType::Float32;
inline constexpr ScalarType kFloat64 = ScalarType::Float64;
inline constexpr ScalarType kDouble = ScalarType::Float64;
inline constexpr ScalarType kInt64 = ScalarType::Int64;
inline constexpr ScalarType kLong = ScalarType::Int64;
inline constexpr ScalarType kBool = ScalarType::Bool;

// "Float32", "Float64", "Int64", "Bool"
const char* dtype_name(ScalarType dtype);
std::size_t element_size(ScalarType dtype);
inline bool is_floating_point(ScalarType dtype) { return dtype == kFloat32 || dtype == kFloat64; }

// A non-owning view of a list of int64 (sizes, dims, strides), like libtorch's IntArrayRef.
// Constructible from a braced list, a std::vector or a single integer.
class IntArrayRef {
 public:
  constexpr IntArrayRef() = default;
  constexpr IntArrayRef(const int64_t* data, std::size_t size) : data_(data), size_(size) {}
  IntArrayRef(const std::vector<int64_t>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
  // The list lives until the end of the full expression: fine for an argument, as libtorch's.
  constexpr IntArrayRef(std::initializer_list<int64_t> list)  // NOLINT
      : data_(list.begin()), size_(list.size()) {}
#pragma GCC diagnostic pop
  constexpr IntArrayRef(const int64_t& single) : data_(&single), size_(1) {}  // NOLINT

  constexpr const int64_t* data() const { return data_; }
  constexpr std::size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const int64_t* begin() const { return data_; }
  constexpr const int64_t* end() const { return data_ + size_; }
  constexpr int64_t operator[](std::size_t i) const { return data_[i]; }
  int64_t front() const { return data_[0]; }
  int64_t back() const { return data_[size_ - 1]; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }
  bool equals(IntArrayRef other) const {
    return size_ == other.size_ && (size_ == 0 || std::memcmp(data_, other.data_, size_ * sizeof(int64_t)) == 0);
  }
  friend bool operator==(IntArrayRef a, IntArrayRef b) { return a.equals(b); }

 private:
  const int64_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// "[3, 4]"
std::string shape_str(IntArrayRef sizes);

// Sizes and strides of one tensor: inline storage for up to kInline dims, heap beyond.
class DimVector {
 public:
  static constexpr std::size_t kInline = 6;
  DimVector() = default;
  explicit DimVector(std::size_t n, int64_t value = 0) { resize(n, value); }
  DimVector(IntArrayRef values) { assign(values); }  // NOLINT
  DimVector(std::initializer_list<int64_t> values) { assign(IntArrayRef(values)); }
  DimVector(const DimVector& other) { assign(other); }
  DimVector& operator=(const DimVector& other) {
    if (this != &other) assign(other);
    return *this;
  }
  DimVector(DimVector&& other) noexcept { assign(other); }
  DimVector& operator=(DimVector&& other) noexcept {
    if (this != &other) assign(other);
    return *this;
  }

  void assign(IntArrayRef values) {
    resize(values.size());
    if (!values.empty()) std::memmove(data(), values.data(), values.size() * sizeof(int64_t));
  }
  void resize(std::size_t n, int64_t value = 0) {
    if (n > kInline) {
      if (size_ <= kInline) heap_.assign(inline_, inline_ + size_);
      heap_.resize(n, value);
    } else {
      if (size_ > kInline) {
        std::memcpy(inline_, heap_.data(), n * sizeof(int64_t));
        heap_.clear();
      }
      for (std::size_t i = size_; i < n; ++i) inline_[i] = value;
    }
    size_ = n;
  }
  void push_back(int64_t v) {
    if (size_ + 1 > kInline && heap_.empty()) heap_.assign(inline_, inline_ + size_);
    if (size_ + 1 > kInline)
      heap_.push_back(v);
    else
      inline_[size_] = v;
    ++size_;
  }
  void insert(std::size_t pos, int64_t v) {
    push_back(0);
    int64_t* d = data();
    for (std::size_t i = size_ - 1; i > pos; --i) d[i] = d[i - 1];
    d[pos] = v;
  }
  void erase(std::size_t pos) {
    int64_t* d = data();
    for (std::size_t i = pos; i + 1 < size_; ++i) d[i] = d[i + 1];
    if (size_ > kInline) {
      heap_.pop_back();
      if (heap_.size() <= kInline) {
        std::memcpy(inline_, heap_.data(), heap_.size() * sizeof(int64_t));
        heap_.clear();
      }
    }
    --size_;
  }
  int64_t* data() { return size_ > kInline ? heap_.data() : inline_; }
  const int64_t* data() const { return size_ > kInline ? heap_.data() : inline_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t& operator[](std::size_t i) { return data()[i]; }
  int64_t operator[](std::size_t i) const { return data()[i]; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + size_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size_; }
  operator IntArrayRef() const { return {data(), size_}; }  // NOLINT
  std::vector<int64_t> vec() const { return {begin(), end()}; }

 private:
  std::size_t size_ = 0;
  int64_t inline_[kInline] = {};
  std::vector<int64_t> heap_;
};

}  // namespace tg
