#!/bin/bash
# A portable build (TG_NATIVE=OFF) must run on any x86-64: no AVX instruction may appear outside the
# kernels' run-time-dispatched copies (tg::detail::run_avx2<...>, core/src/cpu_capability.h), and
# those copies must exist and use 256-bit registers, or the dispatch is dead.
#   check_isa.sh LIBRARY.a...
set -euo pipefail
command -v objdump > /dev/null || { echo "check_isa: objdump (binutils) not found"; exit 1; }
status=0
dispatched=0
for lib in "$@"; do
  [ -f "$lib" ] || { echo "check_isa: $lib: no such file"; exit 1; }
  # Lines "function<TAB>mnemonic operands" for every VEX/EVEX-encoded instruction (mnemonic v...,
  # with xmm/ymm/zmm operands), tagged with the function that holds it.
  report=$(objdump -d --no-show-raw-insn "$lib" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $2; next }
    /\tv[a-z0-9]+ / && /%[xyz]mm/ {
      split($0, parts, "\t"); insn = parts[2];
      if (fn ~ /run_avx2/) { if (insn ~ /%ymm/) wide[fn] = 1 } else bad[fn] = insn
    }
    END {
      for (f in bad) print "bad\t" f "\t" bad[f]
      for (f in wide) print "wide\t" f
    }')
  while IFS=$'\t' read -r kind fn insn; do
    [ -z "$kind" ] && continue
    if [ "$kind" = bad ]; then
      echo "check_isa: $(basename "$lib"): $fn uses $insn outside a run_avx2 copy"
      status=1
    else
      dispatched=$((dispatched + 1))
    fi
  done <<< "$report"
done
if [ "$dispatched" -eq 0 ]; then
  echo "check_isa: no run_avx2 copy with 256-bit (ymm) instructions: the run-time dispatch is dead"
  status=1
fi
[ $status -eq 0 ] && echo "check_isa: no AVX outside the dispatched copies; $dispatched run_avx2 copies use ymm"
exit $status
