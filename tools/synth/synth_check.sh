#!/bin/sh
# synth_check.sh: synthesise the systolic array (rtl/systolic/) with yosys for a
# small configuration and fail on errors, on any yosys warning, on latches, and on
# what `check -assert` reports (undriven wires, multiple drivers, logic loops).
# Used by the CTest check rtl_synth (rtl/CMakeLists.txt).
# Usage: synth_check.sh <rtl_dir> <DF> [ROWS COLS AW A_SIGNED BW B_SIGNED ACC SAT]
set -eu
RTL_DIR=$1
DF=$2
ROWS=${3:-2}; COLS=${4:-2}; AW=${5:-8}; A_SIGNED=${6:-1}; BW=${7:-8}; B_SIGNED=${8:-1}
ACC=${9:-32}; SAT=${10:-0}
YOSYS=${YOSYS:-yosys}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
# -q: only warnings/errors on stdout; the log keeps everything for the latch check.
if ! "$YOSYS" -q -l "$LOG" -p "
  read_verilog $RTL_DIR/systolic_mac.v $RTL_DIR/systolic_pe_os.v $RTL_DIR/systolic_pe_st.v $RTL_DIR/systolic_array.v
  chparam -set ROWS $ROWS -set COLS $COLS -set AW $AW -set A_SIGNED $A_SIGNED -set BW $BW -set B_SIGNED $B_SIGNED -set ACC $ACC -set SAT $SAT -set DF $DF systolic_array
  synth -top systolic_array
  check -assert
  select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH* t:\$sr t:\$_SR_*
  stat
"; then
  echo "synth_check: yosys failed for DF=$DF ${ROWS}x${COLS}" >&2
  exit 1
fi
# Belt and braces: yosys reports inferred latches in the proc_dlatch pass.
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
grep -E "Number of cells|Chip area" "$LOG" | tail -n 1
echo "synth_check: OK DF=$DF ${ROWS}x${COLS}"
