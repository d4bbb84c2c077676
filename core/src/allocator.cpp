// Caching allocator for tensor storage. A fresh 64 MB buffer from malloc costs page faults on
// every first touch (DESIGN.md: 1 GB/s instead of 36 GB/s); reusing freed buffers of the same
// size class avoids that. Cached bytes are bounded (set_cache_limit) and released by empty_cache().
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "tapegrad/internal/pool.h"
#include "tapegrad/internal/tensor_impl.h"

namespace tg {
namespace {

constexpr std::size_t kAlignment = 64;

// Size classes: multiples of 64 bytes below 4 KiB, else four classes per power of two, so a
// reused buffer wastes at most 25%.
std::size_t size_class(std::size_t nbytes) {
  if (nbytes <= 4096) return std::max<std::size_t>(kAlignment, (nbytes + 63) & ~std::size_t{63});
  std::size_t power = std::size_t{1} << (63 - __builtin_clzll(nbytes - 1));  // < nbytes
  std::size_t quarter = power / 4;
  return (nbytes + quarter - 1) / quarter * quarter;
}

int64_t default_limit() {
  if (const char* env = std::getenv("TG_CACHE_LIMIT_MB")) {
    char* end = nullptr;
    long long mb = std::strtoll(env, &end, 10);
    if (end != env && mb >= 0) return mb * 1024 * 1024;
  }
  return int64_t{1} << 30;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;
  MemoryStats stats;
  Cache() { stats.cache_limit = default_limit(); }
  ~Cache() { release_all(); }
  void release_all() {
    for (auto& [size, blocks] : free_blocks)
      for (void* block : blocks) std::free(block);
    free_blocks.clear();
    stats.cached_bytes = 0;
    stats.cached_blocks = 0;
  }
  // Frees cached blocks until cached_bytes + incoming fits the limit (largest classes first).
  void trim(int64_t incoming) {
    while (stats.cached_bytes + incoming > stats.cache_limit && !free_blocks.empty()) {
      auto largest =
          std::max_element(free_blocks.begin(), free_blocks.end(), [](auto& a, auto& b) { return a.first < b.first; });
      for (void* block : largest->second) {
        std::free(block);
        stats.cached_bytes -= static_cast<int64_t>(largest->first);
        --stats.cached_blocks;
      }
      free_blocks.erase(largest);
    }
  }
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: storages may die after main returns
  return *instance;
}

// Live counts, kept per thread: a lock-prefixed add on a shared counter, four per tensor, was 12%
// of the small-op chain's cycles (docs/PERFORMANCE.md). Each thread adds to its own pair with a
// plain load and store (only it writes them); memory_stats() sums every thread's pair and what
// exited threads left. A storage freed by another thread than the one that made it is counted
// down there: per-thread figures may go negative, the sum is exact.
struct LiveCounts {
  std::atomic<int64_t> storages{0};
  std::atomic<int64_t> bytes{0};
};
struct LiveRegistry {
  std::mutex mutex;
  std::vector<LiveCounts*> threads;
  LiveCounts exited;  // counts of threads that have ended, and of frees during a thread's teardown
};
LiveRegistry& live_registry() {
  static LiveRegistry* instance = new LiveRegistry();  // never destroyed, as the cache
  return *instance;
}
struct ThreadLiveCounts {
  LiveCounts counts;
  ThreadLiveCounts() {
    LiveRegistry& r = live_registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.threads.push_back(&counts);
  }
  ~ThreadLiveCounts() {
    LiveRegistry& r = live_registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.exited.storages.fetch_add(counts.storages.load(std::memory_order_relaxed), std::memory_order_relaxed);
    r.exited.bytes.fetch_add(counts.bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
    std::erase(r.threads, &counts);
    alive = false;
  }
  static thread_local bool alive;
};
thread_local bool ThreadLiveCounts::alive = true;
thread_local ThreadLiveCounts thread_live_counts;

void count_live(int64_t storages, int64_t bytes) {
  if (!ThreadLiveCounts::alive) {  // a storage freed while its thread's statics are destroyed
    LiveCounts& exited = live_registry().exited;
    exited.storages.fetch_add(storages, std::memory_order_relaxed);
    exited.bytes.fetch_add(bytes, std::memory_order_relaxed);
    return;
  }
  LiveCounts& mine = thread_live_counts.counts;
  mine.storages.store(mine.storages.load(std::memory_order_relaxed) + storages, std::memory_order_relaxed);
  mine.bytes.store(mine.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
}

}  // namespace

namespace detail {

void* allocate(std::size_t nbytes) {
  std::size_t bytes = size_class(nbytes);
  count_live(1, static_cast<int64_t>(bytes));
  if (bytes <= kPoolMaxBytes) return pool_allocate(bytes);  // small buffers: thread-local, no lock
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(bytes);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      c.stats.cached_bytes -= static_cast<int64_t>(bytes);
      --c.stats.cached_blocks;
      ++c.stats.cache_hits;
      return block;
    }
    ++c.stats.cache_misses;
  }
  void* block = std::aligned_alloc(kAlignment, bytes);
  if (block == nullptr) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.release_all();  // give every cached buffer back and retry once
    block = std::aligned_alloc(kAlignment, bytes);
    if (block == nullptr) {
      count_live(-1, -static_cast<int64_t>(bytes));
      throw Error("allocator: out of memory allocating " + std::to_string(nbytes) + " bytes");
    }
  }
  return block;
}

void deallocate(void* ptr, std::size_t nbytes) {
  if (ptr == nullptr) return;
  std::size_t bytes = size_class(nbytes);
  count_live(-1, -static_cast<int64_t>(bytes));
  if (bytes <= kPoolMaxBytes) {
    pool_deallocate(ptr, bytes);
    return;
  }
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (static_cast<int64_t>(bytes) > c.stats.cache_limit) {
    std::free(ptr);
    return;
  }
  c.trim(static_cast<int64_t>(bytes));
  c.free_blocks[bytes].push_back(ptr);
  c.stats.cached_bytes += static_cast<int64_t>(bytes);
  ++c.stats.cached_blocks;
}

}  // namespace detail

MemoryStats memory_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  MemoryStats out = c.stats;
  LiveRegistry& r = live_registry();
  std::lock_guard<std::mutex> registry_lock(r.mutex);
  out.live_storages = r.exited.storages.load(std::memory_order_relaxed);
  out.live_bytes = r.exited.bytes.load(std::memory_order_relaxed);
  for (const LiveCounts* t : r.threads) {
    out.live_storages += t->storages.load(std::memory_order_relaxed);
    out.live_bytes += t->bytes.load(std::memory_order_relaxed);
  }
  return out;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.release_all();
}

void set_cache_limit(int64_t bytes) {
  if (bytes < 0) throw Error("set_cache_limit: limit must be >= 0, got " + std::to_string(bytes));
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.stats.cache_limit = bytes;
  c.trim(0);
}

Storage::Storage(std::size_t n) : data(detail::allocate(n)), nbytes(n) {}
Storage::Storage(void* external, std::size_t n) : data(external), nbytes(n), owned(false) {}
Storage::~Storage() {
  if (owned) detail::deallocate(data, nbytes);
}

}  // namespace tg
