// Scalar types, shapes and the small vector that holds sizes and strides inline up to 6 dims (a
// tensor op on 16 floats must not pay for malloc twice just to store its shape).
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
    if (size_ != other.size_) return false;
    for (std::size_t i = 0; i < size_; ++i)
      if (data_[i] != other.data_[i]) return false;
    return true;
  }
  friend bool operator==(IntArrayRef a, IntArrayRef b) { return a.equals(b); }

 private:
  const int64_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// "[3, 4]"
std::string shape_str(IntArrayRef sizes);

// Sizes and strides of one tensor: inline storage for up to kInline dims, heap beyond (as
// libtorch's SmallVector<int64_t, 5>). 56 bytes: the heap pointer and capacity share the inline
// array, which is in use exactly when size() <= kInline. A move steals a heap buffer; copies of
// up to kInline dims are element loops (no library call for a few dims). Every inline
// slot is always initialised, so copying the whole inline array reads no indeterminate value.
class DimVector {
 public:
  static constexpr std::size_t kInline = 6;
  DimVector() = default;
  explicit DimVector(std::size_t n, int64_t value = 0) { resize(n, value); }
  DimVector(IntArrayRef values) { assign(values); }  // NOLINT
  DimVector(std::initializer_list<int64_t> values) { assign(IntArrayRef(values)); }
  DimVector(const DimVector& other) {
    if (other.size_ <= kInline) {
      for (std::size_t i = 0; i < kInline; ++i) inline_[i] = other.inline_[i];
      size_ = other.size_;
    } else {
      assign(other);
    }
  }
  DimVector& operator=(const DimVector& other) {
    if (this != &other) assign(other);
    return *this;
  }
  DimVector(DimVector&& other) noexcept { take(other); }
  DimVector& operator=(DimVector&& other) noexcept {
    if (this != &other) {
      free_heap();
      take(other);
    }
    return *this;
  }
  ~DimVector() { free_heap(); }

  // `values` may point into this vector.
  void assign(IntArrayRef values) {
    const std::size_t n = values.size();
    if (n <= kInline) {
      int64_t copy[kInline];
      for (std::size_t i = 0; i < n; ++i) copy[i] = values[i];
      free_heap();
      for (std::size_t i = 0; i < n; ++i) inline_[i] = copy[i];
      size_ = n;
    } else {
      int64_t* buffer = new int64_t[n];
      for (std::size_t i = 0; i < n; ++i) buffer[i] = values[i];
      free_heap();
      heap_ = {buffer, n};
      size_ = n;
    }
  }
  void resize(std::size_t n, int64_t value = 0) {
    if (n <= kInline && size_ <= kInline) {
      for (std::size_t i = size_; i < n; ++i) inline_[i] = value;
      size_ = n;
      return;
    }
    if (n > kInline && size_ > kInline && n <= heap_.capacity) {
      for (std::size_t i = size_; i < n; ++i) heap_.data[i] = value;
      size_ = n;
      return;
    }
    const std::size_t kept = n < size_ ? n : size_;
    if (n <= kInline) {  // heap -> inline
      int64_t copy[kInline];
      for (std::size_t i = 0; i < kept; ++i) copy[i] = heap_.data[i];
      free_heap();
      for (std::size_t i = 0; i < kInline; ++i) inline_[i] = i < kept ? copy[i] : value;
    } else {  // to a larger heap buffer
      const std::size_t capacity = n < 2 * size_ ? 2 * size_ : n;
      int64_t* buffer = new int64_t[capacity];
      const int64_t* old = data();
      for (std::size_t i = 0; i < kept; ++i) buffer[i] = old[i];
      for (std::size_t i = kept; i < n; ++i) buffer[i] = value;
      free_heap();
      heap_ = {buffer, capacity};
    }
    size_ = n;
  }
  void push_back(int64_t v) {
    resize(size_ + 1);
    data()[size_ - 1] = v;
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
    resize(size_ - 1);
  }
  int64_t* data() { return size_ > kInline ? heap_.data : inline_; }
  const int64_t* data() const { return size_ > kInline ? heap_.data : inline_; }
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
  struct Heap {
    int64_t* data;
    std::size_t capacity;
  };
  void free_heap() {
    if (size_ > kInline) {
      delete[] heap_.data;
      for (std::size_t i = 0; i < kInline; ++i) inline_[i] = 0;
      size_ = 0;
    }
  }
  // Takes `other`'s elements (its buffer, when on the heap) and leaves it empty; this is empty.
  void take(DimVector& other) noexcept {
    if (other.size_ > kInline) {
      heap_ = other.heap_;
      for (std::size_t i = 0; i < kInline; ++i) other.inline_[i] = 0;
    } else {
      for (std::size_t i = 0; i < kInline; ++i) inline_[i] = other.inline_[i];
    }
    size_ = other.size_;
    other.size_ = 0;
  }

  std::size_t size_ = 0;
  union {
    int64_t inline_[kInline] = {};
    Heap heap_;
  };
};

}  // namespace tg
