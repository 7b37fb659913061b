#!/bin/sh
# area.sh: synthesise one top against a Liberty standard-cell library and report cell area per
# module, hierarchy kept (docs/energy-area.md, "Area"). Called by `tpesim area`
# (sim/cost/area.cpp), which parses the two files it writes; usable by hand as well.
#
# Usage: area.sh -l LIB.lib -s "FILE.v ..." -o OUTDIR TOP [PARAM=VALUE ...]
# Writes:
#   OUTDIR/params.json  the elaborated hierarchy (module names and their parameter values,
#                       no contents): yosys names parameterised modules $paramod$<hash>\name,
#                       this file says which parameters each of them has
#   OUTDIR/stat.txt     `stat -liberty` after mapping: per module its own cells and area, and
#                       the whole hierarchy's total for the top
#   OUTDIR/yosys.log    the full log
# Flow: read_verilog; chparam; hierarchy; synth (generic, no flattening); dfflibmap and
# abc -liberty (map flip-flops and logic to the library's cells; abc's default script, no
# timing constraint); opt_clean; stat -liberty.
set -eu
LIB=""
SOURCES=""
OUT=""
while getopts "l:s:o:" opt; do
  case "$opt" in
    l) LIB=$OPTARG ;;
    s) SOURCES=$OPTARG ;;
    o) OUT=$OPTARG ;;
    *) echo "usage: area.sh -l LIB.lib -s \"FILE.v ...\" -o OUTDIR TOP [PARAM=VALUE ...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ -z "$LIB" ] || [ -z "$SOURCES" ] || [ -z "$OUT" ] || [ $# -lt 1 ]; then
  echo "usage: area.sh -l LIB.lib -s \"FILE.v ...\" -o OUTDIR TOP [PARAM=VALUE ...]" >&2
  exit 2
fi
TOP=$1
shift
YOSYS=${YOSYS:-yosys}
CHPARAM=""
for kv in "$@"; do
  CHPARAM="$CHPARAM -set ${kv%%=*} ${kv#*=}"
done
if [ -n "$CHPARAM" ]; then CHPARAM="chparam $CHPARAM $TOP"; fi
mkdir -p "$OUT"
rm -f "$OUT/params.json" "$OUT/stat.txt"
# `delete */*` on a saved copy: params.json keeps module names and parameters only.
if ! "$YOSYS" -q -l "$OUT/yosys.log" -p "
  read_verilog $SOURCES
  $CHPARAM
  hierarchy -check -top $TOP
  design -save elaborated
  delete */*
  write_json $OUT/params.json
  design -load elaborated
  synth
  dfflibmap -liberty $LIB
  abc -liberty $LIB
  opt_clean
  tee -q -o $OUT/stat.txt stat -liberty $LIB
" >/dev/null 2>&1; then
  echo "area.sh: yosys failed for $TOP $*; last lines of $OUT/yosys.log:" >&2
  tail -n 20 "$OUT/yosys.log" >&2
  exit 1
fi
