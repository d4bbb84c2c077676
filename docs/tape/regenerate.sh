#!/usr/bin/env bash
# Regenerates the pictures of docs/backprop-by-looking-at-the-tape.md from examples/tape_tour:
# the tape as SVG (Graphviz) and screenshots of the HTML viewer at two steps (headless Chromium).
#   bash docs/tape/regenerate.sh [BUILD_DIR]      (default: build; run from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
cmake --build "$build" -j2 --target tape_tour
out=$(mktemp -d)
"$build/examples/tape_tour" --out "$out" | sed "s|$out/||g" > docs/tape/tape_tour_output.txt
cp "$out/tape_tour.svg" docs/tape/tape_tour.svg
for step in 0 5 all; do
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$out/profile" \
    --window-size=1400,900 --screenshot="docs/tape/viewer_step_$step.png" "file://$out/tape_tour.html#step=$step" \
    > /dev/null 2>&1
done
rm -rf "$out"
echo "wrote docs/tape/tape_tour.svg, docs/tape/viewer_step_{0,5,all}.png and docs/tape/tape_tour_output.txt"
