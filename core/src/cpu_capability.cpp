// The run-time instruction-set choice of cpu_capability.h, and tg::get_cpu_capability().
#include "cpu_capability.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tapegrad/tensor_base.h"

namespace tg {
namespace detail {
namespace {

std::string lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool choose_avx2() {
#ifdef TG_DISPATCH_AVX2
  __builtin_cpu_init();
  const bool cpu_has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (const char* env = std::getenv("TG_CPU_CAPABILITY")) {
    const std::string wanted = lowercase(env);
    if (wanted == "default") return false;
    if (wanted != "avx2")
      std::fprintf(stderr, "tapegrad: TG_CPU_CAPABILITY=%s is not one of default, avx2; using %s\n", env,
                   cpu_has ? "avx2" : "default");
  }
  return cpu_has;
#else
  return false;
#endif
}

}  // namespace

bool g_use_avx2 = choose_avx2();

}  // namespace detail

std::string get_cpu_capability() {
#ifdef TG_DISPATCH_AVX2
  return detail::g_use_avx2 ? "AVX2" : "DEFAULT";
#elif defined(__AVX2__)
  return "AVX2";
#else
  return "DEFAULT";
#endif
}

}  // namespace tg
