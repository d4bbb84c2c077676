// Run-time choice of the instruction set for the kernels' inner loops, as ATen's CPU_CAPABILITY
// does: a portable build (TG_NATIVE=OFF, baseline x86-64) still runs its loops with AVX2 and FMA
// on a CPU that has them.
//
// How: `parallel_for_simd<T>` runs each chunk of a loop over T through `run_avx2`, a copy compiled with
// __attribute__((target("avx2,fma"), flatten)), when the CPU has AVX2 and FMA. `flatten` inlines
// everything `body` calls (the loop, the element function, StridedLayout's row walk) into that
// copy, so the whole loop is compiled for AVX2. Anything that cannot be inlined (libm's exp, a
// heap allocation) stays an ordinary call to the baseline code. Each `run_avx2<Body>` is a distinct
// instantiation (every Body is a lambda type of one kernel), so no AVX2 code is shared with a
// baseline caller through an inline function or template of the same name.
//
// Only the floating-point loops (float, double) get the second copy: they are where the vector
// width pays, and copying every int64 and bool loop too doubled the file's object code. A build
// with -march=native (TG_NATIVE=ON) or other flags that already give AVX2 skips the dispatch, and
// so do sanitizer builds (the AVX2 copies are the same source compiled differently; a flattened
// copy of every instrumented loop made the ASan build's assembly of one file 1.4 GB).
#pragma once
#include <cstdint>
#include <type_traits>

#include "tapegrad/internal/parallel.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TG_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TG_SANITIZED_BUILD 1
#endif
#endif

#if defined(__x86_64__) && !defined(__AVX2__) && !defined(TG_SANITIZED_BUILD) && \
    (defined(__GNUC__) || defined(__clang__))
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

// Whether loops over elements of type T get an AVX2 copy.
template <typename T>
inline constexpr bool kDispatched = std::is_floating_point_v<T>;

// parallel_for over elements of type T. For float and double, each chunk runs through the AVX2+FMA
// copy when g_use_avx2 is set, else through the baseline code; other element types have one copy.
template <typename T, typename F>
inline void parallel_for_simd(int64_t begin, int64_t end, int64_t grain, const F& fn) {
#ifdef TG_DISPATCH_AVX2
  if constexpr (kDispatched<T>) {
    parallel_for(begin, end, grain, [&](int64_t b, int64_t e) {
      if (g_use_avx2)
        run_avx2([&] { fn(b, e); });
      else
        fn(b, e);
    });
    return;
  }
#endif
  parallel_for(begin, end, grain, fn);
}

}  // namespace tg::detail
