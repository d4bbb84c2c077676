// Memory stays flat over a long training run whose batch size changes every step: live bytes go
// back to the same figure after every step, the caching allocator's cache stops growing once every
// batch size has been seen, and resident memory does not creep (no fragmentation into growth).
#include <tapegrad/tapegrad.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace nn = tg::nn;
namespace F = tg::nn::functional;

namespace {

// Under ASan the freed memory sits in a quarantine (up to 256 MB) before the real allocator sees it
// again, and TSan keeps shadow memory per touched page: the process's RSS says nothing about
// tapegrad there, so only the allocator's own counters are checked in those builds.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr int kSteps = 10'000;  // in every build, sanitized ones included (~2 s in Release)
constexpr int kMaxBatch = 256;
constexpr int kWarmup = kMaxBatch;  // steps 1..256 take each batch size 1..256 once, shuffled
constexpr int kRssFrom = 1000;
// Resident growth allowed from step 1000 to the end. A step at the largest batch allocates well under
// 1 MB and the cache of every buffer the run ever needs is ~1.6 MB, so 2 MB is more than the whole
// working set could add again through fragmentation, and a leak of more than ~230 bytes a step
// (2 MB over 9,000 steps; one autograd node is about that) fails. Measured growth: 0 KB.
constexpr int64_t kRssGrowthLimit = 2 << 20;

// "VmRSS" (now) or "VmHWM" (peak) from /proc/self/status, in bytes.
int64_t proc_status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
  return -1;
}

struct Figures {
  int live_mismatches = 0;  // steps after which live bytes or storages differ from step 1's
  int64_t live_bytes = 0, live_storages = 0;
  int64_t cached_after_warmup = 0, cached_min_after = 0, cached_max_after = 0, cached_max = 0;
  int64_t misses_after_warmup = 0, misses_end = 0;
  int64_t rss_from = 0, rss_end = 0, peak_from = 0, peak_end = 0;
  double first_loss = 0, last_loss = 0;  // mean over the first / last 200 steps
  double seconds = 0;
};

// A 32-64-10 MLP trained with Adam for kSteps steps on labels from a fixed linear teacher; step s
// has batch size 1..256 (a shuffled pass over all of them, then uniform draws, seeded).
Figures train() {
  tg::manual_seed(7);
  std::mt19937 rng(2024);
  std::vector<int64_t> batches(kWarmup);
  std::iota(batches.begin(), batches.end(), 1);
  std::shuffle(batches.begin(), batches.end(), rng);
  std::uniform_int_distribution<int64_t> draw(1, kMaxBatch);
  while (batches.size() < kSteps) batches.push_back(draw(rng));

  nn::Sequential model(nn::Linear(32, 64), nn::ReLU(), nn::Linear(64, 10));
  tg::optim::Adam optimizer(model->parameters(), tg::optim::AdamOptions(1e-3));
  const tg::Tensor teacher = tg::randn({32, 10});

  Figures f;
  const auto start = std::chrono::steady_clock::now();
  for (int step = 1; step <= kSteps; ++step) {
    {
      const int64_t b = batches[step - 1];
      const tg::Tensor x = tg::randn({b, 32});
      const tg::Tensor y = tg::matmul(x, teacher).argmax(1);
      optimizer.zero_grad();
      const tg::Tensor loss = F::cross_entropy(model->forward(x), y);
      loss.backward();
      optimizer.step();
      const double value = loss.item<float>();
      if (step <= 200) f.first_loss += value / 200;
      if (step > kSteps - 200) f.last_loss += value / 200;
    }
    // The step's tensors are gone; what stays is the teacher, the parameters, their gradients and
    // Adam's moments and counters: the same storages and bytes after every step.
    const tg::MemoryStats s = tg::memory_stats();
    if (step == 1) {
      f.live_bytes = s.live_bytes;
      f.live_storages = s.live_storages;
    } else if (s.live_bytes != f.live_bytes || s.live_storages != f.live_storages) {
      if (++f.live_mismatches <= 5)
        ADD_FAILURE() << "after step " << step << ": " << s.live_bytes << " live bytes in " << s.live_storages
                      << " storages; after step 1: " << f.live_bytes << " in " << f.live_storages;
    }
    f.cached_max = std::max(f.cached_max, s.cached_bytes);
    if (step == kWarmup) {
      f.cached_after_warmup = f.cached_min_after = s.cached_bytes;
      f.misses_after_warmup = s.cache_misses;
    } else if (step > kWarmup) {
      f.cached_min_after = std::min(f.cached_min_after, s.cached_bytes);
      f.cached_max_after = std::max(f.cached_max_after, s.cached_bytes);
    }
    if (step == kRssFrom) {
      f.rss_from = proc_status_bytes("VmRSS");
      f.peak_from = proc_status_bytes("VmHWM");
    }
  }
  f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  f.misses_end = tg::memory_stats().cache_misses;
  f.rss_end = proc_status_bytes("VmRSS");
  f.peak_end = proc_status_bytes("VmHWM");
  std::printf(
      "MemoryFlat: %d steps in %.1f s; live %lld bytes in %lld storages; cached %lld bytes after step %d, "
      "%lld..%lld after it, cache misses %lld -> %lld; RSS %lld -> %lld KB, peak RSS %lld -> %lld KB "
      "(step %d -> %d); loss %.3f -> %.3f\n",
      kSteps, f.seconds, static_cast<long long>(f.live_bytes), static_cast<long long>(f.live_storages),
      static_cast<long long>(f.cached_after_warmup), kWarmup, static_cast<long long>(f.cached_min_after),
      static_cast<long long>(f.cached_max_after), static_cast<long long>(f.misses_after_warmup),
      static_cast<long long>(f.misses_end), static_cast<long long>(f.rss_from >> 10),
      static_cast<long long>(f.rss_end >> 10), static_cast<long long>(f.peak_from >> 10),
      static_cast<long long>(f.peak_end >> 10), kRssFrom, kSteps, f.first_loss, f.last_loss);
  return f;
}

void expect_resident_memory_flat(const Figures& f) {
  if (kSanitized) return;  // see kSanitized
  ASSERT_GT(f.rss_from, 0) << "/proc/self/status has no VmRSS";
  EXPECT_LT(f.rss_end - f.rss_from, kRssGrowthLimit) << "RSS grew from step " << kRssFrom << " to " << kSteps;
  EXPECT_LT(f.peak_end - f.peak_from, kRssGrowthLimit) << "peak RSS grew from step " << kRssFrom << " to " << kSteps;
}

// Restores the cache limit a test changed.
struct CacheLimitGuard {
  int64_t previous = tg::memory_stats().cache_limit;
  ~CacheLimitGuard() { tg::set_cache_limit(previous); }
};

}  // namespace

TEST(MemoryFlat, TenThousandStepsOfVaryingBatchSizeKeepLiveCachedAndResidentMemoryFlat) {
  tg::empty_cache();
  const Figures f = train();
  EXPECT_EQ(f.live_mismatches, 0);
  EXPECT_LT(f.last_loss, f.first_loss / 2) << "the model did not train";
  // Each step's allocations depend only on its batch size, and after the warm-up every size has
  // been run once, so every buffer a step asks for is already in the cache: not one new malloc and
  // not one byte of cache growth from there on (exact, no tolerance needed).
  EXPECT_EQ(f.misses_end, f.misses_after_warmup);
  EXPECT_EQ(f.cached_max_after, f.cached_after_warmup);
  EXPECT_EQ(f.cached_min_after, f.cached_after_warmup);
  EXPECT_LE(f.cached_max, tg::memory_stats().cache_limit);
  expect_resident_memory_flat(f);
}

// With a cache limit below what the run needs, every step evicts buffers and mallocs them again:
// the cache must respect the limit at every step and the heap churn must not grow the process.
TEST(MemoryFlat, CacheLimitBelowTheWorkingSetIsRespectedAndResidentMemoryStaysFlat) {
  CacheLimitGuard restore;
  tg::empty_cache();
  constexpr int64_t kLimit = 256 << 10;  // the run's buffers need ~1.6 MB of cache
  tg::set_cache_limit(kLimit);
  const Figures f = train();
  EXPECT_EQ(f.live_mismatches, 0);
  EXPECT_LE(f.cached_max, kLimit);
  EXPECT_GT(f.misses_end, f.misses_after_warmup) << "the limit did not force any eviction";
  expect_resident_memory_flat(f);
}
