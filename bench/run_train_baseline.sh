#!/usr/bin/env bash
# Builds bench/train_bench_libtorch.cpp against Debian's libtorch-dev (installed if missing) and
# runs it: the baseline for `build/bench/train_bench`. Not part of the CMake build.
#   bench/run_train_baseline.sh mlp|cnn [images] [epochs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${BUILD_DIR:-/tmp/tapegrad-libtorch-bench}/train_bench_libtorch"
if ! dpkg -s libtorch-dev >/dev/null 2>&1; then apt-get install -y -q libtorch-dev >&2; fi
mkdir -p "$(dirname "$bin")"
if [[ ! -x "$bin" || "$here/train_epoch.h" -nt "$bin" ]]; then
  g++ -std=c++17 -O2 "$here/train_bench_libtorch.cpp" -I/usr/include/torch/csrc/api/include \
      -ltorch -ltorch_cpu -lc10 -o "$bin"
fi
"$bin" "$@"
