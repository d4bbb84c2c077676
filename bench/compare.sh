#!/usr/bin/env bash
# Runs tg_bench and libtorch_bench alternately on each workload and prints tapegrad / libtorch
# ratios from the same session: on a shared 2-core machine the absolute figures move with the
# load, the ratio of two runs taken a few seconds apart much less.
#
#   bench/compare.sh [ROUNDS] [SUBCOMMAND...]      (default 3 rounds of small big gemm)
#   Environment: TG_BENCH (default <repo>/build/bench/tg_bench), LIBTORCH_BENCH (default
#   /tmp/tapegrad-libtorch-bench/libtorch_bench; build it with `bench/run_libtorch_baseline.sh 0`),
#   BENCH_ARGS (passed to both, e.g. "--threads 2").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds="${1:-3}"
shift || true
subcommands=("$@")
[[ ${#subcommands[@]} -eq 0 ]] && subcommands=(small big gemm)
tg_bench="${TG_BENCH:-$here/../build/bench/tg_bench}"
libtorch_bench="${LIBTORCH_BENCH:-/tmp/tapegrad-libtorch-bench/libtorch_bench}"
for binary in "$tg_bench" "$libtorch_bench"; do
  [[ -x "$binary" ]] || { echo "compare.sh: $binary not built (see the header)" >&2; exit 1; }
done

log="$(mktemp /tmp/tg_compare.XXXXXX)"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $rounds rounds, load $(cut -d' ' -f1-3 /proc/loadavg); raw output in $log"
for sub in "${subcommands[@]}"; do
  for ((round = 1; round <= rounds; ++round)); do
    # shellcheck disable=SC2086  # BENCH_ARGS is a list of words
    "$tg_bench" "$sub" ${BENCH_ARGS:-} >>"$log"
    # shellcheck disable=SC2086
    "$libtorch_bench" "$sub" ${BENCH_ARGS:-} >>"$log"
  done
done

# The first number of each result line; median per line over the rounds; the ratio of ours to
# libtorch's (for sgemm: ours to the direct OpenBLAS call, which is what the target is about).
awk '
  function median(list,    v, m, a, b, t) {
    m = split(substr(list, 2), v, " ")
    for (a = 1; a <= m; ++a) for (b = a + 1; b <= m; ++b) if (v[b] + 0 < v[a] + 0) { t = v[a]; v[a] = v[b]; v[b] = t }
    return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  /^[a-z]/ && /: [0-9]/ {
    library = "tapegrad"; line = $0
    if (sub(/^libtorch /, "", line)) library = "libtorch"
    key = line; sub(/: .*/, "", key)
    rest = line; sub(/^[^:]*: /, "", rest); split(rest, parts, " ")
    values[library, key] = values[library, key] " " parts[1]; unit[key] = parts[2]
    if (match(rest, /ratio [0-9.]+/)) ratio[library, key] = ratio[library, key] " " substr(rest, RSTART + 6, RLENGTH - 6)
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
  }
  END {
    for (i = 1; i <= n; ++i) {
      key = order[i]; ours = median(values["tapegrad", key]); theirs = median(values["libtorch", key])
      printf "%s\n  tapegrad %s %s [%s ]\n  libtorch %s %s [%s ]\n", key, ours, unit[key], values["tapegrad", key], theirs, unit[key], values["libtorch", key]
      if (("tapegrad", key) in ratio)
        printf "  tapegrad / direct OpenBLAS: %s (libtorch: %s)\n", median(ratio["tapegrad", key]), median(ratio["libtorch", key])
      else if (theirs > 0)
        printf "  tapegrad / libtorch: %.3f\n", ours / theirs
    }
  }' "$log"
