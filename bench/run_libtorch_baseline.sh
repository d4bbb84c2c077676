#!/usr/bin/env bash
# Builds bench/libtorch_bench.cpp against Debian's libtorch-dev and runs it a few times, to give
# tg_bench's figures a baseline measured on the same machine. Not part of the CMake build.
#
#   bench/run_libtorch_baseline.sh [RUNS] [SUBCOMMAND...]
#     RUNS        how many times to run each subcommand (default 3; quote the median of runs);
#                 0 only builds the binary
#     SUBCOMMAND  small, big, gemm, alloc, mlp, cnn, memory (default: small big gemm); mlp and cnn
#                 add a Fashion-MNIST row when the data set is installed (BENCH_ARGS="--data DIR")
#   Environment: BUILD_DIR (default /tmp/tapegrad-libtorch-bench), OUT (raw output file, default
#   bench/results/libtorch_baseline.txt), CXX (default g++), BENCH_ARGS (passed to every run,
#   e.g. "--threads 2" or "--reps 40"), WAIT_IDLE (seconds to wait, before each run, for the
#   machine to be >= 90% idle over 2 s; default 0 = don't wait). Each run's line records the
#   idle fraction seen just before it.
#
# Each session's output is appended to OUT verbatim (earlier sessions are kept: on a shared machine
# the load differs between sessions, and each records its load average); a summary with the
# median over this session's runs is printed last and appended too.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runs="${1:-3}"
shift || true
subcommands=("$@")
[[ ${#subcommands[@]} -eq 0 ]] && subcommands=(small big gemm)
build_dir="${BUILD_DIR:-/tmp/tapegrad-libtorch-bench}"
out="${OUT:-$here/results/libtorch_baseline.txt}"
cxx="${CXX:-g++}"

if ! dpkg -s libtorch-dev >/dev/null 2>&1; then
  echo "installing libtorch-dev (takes a while)..." >&2
  apt-get install -y libtorch-dev
fi
torch_version="$(dpkg-query -W -f='${Version}' libtorch-dev)"

mkdir -p "$build_dir" "$(dirname "$out")"
binary="$build_dir/libtorch_bench"
# libtorch 1.13's headers are written for C++17.
compile=("$cxx" -std=c++17 -O3 -march=native -DNDEBUG
         -I/usr/include/torch/csrc/api/include
         -I/usr/include/x86_64-linux-gnu/openblas-pthread
         "$here/libtorch_bench.cpp" -o "$binary"
         -ltorch -ltorch_cpu -lc10 -lopenblas -lz -pthread)
# Rebuilt when libtorch_bench.cpp or a bench/ header it includes is newer than the binary.
if [[ ! -x "$binary" || "$here/libtorch_bench.cpp" -nt "$binary" || "$here/workloads.h" -nt "$binary" ||
  "$here/train_epoch.h" -nt "$binary" || "$here/fashion_mnist.h" -nt "$binary" || "$here/timing.h" -nt "$binary" ]]; then
  echo "compiling: ${compile[*]}" >&2
  /usr/bin/time -v "${compile[@]}" 2>"$build_dir/compile_time.txt" || {
    cat "$build_dir/compile_time.txt" >&2
    exit 1
  }
  grep -E 'Elapsed \(wall clock\)|Maximum resident set size' "$build_dir/compile_time.txt" >&2
fi

[[ "$runs" -eq 0 ]] && { echo "built $binary" >&2; exit 0; }

# The fraction of CPU time idle over the next 2 seconds, from /proc/stat.
idle_fraction() {
  local a b
  read -r -a a < <(head -1 /proc/stat)
  sleep 2
  read -r -a b < <(head -1 /proc/stat)
  local total=0 i
  for ((i = 1; i < ${#a[@]}; ++i)); do total=$((total + b[i] - a[i])); done
  awk -v idle=$((b[4] - a[4] + b[5] - a[5])) -v total="$total" 'BEGIN { printf "%.2f", total ? idle / total : 1 }'
}
# Waits up to WAIT_IDLE seconds for a quiet machine; prints the last idle fraction seen.
wait_for_idle() {
  local deadline=$((SECONDS + ${WAIT_IDLE:-0})) idle
  idle="$(idle_fraction)"
  while awk -v f="$idle" 'BEGIN { exit !(f < 0.9) }' && ((SECONDS < deadline)); do
    idle="$(idle_fraction)"
  done
  echo "$idle"
}

# The CPU busy time of the whole machine so far, in seconds (all cores, from /proc/stat).
busy_seconds() {
  local fields
  read -r -a fields < <(head -1 /proc/stat)
  awk -v hz="$(getconf CLK_TCK)" -v user="${fields[1]}" -v nice="${fields[2]}" -v sys="${fields[3]}" \
      -v irq="${fields[6]}" -v softirq="${fields[7]}" -v steal="${fields[8]}" \
      'BEGIN { printf "%.2f", (user + nice + sys + irq + softirq + steal) / hz }'
}
# run_measured CMD...: runs CMD, then prints how busy the other processes kept the machine meanwhile
# (machine-wide CPU time minus CMD's own, as a fraction of all cores): the noise in that run.
run_measured() {
  local before after
  before="$(busy_seconds)"
  /usr/bin/time -f '%e %U %S' -o "$build_dir/run_time.txt" "$@"
  after="$(busy_seconds)"
  read -r elapsed user sys <"$build_dir/run_time.txt"
  awk -v b="$before" -v a="$after" -v e="$elapsed" -v u="$user" -v s="$sys" -v n="$(nproc)" \
    'BEGIN { other = (a - b - u - s) / (n * e); if (other < 0) other = 0;
             printf "## other load during run: %.0f%% of %d cores (run %.1f s wall, %.1f s CPU)\n", 100 * other, n, e, u + s }'
}

session="$build_dir/session.txt"
{
  echo
  echo "# libtorch_bench raw output: $(date -u +%Y-%m-%dT%H:%M:%SZ), libtorch-dev $torch_version"
  echo "# host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# compile: ${compile[*]}"
  for sub in "${subcommands[@]}"; do
    for ((run = 1; run <= runs; ++run)); do
      idle="$(wait_for_idle)"
      echo "## $binary $sub ${BENCH_ARGS:-}  (run $run/$runs, load $(cut -d' ' -f1 /proc/loadavg), idle before run $idle)"
      # shellcheck disable=SC2086  # BENCH_ARGS is a list of words
      run_measured "$binary" "$sub" ${BENCH_ARGS:-}
    done
  done
} | tee "$session"

# The median over runs of each figure on a result line (the first number, and for sgemm also the
# direct OpenBLAS figure and the ratio).
{
echo "# median over $runs runs of this session (raw output appended to $out):"
grep '^libtorch ' "$session" | awk '
  function median(list,    v, m, a, b, t) {
    m = split(substr(list, 2), v, " ")
    for (a = 1; a <= m; ++a) for (b = a + 1; b <= m; ++b) if (v[b] + 0 < v[a] + 0) { t = v[a]; v[a] = v[b]; v[b] = t }
    return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  /: skipped/ { next }  # a real-data row without the data
  {
    key = $0; sub(/: .*/, "", key)
    rest = $0; sub(/^[^:]*: /, "", rest); count = split(rest, parts, " ")
    for (p = 1; p < count && parts[p] !~ /^[0-9.]+$/; ++p) {}
    first[key] = first[key] " " parts[p]; unit[key] = parts[p + 1]; sub(/,$/, "", unit[key])
    if (match(rest, /direct OpenBLAS: [0-9.]+/)) direct[key] = direct[key] " " substr(rest, RSTART + 17, RLENGTH - 17)
    if (match(rest, /ratio [0-9.]+/)) ratio[key] = ratio[key] " " substr(rest, RSTART + 6, RLENGTH - 6)
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
  }
  END {
    for (i = 1; i <= n; ++i) {
      key = order[i]
      line = sprintf("%s: %s %s", key, median(first[key]), unit[key])
      if (key in direct) line = line sprintf(" (direct OpenBLAS: %s GFLOP/s, ratio %s)", median(direct[key]), median(ratio[key]))
      printf "# median: %s   [runs:%s]\n", line, first[key]
    }
  }'
} | tee -a "$session"
cat "$session" >>"$out"
