// Bit-exact arithmetic of the BitMoD processing element (Chen et al., "BitMoD: Bit-serial
// Mixture-of-Datatype LLM Acceleration", HPCA 2025, Sec. IV): 4 FP16 activations times one
// bit-serial term of each of 4 weights per cycle (exponent match, 1-bit x 11-bit multiply,
// alignment with guard bits and round-to-nearest-even, 4-input adder tree), group
// accumulation in a small float (6-bit exponent, 15-bit signed mantissa), bit-serial
// dequantisation by the 8-bit integer group scale, and the per-column FP accumulator.
// One function per pipeline stage, on explicit integer fields, so the SystemC model and the
// RTL can be checked stage by stage; gemm_bitmod() is the oracle of a whole array.
// Normative specification: docs/bitmod-pe.md (this file implements it; the doc wins on any
// disagreement, which is then a bug here). Plain C++, no SystemC.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "models/numerics/element_format.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/reference_gemm_fp.hpp"

namespace tpesim::num::bitmod {

/// Widths of the PE datapath (docs/bitmod-pe.md, "Parameters"). Defaults follow the paper
/// and the authors' PE RTL.
struct BitmodPeParams {
  int lanes = 4;          ///< dot-product lanes (activations held in parallel), 1..8
  int guard_bits = 3;     ///< G: bits kept below the 11-bit activation mantissa after alignment
  int acc_exp_bits = 6;   ///< group accumulator exponent field width
  int acc_man_bits = 15;  ///< group accumulator signed mantissa width (sign + P magnitude bits)
  int acc_bias = 31;      ///< group accumulator exponent bias
  int scale_bits = 8;     ///< unsigned integer group scale width (cycles of dequantisation)
  /// Per-column output accumulator (and the final channel-scale multiply), round to nearest
  /// even. Default FP32.
  FloatFormat out_format = FloatFormat::fp32();
  /// Cycles of the column FP adder after the last dequantisation (timing only).
  int column_add_cycles = 1;

  /// P: significant bits of the group accumulator (acc_man_bits - 1).
  int acc_precision() const { return acc_man_bits - 1; }
  /// The group accumulator as a FloatFormat: E = acc_exp_bits, stored mantissa P - 1, bias,
  /// no infinity/NaN (the all-ones exponent is finite), gradual underflow, saturation.
  FloatFormat acc_float_format() const;
  /// Throws std::invalid_argument naming the field: lanes 1..8, guard_bits 0..40,
  /// acc_exp_bits 2..11, acc_man_bits 3..41, scale_bits 1..16, out_format valid.
  void validate() const;
};

// ---------------------------------------------------------------------------------------
// Operands

/// An FP16 activation as the PE holds it: sign, effective unbiased exponent
/// (max(e, 1) - 15, so -14..15) and the 11-bit mantissa with the hidden bit
/// ((e != 0) << 10 | fraction). Value (-1)^sign * man * 2^(exp - 10).
struct ActOperand {
  bool sign = false;
  int exp = -14;
  uint32_t man = 0;
};
/// Unpacks an FP16 code. Throws std::invalid_argument for infinity and NaN codes.
ActOperand unpack_fp16(uint16_t code);

// ---------------------------------------------------------------------------------------
// Stage 1: exponent match

/// Per cycle: product exponents pe_i = act_i.exp + term_i.exp, their maximum over the lanes
/// whose product is nonzero (term mantissa 1 and activation mantissa != 0), each lane's
/// alignment shift max - pe_i and product sign act_i.sign xor (term_i.sign < 0).
struct ExpMatch {
  bool any = false;   ///< at least one lane has a nonzero product
  int max_exp = 0;    ///< maximum product exponent over nonzero lanes (0 if !any)
  int shift[8] = {};  ///< alignment shift per lane (0 for zero lanes)
  bool neg[8] = {};   ///< product sign per lane
  bool zero[8] = {};  ///< lane product is zero (excluded from the maximum, adds 0)
};
ExpMatch exp_match(const ActOperand* acts, const Term* terms, int lanes);

// ---------------------------------------------------------------------------------------
// Stage 2: bit-serial multiply, alignment, adder tree

/// One lane's aligned magnitude: product_man * 2^(guard_bits - shift) rounded to an integer,
/// to nearest, ties to even (the dropped bits: first one = round bit, OR of the rest = sticky;
/// round up if round && (sticky || LSB)). product_man is the 11-bit activation mantissa
/// ANDed with the term's mantissa bit. Result < 2^(11 + guard_bits).
uint64_t align_round(uint32_t product_man, int shift, int guard_bits);

/// The adder tree output of one cycle: value = sum * 2^scale_exp, where
/// scale_exp = max_exp + significance - 10 - guard_bits. sum is exact (two's complement of
/// 11 + G + 1 + ceil(log2 lanes) bits: 17 for the defaults).
struct TreeOut {
  int64_t sum = 0;
  int scale_exp = 0;
};
/// Stages 1 + 2 for one cycle: every lane's term must have the same significance (the terms
/// of one position of weights of one format).
TreeOut bitserial_dot(const ActOperand* acts, const Term* terms, const BitmodPeParams& p);

// ---------------------------------------------------------------------------------------
// Stage 3: group accumulator

/// The group accumulator register: value (-1)^sign * man * 2^(max(exp_field, 1) - bias -
/// (P - 1)); man < 2^P, and man >= 2^(P-1) iff exp_field >= 1 (exp_field 0: gradual
/// underflow). Zero is sign 0, exp_field 0, man 0 (no negative zero).
struct AccReg {
  bool sign = false;
  int exp_field = 0;
  uint64_t man = 0;
  bool operator==(const AccReg& o) const {
    return sign == o.sign && exp_field == o.exp_field && man == o.man;
  }
};
/// The value of an accumulator register (exact as a double).
double acc_value(const AccReg& r, const BitmodPeParams& p);
/// The unbiased exponent of man's least significant bit: max(exp_field, 1) - bias - (P - 1).
int acc_lsb_exp(const AccReg& r, const BitmodPeParams& p);
/// acc + x computed exactly and rounded once to the accumulator (P significant bits, nearest
/// even; magnitude beyond the largest finite value saturates to it and sets *overflow; below
/// the smallest normal: gradual underflow to multiples of 2^(1 - bias - (P - 1)); an exact zero
/// or a value that rounds to zero gives +0).
AccReg acc_add(const AccReg& acc, const TreeOut& x, const BitmodPeParams& p,
               bool* overflow = nullptr);
/// A value (-1)^neg * mag * 2^exp rounded into the accumulator as acc_add rounds
/// (mag < 2^64). Exposed for the stage tests.
AccReg acc_round(bool neg, uint64_t mag, int exp, const BitmodPeParams& p,
                 bool* overflow = nullptr);

// ---------------------------------------------------------------------------------------
// Stage 4: bit-serial dequantisation

/// The dequantised group partial sum: value (-1)^sign * man * 2^exp, man = acc.man * q
/// exactly (P + scale_bits bits), exp = acc_lsb_exp(acc).
struct DequantOut {
  bool sign = false;
  int exp = 0;
  uint64_t man = 0;
};
/// Shift-and-add, scale bits MSB first, one per cycle: R <- 2R + (q_b ? acc.man : 0).
/// q must be < 2^scale_bits (else std::invalid_argument). No rounding.
DequantOut dequant_serial(const AccReg& acc, uint32_t q, const BitmodPeParams& p);

// ---------------------------------------------------------------------------------------
// Stage 5: per-column output accumulator

/// out + d rounded once to p.out_format (nearest even). out must be a value of out_format.
double column_add(double out, const DequantOut& d, const BitmodPeParams& p);
/// out * channel_scale rounded once to p.out_format (nearest even): the per-channel FP16
/// second-level scale applied once per output.
double apply_channel_scale(double out, double channel_scale, const BitmodPeParams& p);

// ---------------------------------------------------------------------------------------
// Oracle

/// Quantised weights B[K x N] as the BitMoD array consumes them: a code per weight, per group
/// and column a format (the group's selected type) and an unsigned integer scale q, per column
/// an FP16 second-level scale S. Real weight = S(n) * q(g, n) * decode(code).
struct BitmodWeights {
  int64_t k = 0, n = 0;
  int64_t group_size = 0;                                     ///< > 0; the last group may be short
  std::vector<uint32_t> codes;                                ///< K x N row-major
  std::vector<std::shared_ptr<const ElementFormat>> formats;  ///< groups x N row-major
  std::vector<uint32_t> scale_q;                              ///< groups x N row-major
  std::vector<double> channel_scale;                          ///< N (FP16 values)

  int64_t groups() const { return group_size > 0 ? (k + group_size - 1) / group_size : 0; }
  /// Throws std::invalid_argument on inconsistent sizes, invalid codes, formats without a
  /// term decomposition, q >= 2^scale_bits, S not a finite FP16 value.
  void validate(const BitmodPeParams& p) const;
  /// The same weights for gemm_quant_exact (scale = q * S, exact).
  GroupedWeights to_grouped() const;
};

/// From quantize() with ScaleFormat::kInt8 (per-group or per-channel granularity) and the
/// scheme it was made with (a BitMoD mixture, FP4/FP3, INTn_sym, ...). Throws
/// std::invalid_argument otherwise (other scale formats, asymmetric schemes).
BitmodWeights bitmod_weights_from_quant(const QuantResult& r, const QuantScheme& scheme);

/// What an array of BitMoD PEs computes, bit for bit (docs/bitmod-pe.md, "Order of
/// operations"): for each output (m, n), for each group g ascending, for each quad of lanes
/// (k = g*G + lanes*j + i, missing lanes of a short group are zero), for each term t of the
/// group's format in order: one cycle of stages 1-3; then dequantisation by q(g, n) and
/// column_add; finally apply_channel_scale by S(n). `a` (M x K) must hold FP16 values.
RealMatrix gemm_bitmod(const RealMatrix& a, const BitmodWeights& w, const BitmodPeParams& p = {});
/// The same with activations given as FP16 codes (M x K row-major).
RealMatrix gemm_bitmod(const std::vector<uint16_t>& a_codes, int64_t m, const BitmodWeights& w,
                       const BitmodPeParams& p = {});

/// One output's group partial sum before dequantisation (stages 1-3 over a group): acts and
/// codes are the group's activations and weight codes along K (same length).
AccReg group_partial_sum(const std::vector<ActOperand>& acts, const std::vector<uint32_t>& codes,
                         const ElementFormat& fmt, const BitmodPeParams& p);

// ---------------------------------------------------------------------------------------
// Cycles (docs/bitmod-pe.md, "Cycles")

/// Cycles per weight = terms per weight: INT8 4, INT6 3, FP4 and BitMoD FP3/FP4 2, FP3 1.
int cycles_per_weight(const ElementFormat& f);
/// Term cycles of one group in one PE: terms * ceil(group_size / lanes).
int64_t group_term_cycles(const ElementFormat& f, int64_t group_size, const BitmodPeParams& p);
/// Cycles from a PE's first term cycle of an output to its result in the column accumulator,
/// given each group's term cycles, with dequantisation (scale_bits cycles) overlapping the
/// next group's terms: deq_start(g) = max(terms_end(g), deq_end(g-1)); group g+1's terms start
/// at deq_start(g); result = deq_end(last) + column_add_cycles.
int64_t pe_output_cycles(const std::vector<int64_t>& group_term_cycles, const BitmodPeParams& p);

}  // namespace tpesim::num::bitmod
