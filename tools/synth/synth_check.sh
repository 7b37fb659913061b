#!/bin/sh
# synth_check.sh: synthesise the systolic array (rtl/systolic/) for a small configuration with
# tools/synth/yosys_check.sh (errors, warnings, latches, check -assert). Used by the CTest
# check rtl_synth (rtl/CMakeLists.txt).
# Usage: synth_check.sh <rtl_dir> <DF> [ROWS COLS AW A_SIGNED BW B_SIGNED ACC SAT]
set -eu
RTL_DIR=$1
DF=$2
exec sh "$(dirname "$0")/yosys_check.sh" \
  -s "$RTL_DIR/systolic_mac.v $RTL_DIR/systolic_pe_os.v $RTL_DIR/systolic_pe_st.v $RTL_DIR/systolic_array.v" \
  systolic_array DF="$DF" ROWS="${3:-2}" COLS="${4:-2}" AW="${5:-8}" A_SIGNED="${6:-1}" BW="${7:-8}" \
  B_SIGNED="${8:-1}" ACC="${9:-32}" SAT="${10:-0}"
