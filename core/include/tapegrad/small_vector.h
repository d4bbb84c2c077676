// SmallVector<T, N>: a vector that keeps up to N elements inside itself and moves to a block of
// tapegrad's small-block pool beyond that (as LLVM's and libtorch's SmallVector). A tape node holds
// its edges, input metadata, saved tensors and scalar arguments in them, so recording an op with
// at most two of each and no integer-list argument allocates the node and nothing else. Only the operations the tape
// needs: no insert or erase in the middle, no copies. Element moves must not throw (every element type of a node's
// lists).
#pragma once
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "tapegrad/pool_allocator.h"

namespace tg {

template <typename T, std::size_t N>
class SmallVector {
  static_assert(N > 0, "SmallVector: N must be positive");
  static_assert(std::is_nothrow_move_constructible_v<T>, "SmallVector: moving T must not throw");

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  SmallVector() = default;
  SmallVector(SmallVector&& other) noexcept { take(other); }
  SmallVector& operator=(SmallVector&& other) noexcept {
    if (this != &other) {
      destroy_all();
      take(other);
    }
    return *this;
  }
  SmallVector(const SmallVector&) = delete;
  SmallVector& operator=(const SmallVector&) = delete;
  ~SmallVector() { destroy_all(); }

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }
  T& back() { return data_[size_ - 1]; }
  const T& back() const { return data_[size_ - 1]; }
  T* begin() { return data_; }
  T* end() { return data_ + size_; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }
  // True while the elements live inside the object (no allocation).
  bool is_inline() const { return data_ == inline_data(); }

  void reserve(std::size_t n) {
    if (n > capacity_) grow(n);
  }
  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) {
      // Build the element first: args may refer to an element that grow() moves.
      T value(std::forward<Args>(args)...);
      grow(2 * capacity_);
      ::new (static_cast<void*>(data_ + size_)) T(std::move(value));
    } else {
      ::new (static_cast<void*>(data_ + size_)) T(std::forward<Args>(args)...);
    }
    return data_[size_++];
  }
  void push_back(const T& v) { emplace_back(v); }
  void push_back(T&& v) { emplace_back(std::move(v)); }
  // Value-initialised new elements, or the first n kept.
  void resize(std::size_t n) {
    reserve(n);
    while (size_ < n) ::new (static_cast<void*>(data_ + size_++)) T();
    while (size_ > n) data_[--size_].~T();
  }
  void clear() { resize(0); }

 private:
  T* inline_data() { return reinterpret_cast<T*>(inline_); }
  const T* inline_data() const { return reinterpret_cast<const T*>(inline_); }
  void grow(std::size_t n) {
    T* fresh = detail::PoolAllocator<T>().allocate(n);
    for (std::size_t i = 0; i < size_; ++i) {
      ::new (static_cast<void*>(fresh + i)) T(std::move(data_[i]));
      data_[i].~T();
    }
    free_heap();
    data_ = fresh;
    capacity_ = n;
  }
  void free_heap() {
    if (!is_inline()) detail::PoolAllocator<T>().deallocate(data_, capacity_);
  }
  void destroy_all() {
    std::destroy(begin(), end());
    free_heap();
    data_ = inline_data();
    size_ = 0;
    capacity_ = N;
  }
  // This is empty and inline; takes other's elements (its block, when it has one) and leaves it so.
  void take(SmallVector& other) noexcept {
    if (other.is_inline()) {
      for (std::size_t i = 0; i < other.size_; ++i) {
        ::new (static_cast<void*>(data_ + i)) T(std::move(other.data_[i]));
        other.data_[i].~T();
      }
      size_ = other.size_;
    } else {
      data_ = other.data_;
      size_ = other.size_;
      capacity_ = other.capacity_;
      other.data_ = other.inline_data();
      other.capacity_ = N;
    }
    other.size_ = 0;
  }

  T* data_ = inline_data();
  std::size_t size_ = 0;
  std::size_t capacity_ = N;
  alignas(T) unsigned char inline_[N * sizeof(T)];
};

}  // namespace tg
