#!/bin/sh
# yosys_check.sh: synthesise one top with yosys (generic `synth`) and fail on errors, on any
# yosys warning, on latches and on what `check -assert` reports (undriven wires, multiple
# drivers, logic loops). Prints the top's cell count. Used by the CTest checks rtl_synth,
# rtl_synth_bitmod and rtl_synth_mixpe.
# Usage: yosys_check.sh [-f] [-n] -s "FILE.v ..." TOP [PARAM=VALUE ...]
#   -f  flatten before counting (the count is then the total over all submodules; without
#       it the hierarchy is kept and identical instances are synthesised once)
#   -n  the elaborated top may hold no $mul cell (shift-and-add datapaths)
set -eu
FLATTEN=""
NOMUL=""
SOURCES=""
while getopts "fns:" opt; do
  case "$opt" in
    f) FLATTEN="-flatten" ;;
    n) NOMUL=1 ;;
    s) SOURCES=$OPTARG ;;
    *) echo "usage: yosys_check.sh [-f] [-n] -s \"FILE.v ...\" TOP [PARAM=VALUE ...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
TOP=$1
shift
YOSYS=${YOSYS:-yosys}
CHPARAM=""
for kv in "$@"; do
  CHPARAM="$CHPARAM -set ${kv%%=*} ${kv#*=}"
done
if [ -n "$CHPARAM" ]; then CHPARAM="chparam $CHPARAM $TOP"; fi
MULCHECK=""
if [ -n "$NOMUL" ]; then
  # On a copy: elaboration may rename a parameterised top ($paramod...), which synth -top
  # below would then not find.
  MULCHECK="design -save pre_mul; hierarchy -top $TOP; proc; flatten; opt; select -assert-none t:\$mul; design -load pre_mul"
fi
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
# -q: only warnings/errors on stdout; the log keeps everything for the checks below.
if ! "$YOSYS" -q -l "$LOG" -p "
  read_verilog $SOURCES
  $CHPARAM
  $MULCHECK
  synth $FLATTEN -top $TOP
  check -assert
  select -assert-none t:\$dlatch t:\$adlatch t:\$dlatchsr t:\$_DLATCH* t:\$sr t:\$_SR_*
  rename -top checked_top
  stat -top checked_top
"; then
  echo "yosys_check: yosys failed for $TOP $*" >&2
  exit 1
fi
# Belt and braces: yosys reports inferred latches in the proc_dlatch pass.
if grep -q "Latch inferred" "$LOG"; then
  grep "Latch inferred" "$LOG" >&2
  echo "yosys_check: latch inferred" >&2
  exit 1
fi
if grep -qi "^Warning:" "$LOG"; then
  grep -i "^Warning:" "$LOG" >&2
  echo "yosys_check: yosys warnings" >&2
  exit 1
fi
echo "yosys_check: OK $TOP $* ($(grep -E 'Number of cells' "$LOG" | tail -n 1 | tr -s ' '))"
