// FP16 x FP16 -> FP32 multiply-accumulate on bit patterns, integer operations only: the
// algorithm of rtl/systolic/fp16_fp32_mac.v (same stages, same widths). See fp_mac.hpp.
#include "models/numerics/fp_mac.hpp"

#include <stdexcept>

namespace tpesim::num {
namespace {

// A finite nonzero operand of the adder: (-1)^neg * sig * 2^(lsb - 149). `lsb` is the
// exponent of the significand's least significant bit, biased by 149 so that FP32's smallest
// (2^-149) is 0 and every operand's is >= 0: FP32 lsb = max(E,1) - 150 -> max(E,1) - 1 in
// [0, 253]; FP16 x FP16 product lsb = max(Ea,1) + max(Eb,1) - 50 -> ... + 99 in [101, 159].
struct Operand {
  bool neg;      ///< sign
  uint32_t sig;  ///< significand, < 2^24; 0 only for a zero accumulator (see add_round)
  int lsb;       ///< exponent of sig's bit 0, plus 149 (>= 0)
};

// Left shift of the operand with the larger lsb: at most kAlign bits. Beyond that the other
// operand is shifted right instead and its dropped bits are jammed into a sticky bit. kAlign
// = 30 keeps every kept bit of the result at frame position >= 6 whenever a sticky bit
// exists (see add_round), so the sticky at position 0 rounds exactly like the dropped bits.
constexpr int kAlign = 30;

int bit_length(uint64_t v) {
  int n = 0;
  while (v != 0) {
    ++n;
    v >>= 1;
  }
  return n;
}

uint32_t pack_inf(bool neg) { return (neg ? 0x80000000u : 0u) | 0x7F800000u; }

// RNE_fp32(x + y) for two finite operands. Only an operand with the strictly smaller lsb may
// be zero (sig 0): the zero accumulator (lsb 0) against a product (lsb >= 101). fp32_add
// handles its zero operands before calling this.
uint32_t add_round(const Operand& x0, const Operand& y0) {
  // 1. Order by lsb exponent: X has the larger (or equal) lsb.
  const bool swap = y0.lsb > x0.lsb;
  const Operand& x = swap ? y0 : x0;
  const Operand& y = swap ? x0 : y0;
  const int d = x.lsb - y.lsb;  // 0 .. 253
  // 2. Align in an integer frame whose bit 0 has exponent e (biased): X is shifted left by
  //    kx = min(d, kAlign), Y right by d - kx with a sticky bit jammed into its bit 0.
  //    d <= kAlign: exact (the frame holds both). d > kAlign: X >= 2^30 in the frame and
  //    Y < 2^(24 - (d - 30)) <= 2^23, so the result is >= 2^29 and rounding keeps only
  //    frame bits >= 6: replacing the dropped bits (strictly between 0 and 1 frame unit) by
  //    a 1 in bit 0 cannot move the result across a rounding boundary (multiple of 2^5).
  const int kx = d < kAlign ? d : kAlign;
  const int sy = d - kx;  // 0 .. 223
  const int e = x.lsb - kx;
  const uint64_t xf = static_cast<uint64_t>(x.sig) << kx;  // < 2^54
  uint64_t yf;
  if (sy >= 32) {
    yf = y.sig != 0 ? 1u : 0u;  // all of y dropped: the sticky bit alone
  } else {
    const uint64_t kept = y.sig >> sy;
    const bool sticky = (kept << sy) != y.sig;
    yf = kept | (sticky ? 1u : 0u);
  }
  // 3. Add or subtract magnitudes (N < 2^55); the sign follows the larger magnitude.
  uint64_t n;
  bool neg;
  if (x.neg == y.neg) {
    n = xf + yf;
    neg = x.neg;
  } else if (xf >= yf) {
    n = xf - yf;
    neg = x.neg;
  } else {
    n = yf - xf;
    neg = y.neg;
  }
  if (n == 0) return 0u;  // exact cancellation: +0 under round-to-nearest
  // 4. Normalise: the result's top bit has exponent top = e + msb; keep 24 bits down to
  //    q = max(top - 23, 0) (biased; q = 0 is 2^-149, the subnormal grid), i.e. shift the
  //    frame right by r = q - e (r <= 31; r <= 0 means exact, shift left by -r <= 23).
  const int msb = bit_length(n) - 1;
  int q = e + msb - 23;
  if (q < 0) q = 0;
  const int r = q - e;
  uint32_t kept;
  bool round_bit = false, sticky = false;
  if (r > 0) {
    kept = static_cast<uint32_t>(n >> r);
    round_bit = ((n >> (r - 1)) & 1u) != 0;
    sticky = (n & ((uint64_t{1} << (r - 1)) - 1)) != 0;
  } else {
    kept = static_cast<uint32_t>(n << -r);
  }
  // 5. Round to nearest, ties to even; a carry out of 24 bits renormalises (kept = 2^24).
  if (round_bit && (sticky || (kept & 1u) != 0)) ++kept;
  if (kept >> 24) {
    kept >>= 1;
    ++q;
  }
  // 6. Pack: kept >= 2^23 is normal with exponent field q + 1 (q = E - 1, see Operand);
  //    kept < 2^23 only happens with q == 0 and is a subnormal (field 0). Field >= 255:
  //    overflow, +-inf under round to nearest.
  const uint32_t sign = neg ? 0x80000000u : 0u;
  if ((kept >> 23) == 0) return sign | kept;
  const int field = q + 1;
  if (field >= 255) return pack_inf(neg);
  return sign | (static_cast<uint32_t>(field) << 23) | (kept & 0x7FFFFFu);
}

// Classification of an FP32 pattern.
bool f32_is_nan(uint32_t v) { return (v & 0x7FFFFFFFu) > 0x7F800000u; }
bool f32_is_inf(uint32_t v) { return (v & 0x7FFFFFFFu) == 0x7F800000u; }
bool f32_is_zero(uint32_t v) { return (v & 0x7FFFFFFFu) == 0; }
Operand f32_operand(uint32_t v) {  // finite v (a zero gives sig 0, lsb 0)
  const int ef = static_cast<int>((v >> 23) & 0xFF);
  const uint32_t sig = (v & 0x7FFFFFu) | (ef != 0 ? 0x800000u : 0u);
  return {(v >> 31) != 0, sig, (ef != 0 ? ef : 1) - 1};
}

}  // namespace

uint32_t fp16_to_fp32_bits(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const int ef = (h >> 10) & 0x1F;
  const uint32_t man = h & 0x3FFu;
  if (ef == 0x1F) return man != 0 ? kFp32CanonicalNaN : (sign | 0x7F800000u);
  if (ef == 0) {
    if (man == 0) return sign;
    // Subnormal man * 2^-24: normalise so the leading 1 is at bit 10.
    const int shift = 11 - bit_length(man);  // 1 .. 10
    const uint32_t m = (man << shift) & 0x3FFu;
    const int e = -14 - shift;  // unbiased exponent of the leading 1
    return sign | (static_cast<uint32_t>(e + 127) << 23) | (m << 13);
  }
  return sign | (static_cast<uint32_t>(ef - 15 + 127) << 23) | (man << 13);
}

uint32_t fp32_add(uint32_t x, uint32_t y) {
  if (f32_is_nan(x) || f32_is_nan(y)) return kFp32CanonicalNaN;
  if (f32_is_inf(x) || f32_is_inf(y)) {
    if (f32_is_inf(x) && f32_is_inf(y) && ((x ^ y) >> 31) != 0) return kFp32CanonicalNaN;
    return f32_is_inf(x) ? x : y;
  }
  if (f32_is_zero(x) && f32_is_zero(y)) return x & y & 0x80000000u;  // -0 only if both
  if (f32_is_zero(x)) return y;
  if (f32_is_zero(y)) return x;
  return add_round(f32_operand(x), f32_operand(y));
}

uint32_t fp_mac_fp16_fp32(uint32_t acc, uint16_t a, uint16_t b) {
  // Unpack FP16: significand (11 bits with the hidden one) and max(E, 1).
  const int ea = (a >> 10) & 0x1F, eb = (b >> 10) & 0x1F;
  const uint32_t ma = a & 0x3FFu, mb = b & 0x3FFu;
  const bool a_nan = ea == 0x1F && ma != 0, b_nan = eb == 0x1F && mb != 0;
  const bool a_inf = ea == 0x1F && ma == 0, b_inf = eb == 0x1F && mb == 0;
  const bool a_zero = ea == 0 && ma == 0, b_zero = eb == 0 && mb == 0;
  const bool p_neg = ((a ^ b) & 0x8000u) != 0;
  // Specials: NaN in, inf * 0, inf - inf -> NaN; inf wins otherwise.
  const bool p_nan = a_nan || b_nan || (a_inf && b_zero) || (b_inf && a_zero);
  if (p_nan || f32_is_nan(acc)) return kFp32CanonicalNaN;
  const bool p_inf = a_inf || b_inf;
  if (p_inf && f32_is_inf(acc) && (acc >> 31) != static_cast<uint32_t>(p_neg)) {
    return kFp32CanonicalNaN;
  }
  if (p_inf) return pack_inf(p_neg);
  if (f32_is_inf(acc)) return acc;
  // Zero product: acc + (+-0) = acc, except (-0) + (+0) = +0.
  if (a_zero || b_zero) {
    if (f32_is_zero(acc)) return acc & (p_neg ? 0x80000000u : 0u);
    return acc;
  }
  // Exact product: 11 x 11 -> 22-bit significand, lsb exponent (ea' + eb' - 50) + 149.
  const uint32_t sa = ma | (ea != 0 ? 0x400u : 0u), sb = mb | (eb != 0 ? 0x400u : 0u);
  const Operand prod{p_neg, sa * sb, (ea != 0 ? ea : 1) + (eb != 0 ? eb : 1) + 99};
  // A zero accumulator enters the adder as significand 0 with lsb 0 (below the product's
  // >= 101): the product is X, the sum is exactly the product (it fits FP32), signed as it.
  return add_round(f32_operand(acc), prod);
}

uint16_t fp16_from_int(int32_t v) {
  if (v < -2048 || v > 2048) throw std::invalid_argument("fp16_from_int: |v| > 2048 is not exact");
  if (v == 0) return 0;
  const uint32_t mag = static_cast<uint32_t>(v < 0 ? -v : v);
  int e = 0;
  while ((mag >> (e + 1)) != 0) ++e;  // mag in [2^e, 2^(e+1))
  const uint32_t frac = (mag << (10 - e)) & 0x3FFu;  // exact: e <= 11, mag has <= 11 bits
  return static_cast<uint16_t>((v < 0 ? 0x8000u : 0u) | static_cast<uint32_t>(e + 15) << 10 | frac);
}

}  // namespace tpesim::num
