#!/usr/bin/env bash
# Builds and runs tests/consumer against tapegrad in one of three ways, and checks its output:
#   run.sh build-tree   BUILD_DIR WORK_DIR   find_package with tapegrad_DIR=BUILD_DIR
#   run.sh install      BUILD_DIR WORK_DIR   cmake --install BUILD_DIR into WORK_DIR/prefix, then find_package
#   run.sh subdirectory SOURCE_DIR WORK_DIR  add_subdirectory(SOURCE_DIR)
set -euo pipefail
mode=$1 dir=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
case "$mode" in
  build-tree) args=(-Dtapegrad_DIR="$dir") ;;
  install)
    cmake --install "$dir" --prefix "$work/prefix" >/dev/null
    args=(-DCMAKE_PREFIX_PATH="$work/prefix") ;;
  subdirectory) args=(-DTAPEGRAD_SOURCE_DIR="$dir") ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
cmake -S "$here" -B "$work/build" -DCMAKE_BUILD_TYPE=Release "${args[@]}" >/dev/null
cmake --build "$work/build" -j2 >/dev/null
output=$("$work/build/consumer")
echo "consumer printed: $output"
[ "$output" = "5 7" ]
output=$("$work/build/consumer_testing")
echo "consumer_testing printed: $output"
[ "$output" = "check_op: ok" ]
output=$("$work/build/custom_ops")
echo "custom_ops printed: $output"
[ "$output" = "custom_ops: ok" ]
