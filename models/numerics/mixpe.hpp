// Bit-exact arithmetic of the MixPE processing element (Zhang et al., arXiv 2411.16158) and
// of the FP16 x INT8 per-element-dequantisation baseline: one function per hardware step on
// raw bit patterns (FP32/FP16 bits, integers), and the whole-GEMM oracles. Normative
// specification: docs/mixpe-pe.md (the doc wins on any disagreement). Plain C++, no SystemC.
#pragma once
#include <cstdint>
#include <vector>

#include "models/numerics/quant.hpp"
#include "models/numerics/reference_gemm_fp.hpp"

namespace tpesim::num::mixpe {

/// Which PE.
enum class MixpeVariant {
  kW4A8,       ///< MixPE, INT8 activations: integer shift-and-add, per-group dequantisation
  kW4A16,      ///< MixPE, FP16 activations: exponent-add shift-and-add, FP32 accumulation
  kFp16xInt8,  ///< baseline: per-element dequantisation to FP16, FP16 x FP16 -> FP32 FMA
};
const char* to_string(MixpeVariant v);  ///< "w4a8", "w4a16", "fp16xint8"

/// Weights as the array consumes them: integer codes K x N (row-major), per group and column
/// an FP16 scale (code) and an integer zero point. Real weight = s_g * (q - z_g).
struct MixpeWeights {
  int64_t k = 0, n = 0, group_size = 0;  ///< group_size > 0; the last group may be short
  int bits = 4;                          ///< code width b: 2..8
  bool is_signed = true;                 ///< two's complement codes (else unsigned 0..2^b-1)
  std::vector<int32_t> q;                ///< K x N values (already decoded: signed or unsigned)
  std::vector<uint16_t> scale;           ///< groups x N FP16 codes (finite)
  std::vector<int32_t> zero;             ///< groups x N zero points
  int64_t groups() const { return group_size > 0 ? (k + group_size - 1) / group_size : 0; }
  /// Throws std::invalid_argument naming what is wrong (sizes, code range, zero point range
  /// [-2^b + 1, 2^b - 1], non-finite scales).
  void validate() const;
};

// ---------------------------------------------------------------------------------------
// Steps (docs/mixpe-pe.md)

/// The shift-and-add product q * a for a b-bit code: the sum over set bits i of q's pattern of
/// a << i, the sign bit (signed codes) as a negative term. Equals q * a (checked in tests).
int64_t shift_add_int(int32_t q, int bits, bool is_signed, int32_t a);
/// W4A16 MAC: RNE_fp32(acc + q * a) with the exact product (one rounding).
uint32_t mac_w4a16(uint32_t acc_fp32, int32_t q, uint16_t a_fp16);
/// Row adder of W4A16: RNE_fp32(sum + a).
uint32_t row_add_fp16(uint32_t sum_fp32, uint16_t a_fp16);
/// Dequantisation unit, integer path: RNE_fp32(y + s * (P - z * A)), one rounding.
uint32_t dequant_int(uint32_t y_fp32, int64_t P, int64_t A, int32_t z, uint16_t s_fp16);
/// Dequantisation unit, FP path: D = RNE_fp32(P - z * A); RNE_fp32(y + s * D).
uint32_t dequant_fp(uint32_t y_fp32, uint32_t P_fp32, uint32_t A_fp32, int32_t z, uint16_t s_fp16);
/// Baseline per-element dequantisation: RNE_fp16(s * (q - z)), saturating at +-65504.
uint16_t dequant_weight_fp16(int32_t q, int32_t z, uint16_t s_fp16);

/// IEEE fused multiply-add on exact values, rounded once to FP32: RNE(x + y * z) where x is
/// FP32 bits and y * z an exact product given as a Dyadic with the sign of a zero product.
/// Exposed for tests.
uint32_t fp32_fma_exact(uint32_t x_fp32, const Dyadic& yz, bool yz_zero_negative);

// ---------------------------------------------------------------------------------------
// Oracles

/// C[M x N] as FP32 bits (row-major) of the variant's PE array: W4A8 takes int8 activations
/// (`a_int`, M x K), W4A16 and FP16xINT8 FP16 codes (`a_fp16`, M x K).
std::vector<uint32_t> gemm_mixpe(MixpeVariant v, int64_t m, const std::vector<int32_t>& a_int,
                                 const std::vector<uint16_t>& a_fp16, const MixpeWeights& w);

/// From quantize() with ScaleFormat::kFp16, per-group or per-channel, and an integer scheme:
/// "int<b>_sym" (signed codes, zero point 0) or "int<b>_asym" (unsigned codes, per-group zero
/// point), b = 2..8. Throws std::invalid_argument otherwise.
MixpeWeights mixpe_weights_from_quant(const QuantResult& r, const QuantScheme& scheme);

/// The same weights as GroupedWeights for gemm_quant_exact (value = s * (q - z), exact).
GroupedWeights to_grouped(const MixpeWeights& w);

}  // namespace tpesim::num::mixpe
