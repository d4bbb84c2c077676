// Run-time choice of the instruction set for the kernels' inner loops, as ATen's CPU_CAPABILITY
// does: a portable build (TG_NATIVE=OFF, baseline x86-64) still runs its loops with AVX2 and FMA
// on a CPU that has them.
//
// How: `run_best(body)` calls `body` through `run_avx2`, a copy compiled with
// __attribute__((target("avx2,fma"), flatten)), when the CPU has AVX2 and FMA. `flatten` inlines
// everything `body` calls (the loop, the element function, StridedLayout's row walk) into that
// copy, so the whole loop is compiled for AVX2. Anything that cannot be inlined (libm's exp, a
// heap allocation) stays an ordinary call to the baseline code. Each `run_avx2<Body>` is a distinct
// instantiation (every Body is a lambda type of one kernel), so no AVX2 code is shared with a
// baseline caller through an inline function or template of the same name.
//
// A build with -march=native (TG_NATIVE=ON) or any -m flags that already give AVX2 skips the
// dispatch: `run_best` calls `body` directly.
#pragma once
#include <cstdint>

#include "tapegrad/internal/parallel.h"

#if defined(__x86_64__) && !defined(__AVX2__) && (defined(__GNUC__) || defined(__clang__))
#define TG_DISPATCH_AVX2 1
#endif

namespace tg::detail {

// True when the loops take the AVX2+FMA copies: the CPU has both and TG_CPU_CAPABILITY is not
// "default". Set while the library's statics are initialised; before that (a kernel run from
// another static initialiser) it reads false, and the baseline loops run, which is correct too.
extern bool g_use_avx2;

#ifdef TG_DISPATCH_AVX2
template <typename Body>
[[gnu::target("avx2,fma"), gnu::flatten]] void run_avx2(const Body& body) {
  body();
}
#endif

// Runs `body()` with the best loop code the CPU allows.
template <typename Body>
inline void run_best(const Body& body) {
#ifdef TG_DISPATCH_AVX2
  if (g_use_avx2) {
    run_avx2(body);
    return;
  }
#endif
  body();
}

// parallel_for whose every chunk runs through run_best.
template <typename F>
inline void parallel_for_simd(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  parallel_for(begin, end, grain, [&](int64_t b, int64_t e) { run_best([&] { fn(b, e); }); });
}

}  // namespace tg::detail
