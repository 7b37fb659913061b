#!/bin/sh
# synth_check.sh: synthesise one top of the BitMoD RTL (rtl/bitmod/) with yosys and fail on
# errors, on any yosys warning, on latches and on what `check -assert` reports (undriven
# wires, multiple drivers, logic loops). Prints the design's cell count: the hierarchy is
# kept (identical PEs are synthesised once) and the count is the total over all instances.
# Used by the CTest check rtl_synth_bitmod (rtl/bitmod.cmake).
# Usage: synth_check.sh <rtl_dir> <top> [PARAM=VALUE ...]
set -eu
RTL_DIR=$1
TOP=$2
shift 2
YOSYS=${YOSYS:-yosys}
CHPARAM=""
for kv in "$@"; do
  CHPARAM="$CHPARAM -set ${kv%%=*} ${kv#*=}"
done
if [ -n "$CHPARAM" ]; then CHPARAM="chparam $CHPARAM $TOP"; fi
SOURCES=""
for f in bitmod_lzc bitmod_norm bitmod_round_pack bitmod_fadd_core bitmod_acc_add \
         bitmod_fp32_add_fix bitmod_fp32_mul_fp16 bitmod_dot bitmod_pe bitmod_term_decode \
         bitmod_encoder bitmod_delay bitmod_array; do
  SOURCES="$SOURCES $RTL_DIR/$f.v"
done
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
if ! "$YOSYS" -q -l "$LOG" -p "
  read_verilog $SOURCES
  $CHPARAM
  synth -top $TOP
  check -assert
  select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH* t:\$sr t:\$_SR_*
  stat -top $TOP
"; then
  echo "synth_check: yosys failed for $TOP $*" >&2
  exit 1
fi
if grep -q "Latch inferred" "$LOG"; then
  grep "Latch inferred" "$LOG" >&2
  echo "synth_check: latch inferred" >&2
  exit 1
fi
if grep -qi "^Warning:" "$LOG"; then
  grep -i "^Warning:" "$LOG" >&2
  echo "synth_check: yosys warnings" >&2
  exit 1
fi
echo "synth_check: OK $TOP $* ($(grep -E 'Number of cells' "$LOG" | tail -n 1 | tr -s ' '))"
