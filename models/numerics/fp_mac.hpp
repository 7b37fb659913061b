// Bit-exact FP16 x FP16 -> FP32 multiply-accumulate, the PE arithmetic of the FP16 MAC
// systolic baseline BitMoD is compared against (issue 5). Raw IEEE-754 bit patterns in and
// out; integer operations only, so the code is the hardware algorithm (unpack, 11x11-bit
// mantissa multiply, exponent alignment with a sticky bit, add/subtract, normalise, round to
// nearest even, pack). rtl/systolic/fp16_fp32_mac.v implements the same function and is
// checked against this file bit for bit (tpesim_fpmac_rtl_test). docs/numerics.md, section
// "FP16 x FP16 MAC", describes the algorithm. Plain C++, no SystemC.
//
// Semantics (IEEE-754 binary32, round to nearest, ties to even, no flush to zero):
//  - fp_mac_fp16_fp32(acc, a, b) = RNE_fp32(acc + a*b) with the product exact and ONE
//    rounding (a fused multiply-add). The product always fits FP32 exactly: an FP16
//    significand has at most 11 bits, so the product significand has at most 22 <= 24 bits;
//    its magnitude is in [2^-48, (2^16 - 2^5)^2 < 2^32], inside FP32's normal range
//    [2^-126, 2^128), and its least significant bit (>= 2^-48) is far above FP32's 2^-149.
//  - Zeros: x + (-x) = +0; (+-0) + (+-0) is -0 only if both are -0; the product's sign is
//    the xor of the factors' signs (also for a zero product).
//  - Infinities: inf * 0 = NaN, inf - inf = NaN, otherwise inf wins with its sign; a finite
//    sum beyond FP32's largest finite value rounds to +-inf.
//  - NaN: any NaN result (a NaN input, inf * 0, inf - inf) is the canonical quiet NaN
//    0x7FC00000 (sign and payload are not propagated; the RTL does the same).
#pragma once
#include <cstdint>
#include <cstring>

namespace tpesim::num {

/// FP32 bits <-> float (bit copies).
inline float fp32_from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
inline uint32_t fp32_to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

/// The FP16 code of an integer |v| <= 2048 (exact). Throws std::invalid_argument otherwise.
uint16_t fp16_from_int(int32_t v);

/// The canonical quiet NaN every NaN result is returned as.
inline constexpr uint32_t kFp32CanonicalNaN = 0x7FC00000u;

/// FP16 -> FP32 bits, exact for every non-NaN value (subnormals become normal FP32 values);
/// a NaN gives kFp32CanonicalNaN.
uint32_t fp16_to_fp32_bits(uint16_t h);

/// RNE_fp32(x + y): IEEE-754 binary32 addition (round to nearest even, subnormals, signed
/// zeros, infinities; NaN results are kFp32CanonicalNaN).
uint32_t fp32_add(uint32_t x, uint32_t y);

/// RNE_fp32(acc + a*b) with the exact product and a single rounding; see the file comment.
uint32_t fp_mac_fp16_fp32(uint32_t acc_fp32_bits, uint16_t a_fp16, uint16_t b_fp16);

}  // namespace tpesim::num
