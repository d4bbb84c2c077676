// An STL allocator over tapegrad's thread-local pool of small blocks (core/src/pool.cpp). The
// tape's nodes keep their edge, metadata and saved-tensor lists in it: a recorded op allocates
// and frees several small blocks, which glibc's malloc handles slowly in bulk.
#pragma once
#include <cstddef>
#include <new>
#include <vector>

namespace tg::detail {

inline constexpr std::size_t kPoolMaxBytes = 1024;

void* pool_allocate(std::size_t bytes);  // bytes <= kPoolMaxBytes, 16-byte aligned
void pool_deallocate(void* block, std::size_t bytes);

template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT
  T* allocate(std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    if (bytes > kPoolMaxBytes || alignof(T) > 16) return static_cast<T*>(::operator new(bytes));
    return static_cast<T*>(pool_allocate(bytes));
  }
  void deallocate(T* p, std::size_t n) {
    std::size_t bytes = n * sizeof(T);
    if (bytes > kPoolMaxBytes || alignof(T) > 16)
      ::operator delete(p);
    else
      pool_deallocate(p, bytes);
  }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const {
    return true;
  }
};

}  // namespace tg::detail

namespace tg {
// A std::vector in the pool (a node's integer-list arguments; its other lists are NodeLists).
template <typename T>
using PoolVector = std::vector<T, detail::PoolAllocator<T>>;
}  // namespace tg
