// Exact and hardware-accumulator reference GEMMs for quantised weights
// (models/numerics/reference_gemm_fp.hpp): big integers, dyadic values, rounding to float
// formats (exhaustively on a tiny format, against the CPU's own conversions on FP32/FP16),
// the exact GEMM on hand-derived and random cases, and each accumulator variant.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfenv>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>

#include "models/numerics/element_format.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/reference_gemm.hpp"
#include "models/numerics/reference_gemm_fp.hpp"

namespace tpesim::num {

// Readable values in failure messages.
void PrintTo(const Dyadic& d, std::ostream* os) { *os << d.to_dyadic_string(); }
void PrintTo(const BigInt& b, std::ostream* os) { *os << b.to_string(); }

namespace {

RealMatrix mat(int64_t rows, int64_t cols, std::vector<double> v) {
  RealMatrix m(rows, cols);
  m.v = std::move(v);
  return m;
}

GroupedWeights weights(int64_t k, int64_t n, int64_t group, std::vector<double> q,
                       std::vector<double> scale, std::vector<double> zero = {}) {
  GroupedWeights w;
  w.k = k;
  w.n = n;
  w.group_size = group;
  w.q = std::move(q);
  w.scale = std::move(scale);
  w.zero = std::move(zero);
  return w;
}

double p2(int e) { return std::ldexp(1.0, e); }

// ------------------------------------------------------------------------------------------
// BigInt and Dyadic
// ------------------------------------------------------------------------------------------
TEST(RefGemmBigInt, ArithmeticAgreesWithInt128) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const auto a = static_cast<int64_t>(rng()) >> (rng() % 64);
    const auto b = static_cast<int64_t>(rng()) >> (rng() % 64);
    const __int128 a1 = a, b1 = b;
    EXPECT_TRUE(BigInt(a) + BigInt(b) == BigInt::from_i128(a1 + b1));
    EXPECT_TRUE(BigInt(a) - BigInt(b) == BigInt::from_i128(a1 - b1));
    EXPECT_TRUE(BigInt(a) * BigInt(b) == BigInt::from_i128(a1 * b1));
    EXPECT_EQ(BigInt(a).compare(BigInt(b)), a < b ? -1 : (a > b ? 1 : 0));
    const int sh = static_cast<int>(rng() % 60);
    EXPECT_TRUE(BigInt(a).shl(sh) == BigInt::from_i128(a1 * (static_cast<__int128>(1) << sh)));
    EXPECT_TRUE(BigInt(a).shr_trunc(sh) == BigInt(a / (int64_t{1} << sh)));  // C++ truncates
  }
  EXPECT_EQ(BigInt(INT64_MIN).to_string(), "-9223372036854775808");
  EXPECT_EQ(BigInt(INT64_MIN).to_i64(), INT64_MIN);
  EXPECT_FALSE((-BigInt(INT64_MIN)).fits_i64());
}

TEST(RefGemmBigInt, WideValues) {
  // 2^100 = 1267650600228229401496703205376 (a well-known constant).
  const BigInt p100 = BigInt(1).shl(100);
  EXPECT_EQ(p100.to_string(), "1267650600228229401496703205376");
  EXPECT_EQ((-(p100 + BigInt(1))).to_string(), "-1267650600228229401496703205377");
  EXPECT_EQ(p100.bit_length(), 101);
  EXPECT_EQ(p100.trailing_zeros(), 100);
  EXPECT_TRUE(p100.bit(100));
  EXPECT_FALSE(p100.low_bits_nonzero(100));
  EXPECT_TRUE((p100 + BigInt(4)).low_bits_nonzero(3));
  EXPECT_FALSE((p100 + BigInt(4)).low_bits_nonzero(2));
  // (2^100 + 1)(2^100 - 1) = 2^200 - 1, then back down.
  const BigInt sq = (p100 + BigInt(1)) * (p100 - BigInt(1));
  EXPECT_TRUE(sq + BigInt(1) == BigInt(1).shl(200));
  EXPECT_TRUE(sq.shr_trunc(150) == BigInt((int64_t{1} << 50) - 1));
  EXPECT_TRUE(BigInt(0).shl(1000).is_zero());
}

TEST(RefGemmDyadic, CanonicalFormAndStrings) {
  EXPECT_EQ(Dyadic(BigInt(12), 0), Dyadic(BigInt(3), 2));
  EXPECT_EQ(Dyadic(BigInt(0), 17), Dyadic());
  const Dyadic x = Dyadic::from_double(-0.375);  // -3 * 2^-3
  EXPECT_EQ(x.mantissa().to_i64(), -3);
  EXPECT_EQ(x.exponent(), -3);
  EXPECT_EQ(x.to_string(), "-0.375");
  EXPECT_EQ(x.to_dyadic_string(), "-3*2^-3");
  EXPECT_EQ(Dyadic::from_double(1536.0).to_string(), "1536");
  EXPECT_EQ(Dyadic::from_double(p2(-1074)).to_dyadic_string(), "1*2^-1074");
  EXPECT_EQ(Dyadic::from_double(-0.0), Dyadic());
  // 2^-10 = 0.0009765625 exactly.
  EXPECT_EQ(Dyadic::from_double(p2(-10)).to_string(), "0.0009765625");
  EXPECT_EQ((Dyadic::from_double(1.0) + Dyadic::from_double(p2(-10))).to_string(), "1.0009765625");
  EXPECT_THROW(Dyadic::from_double(INFINITY), std::invalid_argument);
  for (double d : {1.0, -2.5, 1e300, -1e-300, p2(-1074), 65504.0, 0.1})
    EXPECT_EQ(Dyadic::from_double(d).to_double(), d);
}

TEST(RefGemmDyadic, ExactSumsWhereDoubleFails) {
  // 2^60 + 1 - 2^60 = 1 exactly; in double the 1 is lost (ulp of 2^60 is 2^8).
  const Dyadic big = Dyadic::from_double(p2(60));
  const Dyadic r = big + Dyadic::from_int(1) - big;
  EXPECT_EQ(r, Dyadic::from_int(1));
  volatile double d = p2(60);
  EXPECT_EQ(d + 1.0 - d, 0.0);
  // Far-apart exponents: 2^1000 + 2^-1000 - 2^1000.
  const Dyadic h = Dyadic::from_double(p2(1000)), l = Dyadic::from_double(p2(-1000));
  EXPECT_EQ(h + l - h, l);
  EXPECT_EQ((h + l).to_double(), p2(1000));  // rounded once
  EXPECT_TRUE(l < h && -h < l);
  EXPECT_EQ((h * l).to_double(), 1.0);
  EXPECT_EQ((Dyadic::from_int(6) * Dyadic::from_double(0.5)).to_i128(), 3);
  EXPECT_THROW((Dyadic::from_int(3) * Dyadic::from_double(0.5)).to_i128(), std::invalid_argument);
}

// ------------------------------------------------------------------------------------------
// Rounding
// ------------------------------------------------------------------------------------------

// The reference rounding for the exhaustive test: an explicit sorted table of the format's
// non-negative values with the parity of each code, searched directly.
struct TableEntry {
  double v;
  bool odd;  // last mantissa bit of the code
};

// E3M2 values (bias 3): E = 0: m * 2^-4; E >= 1: (4 + m) * 2^(E - 5), m = 0..3. With IEEE
// specials the top exponent E = 7 is inf/NaN; without, it is finite. With flush-to-zero the
// normal binades continue downwards (E < 1) for rounding, and the subnormals are absent.
std::vector<TableEntry> e3m2_table(bool ieee, bool subnormals) {
  std::vector<TableEntry> t;
  const int top = ieee ? 6 : 7;
  const int lowest = subnormals ? 1 : -40;
  if (subnormals)
    for (int m = 0; m < 4; ++m) t.push_back({m * p2(-4), (m & 1) != 0});
  else
    t.push_back({0.0, false});
  for (int e = lowest; e <= top; ++e)
    for (int m = 0; m < 4; ++m) t.push_back({(4 + m) * p2(e - 5), (m & 1) != 0});
  return t;
}

// Rounds x >= 0 with the table: the two neighbours, ties by mode, then overflow and flush.
double reference_round(double x, const std::vector<TableEntry>& t, const FloatFormat& f,
                       RoundMode mode) {
  const double maxv = t.back().v;
  const double min_normal = p2(1 - 3);
  auto it = std::upper_bound(t.begin(), t.end(), x,
                             [](double a, const TableEntry& e) { return a < e.v; });
  const TableEntry lo = *(it - 1);  // largest value <= x (t[0] = 0)
  double r = 0;
  if (lo.v == x) {
    r = x;
  } else if (it == t.end()) {
    // Beyond the largest value: the next value up would be 2^(emax + 1) (an even code).
    const double next = maxv + (maxv - (t.end() - 2)->v);  // max + ulp
    const double mid = (maxv + next) / 2;
    bool up = false;
    if (mode == RoundMode::kNearestEven) up = x >= mid;  // tie -> the even 2^(emax+1)
    if (mode == RoundMode::kNearestAway) up = x >= mid;
    if (!up) return maxv;
    const bool inf = f.ieee_specials && f.overflow == FloatOverflow::kInfinity;
    return inf ? INFINITY : maxv;
  } else {
    const TableEntry hi = *it;
    const double mid = (lo.v + hi.v) / 2;
    bool up = false;  // take hi
    if (mode == RoundMode::kTowardZero || x < mid)
      up = false;
    else if (x > mid || mode == RoundMode::kNearestAway)
      up = true;
    else
      up = lo.odd;  // tie: to the even code
    r = up ? hi.v : lo.v;
  }
  if (!f.subnormals && r < min_normal) r = 0;
  return r;
}

TEST(RoundFloat, ExhaustiveTinyFormatOnFineGrid) {
  // Every multiple of 2^-10 in [-34, 34] (6 bits below E3M2's smallest subnormal 2^-4, beyond
  // both maxima 14 and 28 plus half an ulp), in every mode and option.
  int64_t checked = 0;
  for (bool ieee : {true, false})
    for (bool sub : {true, false})
      for (FloatOverflow ov : {FloatOverflow::kInfinity, FloatOverflow::kSaturate})
        for (RoundMode mode :
             {RoundMode::kNearestEven, RoundMode::kTowardZero, RoundMode::kNearestAway}) {
          FloatFormat f(3, 2);
          f.ieee_specials = ieee;
          f.subnormals = sub;
          f.overflow = ov;
          const std::vector<TableEntry> t = e3m2_table(ieee, sub);
          EXPECT_EQ(f.max_finite(), ieee ? 14.0 : 28.0);
          for (int64_t k = 0; k <= int64_t{34} * 1024; ++k) {
            const double x = k * p2(-10);
            const double want = reference_round(x, t, f, mode);
            const double got = round_to_float(Dyadic::from_double(x), f, mode);
            const double got_neg = round_to_float(Dyadic::from_double(-x), f, mode);
            ASSERT_EQ(got, want) << f.name() << " mode " << static_cast<int>(mode) << " x=" << x;
            ASSERT_EQ(got_neg, -want) << f.name() << " x=" << -x;
            if (x != 0) {
              ASSERT_TRUE(std::signbit(got_neg)) << x;  // -0 for tiny negatives
            }
            checked += 2;
          }
          // Far below the grid: rounds to zero (toward zero / nearest), keeping the sign.
          for (double tiny : {p2(-40), p2(-1074)}) {
            EXPECT_EQ(round_to_float(Dyadic::from_double(tiny), f, mode), 0.0);
            EXPECT_TRUE(std::signbit(round_to_float(Dyadic::from_double(-tiny), f, mode)));
          }
        }
  EXPECT_EQ(checked, 24 * 2 * (34 * 1024 + 1));
}

TEST(RoundFloat, TinyFormatMatchesElementFormatTable) {
  // OCP FP6 E3M2 has no specials and bias 3: its grid is the no-specials E3M2 value set.
  FloatFormat f(3, 2);
  f.ieee_specials = false;
  const std::vector<double> grid = fp6_e3m2().grid();
  std::vector<double> mine;
  for (const TableEntry& e : e3m2_table(false, true)) {
    mine.push_back(e.v);
    if (e.v != 0) mine.push_back(-e.v);
  }
  std::sort(mine.begin(), mine.end());
  EXPECT_EQ(grid, mine);
  for (double g : grid) EXPECT_TRUE(f.contains(g)) << g;
  EXPECT_FALSE(f.contains(29.0));
  EXPECT_FALSE(f.contains(p2(-5)));
}

TEST(RoundFloat, Fp32AgreesWithTheCpuConversionInBothModes) {
  std::mt19937_64 rng(11);
  const FloatFormat f32 = FloatFormat::fp32();
  for (int i = 0; i < 200000; ++i) {
    // Random bits over the whole double range, and a band around FP32's subnormals/overflow.
    uint64_t bits = rng();
    if (i % 2) bits = (bits & 0x800FFFFFFFFFFFFFull) | ((uint64_t{850} + rng() % 350) << 52);
    double x;
    std::memcpy(&x, &bits, sizeof x);
    if (!std::isfinite(x)) continue;
    volatile double vx = x;
    const auto rne = static_cast<double>(static_cast<float>(vx));
    ASSERT_EQ(round_to_float(Dyadic::from_double(x), f32, RoundMode::kNearestEven), rne) << x;
    std::fesetround(FE_TOWARDZERO);
    volatile float rtz_f = static_cast<float>(vx);  // stored before the mode is restored
    std::fesetround(FE_TONEAREST);
    const auto rtz = static_cast<double>(rtz_f);
    ASSERT_EQ(round_to_float(Dyadic::from_double(x), f32, RoundMode::kTowardZero), rtz) << x;
  }
}

#ifdef __FLT16_MAX__
TEST(RoundFloat, Fp16AgreesWithTheCompilersHalfConversion) {
  std::mt19937_64 rng(12);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = (rng() & 0x800FFFFFFFFFFFFFull) | ((uint64_t{980} + rng() % 60) << 52);
    double x;
    std::memcpy(&x, &bits, sizeof x);
    volatile double vx = x;
    const auto h = static_cast<double>(static_cast<_Float16>(vx));
    ASSERT_EQ(round_to_float(x, FloatFormat::fp16(), RoundMode::kNearestEven), h) << x;
  }
}
#endif

TEST(RoundFloat, TiesToEvenAndOverflowOnFp16) {
  const FloatFormat h = FloatFormat::fp16();
  const auto rne = [&](double x) { return round_to_float(x, h, RoundMode::kNearestEven); };
  const auto rtz = [&](double x) { return round_to_float(x, h, RoundMode::kTowardZero); };
  const auto rna = [&](double x) { return round_to_float(x, h, RoundMode::kNearestAway); };
  // In [2048, 4096) the FP16 spacing is 2: 2048 has mantissa field 0 (even), 2050 field 1,
  // 2052 field 2.
  EXPECT_EQ(rne(2049), 2048);
  EXPECT_EQ(rne(2051), 2052);
  EXPECT_EQ(rne(2049.5), 2050);
  EXPECT_EQ(rna(2049), 2050);
  EXPECT_EQ(rtz(2051), 2050);
  EXPECT_EQ(rne(-2051), -2052);
  EXPECT_EQ(rtz(-2051), -2050);
  // Near 1 the spacing is 2^-10: 1 + 2^-11 ties to 1, 1 + 3 * 2^-11 ties to 1 + 2^-9.
  EXPECT_EQ(rne(1 + p2(-11)), 1.0);
  EXPECT_EQ(rne(1 + 3 * p2(-11)), 1 + p2(-9));
  // Max 65504 = (2 - 2^-10) * 2^15; spacing there 32; 65520 is the midpoint to 2^16 whose
  // mantissa would be even: it overflows to infinity, below it stays.
  EXPECT_EQ(h.max_finite(), 65504.0);
  EXPECT_EQ(rne(65519.99), 65504.0);
  EXPECT_EQ(rne(65520), INFINITY);
  EXPECT_EQ(rne(-65520), -INFINITY);
  EXPECT_EQ(rtz(1e6), 65504.0);  // IEEE: toward zero never overflows to infinity
  FloatFormat hs = h;
  hs.overflow = FloatOverflow::kSaturate;
  EXPECT_EQ(round_to_float(1e6, hs, RoundMode::kNearestEven), 65504.0);
  // Subnormals: the smallest is 2^-24; 2^-25 ties to 0 (even); just above rounds up.
  EXPECT_EQ(h.min_subnormal(), p2(-24));
  EXPECT_EQ(rne(p2(-25)), 0.0);
  EXPECT_EQ(rna(p2(-25)), p2(-24));
  EXPECT_EQ(round_to_float(Dyadic::from_double(p2(-25)) + Dyadic::from_double(p2(-80)), h,
                           RoundMode::kNearestEven),
            p2(-24));
  EXPECT_EQ(rne(3 * p2(-26)), p2(-24));
  EXPECT_TRUE(std::signbit(rne(-p2(-26))));
  // Flush to zero: below 2^-14 becomes zero.
  FloatFormat hf = h;
  hf.subnormals = false;
  EXPECT_EQ(round_to_float(p2(-15), hf, RoundMode::kNearestEven), 0.0);
  EXPECT_EQ(round_to_float(p2(-14), hf, RoundMode::kNearestEven), p2(-14));
}

TEST(RoundFloat, NoDoubleRounding) {
  // x = 1 + 2^-24 + 2^-80. Rounded to FP32 (spacing 2^-23 at 1) directly it is above the
  // midpoint: 1 + 2^-23. Rounded to double first, the 2^-80 is lost, leaving a tie that goes
  // to the even 1.0.
  const Dyadic x =
      Dyadic::from_int(1) + Dyadic::from_double(p2(-24)) + Dyadic::from_double(p2(-80));
  EXPECT_EQ(round_to_float(x, FloatFormat::fp32(), RoundMode::kNearestEven), 1 + p2(-23));
  volatile double via_double = x.to_double();
  EXPECT_EQ(static_cast<double>(static_cast<float>(via_double)), 1.0);
}

TEST(RoundFloat, FormatsAndValidation) {
  EXPECT_EQ(FloatFormat::fp32().max_finite(), static_cast<double>(FLT_MAX));
  EXPECT_EQ(FloatFormat::fp32().min_subnormal(), static_cast<double>(FLT_TRUE_MIN));
  EXPECT_EQ(FloatFormat::fp64().max_finite(), DBL_MAX);
  EXPECT_EQ(FloatFormat::bf16().max_finite(), 255 * p2(120));
  EXPECT_EQ(FloatFormat::bf16().min_subnormal(), p2(-133));
  // BitMoD's accumulator: bias 31, emax 31, max (2 - 2^-15) * 2^31, smallest 2^(-30-15).
  const FloatFormat b = FloatFormat::e6m15();
  EXPECT_EQ(b.bias, 31);
  EXPECT_EQ(b.max_finite(), (p2(16) - 1) * p2(16));
  EXPECT_EQ(b.min_subnormal(), p2(-45));
  // 2^16 + 1 needs 17 significant bits: a tie between 2^16 (even) and 2^16 + 2.
  EXPECT_EQ(round_to_float(p2(16) + 1, b, RoundMode::kNearestEven), p2(16));
  EXPECT_EQ(round_to_float(p2(16) + 3, b, RoundMode::kNearestEven), p2(16) + 4);
  EXPECT_EQ(round_to_float(p2(32), b, RoundMode::kNearestEven), INFINITY);
  EXPECT_THROW(FloatFormat(12, 10).validate(), std::invalid_argument);
  EXPECT_THROW(FloatFormat(8, 53).validate(), std::invalid_argument);
  EXPECT_THROW(FloatFormat(11, 52, 1000).validate(), std::invalid_argument);  // below 2^-1074
  EXPECT_EQ(FloatFormat(5, 10).name(), "fp(e5,m10)");
  EXPECT_TRUE(std::isnan(round_to_float(NAN, FloatFormat::fp16(), RoundMode::kNearestEven)));
}

// ------------------------------------------------------------------------------------------
// Exact GEMM
// ------------------------------------------------------------------------------------------
TEST(RefGemmExact, CancellationThatDoubleGetsWrong) {
  // One output, K = 3, groups of one (each k its own scale):
  // a = [2^30, 1, -2^30] (BF16), q = [1, 1, 1], s = [2^30, 1, 2^30]:
  // 2^30 * 2^30 + 1 - 2^30 * 2^30 = 2^60 + 1 - 2^60 = 1. Summed in double: 0.
  const RealMatrix a = mat(1, 3, {p2(30), 1, -p2(30)});
  check_activations(a, ActType::kBf16);
  const GroupedWeights w = weights(3, 1, 1, {1, 1, 1}, {p2(30), 1, p2(30)});
  const DyadicMatrix c = gemm_quant_exact(a, w);
  EXPECT_EQ(c.at(0, 0), Dyadic::from_int(1));
  EXPECT_EQ(gemm_quant_exact_double(a, w).at(0, 0), 1.0);
  double naive = 0;
  for (int k = 0; k < 3; ++k) naive += a.at(0, k) * w.scale[k] * w.q[k];
  EXPECT_EQ(naive, 0.0);
}

TEST(RefGemmExact, Bf16ExtremesCancel) {
  // BF16 max = 255 * 2^120, min subnormal = 2^-133. a = [max, min_sub, -max], q = 1, s = 1:
  // max + 2^-133 - max = 2^-133 exactly (double loses it: 2^-133 is far below max's ulp).
  const double bmax = FloatFormat::bf16().max_finite(), bmin = p2(-133);
  const RealMatrix a = mat(1, 3, {bmax, bmin, -bmax});
  check_activations(a, ActType::kBf16);
  const GroupedWeights w = weights(3, 1, 3, {1, 1, 1}, {1});
  EXPECT_EQ(gemm_quant_exact(a, w).at(0, 0).to_dyadic_string(), "1*2^-133");
  EXPECT_EQ(gemm_quant_exact_double(a, w).at(0, 0), bmin);
  EXPECT_EQ(bmax + bmin - bmax, 0.0);
}

TEST(RefGemmExact, ExtremeOperandsAndZeroPoints) {
  // K = 2, groups of one.
  // k = 0: a = BF16 max = 255 * 2^120, s = FP16 max = 2047 * 2^5, q = -32768 (INT16 min),
  //        z = 32767: q - z = -65535; product = -(255 * 2047 * 65535) * 2^125
  //        = -34208286975 * 2^125.
  // k = 1: a = BF16 min subnormal 2^-133, s = FP16 min subnormal 2^-24, q = 65535 (UINT16
  //        max), z = 65534: product = 2^-157.
  // Sum = -34208286975 * 2^125 + 2^-157: 282 binary orders apart, exact here.
  const RealMatrix a = mat(1, 2, {255 * p2(120), p2(-133)});
  const GroupedWeights w = weights(2, 1, 1, {-32768, 65535}, {65504, p2(-24)}, {32767, 65534});
  const Dyadic c = gemm_quant_exact(a, w).at(0, 0);
  const Dyadic big = Dyadic(BigInt(-34208286975), 125);
  EXPECT_EQ(c - big, Dyadic(BigInt(1), -157));
  EXPECT_EQ(c.exponent(), -157);
  EXPECT_EQ(c.mantissa(), BigInt(-34208286975).shl(282) + BigInt(1));
  EXPECT_EQ(gemm_quant_exact_double(a, w).at(0, 0), -34208286975 * p2(125));  // rounded once
  // FP16 activations at their extremes, INT8 weights: 65504*127 + 2^-24*(-128) - 65504*127
  // = -2^-17.
  const RealMatrix h = mat(1, 3, {65504, p2(-24), -65504});
  check_activations(h, ActType::kFp16);
  const GroupedWeights w8 = weights(3, 1, 3, {127, -128, 127}, {1});
  EXPECT_EQ(gemm_quant_exact(h, w8).at(0, 0), Dyadic(BigInt(-1), -17));
}

TEST(RefGemmExact, RandomFp16AgainstScaledInt128) {
  // Every FP16 value is a multiple of 2^-24 below 2^16, so with FP16 activations and FP16
  // scales, a * s * (q - z) * 2^48 is an integer below 2^(40 + 40 + 17): the sum over K <= 48
  // fits __int128 exactly, an independent exact reference.
  std::mt19937 rng(3);
  const FloatElement f16 = fp16();
  auto rand_fp16 = [&] {
    for (;;) {
      const double v = f16.decode(rng() & 0xFFFF);
      if (std::isfinite(v)) return v;
    }
  };
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t m = 1 + rng() % 3, k = 1 + rng() % 48, n = 1 + rng() % 3, g = 1 + rng() % 16;
    RealMatrix a(m, k);
    for (double& x : a.v) x = rand_fp16();
    GroupedWeights w = weights(k, n, g, std::vector<double>(k * n), {}, {});
    for (double& q : w.q) q = static_cast<double>(rng() % 65536) - 32768;
    w.scale.resize(w.groups() * n);
    w.zero.resize(w.groups() * n);
    for (double& s : w.scale) s = rand_fp16();
    for (double& z : w.zero) z = static_cast<double>(rng() % 256) - 128;
    const DyadicMatrix c = gemm_quant_exact(a, w);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        __int128 sum = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          const int64_t gi = kk / g * n + j;
          const auto a24 = static_cast<__int128>(std::ldexp(a.at(i, kk), 24));
          const auto s24 = static_cast<__int128>(std::ldexp(w.scale[gi], 24));
          const auto qz = static_cast<__int128>(w.q[kk * n + j] - w.zero[gi]);
          sum += a24 * s24 * qz;
        }
        ASSERT_EQ(c.at(i, j), Dyadic(BigInt::from_i128(sum), -48)) << trial;
      }
  }
}

TEST(RefGemmExact, IntegerCaseEqualsIntegerOracle) {
  IntMatrix ai(4, 9), bi(9, 3);
  RealMatrix a(4, 9);
  std::mt19937 rng(5);
  for (size_t i = 0; i < ai.v.size(); ++i)
    a.v[i] = static_cast<double>(ai.v[i] = static_cast<int64_t>(rng() % 256) - 128);
  std::vector<double> q(27);
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = static_cast<double>(bi.v[i] = static_cast<int64_t>(rng() % 256) - 128);
  const GroupedWeights w = weights(9, 3, 4, q, std::vector<double>(9, 1.0));
  check_activations(a, ActType::kInt8);
  const IntMatrix e = gemm_exact(ai, bi);
  const DyadicMatrix c = gemm_quant_exact(a, w);
  for (size_t i = 0; i < e.v.size(); ++i) EXPECT_EQ(c.v[i], Dyadic::from_int(e.v[i]));
}

TEST(RefGemmExact, WeightsFromCodes) {
  // FP4 E2M1 codes 0b0111 = 6, 0b1001 = -0.5; extended FP4 (special +8 on code 0b1000);
  // groups of one row, N = 1: K = 3 with formats [e2m1, e2m1, e2m1+8], scales [0.5, 2, 1],
  // zero points [0, 1, 0].
  // a = [1, 2, 3]: 1 * 0.5 * 6 + 2 * 2 * (-0.5 - 1) + 3 * 1 * 8 = 3 - 6 + 24 = 21.
  const FloatElement e2m1 = fp4_e2m1();
  const ExtendedFloat ext(fp4_e2m1(), 8.0);
  const GroupedWeights w = GroupedWeights::from_codes(
      {&e2m1, &e2m1, &ext}, 3, 1, {0b0111, 0b1001, 0b1000}, 1, {0.5, 2, 1}, {0, 1, 0});
  EXPECT_EQ(w.q, (std::vector<double>{6, -0.5, 8}));
  EXPECT_EQ(gemm_quant_exact(mat(1, 3, {1, 2, 3}), w).at(0, 0), Dyadic::from_int(21));
  // A NaN code is rejected.
  EXPECT_THROW(GroupedWeights::from_codes(fp16(), 1, 1, {0x7E00}, 1, {1}), std::invalid_argument);
  EXPECT_THROW(check_activations(mat(1, 1, {1 + p2(-12)}), ActType::kFp16), std::invalid_argument);
  EXPECT_THROW(check_activations(mat(1, 1, {128}), ActType::kInt8), std::invalid_argument);
}

TEST(RefGemmExact, WeightsFromQuantizer) {
  // quantize() output decodes to exactly its own dequantised matrix: s' * (q - z).
  RealMatrix wm(64, 3);
  std::mt19937 rng(9);
  std::normal_distribution<double> nd(0.0, 1.0);
  for (double& x : wm.v) x = nd(rng);
  for (const char* name : {"int4_asym", "bitmod_fp4", "fp4_e2m1"}) {
    const QuantScheme scheme = *make_scheme(name);
    QuantConfig cfg;
    cfg.group_size = 16;
    const QuantResult r = quantize(wm, scheme, cfg);
    const GroupedWeights w = GroupedWeights::from_quant(r, scheme);
    for (int64_t k = 0; k < 64; ++k)
      for (int64_t n = 0; n < 3; ++n) {
        const int64_t g = k / 16;
        EXPECT_EQ(w.scale_at(g, n) * (w.q_at(k, n) - w.zero_at(g, n)), r.dequant.at(k, n))
            << name << " " << k << "," << n;
      }
  }
}

// ------------------------------------------------------------------------------------------
// Accumulator variants
// ------------------------------------------------------------------------------------------
HwGemmConfig float_cfg(FloatFormat f, RoundMode r = RoundMode::kNearestEven) {
  HwGemmConfig cfg;
  cfg.acc = AccSpec::floating(f, r);
  cfg.group_acc = AccSpec::floating(f, r);
  return cfg;
}

TEST(RefGemmAcc, Fp16SwampingAndChunking) {
  // a = [2048, 1, 1, 1, 1], q = 1, s = 1: exact 2052.
  // FP16 sequential (spacing 2 in [2048, 4096)): 2048 + 1 = 2049 ties to the even 2048, and
  // again for every 1: result 2048.
  // k_chunk = 2: chunks {2048, 1} -> 2048, {1, 1} -> 2, {1} -> 1; total 2048 + 2 = 2050,
  // 2050 + 1 = 2051 ties to the even 2052: result 2052.
  // Toward zero, sequential: 2048 each time. FP32 holds all sums: 2052.
  const RealMatrix a = mat(1, 5, {2048, 1, 1, 1, 1});
  const GroupedWeights w = weights(5, 1, 5, {1, 1, 1, 1, 1}, {1});
  HwGemmConfig cfg = float_cfg(FloatFormat::fp16());
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 2048.0);
  cfg.k_chunk = 2;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 2052.0);
  EXPECT_EQ(
      gemm_quant_accumulate(a, w, float_cfg(FloatFormat::fp16(), RoundMode::kTowardZero)).at(0, 0),
      2048.0);
  EXPECT_EQ(gemm_quant_accumulate(a, w, float_cfg(FloatFormat::fp32())).at(0, 0), 2052.0);
  EXPECT_EQ(gemm_quant_exact_double(a, w).at(0, 0), 2052.0);
  // The same inside one group (per-group dequantisation, s = 1): the chunks split the group.
  cfg.dequant = Dequant::kPerGroup;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 2052.0);
  cfg.k_chunk = INT64_MAX;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 2048.0);
}

TEST(RefGemmAcc, PerElementVersusPerGroupDequant) {
  // One group of K = 3, FP16 accumulators, a = [2048, 1, 1], q = [1, 1, 1], s = 1.5.
  // Exact: 2050 * 1.5 = 3075.
  // Per element: products 3072, 1.5, 1.5 (all FP16). 3072 + 1.5 = 3073.5 -> 3074 (spacing 2,
  // nearer); 3074 + 1.5 = 3075.5 -> 3076. Result 3076.
  // Per group: partial 2048 + 1 -> 2048 (tie to even), + 1 -> 2048; * 1.5 = 3072 (exact);
  // 0 + 3072 = 3072. Result 3072.
  const RealMatrix a = mat(1, 3, {2048, 1, 1});
  const GroupedWeights w = weights(3, 1, 3, {1, 1, 1}, {1.5});
  HwGemmConfig cfg = float_cfg(FloatFormat::fp16());
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 3076.0);
  cfg.dequant = Dequant::kPerGroup;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 3072.0);
  // An FP32 group accumulator keeps 2050; 2050 * 1.5 = 3075 -> FP16 output: tie between 3074
  // (field 513, odd) and 3076 (field 514, even) -> 3076.
  cfg.group_acc = AccSpec::floating(FloatFormat::fp32());
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 3076.0);
  EXPECT_EQ(gemm_quant_exact_double(a, w).at(0, 0), 3075.0);
}

TEST(RefGemmAcc, PerGroupZeroPointModes) {
  // a = [1, 1], q = [2049, 1] (UINT16 codes), z = 2048, s = 1, FP16 accumulators, per group.
  // In the term: (q - z) = [1, -2047]: 1 - 2047 = -2046 (exact in FP16). Result -2046.
  // Separate sums: a*q products 2049 -> 2048 (tie to even), 1; P = 2048 + 1 -> 2048.
  // S = 1 + 1 = 2; z * S = 4096; partial = 2048 - 4096 = -2048. Result -2048.
  const RealMatrix a = mat(1, 2, {1, 1});
  const GroupedWeights w = weights(2, 1, 2, {2049, 1}, {1}, {2048});
  HwGemmConfig cfg = float_cfg(FloatFormat::fp16());
  cfg.dequant = Dequant::kPerGroup;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), -2046.0);
  cfg.zero_point = ZeroPointMode::kSeparateSum;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), -2048.0);
  // Fused products: 0 + 2049 -> 2048 still (the adder rounds), same result.
  cfg.fused_products = true;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), -2048.0);
  EXPECT_EQ(gemm_quant_exact_double(a, w).at(0, 0), -2046.0);
}

TEST(RefGemmAcc, UnderflowPerElementVersusPerGroup) {
  // s = 2^-24 (FP16 min subnormal), a = [0.5, 0.5], q = 1. Per element each product is 2^-25,
  // a tie between 0 and 2^-24 that goes to the even 0: result 0. Per group: 0.5 + 0.5 = 1,
  // * 2^-24 = 2^-24 (exact). Fused per element: 0 + 2^-25 -> 0 as well.
  const RealMatrix a = mat(1, 2, {0.5, 0.5});
  const GroupedWeights w = weights(2, 1, 2, {1, 1}, {p2(-24)});
  HwGemmConfig cfg = float_cfg(FloatFormat::fp16());
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 0.0);
  cfg.fused_products = true;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 0.0);
  cfg.dequant = Dequant::kPerGroup;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), p2(-24));
}

TEST(RefGemmAcc, WideAccumulatorEqualsExact) {
  // Activations: FP16 m * 2^(e - 10), m in [1024, 2047], e in [-4, 3]: multiples of 2^-14
  // below 2^4. Scales: m * 2^-10 in [1, 2): multiples of 2^-10. q, z in [0, 15]: |q - z| < 16.
  // Every product, partial sum (of <= 16 terms), partial * scale and total is a multiple of
  // 2^-24 below 2^13 (37 significant bits), so a double accumulator never rounds: every
  // configuration must give the exact result.
  std::mt19937 rng(21);
  auto rand_act = [&] {
    const double m = 1024 + rng() % 1024;  // 11-bit significand
    return (rng() & 1 ? -1 : 1) * std::ldexp(m, -10 + static_cast<int>(rng() % 8) - 4);
  };
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t m = 2, k = 1 + rng() % 16, n = 2, g = 1 + rng() % 8;
    RealMatrix a(m, k);
    for (double& x : a.v) x = rand_act();
    check_activations(a, ActType::kFp16);
    GroupedWeights w = weights(k, n, g, std::vector<double>(k * n), {}, {});
    for (double& q : w.q) q = static_cast<double>(rng() % 16);
    w.scale.resize(w.groups() * n);
    w.zero.resize(w.groups() * n);
    for (double& s : w.scale) s = std::ldexp(1024 + rng() % 1024, -10);
    for (double& z : w.zero) z = static_cast<double>(rng() % 16);
    const RealMatrix exact = gemm_quant_exact_double(a, w);
    for (Dequant dq : {Dequant::kPerElement, Dequant::kPerGroup})
      for (int64_t chunk : {int64_t{1}, int64_t{3}, INT64_MAX})
        for (bool fused : {false, true}) {
          HwGemmConfig cfg = float_cfg(FloatFormat::fp64());
          cfg.dequant = dq;
          cfg.k_chunk = chunk;
          cfg.fused_products = fused;
          cfg.fused_scale = fused;
          cfg.zero_point = fused ? ZeroPointMode::kSeparateSum : ZeroPointMode::kInTerm;
          ASSERT_EQ(gemm_quant_accumulate(a, w, cfg), exact) << trial;
        }
  }
}

TEST(RefGemmAcc, Fp32MatchesNativeFloatArithmetic) {
  // Per element, products rounded to FP32 then added in FP32 (RNE) is exactly what C++ float
  // arithmetic does with the exact double product: (float)(a*s*(q-z)) then float adds.
  // Fused: fmaf(a*s, q-z, acc) rounds the exact product plus acc once.
  std::mt19937 rng(4);
  const FloatElement f16 = fp16();
  auto rand_fp16 = [&] {
    for (;;) {
      const double v = f16.decode(rng() & 0xFFFF);
      if (std::isfinite(v) && std::fabs(v) < 4096 && std::fabs(v) > p2(-10)) return v;
    }
  };
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t k = 1 + rng() % 40, g = 1 + rng() % 12;
    RealMatrix a(1, k);
    for (double& x : a.v) x = rand_fp16();
    GroupedWeights w = weights(k, 1, g, std::vector<double>(k), {}, {});
    for (double& q : w.q) q = static_cast<double>(rng() % 16);
    w.scale.resize(w.groups());
    w.zero.resize(w.groups());
    for (double& s : w.scale) s = rand_fp16();
    for (double& z : w.zero) z = static_cast<double>(rng() % 16);
    float seq = 0, fma = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      const double as = a.v[kk] * w.scale[kk / g];  // 22 bits: exact in float
      const double qz = w.q[kk] - w.zero[kk / g];
      seq = seq + static_cast<float>(as * qz);  // as * qz: 26 bits, exact in double
      fma = std::fmaf(static_cast<float>(as), static_cast<float>(qz), fma);
    }
    HwGemmConfig cfg = float_cfg(FloatFormat::fp32());
    EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), static_cast<double>(seq)) << trial;
    cfg.fused_products = true;
    EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), static_cast<double>(fma)) << trial;
  }
}

#ifdef __FLT16_MAX__
TEST(RefGemmAcc, Fp16MatchesNativeHalfArithmetic) {
  // Per group with FP16 group and output accumulators: a * (q - z) rounded to half, summed in
  // half; partial * s rounded to half; added to the half total. Native _Float16 arithmetic
  // is correctly rounded (computed in float, 24 >= 2 * 11 + 2 bits, then narrowed).
  std::mt19937 rng(8);
  const FloatElement f16 = fp16();
  auto rand_fp16 = [&](double lim) {
    for (;;) {
      const double v = f16.decode(rng() & 0xFFFF);
      if (std::isfinite(v) && std::fabs(v) < lim) return v;
    }
  };
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t k = 1 + rng() % 40, g = 1 + rng() % 12;
    RealMatrix a(1, k);
    for (double& x : a.v) x = rand_fp16(8);  // |total| < 480 k < 65504: no overflow
    GroupedWeights w = weights(k, 1, g, std::vector<double>(k), {}, {});
    for (double& q : w.q) q = static_cast<double>(rng() % 16);
    w.scale.resize(w.groups());
    w.zero.resize(w.groups());
    for (double& s : w.scale) s = rand_fp16(4);
    for (double& z : w.zero) z = static_cast<double>(rng() % 16);
    _Float16 total = 0;
    for (int64_t g0 = 0; g0 < k; g0 += g) {
      _Float16 part = 0;
      for (int64_t kk = g0; kk < std::min(k, g0 + g); ++kk) {
        const volatile double prod = a.v[kk] * (w.q[kk] - w.zero[kk / g]);  // exact
        part = part + static_cast<_Float16>(prod);
      }
      const volatile double ps = static_cast<double>(part) * w.scale[g0 / g];  // exact
      total = total + static_cast<_Float16>(ps);
    }
    HwGemmConfig cfg = float_cfg(FloatFormat::fp16());
    cfg.dequant = Dequant::kPerGroup;
    EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), static_cast<double>(total)) << trial;
  }
}
#endif

TEST(RefGemmAcc, IntegerAccumulatorEqualsGemmAccumulate) {
  IntMatrix ai(3, 11), bi(11, 4);
  RealMatrix a(3, 11);
  std::vector<double> q(44);
  std::mt19937 rng(13);
  for (size_t i = 0; i < ai.v.size(); ++i)
    a.v[i] = static_cast<double>(ai.v[i] = static_cast<int64_t>(rng() % 256) - 128);
  for (size_t i = 0; i < q.size(); ++i)
    q[i] = static_cast<double>(bi.v[i] = static_cast<int64_t>(rng() % 256) - 128);
  const GroupedWeights w = weights(11, 4, 11, q, std::vector<double>(4, 1.0));
  for (AccFormat acc : {AccFormat{10, Overflow::kWrap}, AccFormat{12, Overflow::kSaturate},
                        AccFormat{32, Overflow::kWrap}})
    for (int64_t chunk : {1, 2, 7, 100}) {
      HwGemmConfig cfg;
      cfg.acc = AccSpec::integer(acc);
      cfg.k_chunk = chunk;
      EXPECT_EQ(gemm_quant_accumulate_int(a, w, cfg), gemm_accumulate(ai, bi, acc, chunk))
          << acc.bits << " " << chunk;
    }
  // A fractional scale cannot enter an integer accumulator.
  HwGemmConfig cfg;
  cfg.acc = AccSpec::integer(AccFormat{32, Overflow::kWrap});
  const GroupedWeights half = weights(11, 4, 11, q, std::vector<double>(4, 0.5));
  EXPECT_THROW(gemm_quant_accumulate(a, half, cfg), std::invalid_argument);
  EXPECT_THROW(gemm_quant_accumulate_int(a, w, float_cfg(FloatFormat::fp32())),
               std::invalid_argument);
}

TEST(RefGemmAcc, IntegerPartialSumsThenFp32Output) {
  // INT8 x INT4 with zero points, integer group accumulator (int32), FP32 output: per group
  // the partial sum is exact; partial * s is rounded to FP32, then added in FP32. Native:
  // (float)(partial * s) — the product of a < 2^20 integer and an FP16 scale is exact in
  // double — then float additions.
  std::mt19937 rng(17);
  const FloatElement f16 = fp16();
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t k = 1 + rng() % 64, g = 1 + rng() % 16;
    RealMatrix a(1, k);
    for (double& x : a.v) x = static_cast<double>(rng() % 256) - 128;
    GroupedWeights w = weights(k, 1, g, std::vector<double>(k), {}, {});
    for (double& q : w.q) q = static_cast<double>(rng() % 16);
    w.scale.resize(w.groups());
    w.zero.resize(w.groups());
    for (double& s : w.scale) s = f16.decode(rng() % 0x7C00);  // positive finite FP16
    for (double& z : w.zero) z = static_cast<double>(rng() % 16);
    float total = 0;
    for (int64_t g0 = 0; g0 < k; g0 += g) {
      int64_t part = 0;
      for (int64_t kk = g0; kk < std::min(k, g0 + g); ++kk)
        part += static_cast<int64_t>(a.v[kk]) * static_cast<int64_t>(w.q[kk] - w.zero[kk / g]);
      total = total + static_cast<float>(static_cast<double>(part) * w.scale[g0 / g]);
    }
    HwGemmConfig cfg;
    cfg.dequant = Dequant::kPerGroup;
    cfg.group_acc = AccSpec::integer(AccFormat{32, Overflow::kWrap});
    cfg.acc = AccSpec::floating(FloatFormat::fp32());
    EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), static_cast<double>(total)) << trial;
  }
}

TEST(RefGemmAcc, OverflowInfinityNanAndSaturation) {
  // FP16: 65504 + 65504 = 131008 -> inf; inf - 65504 = inf. Saturating: 65504, then
  // 65504 - 65504 = 0.
  const RealMatrix a = mat(1, 3, {65504, 65504, -65504});
  const GroupedWeights w = weights(3, 1, 3, {1, 1, 1}, {1});
  HwGemmConfig cfg = float_cfg(FloatFormat::fp16());
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), INFINITY);
  FloatFormat sat = FloatFormat::fp16();
  sat.overflow = FloatOverflow::kSaturate;
  EXPECT_EQ(gemm_quant_accumulate(a, w, float_cfg(sat)).at(0, 0), 0.0);
  // Products that overflow: 65504 * 2 -> +inf, -65504 * 2 -> -inf; inf + -inf = NaN.
  const RealMatrix b = mat(1, 2, {65504, -65504});
  const GroupedWeights w3 = weights(2, 1, 2, {1, 1}, {2});
  EXPECT_TRUE(std::isnan(gemm_quant_accumulate(b, w3, cfg).at(0, 0)));
  EXPECT_EQ(gemm_quant_exact_double(b, w3).at(0, 0), 0.0);
}

TEST(RefGemmAcc, BitmodAccumulatorPerGroup) {
  // E6M15 group and output accumulators (16 significant bits), per-group dequantisation.
  // a = [65504, 1, 1] (FP16), q = 1, s = 1: the spacing in [2^15, 2^16) is 1, so 65505 and
  // 65506 are exact: result 65506. An FP16 accumulator (spacing 32 there) stays at 65504.
  const RealMatrix a = mat(1, 3, {65504, 1, 1});
  const GroupedWeights w = weights(3, 1, 3, {1, 1, 1}, {1});
  HwGemmConfig cfg = float_cfg(FloatFormat::e6m15());
  cfg.dequant = Dequant::kPerGroup;
  EXPECT_EQ(gemm_quant_accumulate(a, w, cfg).at(0, 0), 65506.0);
  EXPECT_EQ(gemm_quant_accumulate(a, w, float_cfg(FloatFormat::fp16())).at(0, 0), 65504.0);
  // a = [2^16 (BF16), 1, 1] in E6M15 (spacing 2 in [2^16, 2^17)): 65537 ties to the even
  // 65536, twice.
  const RealMatrix b = mat(1, 3, {65536, 1, 1});
  EXPECT_EQ(gemm_quant_accumulate(b, w, cfg).at(0, 0), 65536.0);
}

}  // namespace
}  // namespace tpesim::num
