// The per-cycle port values of the systolic array (docs/systolic-array.md), shared by the
// C++ core, the SystemC wrappers and the Verilated RTL harness.
#pragma once
#include <cstdint>
#include <ostream>
#include <vector>

namespace tpesim::systolic {

/// Array parameters; the same names as the RTL parameters.
struct ArrayParams {
  int rows = 4;             ///< R
  int cols = 4;             ///< C
  int aw = 8;               ///< left-edge operand width (bits)
  bool a_signed = true;     ///< left-edge operand signedness
  int bw = 8;               ///< top-edge operand width (bits)
  bool b_signed = true;     ///< top-edge operand signedness
  int acc = 32;             ///< accumulator width (bits)
  bool sat = false;         ///< saturate (true) or wrap (false) on overflow
  bool stationary = false;  ///< DF: false = output-stationary, true = ws/is datapath
  /// FP: the left operand is an FP16 code, the accumulator holds FP32 bits (sign-extended
  /// from bit 31), and each MAC is num::fp_mac_fp16_fp32 (RNE, docs/numerics.md); aw = 16,
  /// acc = 32. The top operand is an FP16 code if bw = 16, else a bw-bit integer weight whose
  /// product with the activation is exact (the FP16 x INT PE, MixPE's W4A16 MAC: the same
  /// result as an FP16 MAC with the integer as an FP16 value; docs/mixpe-pe.md).
  bool fp = false;
  bool operator==(const ArrayParams& o) const {
    return rows == o.rows && cols == o.cols && aw == o.aw && a_signed == o.a_signed &&
           bw == o.bw && b_signed == o.b_signed && acc == o.acc && sat == o.sat &&
           stationary == o.stationary && fp == o.fp;
  }
};

/// Inputs sampled at one rising edge. Data values are decoded integers (a value of the
/// operand's format); the RTL harness encodes them into bits.
struct ArrayInputs {
  std::vector<uint8_t> a_valid, a_first, a_last, a_bank;  ///< per row
  std::vector<int64_t> a_data;                            ///< per row
  std::vector<uint8_t> b_valid;                           ///< per column (os)
  std::vector<int64_t> b_data;                            ///< per column
  bool w_shift = false;                                   ///< (ws/is) shift bank w_bank
  int w_bank = 0;
  ArrayInputs() = default;
  ArrayInputs(int rows, int cols)
      : a_valid(rows), a_first(rows), a_last(rows), a_bank(rows), a_data(rows),
        b_valid(cols), b_data(cols) {}
  /// All invalid and zero (an idle cycle).
  void clear();
  bool operator==(const ArrayInputs& o) const;
};

/// Outputs after one rising edge: per column, valid and the ACC-bit signed value.
struct ArrayOutputs {
  std::vector<uint8_t> o_valid;
  std::vector<int64_t> o_data;
  ArrayOutputs() = default;
  explicit ArrayOutputs(int cols) : o_valid(cols), o_data(cols) {}
  bool operator==(const ArrayOutputs& o) const { return o_valid == o.o_valid && o_data == o.o_data; }
};

std::ostream& operator<<(std::ostream& os, const ArrayInputs& in);
std::ostream& operator<<(std::ostream& os, const ArrayOutputs& out);

}  // namespace tpesim::systolic
