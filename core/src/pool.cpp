// See pool.h.
#include "tapegrad/internal/pool.h"

#include <array>
#include <cstdlib>

namespace tg::detail {
namespace {

constexpr std::size_t kClassBytes = 16;
constexpr std::size_t kClasses = kPoolMaxBytes / kClassBytes;

struct FreeBlock {
  FreeBlock* next;
};

struct ThreadPool {
  std::array<FreeBlock*, kClasses> heads{};
  ~ThreadPool() {
    for (FreeBlock*& head : heads)
      while (head) {
        FreeBlock* next = head->next;
        std::free(head);
        head = next;
      }
    alive = false;
  }
  static thread_local bool alive;
};
thread_local bool ThreadPool::alive = true;
thread_local ThreadPool pool;

std::size_t class_of(std::size_t bytes) { return (bytes + kClassBytes - 1) / kClassBytes - 1; }

}  // namespace

void* pool_allocate(std::size_t bytes) {
  std::size_t c = class_of(bytes == 0 ? 1 : bytes);
  if (ThreadPool::alive) {
    if (FreeBlock* block = pool.heads[c]) {
      pool.heads[c] = block->next;
      return block;
    }
  }
  void* block = std::malloc((c + 1) * kClassBytes);
  if (!block) throw std::bad_alloc();
  return block;
}

void pool_deallocate(void* block, std::size_t bytes) {
  if (!block) return;
  if (!ThreadPool::alive) {  // during thread teardown
    std::free(block);
    return;
  }
  std::size_t c = class_of(bytes == 0 ? 1 : bytes);
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = pool.heads[c];
  pool.heads[c] = free_block;
}

}  // namespace tg::detail
