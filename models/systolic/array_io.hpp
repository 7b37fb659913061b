// The per-cycle port values of the systolic array (docs/systolic-array.md), shared by the
// C++ core, the SystemC wrappers and the Verilated RTL harness.
#pragma once
#include <cstdint>
#include <ostream>
#include <vector>

namespace tpesim::systolic {

/// How a PE forms its product (the RTL parameter PE, docs/systolic-array.md "PE kinds").
/// The value of every MAC is set by `fp` and the widths; the kind names the circuit, and
/// kDequantFma also changes what the top operand carries.
enum class PeKind : int {
  kMultiply = 0,   ///< a multiplier (integer) or an FP16 x FP16 MAC
  kShiftAdd = 1,   ///< MixPE: one shifted activation per set weight bit (integer, or FP16 x INT)
  kDequantFma = 2  ///< FP16 x INT<B>: the top operand is a packed (code, zero point, FP16 scale)
                   ///< that every PE dequantises to FP16 before its FP16 x FP16 MAC
};

/// Bits of the code B of a kDequantFma top operand of width bw = 2B + 17.
constexpr int dequant_code_bits(int bw) { return (bw - 17) / 2; }
/// Packs a kDequantFma top operand: bits [B-1:0] the code q (two's complement or unsigned),
/// [2B:B] the zero point z (B + 1 bits, two's complement), [2B+16:2B+1] the FP16 scale s.
constexpr int64_t pack_dequant_operand(int64_t q, int64_t z, uint16_t s, int B) {
  return static_cast<int64_t>((static_cast<uint64_t>(q) & ((uint64_t{1} << B) - 1)) |
                              ((static_cast<uint64_t>(z) & ((uint64_t{1} << (B + 1)) - 1)) << B) |
                              (static_cast<uint64_t>(s) << (2 * B + 1)));
}

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
  /// The PE circuit. kShiftAdd: an integer PE (aw = 8, signed, wrapping) or the FP16 x INT PE
  /// (fp, bw < 16; always shift-and-add). kDequantFma: fp, bw = 2B + 17 (B = 2..8 bits of
  /// code, signedness b_signed), the top operand as pack_dequant_operand; the product is
  /// a * num::mixpe::dequant_weight_fp16(q, z, s) in an FP16 x FP16 MAC.
  PeKind pe = PeKind::kMultiply;
  bool operator==(const ArrayParams& o) const {
    return rows == o.rows && cols == o.cols && aw == o.aw && a_signed == o.a_signed &&
           bw == o.bw && b_signed == o.b_signed && acc == o.acc && sat == o.sat &&
           stationary == o.stationary && fp == o.fp && pe == o.pe;
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
