#!/usr/bin/env bash
# Runs every libFuzzer harness for MINUTES minutes each (default 10), one after another, from the
# committed corpus, and prints one line per harness: executions, coverage, corpus size, crashes.
# Builds build-fuzz (clang, ASan + UBSan, -DTG_FUZZ=ON) first. New corpus entries go to
# fuzz/corpus-new/<harness> (merge the useful ones into fuzz/corpus with -merge=1); crashes,
# leaks and timeouts are written to fuzz/crashes/<harness>/ to be committed as reproducers.
#   usage: fuzz/run.sh [MINUTES] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(idx csv mnist safetensors safetensors_structured shape_ops)
command -v clang++ >/dev/null || { echo "fuzz/run.sh needs clang (apt-get install clang)" >&2; exit 1; }
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DTG_FUZZ=ON \
      -DTG_BUILD_TESTS=OFF -DTG_BUILD_EXAMPLES=OFF -DTG_BUILD_BENCH=OFF >/dev/null
mkdir -p build-fuzz/logs
cmake --build build-fuzz -j2 >build-fuzz/logs/build.log 2>&1 || { tail -30 build-fuzz/logs/build.log; exit 1; }
status=0
for h in "${harnesses[@]}"; do
  mkdir -p "fuzz/corpus-new/$h" "fuzz/crashes/$h"
  log="build-fuzz/logs/$h.log"
  before=$(find "fuzz/crashes/$h" -type f | wc -l)
  # tapegrad on one thread (TBB and OpenBLAS), 2 GB RSS limit, 10 s per input at most.
  rc=0
  start=$(date +%s)
  TG_NUM_THREADS=1 "build-fuzz/fuzz/fuzz_$h" "fuzz/corpus-new/$h" "fuzz/corpus/$h" \
    -max_total_time=$((minutes * 60)) -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="fuzz/crashes/$h/" >"$log" 2>&1 || rc=$?
  [ $rc -eq 0 ] || status=1
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || echo "?")
  corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 || echo "?")
  found=$(( $(find "fuzz/crashes/$h" -type f | wc -l) - before ))
  echo "$h: $(( $(date +%s) - start )) s of ${minutes} min, ${execs} executions, ${cov}, ${corpus}, ${found} new crash/leak/timeout files, exit ${rc}"
done
exit $status
