#!/usr/bin/env bash
# Compile time and peak compiler memory of a user's translation unit: a hello-world that includes
# <tapegrad/tapegrad.h>, creates a tensor and prints it, and optionally example programs and the
# libtorch equivalent. DESIGN.md's targets: hello-world <= 3 s and 400 MB; an example <= 0.2x
# libtorch (24 s, 1.2 GB).
#
#   bench/compile_time.sh [--build-dir DIR] [-I DIR]... [--example FILE.cpp]... [--runs N]
#                         [--libtorch] [--cxxflags "FLAGS"]
#     --build-dir DIR   a CMake build directory of tapegrad (default: <repo>/build); its include/
#                       (generated headers, if any) is added to the include path and, when
#                       its layer libraries (libtapegrad_*.a) exist, the hello-world is also linked
#                       and run as a check
#     -I DIR            include directories; default: <repo>/include and every <repo>/*/include
#     --example FILE    also measure FILE (repeatable)
#     --runs N          compile each file N times, report the median time and the largest memory
#                       (default 3)
#     --libtorch        also measure the same hello-world written against torch/torch.h (slow)
#     --cxxflags FLAGS  replaces the default "-std=c++20 -O2"
#   Environment: CXX (default g++), LDLIBS (libraries after tapegrad's for the link check,
#   default "-lfmt -ltbb -lopenblas -pthread").
#
# Each compile is `$CXX $CXXFLAGS -I... -c FILE -o /dev/null` under /usr/bin/time -v: wall clock
# and "Maximum resident set size" (the largest process, i.e. cc1plus). CPU time (user+sys) is
# reported too: it moves less than wall time when the machine is busy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cxx="${CXX:-g++}"
cxxflags="-std=c++20 -O2"
build_dir="$repo/build"
runs=3
with_libtorch=0
includes=()
examples=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    -I) includes+=("$2"); shift 2 ;;
    -I*) includes+=("${1#-I}"); shift ;;
    --example) examples+=("$2"); shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --libtorch) with_libtorch=1; shift ;;
    --cxxflags) cxxflags="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compile_time.sh: unknown argument '$1' (see --help)" >&2; exit 1 ;;
  esac
done

if [[ ${#includes[@]} -eq 0 ]]; then
  for dir in "$repo"/include "$repo"/*/include; do [[ -d "$dir" ]] && includes+=("$dir"); done
fi
[[ -d "$build_dir/include" ]] && includes+=("$build_dir/include")
include_flags=()
for dir in "${includes[@]}"; do include_flags+=("-I$dir"); done

[[ -x /usr/bin/time ]] || { echo "compile_time.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

work="$(mktemp -d /tmp/tg_compile_time.XXXXXX)"
trap 'rm -rf "$work"' EXIT

cat >"$work/hello.cpp" <<'EOF'
#include <tapegrad/tapegrad.h>

#include <iostream>

int main() {
  tg::Tensor t = tg::ones({2, 3}) * 2;
  std::cout << t << std::endl;
  return 0;
}
EOF
cat >"$work/hello_libtorch.cpp" <<'EOF'
#include <torch/torch.h>

#include <iostream>

int main() {
  torch::Tensor t = torch::ones({2, 3}) * 2;
  std::cout << t << std::endl;
  return 0;
}
EOF

# measure LABEL FILE FLAGS...: compiles FILE `runs` times; prints one result line.
measure() {
  local label="$1" file="$2"
  shift 2
  local walls=() cpus=() peak_kb=0
  for ((run = 1; run <= runs; ++run)); do
    if ! /usr/bin/time -v "$cxx" "$@" -c "$file" -o /dev/null 2>"$work/time.txt"; then
      echo "compile_time.sh: compiling $file failed:" >&2
      grep -v -E '^\s+[A-Z][a-zA-Z ()/:]+: ' "$work/time.txt" | head -30 >&2
      return 1
    fi
    local wall kb user sys
    wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, t, ":"); s = 0; for (i = 1; i <= n; ++i) s = s * 60 + t[i]; print s }' "$work/time.txt")"
    user="$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$work/time.txt")"
    sys="$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$work/time.txt")"
    kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")"
    walls+=("$wall")
    cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')")
    if ((kb > peak_kb)); then peak_kb="$kb"; fi
  done
  local wall_median cpu_median
  wall_median="$(printf '%s\n' "${walls[@]}" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
  cpu_median="$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
  printf '%s: %.2f s wall (%.2f s CPU), %d MB peak compiler memory   [runs: %s s]\n' \
    "$label" "$wall_median" "$cpu_median" "$((peak_kb / 1024))" "${walls[*]}"
}

echo "# $($cxx --version | head -1); flags: $cxxflags; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# include path: ${includes[*]}"
read -r -a flags <<<"$cxxflags"
measure "compile hello-world (<tapegrad/tapegrad.h>, ${cxxflags})" "$work/hello.cpp" \
  "${flags[@]}" "${include_flags[@]}"

for example in "${examples[@]}"; do
  measure "compile $(basename "$example") (${cxxflags})" "$example" "${flags[@]}" "${include_flags[@]}"
done

if [[ $with_libtorch -eq 1 ]]; then
  # libtorch 1.13's headers are written for C++17.
  measure "compile libtorch hello-world (<torch/torch.h>, -std=c++17 -O2)" "$work/hello_libtorch.cpp" \
    -std=c++17 -O2 -I/usr/include/torch/csrc/api/include
fi

# The link check: the hello-world must also link against the built layers and print a tensor.
layers=()
for layer in data optim nn serialize autograd core; do
  [[ -f "$build_dir/libtapegrad_$layer.a" ]] && layers+=("$build_dir/libtapegrad_$layer.a")
done
if [[ ${#layers[@]} -eq 6 ]]; then
  read -r -a ldlibs <<<"${LDLIBS:--lfmt -ltbb -lopenblas -lz -pthread}"
  if "$cxx" "${flags[@]}" "${include_flags[@]}" "$work/hello.cpp" -o "$work/hello" \
       "${layers[@]}" "${ldlibs[@]}" 2>"$work/link.txt"; then
    echo "# hello-world links against the layer libraries in $build_dir and prints:"
    "$work/hello" | sed 's/^/#   /'
  else
    echo "# link check against the layer libraries in $build_dir failed (set LDLIBS?):"
    grep -m5 -E "error|undefined" "$work/link.txt" | sed 's/^/#   /'
  fi
fi
