// FP16 x FP16 -> FP32 multiply-accumulate on bit patterns (models/numerics/fp_mac.hpp).
// Authority: the exact oracle, acc + a*b as a Dyadic rounded once by round_to_float(...,
// fp32, kNearestEven), with IEEE rules for zeros, infinities and NaN written out below.
// Independent host checks: glibc's fmaf (correctly rounded fused multiply-add) on every
// input, the plain double sum where TwoSum proves it exact (then the cast to float is the
// only rounding), native float addition for fp32_add, native _Float16 -> float conversion.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "models/numerics/fp_mac.hpp"
#include "models/numerics/reference_gemm_fp.hpp"

namespace tpesim::num {

namespace {

float as_float(uint32_t v) { return fp32_from_bits(v); }
uint32_t as_bits(float f) { return fp32_to_bits(f); }
bool f32_nan(uint32_t v) { return (v & 0x7FFFFFFFu) > 0x7F800000u; }
bool f32_inf(uint32_t v) { return (v & 0x7FFFFFFFu) == 0x7F800000u; }
bool f16_nan(uint16_t h) { return (h & 0x7FFFu) > 0x7C00u; }
bool f16_inf(uint16_t h) { return (h & 0x7FFFu) == 0x7C00u; }
bool f16_zero(uint16_t h) { return (h & 0x7FFFu) == 0; }

// Exact values of finite patterns, decoded independently of fp_mac.cpp.
Dyadic f16_exact(uint16_t h) {
  const int ef = (h >> 10) & 0x1F;
  const int64_t sig = (h & 0x3FF) | (ef != 0 ? 0x400 : 0);
  const Dyadic v(BigInt(sig), (ef != 0 ? ef : 1) - 25);
  return (h & 0x8000) ? -v : v;
}
Dyadic f32_exact(uint32_t x) {
  const int ef = static_cast<int>((x >> 23) & 0xFF);
  const int64_t sig = (x & 0x7FFFFF) | (ef != 0 ? 0x800000 : 0);
  const Dyadic v(BigInt(sig), (ef != 0 ? ef : 1) - 150);
  return (x >> 31) ? -v : v;
}
double f16_double(uint16_t h) { return f32_exact(fp16_to_fp32_bits(h)).to_double(); }

// The oracle: IEEE-754 binary32 fused multiply-add, canonical NaN.
uint32_t oracle_mac(uint32_t acc, uint16_t a, uint16_t b) {
  const bool p_neg = ((a ^ b) & 0x8000) != 0;
  if (f16_nan(a) || f16_nan(b) || f32_nan(acc)) return kFp32CanonicalNaN;
  if ((f16_inf(a) && f16_zero(b)) || (f16_inf(b) && f16_zero(a))) return kFp32CanonicalNaN;
  const bool p_inf = f16_inf(a) || f16_inf(b);
  if (p_inf && f32_inf(acc) && (acc >> 31) != (p_neg ? 1u : 0u)) return kFp32CanonicalNaN;
  if (p_inf) return (p_neg ? 0x80000000u : 0u) | 0x7F800000u;
  if (f32_inf(acc)) return acc;
  const Dyadic exact = f32_exact(acc) + f16_exact(a) * f16_exact(b);
  if (exact.is_zero()) {
    // -0 only for (-0) + (-0): a zero product and a zero accumulator, both negative.
    const bool both_neg_zero = (f16_zero(a) || f16_zero(b)) && p_neg && acc == 0x80000000u;
    return both_neg_zero ? 0x80000000u : 0u;
  }
  return as_bits(
      static_cast<float>(round_to_float(exact, FloatFormat::fp32(), RoundMode::kNearestEven)));
}

uint32_t oracle_add(uint32_t x, uint32_t y) {
  if (f32_nan(x) || f32_nan(y)) return kFp32CanonicalNaN;
  if (f32_inf(x) && f32_inf(y) && x != y) return kFp32CanonicalNaN;
  if (f32_inf(x)) return x;
  if (f32_inf(y)) return y;
  const Dyadic exact = f32_exact(x) + f32_exact(y);
  if (exact.is_zero()) return (x == 0x80000000u && y == 0x80000000u) ? 0x80000000u : 0u;
  return as_bits(
      static_cast<float>(round_to_float(exact, FloatFormat::fp32(), RoundMode::kNearestEven)));
}

// Representatives of every FP16 class: zeros, smallest/largest subnormal, smallest normal,
// values around 1, largest finite, infinities, quiet and signalling NaNs (both signs).
std::vector<uint16_t> fp16_specials() {
  const uint16_t mags[] = {0x0000, 0x0001, 0x0002, 0x0155, 0x03FF, 0x0400, 0x0401,
                           0x0C00, 0x3BFF, 0x3C00, 0x3C01, 0x3E00, 0x4000, 0x5640,
                           0x7BFE, 0x7BFF, 0x7C00, 0x7C01, 0x7E00, 0x7FFF};
  std::vector<uint16_t> v;
  for (uint16_t m : mags) {
    v.push_back(m);
    v.push_back(static_cast<uint16_t>(m | 0x8000));
  }
  return v;
}
// The same for FP32, plus values at the magnitudes FP16 products reach (2^-48 .. 2^32).
std::vector<uint32_t> fp32_specials() {
  const uint32_t mags[] = {0x00000000, 0x00000001, 0x00000002, 0x00400000, 0x007FFFFF, 0x00800000,
                           0x00800001, 0x27800000, 0x27800001, 0x33800000, 0x3F7FFFFF, 0x3F800000,
                           0x3F800001, 0x4E800000, 0x4F7FE002, 0x4F800000, 0x5F800000, 0x7F7FFFFF,
                           0x7F800000, 0x7F800001, 0x7FC00000, 0x7FFFFFFF};
  std::vector<uint32_t> v;
  for (uint32_t m : mags) {
    v.push_back(m);
    v.push_back(m | 0x80000000u);
  }
  return v;
}

// Random MAC operands, fixed seed. Pure random bit patterns almost always have |acc| far
// from |a*b| (nothing interesting happens), so most draws put acc's exponent within +-30
// of the product's, or make acc = -(a*b) plus a few ulps (deep cancellation).
struct MacGen {
  std::mt19937_64 rng;
  explicit MacGen(uint64_t seed) : rng(seed) {}
  struct Case {
    uint32_t acc;
    uint16_t a, b;
  };
  Case next() {
    const uint64_t r = rng();
    Case c{static_cast<uint32_t>(r), static_cast<uint16_t>(r >> 32),
           static_cast<uint16_t>(r >> 48)};
    const uint64_t mode = rng() % 8;
    if (mode == 0) return c;  // raw bits
    const uint64_t s = rng();
    // Keep factors finite most of the time.
    if ((c.a & 0x7C00) == 0x7C00 && (s & 3) != 0) c.a &= 0xBFFF;
    if ((c.b & 0x7C00) == 0x7C00 && (s & 12) != 0) c.b &= 0xBFFF;
    if (mode == 1) c.a &= 0x83FF;  // subnormal (or zero) a
    const uint32_t pbits = as_bits(static_cast<float>(f16_double(c.a) * f16_double(c.b)));
    if (f32_nan(pbits) || f32_inf(pbits)) return c;
    if (mode <= 4) {
      // acc exponent field = product's +- 30, clamped to [0, 254].
      int pe = static_cast<int>((pbits >> 23) & 0xFF);
      int ae = pe + static_cast<int>(s % 61) - 30;
      ae = ae < 0 ? 0 : (ae > 254 ? 254 : ae);
      c.acc = (c.acc & 0x807FFFFFu) | (static_cast<uint32_t>(ae) << 23);
      return c;
    }
    // acc = -(a*b) + k ulps, k in [-4, 4] (pattern arithmetic; crossing a binade is fine).
    const int k = static_cast<int>(s % 9) - 4;
    uint32_t neg = pbits ^ 0x80000000u;
    if ((neg & 0x7FFFFFFFu) != 0) neg = static_cast<uint32_t>(static_cast<int64_t>(neg) + k);
    if (!f32_nan(neg)) c.acc = neg;
    return c;
  }
};

TEST(FpMac, Fp16ToFp32AllPatterns) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const auto hh = static_cast<uint16_t>(h);
    const uint32_t got = fp16_to_fp32_bits(hh);
    if (f16_nan(hh)) {
      EXPECT_EQ(got, kFp32CanonicalNaN) << std::hex << h;
      continue;
    }
    _Float16 native;
    std::memcpy(&native, &hh, sizeof native);
    ASSERT_EQ(got, as_bits(static_cast<float>(native))) << std::hex << h;
    if (!f16_inf(hh)) {
      ASSERT_EQ(f32_exact(got), f16_exact(hh)) << std::hex << h;
    }
  }
}

TEST(FpMac, HandDerivedTiesAndRounding) {
  // FP16 2^-12 = 0x0C00 (field 3 = -12 + 15); 2^-13 = 0x0800; 2^-14 = 0x0400.
  // 1 + 2^-12 * 2^-12 = 1 + 2^-24: exactly half an ulp of 1 (2^-23) above 1, a tie between
  // 1 (mantissa ...0, even) and 1 + 2^-23 (odd): stays 1.
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000, 0x0C00, 0x0C00), 0x3F800000u);
  // (1 + 2^-23) + 2^-24: tie between 1 + 2^-23 (odd) and 1 + 2^-22 (even): up.
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800001, 0x0C00, 0x0C00), 0x3F800002u);
  // 1 - 2^-12 * 2^-13 = 1 - 2^-25: below 1 the ulp is 2^-24, so a tie between 1 - 2^-24
  // (0x3F7FFFFF, odd) and 1 (even): up to 1.
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000, 0x0C00, 0x8800), 0x3F800000u);
  // 1 - 1.5*2^-12 * 2^-13 = 1 - 0.75 * 2^-24: 0.25 ulp from 1 - 2^-24, 0.75 from 1: down.
  // FP16 1.5 * 2^-12 = 0x0E00.
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000, 0x0E00, 0x8800), 0x3F7FFFFFu);
  // 2^30 (0x4E800000, ulp 2^7 = 128) + 64 (FP16 0x5400) * 1 (0x3C00): tie, stays 2^30 (even).
  EXPECT_EQ(fp_mac_fp16_fp32(0x4E800000, 0x5400, 0x3C00), 0x4E800000u);
  // (2^30 + 128) + 64: tie between odd 2^30 + 128 and even 2^30 + 256: up.
  EXPECT_EQ(fp_mac_fp16_fp32(0x4E800001, 0x5400, 0x3C00), 0x4E800002u);
  // 2^30 + 64 * (1 + 2^-10) (0x3C01) = 2^30 + 64.0625: just above the tie: up.
  EXPECT_EQ(fp_mac_fp16_fp32(0x4E800000, 0x5400, 0x3C01), 0x4E800001u);
  // 2^30 - 64.0625: below 2^30 the ulp is 64, 2^30 - 64.0625 is 1/16 below 2^30 - 64 and
  // far from 2^30 - 128: 2^30 - 64 = 0x4E7FFFFF.
  EXPECT_EQ(fp_mac_fp16_fp32(0x4E800000, 0xD400, 0x3C01), 0x4E7FFFFFu);
  // Sticky-only alignment (lsb exponents 2^-13 vs 2^-48, 35 > 30 bits apart): 1024 +- 2^-48
  // (0x0001 * 0x0001 = 2^-24 * 2^-24) is 1024 either way.
  EXPECT_EQ(fp_mac_fp16_fp32(0x44800000, 0x0001, 0x0001), 0x44800000u);
  EXPECT_EQ(fp_mac_fp16_fp32(0x44800000, 0x0001, 0x8001), 0x44800000u);
  // The largest product, 65504^2 = 2047^2 * 2^10 (22-bit significand), exact in FP32.
  EXPECT_EQ(fp_mac_fp16_fp32(0, 0x7BFF, 0x7BFF), as_bits(4290774016.0f));
  EXPECT_EQ(fp_mac_fp16_fp32(0x80000000u, 0x7BFF, 0xFBFF), as_bits(-4290774016.0f));
  // The smallest product, 2^-48, exact and normal in FP32 (field 127 - 48 = 79).
  EXPECT_EQ(fp_mac_fp16_fp32(0, 0x0001, 0x0001), 79u << 23);
}

TEST(FpMac, ZerosAndCancellation) {
  // 4.5 + 1.5 * -3 = 0 exactly: +0 (0x3E00 = 1.5, 0xC200 = -3, 0x40900000 = 4.5f).
  EXPECT_EQ(fp_mac_fp16_fp32(0x40900000, 0x3E00, 0xC200), 0u);
  EXPECT_EQ(fp_mac_fp16_fp32(0xC0900000, 0x3E00, 0x4200), 0u);
  // Signed zeros: (-0) + (-0) = -0, any other zero sum is +0.
  EXPECT_EQ(fp_mac_fp16_fp32(0x80000000u, 0x8000, 0x3C00), 0x80000000u);
  EXPECT_EQ(fp_mac_fp16_fp32(0x80000000u, 0x0000, 0x3C00), 0u);
  EXPECT_EQ(fp_mac_fp16_fp32(0x00000000u, 0x8000, 0x3C00), 0u);
  EXPECT_EQ(fp_mac_fp16_fp32(0x80000000u, 0x8000, 0x8000), 0u);  // (-0)*(-0) = +0
  // acc + 0 = acc, also for a subnormal acc (no flush).
  EXPECT_EQ(fp_mac_fp16_fp32(0x00000001u, 0x0000, 0x7BFF), 0x00000001u);
  EXPECT_EQ(fp_mac_fp16_fp32(0x807FFFFFu, 0x8000, 0x3C00), 0x807FFFFFu);
  // -0 + product = product (sign of the product).
  EXPECT_EQ(fp_mac_fp16_fp32(0x80000000u, 0x3C00, 0x3C00), 0x3F800000u);
  // Every exact cancellation acc = -(a*b) gives +0 (products are exact in FP32).
  MacGen g(7);
  for (int i = 0; i < 100000; ++i) {
    const auto c = g.next();
    if (f16_nan(c.a) || f16_nan(c.b) || f16_inf(c.a) || f16_inf(c.b)) continue;
    const uint32_t p = fp_mac_fp16_fp32(0, c.a, c.b);  // the exact product
    if ((p & 0x7FFFFFFFu) == 0) continue;
    ASSERT_EQ(fp_mac_fp16_fp32(p ^ 0x80000000u, c.a, c.b), 0u) << std::hex << c.a << " " << c.b;
  }
}

TEST(FpMac, SubnormalAccumulatorsAndResults) {
  // With FP16 factors a subnormal FP32 result needs a zero product: a nonzero product is a
  // multiple of 2^-48, so |acc + p| < 2^-126 forces acc ~ -p, whose lsb is >= 2^-71, and the
  // sum is then a multiple of 2^-71 below 2^-126: zero. So subnormal results of the MAC are
  // pass-throughs of acc, and rounding in the subnormal range is exercised with fp32_add.
  EXPECT_EQ(fp_mac_fp16_fp32(0x00000003u, 0x8000, 0x3C00), 0x00000003u);
  // 2^-149 + 2^-48: the subnormal is far below half an ulp of 2^-48: 2^-48.
  EXPECT_EQ(fp_mac_fp16_fp32(0x00000001u, 0x0001, 0x0001), 79u << 23);
  EXPECT_EQ(fp_mac_fp16_fp32(0x80000001u, 0x0001, 0x0001), 79u << 23);
  // fp32_add: subnormal sums are exact (both are multiples of 2^-149).
  EXPECT_EQ(fp32_add(0x00000001u, 0x00000001u), 0x00000002u);
  EXPECT_EQ(fp32_add(0x007FFFFFu, 0x00000001u), 0x00800000u);  // into the normal range
  EXPECT_EQ(fp32_add(0x00800000u, 0x80000001u), 0x007FFFFFu);  // out of it
  EXPECT_EQ(fp32_add(0x00800001u, 0x80800000u), 0x00000001u);
  EXPECT_EQ(fp32_add(0x00000001u, 0x80000001u), 0u);
  EXPECT_EQ(fp32_add(0x80000000u, 0x80000000u), 0x80000000u);
  EXPECT_EQ(fp32_add(0x80000000u, 0x00000000u), 0u);
}

TEST(FpMac, OverflowAndSpecials) {
  // fp32_add: max + max overflows; FP32 max (0x7F7FFFFF) has ulp 2^104, so max + 2^103
  // (0x73000000) is a tie between the odd max and 2^128: up, i.e. +inf; just below stays.
  EXPECT_EQ(fp32_add(0x7F7FFFFFu, 0x7F7FFFFFu), 0x7F800000u);
  EXPECT_EQ(fp32_add(0xFF7FFFFFu, 0xFF7FFFFFu), 0xFF800000u);
  EXPECT_EQ(fp32_add(0x7F7FFFFFu, 0x73000000u), 0x7F800000u);
  EXPECT_EQ(fp32_add(0x7F7FFFFFu, 0x72FFFFFFu), 0x7F7FFFFFu);
  EXPECT_EQ(fp32_add(0x7F800000u, 0xFF800000u), kFp32CanonicalNaN);
  EXPECT_EQ(fp32_add(0x7F800000u, 0xFF7FFFFFu), 0x7F800000u);
  EXPECT_EQ(fp32_add(0x7F800001u, 0x3F800000u), kFp32CanonicalNaN);
  // The MAC cannot overflow from finite operands (|a*b| < 2^32 is far below half an ulp of
  // FP32 max, 2^103): max + 65504^2 = max. Infinities come from the operands.
  EXPECT_EQ(fp_mac_fp16_fp32(0x7F7FFFFFu, 0x7BFF, 0x7BFF), 0x7F7FFFFFu);
  EXPECT_EQ(fp_mac_fp16_fp32(0xFF7FFFFFu, 0xFBFF, 0x7BFF), 0xFF7FFFFFu);
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000u, 0x7C00, 0x3C00), 0x7F800000u);        // inf * 1
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000u, 0x7C00, 0xBC00), 0xFF800000u);        // inf * -1
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000u, 0x7C00, 0x0000), kFp32CanonicalNaN);  // inf * 0
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000u, 0x8000, 0xFC00), kFp32CanonicalNaN);  // 0 * inf
  EXPECT_EQ(fp_mac_fp16_fp32(0x7F800000u, 0xFC00, 0x3C00), kFp32CanonicalNaN);  // inf - inf
  EXPECT_EQ(fp_mac_fp16_fp32(0xFF800000u, 0xFC00, 0x3C00), 0xFF800000u);
  EXPECT_EQ(fp_mac_fp16_fp32(0xFF800000u, 0x7BFF, 0x7BFF), 0xFF800000u);
  EXPECT_EQ(fp_mac_fp16_fp32(0x7F800000u, 0x0000, 0x3C00), 0x7F800000u);
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000u, 0x7E00, 0x3C00), kFp32CanonicalNaN);
  EXPECT_EQ(fp_mac_fp16_fp32(0x3F800000u, 0x3C00, 0xFC01), kFp32CanonicalNaN);
  EXPECT_EQ(fp_mac_fp16_fp32(0xFFC00001u, 0x3C00, 0x3C00), kFp32CanonicalNaN);
  EXPECT_EQ(fp_mac_fp16_fp32(0x7F800001u, 0x7C00, 0x0000), kFp32CanonicalNaN);
}

TEST(FpMac, AllSpecialClassCombinationsMatchOracle) {
  int n = 0;
  for (uint32_t acc : fp32_specials())
    for (uint16_t a : fp16_specials())
      for (uint16_t b : fp16_specials()) {
        ASSERT_EQ(fp_mac_fp16_fp32(acc, a, b), oracle_mac(acc, a, b))
            << std::hex << acc << " " << a << " " << b;
        ++n;
      }
  EXPECT_EQ(n, 44 * 40 * 40);
}

// The sticky-bit path at its tightest: products with few significant bits (powers of two,
// small subnormal factors: a 1-bit significand leaves the fewest frame bits above the
// sticky) against accumulators 20 to 60 binades smaller, added and subtracted, so the
// result needs the aligned accumulator's bits down to the rounding position. 802,944 cases.
TEST(FpMac, StickyAlignmentWithNarrowProducts) {
  const uint16_t narrow[] = {0x0001, 0x0002, 0x0003, 0x0005, 0x0400, 0x0C00,
                             0x3C00, 0x3C01, 0x3E00, 0x7800, 0x7BFF, 0x0010};
  std::mt19937_64 rng(0x5EED0004);
  int64_t n = 0;
  for (uint16_t a : narrow)
    for (uint16_t b : narrow)
      for (int sign = 0; sign < 2; ++sign) {
        const uint16_t bs = static_cast<uint16_t>(b | (sign ? 0x8000 : 0));
        const uint32_t p = fp_mac_fp16_fp32(0, a, bs);
        const int pe = static_cast<int>((p >> 23) & 0xFF);
        for (int de = 20; de <= 60; ++de) {
          for (int k = 0; k < 68; ++k) {
            const int ae = pe - de;
            if (ae < 0) continue;
            uint32_t acc = (static_cast<uint32_t>(ae) << 23) | (rng() & 0x807FFFFFu);
            if (k < 4)
              acc =
                  (acc & 0x80000000u) | (static_cast<uint32_t>(ae) << 23) | (k & 1 ? 0x7FFFFF : 0);
            ASSERT_EQ(fp_mac_fp16_fp32(acc, a, bs), oracle_mac(acc, a, bs))
                << std::hex << acc << " " << a << " " << bs;
            ++n;
          }
        }
      }
  EXPECT_EQ(n, 802944);  // 12 x 12 x 2 signs x 41 exponent gaps x 68
}

// 2,000,000 random cases against the exact Dyadic oracle.
TEST(FpMac, RandomMatchesExactOracle) {
  MacGen g(0x5EED0001);
  for (int i = 0; i < 2000000; ++i) {
    const auto c = g.next();
    ASSERT_EQ(fp_mac_fp16_fp32(c.acc, c.a, c.b), oracle_mac(c.acc, c.a, c.b))
        << "case " << i << std::hex << ": acc " << c.acc << " a " << c.a << " b " << c.b;
  }
}

// 8,000,000 random cases against the host: glibc fmaf on every one (it rounds once,
// correctly, like the MAC); and the double computation acc + a*b cast to float wherever
// TwoSum shows the double sum is exact (a*b is exact in double: 22-bit significand), so the
// cast is the only rounding. Where the double sum is inexact, (float) would round twice.
TEST(FpMac, RandomMatchesHostFloat) {
  MacGen g(0x5EED0002);
  int64_t exact_double_sums = 0;
  for (int i = 0; i < 8000000; ++i) {
    const auto c = g.next();
    const uint32_t got = fp_mac_fp16_fp32(c.acc, c.a, c.b);
    const float fa = as_float(fp16_to_fp32_bits(c.a)), fb = as_float(fp16_to_fp32_bits(c.b));
    const float facc = as_float(c.acc);
    const float host = std::fmaf(fa, fb, facc);
    if (std::isnan(host)) {
      ASSERT_EQ(got, kFp32CanonicalNaN) << std::hex << c.acc << " " << c.a << " " << c.b;
      continue;
    }
    ASSERT_EQ(got, as_bits(host)) << std::hex << c.acc << " " << c.a << " " << c.b;
    if (std::isinf(facc) || std::isinf(fa) || std::isinf(fb)) continue;
    const double x = facc, p = static_cast<double>(fa) * static_cast<double>(fb);
    const double s = x + p, bp = s - x, err = (x - (s - bp)) + (p - bp);  // TwoSum
    if (err != 0) continue;
    ++exact_double_sums;
    ASSERT_EQ(got, as_bits(static_cast<float>(s))) << std::hex << c.acc << " " << c.a;
  }
  // Most draws keep acc within 30 binades of the product: the double sum is then exact.
  EXPECT_GT(exact_double_sums, 4000000);
}

// fp32_add: 4,000,000 random pairs (raw bits and near exponents) against native float
// addition (IEEE round to nearest even, no FTZ on x86-64 by default) and 200,000 against
// the exact oracle.
TEST(FpMac, Fp32AddMatchesHostAndOracle) {
  std::mt19937_64 rng(0x5EED0003);
  for (int i = 0; i < 4000000; ++i) {
    const uint64_t r = rng();
    const auto x = static_cast<uint32_t>(r);
    auto y = static_cast<uint32_t>(r >> 32);
    if (i % 2 == 1) {  // exponent of y within +-26 of x's, clamped to [0, 254]
      int ex = static_cast<int>((x >> 23) & 0xFF);
      if (ex == 255) ex = 254;
      int ey = ex + static_cast<int>(rng() % 53) - 26;
      ey = ey < 0 ? 0 : (ey > 254 ? 254 : ey);
      y = (y & 0x807FFFFFu) | (static_cast<uint32_t>(ey) << 23);
    }
    const uint32_t got = fp32_add(x, y);
    const float host = as_float(x) + as_float(y);
    if (std::isnan(host)) {
      ASSERT_EQ(got, kFp32CanonicalNaN) << std::hex << x << " " << y;
    } else {
      ASSERT_EQ(got, as_bits(host)) << std::hex << x << " " << y;
    }
    if (i % 20 == 0) {
      ASSERT_EQ(got, oracle_add(x, y)) << std::hex << x << " " << y;
    }
  }
  for (uint32_t x : fp32_specials())
    for (uint32_t y : fp32_specials()) ASSERT_EQ(fp32_add(x, y), oracle_add(x, y));
}

}  // namespace
}  // namespace tpesim::num
