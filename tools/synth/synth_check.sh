#!/bin/sh
# synth_check.sh: synthesise the systolic array (rtl/systolic/, with the MixPE PE units of
# rtl/mixpe/ its PE kinds instantiate) for a small configuration with tools/synth/yosys_check.sh
# (errors, warnings, latches, check -assert). Used by the CTest check rtl_synth
# (rtl/CMakeLists.txt).
# Usage: synth_check.sh [-n] <rtl_dir> <DF> [ROWS COLS AW A_SIGNED BW B_SIGNED ACC SAT PE]
#   -n  the array may hold no multiplier ($mul cell): the shift-and-add PE kinds
set -eu
NOMUL=""
if [ "$1" = "-n" ]; then NOMUL="-n"; shift; fi
RTL_DIR=$1
DF=$2
MX="$RTL_DIR/../mixpe"
SRC="$RTL_DIR/systolic_mac.v $RTL_DIR/systolic_pe_os.v $RTL_DIR/systolic_pe_st.v $RTL_DIR/systolic_array.v"
SRC="$SRC $RTL_DIR/fp16_fp32_mac.v $MX/mixpe_msb.v $MX/mixpe_fp32_add_exact.v $MX/mixpe_mac_int.v"
SRC="$SRC $MX/mixpe_mac_fp.v $MX/fp16xint8_dequant.v $MX/fp16xint8_pe.v"
exec sh "$(dirname "$0")/yosys_check.sh" $NOMUL -s "$SRC" \
  systolic_array DF="$DF" ROWS="${3:-2}" COLS="${4:-2}" AW="${5:-8}" A_SIGNED="${6:-1}" BW="${7:-8}" \
  B_SIGNED="${8:-1}" ACC="${9:-32}" SAT="${10:-0}" PE="${11:-0}"
