// Thread-local free lists for the small objects every op allocates (TensorImpl, Storage, Node and
// small tensor buffers). A 1000-step chain allocates thousands of them and frees them together,
// which overflows glibc's per-thread cache: malloc/free took 31% of a recorded op (perf, see
// docs/PERFORMANCE.md). Blocks are reused by size class and kept for the life of the thread.
#pragma once
#include <cstddef>
#include <new>

namespace tg::detail {

inline constexpr std::size_t kPoolMaxBytes = 1024;

void* pool_allocate(std::size_t bytes);            // bytes <= kPoolMaxBytes, 16-byte aligned
void pool_deallocate(void* block, std::size_t bytes);

// An STL allocator over the pool, for std::allocate_shared.
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
    if (bytes > kPoolMaxBytes || alignof(T) > 16) ::operator delete(p);
    else pool_deallocate(p, bytes);
  }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const { return true; }
};

}  // namespace tg::detail
