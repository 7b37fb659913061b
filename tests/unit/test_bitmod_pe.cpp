// BitMoD PE arithmetic (models/numerics/bitmod_pe.hpp, spec docs/bitmod-pe.md): each stage on
// hand-derived bit patterns, the accumulator rounding against the library's round_to_float,
// every FP4/extended code through a single lane, cycle counts, and the GEMM oracle against the
// exact GEMM (bit-exact where the arithmetic is exact, a derived error bound and SQNR floor on
// Gaussian data, and error falling as the accumulator widens).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "models/numerics/bitmod_pe.hpp"
#include "models/numerics/element_format.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/reference_gemm_fp.hpp"
#include "models/numerics/synthetic.hpp"

namespace tpesim::num::bitmod {
namespace {

double fp16_value(uint16_t code) { return fp16().decode(code); }

Term term(int sign, int exp, int man, int sig) { return Term{sign, exp, man, sig}; }

// ---------------------------------------------------------------------------------------
// Stage tests

TEST(BitmodPe, UnpackFp16Fields) {
  // 0x3C00 = 1.0: e = 15 -> exp 0, man = hidden 1 << 10 = 1024.
  ActOperand a = unpack_fp16(0x3C00);
  EXPECT_FALSE(a.sign);
  EXPECT_EQ(a.exp, 0);
  EXPECT_EQ(a.man, 1024u);
  // 0x0001 = 2^-24 (min subnormal): e = 0 -> exp = 1 - 15 = -14, man = 1 (no hidden bit):
  // 1 * 2^(-14 - 10) = 2^-24.
  a = unpack_fp16(0x0001);
  EXPECT_EQ(a.exp, -14);
  EXPECT_EQ(a.man, 1u);
  // 0xFBFF = -65504: e = 30 -> exp 15, man = 0x7FF = 2047; 2047 * 2^5 = 65504.
  a = unpack_fp16(0xFBFF);
  EXPECT_TRUE(a.sign);
  EXPECT_EQ(a.exp, 15);
  EXPECT_EQ(a.man, 2047u);
  // Zero: man 0 (the lane product is then zero).
  EXPECT_EQ(unpack_fp16(0x8000).man, 0u);
  EXPECT_THROW(unpack_fp16(0x7C00), std::invalid_argument);  // +inf
  EXPECT_THROW(unpack_fp16(0x7E00), std::invalid_argument);  // NaN
}

TEST(BitmodPe, AlignRoundHandPatterns) {
  // value = product * 2^(G - shift), G = 3, rounded to nearest even.
  EXPECT_EQ(align_round(2047, 0, 3), 2047u * 8);  // no shift: 3 zero guard bits appended
  EXPECT_EQ(align_round(2047, 3, 3), 2047u);      // shift = G: exact
  // 2047 = 0b11111111111, net shift 2: kept 0b111111111 (511), dropped 0b11: round 1,
  // sticky 1 -> up: 512.
  EXPECT_EQ(align_round(2047, 5, 3), 512u);
  // 2047 >> 1: kept 1023 (odd), dropped 0b1 = exactly half -> tie, odd -> up: 1024.
  EXPECT_EQ(align_round(2047, 4, 3), 1024u);
  // 1025 >> 1: kept 512 (even), dropped half -> tie stays: 512.
  EXPECT_EQ(align_round(1025, 4, 3), 512u);
  // 1026 >> 2 = 256.5 -> tie, 256 even -> 256; 1030 >> 2 = 257.5 -> 258; 1027 >> 2 = 256.75
  // -> 257 (round bit 1, sticky 1).
  EXPECT_EQ(align_round(1026, 5, 3), 256u);
  EXPECT_EQ(align_round(1030, 5, 3), 258u);
  EXPECT_EQ(align_round(1027, 5, 3), 257u);
  // 1025 >> 3 = 128.125: round bit 0 -> down: 128.
  EXPECT_EQ(align_round(1025, 6, 3), 128u);
  // Shift 14 = 11 + G: 1024 * 2^-11 = 0.5 -> tie to even 0; 1025 * 2^-11 > 0.5 -> 1.
  EXPECT_EQ(align_round(1024, 14, 3), 0u);
  EXPECT_EQ(align_round(1025, 14, 3), 1u);
  EXPECT_EQ(align_round(2047, 15, 3), 0u);  // < 0.5
  EXPECT_EQ(align_round(2047, 60, 3), 0u);
}

TEST(BitmodPe, ExpMatchHand) {
  // Activations 1.0 (exp 0), 2.0 (exp 1), 0.5 (exp -1), 0 ; term exps 3, 0, 0, 2.
  const ActOperand a[4] = {unpack_fp16(0x3C00), unpack_fp16(0x4000), unpack_fp16(0x3800),
                           unpack_fp16(0x0000)};
  const Term t[4] = {term(1, 3, 1, 0), term(-1, 0, 1, 0), term(1, 0, 1, 0), term(1, 2, 1, 0)};
  // Product exponents 3, 1, -1 and (zero activation: excluded) -> max 3, shifts 0, 2, 4.
  ExpMatch m = exp_match(a, t, 4);
  EXPECT_TRUE(m.any);
  EXPECT_EQ(m.max_exp, 3);
  EXPECT_EQ(m.shift[0], 0);
  EXPECT_EQ(m.shift[1], 2);
  EXPECT_EQ(m.shift[2], 4);
  EXPECT_TRUE(m.zero[3]);
  EXPECT_EQ(m.shift[3], 0);
  EXPECT_FALSE(m.neg[0]);
  EXPECT_TRUE(m.neg[1]);  // + activation x - term
  // A bubble (mantissa 0) with a large exponent must not take part in the maximum.
  const Term t2[4] = {term(1, 0, 1, 0), term(1, 3, 0, 0), term(1, 0, 1, 0), term(1, 0, 0, 0)};
  m = exp_match(a, t2, 4);
  // Lane 1 (2.0 x bubble of exp 3: would be 4) is excluded, lane 3 has a zero activation:
  // lanes 0 (0 + 0) and 2 (-1 + 0) -> max 0, shifts 0 and 1.
  EXPECT_EQ(m.max_exp, 0);
  EXPECT_TRUE(m.zero[1]);
  EXPECT_EQ(m.shift[0], 0);
  EXPECT_EQ(m.shift[2], 1);
  // All lanes zero.
  const Term t3[4] = {term(1, 0, 0, 0), term(1, 0, 0, 0), term(1, 0, 0, 0), term(1, 0, 0, 0)};
  EXPECT_FALSE(exp_match(a, t3, 4).any);
}

TEST(BitmodPe, BitserialDotHand) {
  BitmodPeParams p;  // G = 3
  // Activations 1.0, 1.5, -3.0, 0.75; all terms {+, 0, 1, 0} (weight digit +1).
  // Exponents 0, 0, 1, -1 -> max 1; mantissas 1024, 1536, 1536, 1536; shifts 1, 1, 0, 2.
  // Aligned = man * 2^(3 - shift): 4096, 6144, 12288, 3072; signs +, +, -, +:
  // sum = 4096 + 6144 - 12288 + 3072 = 1024; scale_exp = 1 + 0 - 10 - 3 = -12:
  // 1024 * 2^-12 = 0.25 = 1 + 1.5 - 3 + 0.75 (exact).
  const ActOperand a[4] = {unpack_fp16(0x3C00), unpack_fp16(0x3E00), unpack_fp16(0xC200),
                           unpack_fp16(0x3A00)};
  const Term t[4] = {term(1, 0, 1, 0), term(1, 0, 1, 0), term(1, 0, 1, 0), term(1, 0, 1, 0)};
  TreeOut o = bitserial_dot(a, t, p);
  EXPECT_EQ(o.sum, 1024);
  EXPECT_EQ(o.scale_exp, -12);
  // Rounding: lane 0 = 8.0 (exp 3), lane 1 = 1 + 2^-10 (0x3C01, man 1025) -> shift 3 = G:
  // aligned 1025 exactly; lane 2 = (1 + 2^-10) * 2^-1 (0x3801) -> shift 4: 1025 / 2 = 512.5,
  // tie -> 512 (even); lane 3 = -(1 + 3 * 2^-10) * 2^-2 (0xB403, man 1027) -> shift 5:
  // 1027 / 4 = 256.75 -> 257, negative. Lane 0: 1024 << 3 = 8192.
  // sum = 8192 + 1025 + 512 - 257 = 9472; scale_exp = 3 - 13 = -10.
  const ActOperand b[4] = {unpack_fp16(0x4800), unpack_fp16(0x3C01), unpack_fp16(0x3801),
                           unpack_fp16(0xB403)};
  o = bitserial_dot(b, t, p);
  EXPECT_EQ(o.sum, 9472);
  EXPECT_EQ(o.scale_exp, -10);
  // Term exponent and significance: a = 1.0 x term {-, 1, 1, -1} (FP4 mantissa bit of -2^1 *
  // 0.1b): product exp 0 + 1 = 1, value -1024 << 3 at scale 1 - 1 - 13 = -13: -8192 * 2^-13.
  const ActOperand c[1] = {unpack_fp16(0x3C00)};
  const Term tc[1] = {term(-1, 1, 1, -1)};
  BitmodPeParams p1;
  p1.lanes = 1;
  o = bitserial_dot(c, tc, p1);
  EXPECT_EQ(o.sum, -8192);
  EXPECT_EQ(o.scale_exp, -13);
}

TEST(BitmodPe, AccAddHandPatterns) {
  BitmodPeParams p;  // P = 14, bias 31, 6-bit exponent
  bool ovf = false;
  // 8191 = 0b1111111111111 (13 bits) at 2^0: normalised man = 8191 << 1 = 16382, leading bit
  // exponent 12 -> field 12 + 31 = 43.
  AccReg acc = acc_add(AccReg{}, TreeOut{8191, 0}, p, &ovf);
  EXPECT_FALSE(ovf);
  EXPECT_EQ(acc, (AccReg{false, 43, 16382}));
  EXPECT_EQ(acc_value(acc, p), 8191.0);
  // + 0.25: 8191.25 lies halfway between 8191.0 (man 16382, even) and 8191.5 (16383, odd):
  // tie -> even -> unchanged.
  EXPECT_EQ(acc_add(acc, TreeOut{1, -2}, p), acc);
  // + 0.75: 8191.75 -> nearer 8192 = 2^13: man carries out to 2^14 -> 8192 (man 8192,
  // field 44).
  EXPECT_EQ(acc_add(acc, TreeOut{3, -2}, p), (AccReg{false, 44, 8192}));
  // Cancellation is exact: 8191 - 8191 = +0.
  EXPECT_EQ(acc_add(acc, TreeOut{-8191, 0}, p), AccReg{});
  // 8191 - 8191.5 = -0.5 (exact, normalises left): man 8192, leading exp -1 -> field 30.
  EXPECT_EQ(acc_add(acc, TreeOut{-16383, -1}, p), (AccReg{true, 30, 8192}));
  // Saturation: largest value = 16383 * 2^(63 - 31 - 13) = (2^14 - 1) 2^19; + 2^19 = 2^33
  // exceeds it -> saturate, flag.
  const AccReg max{false, 63, 16383};
  EXPECT_EQ(acc_add(max, TreeOut{1, 19}, p, &ovf), max);
  EXPECT_TRUE(ovf);
  // Just below: + 2^17 (a quarter ulp) rounds back to max without overflow.
  EXPECT_EQ(acc_add(max, TreeOut{1, 17}, p, &ovf), max);
  EXPECT_FALSE(ovf);
  // Gradual underflow: quantum of field 0 is 2^(1 - 31 - 13) = 2^-43. 3 * 2^-45 = 0.75 q ->
  // 1 q (field 0, man 1); 2^-44 = 0.5 q -> tie -> 0 (even); 2^-50 -> 0.
  EXPECT_EQ(acc_add(AccReg{}, TreeOut{3, -45}, p), (AccReg{false, 0, 1}));
  EXPECT_EQ(acc_add(AccReg{}, TreeOut{1, -44}, p), AccReg{});
  EXPECT_EQ(acc_add(AccReg{}, TreeOut{-1, -50}, p), AccReg{});
  // Subnormal + subnormal crossing into the normal range: (2^13 - 1) q + 1 q = 2^13 q:
  // man 8192 at field 1.
  EXPECT_EQ(acc_add(AccReg{false, 0, 8191}, TreeOut{1, -43}, p), (AccReg{false, 1, 8192}));
  // A tiny addend far below the accumulator only steers rounding (sticky): 1.0 - 2^-60 rounds
  // to 1.0 (man 8192, field 31).
  const AccReg one{false, 31, 8192};
  EXPECT_EQ(acc_add(one, TreeOut{-1, -60}, p), one);
}

TEST(BitmodPe, AccAddEqualsRoundToFloatOnRandomOperands) {
  // Every accumulator addition is the exact sum rounded once: compare with the library's
  // round_to_float into the same format (acc_float_format()) for several widths.
  std::mt19937_64 rng(7);
  for (int man_bits : {15, 9, 24}) {
    BitmodPeParams p;
    p.acc_man_bits = man_bits;
    const int P = p.acc_precision();
    const FloatFormat f = p.acc_float_format();
    for (int i = 0; i < 20000; ++i) {
      AccReg acc;
      if (rng() % 8 != 0) {
        acc.sign = rng() & 1;
        acc.exp_field = static_cast<int>(rng() % 64);
        acc.man = rng() & ((1ull << P) - 1);
        if (acc.exp_field > 0) acc.man |= 1ull << (P - 1);
      }
      TreeOut x;
      x.sum = static_cast<int64_t>(rng() % (1u << 17)) - (1 << 16);
      x.scale_exp = static_cast<int>(rng() % 90) - 60;
      bool ovf = false;
      const AccReg r = acc_add(acc, x, p, &ovf);
      const Dyadic exact =
          Dyadic::from_double(acc_value(acc, p)) + Dyadic(BigInt(x.sum), x.scale_exp);
      const double want = round_to_float(exact, f, RoundMode::kNearestEven);
      ASSERT_EQ(acc_value(r, p), want) << "P=" << P << " i=" << i;
      // Overflow: the value rounded with an unbounded exponent exceeds the largest finite one.
      const double unbounded =
          round_to_float(exact, FloatFormat(11, P - 1, 1023), RoundMode::kNearestEven);
      ASSERT_EQ(ovf, std::fabs(unbounded) > f.max_finite()) << i;
      // Register invariants.
      ASSERT_LT(r.man, 1ull << P);
      ASSERT_EQ(r.exp_field >= 1, r.man >= (1ull << (P - 1)));
    }
  }
}

TEST(BitmodPe, DequantSerialHand) {
  BitmodPeParams p;
  // acc = 8193 (0b10000000000001) at field 40: lsb exp = 40 - 31 - 13 = -4.
  const AccReg acc{true, 40, 8193};
  // q = 181 = 0b10110101, MSB first: R = 8193*1, *2 = 16386, *2+8193 = 40965, *2+8193 = 90123,
  // *2 = 180246, *2+8193 = 368685, *2 = 737370, *2+8193 = 1482933 = 8193 * 181.
  DequantOut d = dequant_serial(acc, 181, p);
  EXPECT_EQ(d.man, 1482933u);
  EXPECT_EQ(d.exp, -4);
  EXPECT_TRUE(d.sign);
  EXPECT_EQ(dequant_serial(acc, 255, p).man, 8193u * 255);  // P + 8 = 22 bits, no rounding
  d = dequant_serial(acc, 0, p);
  EXPECT_EQ(d.man, 0u);
  EXPECT_FALSE(d.sign);
  EXPECT_THROW(dequant_serial(acc, 256, p), std::invalid_argument);
  // Column accumulator: FP32 round to nearest even of the exact sum; 1 + 2^-24 is a tie
  // between 1 and 1 + 2^-23 -> 1; 1 + 3 * 2^-25 -> 1 + 2^-23.
  EXPECT_EQ(column_add(1.0, DequantOut{false, -24, 1}, p), 1.0);
  EXPECT_EQ(column_add(1.0, DequantOut{false, -25, 3}, p), 1.0 + std::ldexp(1.0, -23));
  // Channel scale: (1 + 2^-23) * (1 + 2^-10) = 1 + 2^-10 + 2^-23 + 2^-33 -> FP32: the 2^-33
  // part is below half an ulp (2^-24) -> 1 + 2^-10 + 2^-23.
  EXPECT_EQ(apply_channel_scale(1.0 + std::ldexp(1.0, -23), 1.0 + std::ldexp(1.0, -10), p),
            1.0 + std::ldexp(1.0, -10) + std::ldexp(1.0, -23));
}

// ---------------------------------------------------------------------------------------
// Single lane, single weight

/// A set of FP16 activations: zeros, subnormals (min, max), min normal, one, negatives, max
/// normal, and random finite codes.
std::vector<uint16_t> activation_set() {
  std::vector<uint16_t> v = {0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xBC00,
                             0x3555, 0x7BFF, 0xFBFF, 0x3C01, 0xC7FF, 0x0200, 0x8155};
  std::mt19937_64 rng(3);
  while (v.size() < 200) {
    const uint16_t c = static_cast<uint16_t>(rng());
    if (((c >> 10) & 0x1F) != 0x1F) v.push_back(c);
  }
  return v;
}

TEST(BitmodPe, SingleLaneEveryFp4CodeIsExact) {
  // One weight in a group of one: every lane but lane 0 is a zero (missing) lane, so lane 0 is
  // never shifted; each term product has at most 11 + 3 bits (5 = 0b101), the two-term sum at
  // most 14 = P bits, so the partial sum equals the exact product a * w. With q = 1 and S = 1 the
  // FP32 output is then a * w too (at most 14 significant bits).
  BitmodPeParams p;
  std::vector<std::shared_ptr<const ElementFormat>> fmts;
  fmts.push_back(std::make_shared<FloatElement>(fp4_e2m1()));
  for (double s : bitmod_fp4_specials().values)
    fmts.push_back(std::make_shared<ExtendedFloat>(fp4_e2m1(), s));
  fmts.push_back(std::make_shared<FloatElement>(fp3()));
  for (double s : bitmod_fp3_specials().values)
    fmts.push_back(std::make_shared<ExtendedFloat>(fp3(), s));
  const std::vector<uint16_t> acts = activation_set();
  int checked = 0;
  for (const auto& f : fmts) {
    for (uint32_t code = 0; code < (1u << f->bits()); ++code) {
      const double w = f->decode(code);
      for (uint16_t ac : acts) {
        const double a = fp16_value(ac);
        const AccReg part = group_partial_sum({unpack_fp16(ac)}, {code}, *f, p);
        ASSERT_EQ(acc_value(part, p), a * w) << f->name() << " code " << code << " act " << ac;
        BitmodWeights bw;
        bw.k = 1;
        bw.n = 1;
        bw.group_size = 1;
        bw.codes = {code};
        bw.formats = {f};
        bw.scale_q = {1};
        bw.channel_scale = {1.0};
        const RealMatrix y = gemm_bitmod(std::vector<uint16_t>{ac}, 1, bw, p);
        ASSERT_EQ(y.at(0, 0), a * w);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, (16 * 5 + 8 * 5) * 200);
}

TEST(BitmodPe, SingleLaneEveryInt8CodeRoundsPerTerm) {
  // INT8 in one lane: 4 Booth terms; each term product is exact (11 bits), every accumulator
  // addition rounds the exact sum once to P bits. Expected value built independently with
  // round_to_float after each term.
  BitmodPeParams p;
  const FloatFormat f = p.acc_float_format();
  const IntElement int8(8, IntKind::kTwosComplement);
  for (uint32_t code = 0; code < 256; ++code) {
    const std::vector<Term> terms = bitserial_terms(int8, code);
    for (uint16_t ac : activation_set()) {
      const Dyadic a = Dyadic::from_double(fp16_value(ac));
      double want = 0;
      for (const Term& t : terms) {
        const Dyadic x = a * Dyadic::from_double(t.value());
        want = round_to_float(Dyadic::from_double(want) + x, f, RoundMode::kNearestEven);
      }
      const AccReg part = group_partial_sum({unpack_fp16(ac)}, {code}, int8, p);
      ASSERT_EQ(acc_value(part, p), want) << "code " << code << " act " << ac;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Cycles

TEST(BitmodPe, CyclesPerWeightAndGroup) {
  BitmodPeParams p;
  EXPECT_EQ(cycles_per_weight(IntElement(8, IntKind::kTwosComplement)), 4);  // radix-4 Booth
  EXPECT_EQ(cycles_per_weight(IntElement(6, IntKind::kTwosComplement)), 3);
  EXPECT_EQ(cycles_per_weight(IntElement(4, IntKind::kSymmetric)), 2);
  EXPECT_EQ(cycles_per_weight(fp4_e2m1()), 2);
  EXPECT_EQ(cycles_per_weight(ExtendedFloat(fp4_e2m1(), 8)), 2);
  EXPECT_EQ(cycles_per_weight(ExtendedFloat(fp3(), -6)), 2);  // BitMoD FP3: padded to 2
  EXPECT_EQ(cycles_per_weight(fp3()), 1);                     // plain FP3: leading bit only
  // Group of 128 on 4 lanes: 32 quads x terms.
  EXPECT_EQ(group_term_cycles(fp4_e2m1(), 128, p), 64);
  EXPECT_EQ(group_term_cycles(IntElement(8, IntKind::kTwosComplement), 128, p), 128);
  EXPECT_EQ(group_term_cycles(fp4_e2m1(), 6, p), 4);  // 2 quads (the second half empty) x 2
  // K = 4096 in 32 groups of FP4: dequantisation (8 cycles) overlaps the next group's 64
  // term cycles, so only the last one shows: 32 * 64 + 8 + 1 (column add) = 2057.
  EXPECT_EQ(pe_output_cycles(std::vector<int64_t>(32, 64), p), 2057);
  // Groups of 8 FP4 weights: 2 quads x 2 terms = 4 term cycles < 8: the accumulator waits for
  // the dequantiser. g0 terms 0..4, deq 4..12; g1 terms 4..8, deq max(8, 12) = 12..20;
  // g2 terms 12..16, deq 20..28; + 1 = 29.
  EXPECT_EQ(pe_output_cycles({4, 4, 4}, p), 29);
  // Mixed: 16 then 8 term cycles: deq 16..24, g1 terms 16..24, deq 24..32; + 1 = 33.
  EXPECT_EQ(pe_output_cycles({16, 8}, p), 33);
}

// ---------------------------------------------------------------------------------------
// Oracle GEMM

/// Gaussian activations rounded to FP16; magnitudes below the smallest normal (2^-14) become 0
/// (so the largest lane of every cycle is normal, which the error bound assumes).
RealMatrix fp16_gaussian(int64_t m, int64_t k, uint64_t seed) {
  RealMatrix a = gaussian_matrix(m, k, seed);
  for (double& x : a.v) {
    x = round_to_fp16(x);
    if (std::fabs(x) < std::ldexp(1.0, -14)) x = 0.0;
  }
  return a;
}

TEST(BitmodPe, OracleIsExactWhenNothingRounds) {
  // Small-integer activations (|a| <= 8: mantissas with >= 7 trailing zeros, so alignment
  // shifts up to 7 + G drop no bits) x INT8 weights, groups of 8 (|partial| <= 8 * 8 * 128 =
  // 2^13 < 2^14 = P bits: the accumulator never rounds), q <= 255 and S = 2^-3 (exact products):
  // the oracle equals the exact GEMM.
  const int64_t M = 5, K = 64, N = 6;
  std::mt19937_64 rng(11);
  RealMatrix a(M, K);
  for (double& x : a.v) x = static_cast<double>(static_cast<int>(rng() % 17) - 8);
  auto int8 = std::make_shared<IntElement>(8, IntKind::kTwosComplement);
  BitmodWeights w;
  w.k = K;
  w.n = N;
  w.group_size = 8;
  w.codes.resize(K * N);
  for (auto& c : w.codes) c = static_cast<uint32_t>(rng() % 256);
  w.formats.assign(static_cast<size_t>(w.groups() * N), int8);
  w.scale_q.resize(static_cast<size_t>(w.groups() * N));
  for (auto& q : w.scale_q) q = static_cast<uint32_t>(rng() % 256);
  w.channel_scale.assign(N, 0.125);
  const RealMatrix y = gemm_bitmod(a, w);
  const RealMatrix exact = gemm_quant_exact_double(a, w.to_grouped());
  EXPECT_EQ(y, exact);
}

/// Per-output error bound of docs/bitmod-pe.md ("Error bound"): with L1_g = sum_k |a_k| *
/// sum_t |term_t| over group g and n_g its term cycles,
///   |y - exact| <= S sum_g q_g L1_g (3 * 2^-(11+G) + n_g 2^-P * 1.02)
///                  + S sum_g q_g L1_g 2^-24 (groups + 1) * 1.02      (FP32 output)
double error_bound(const RealMatrix& a, const BitmodWeights& w, const BitmodPeParams& p, int64_t m,
                   int64_t n) {
  const double u_align = 3 * std::ldexp(1.0, -(11 + p.guard_bits));
  const double u_acc = std::ldexp(1.0, -p.acc_precision()) * 1.02;
  const double u_out = std::ldexp(1.0, -(p.out_format.man_bits + 1));
  double b = 0, l1_total = 0;
  for (int64_t g = 0; g < w.groups(); ++g) {
    const auto& f = *w.formats[static_cast<size_t>(g * w.n + n)];
    double l1 = 0;
    int64_t len = 0;
    for (int64_t k = g * w.group_size; k < std::min(w.k, (g + 1) * w.group_size); ++k, ++len) {
      double tsum = 0;
      for (const Term& t : bitserial_terms(f, w.codes[static_cast<size_t>(k * w.n + n)]))
        tsum += std::fabs(t.value());
      l1 += std::fabs(a.at(m, k)) * tsum;
    }
    const double q = w.scale_q[static_cast<size_t>(g * w.n + n)];
    const double n_g = static_cast<double>(group_term_cycles(f, len, p));
    b += q * l1 * (u_align + n_g * u_acc);
    l1_total += q * l1;
  }
  b += l1_total * u_out * static_cast<double>(w.groups() + 1) * 1.02;
  return b * w.channel_scale[static_cast<size_t>(n)];
}

struct OracleRun {
  double sqnr_db;
  double worst_bound_ratio;  // max over outputs of |error| / bound
};

OracleRun run_oracle(const std::string& scheme_name, const BitmodPeParams& p, uint64_t seed,
                     int64_t M = 8, int64_t K = 512, int64_t N = 16) {
  const QuantScheme s = *make_scheme(scheme_name);
  const RealMatrix wr = gaussian_matrix(K, N, seed);
  const QuantResult r =
      quantize(wr, s, QuantConfig{Granularity::kPerGroup, 128, ScaleFormat::kInt8});
  const BitmodWeights w = bitmod_weights_from_quant(r, s);
  const RealMatrix a = fp16_gaussian(M, K, seed + 100);
  const RealMatrix y = gemm_bitmod(a, w, p);
  const RealMatrix exact = gemm_quant_exact_double(a, w.to_grouped());
  OracleRun out{sqnr_db(exact.v, y.v), 0};
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      const double err = std::fabs(y.at(m, n) - exact.at(m, n));
      out.worst_bound_ratio = std::max(out.worst_bound_ratio, err / error_bound(a, w, p, m, n));
    }
  return out;
}

TEST(BitmodPe, OracleMatchesQuantisedWeightsOfQuantize) {
  // to_grouped() of the converted weights reproduces quantize()'s dequantised weights.
  const QuantScheme s = *make_scheme("bitmod_fp4");
  const RealMatrix wr = gaussian_matrix(256, 8, 5);
  const QuantResult r =
      quantize(wr, s, QuantConfig{Granularity::kPerGroup, 128, ScaleFormat::kInt8});
  const GroupedWeights g = bitmod_weights_from_quant(r, s).to_grouped();
  for (int64_t k = 0; k < 256; ++k)
    for (int64_t n = 0; n < 8; ++n)
      ASSERT_EQ(g.q_at(k, n) * g.scale_at(k / 128, n), r.dequant.at(k, n));
}

/// The SQNR predicted by the statistical model of docs/bitmod-pe.md ("Error bound"): the
/// accumulator's rounding dominates, each of the n additions of a group adds an error of
/// variance ~0.18 * 2^-2P |s|^2 on a running sum whose mean square grows linearly, so
/// SQNR ~ 6.02 P + 10.5 - 10 log10(n) dB.
double predicted_sqnr_db(const BitmodPeParams& p, int64_t n_adds) {
  return 6.02 * p.acc_precision() + 10.5 - 10 * std::log10(static_cast<double>(n_adds));
}

TEST(BitmodPe, OracleErrorBoundAndSqnrFloorDefaultWidths) {
  // Default widths (G = 3, P = 14, FP32 output) on Gaussian data, K = 512 in 4 groups of 128.
  // Every output must satisfy the worst-case bound (ratio <= 1), and the SQNR against the
  // exact GEMM of the same quantised weights must be within 6 dB of the predicted value
  // (FP4/FP3/INT4: n = 64 additions per group -> 76.7 dB; INT8: n = 128 -> 73.7 dB).
  BitmodPeParams p;
  for (const char* scheme : {"bitmod_fp4", "bitmod_fp3", "fp4_e2m1", "int8_sym", "int4_sym"}) {
    const OracleRun r = run_oracle(scheme, p, 21);
    SCOPED_TRACE(scheme);
    const int64_t n_adds =
        group_term_cycles(*make_scheme(scheme)->candidates[0], 128, p);  // terms * 32
    const double floor_db = predicted_sqnr_db(p, n_adds) - 6.0;
    std::printf(
        "  %-11s SQNR vs exact %.2f dB (predicted %.2f, floor %.2f), "
        "worst |err|/bound %.4f\n",
        scheme, r.sqnr_db, predicted_sqnr_db(p, n_adds), floor_db, r.worst_bound_ratio);
    EXPECT_LE(r.worst_bound_ratio, 1.0);
    EXPECT_GT(r.sqnr_db, floor_db);
    EXPECT_GT(r.sqnr_db, 60.0);
  }
}

TEST(BitmodPe, WiderAccumulatorReducesError) {
  // With G = 12 guard bits the alignment error (~2^-23 relative) is far below the accumulator's;
  // each 4 extra accumulator bits should buy about 24 dB (6.02 dB per bit); assert >= 15 dB per
  // step, the predicted floor at each width, and the worst-case bound.
  double prev = -1e9;
  for (int man_bits : {9, 13, 17, 21}) {
    BitmodPeParams p;
    p.guard_bits = 12;
    p.acc_man_bits = man_bits;
    const OracleRun r = run_oracle("bitmod_fp4", p, 33);
    std::printf("  acc_man_bits %d: SQNR %.2f dB (predicted %.2f), worst |err|/bound %.4f\n",
                man_bits, r.sqnr_db, predicted_sqnr_db(p, 64), r.worst_bound_ratio);
    EXPECT_LE(r.worst_bound_ratio, 1.0);
    EXPECT_GT(r.sqnr_db, predicted_sqnr_db(p, 64) - 6.0) << "acc_man_bits " << man_bits;
    EXPECT_GT(r.sqnr_db, prev + 15.0) << "acc_man_bits " << man_bits;
    prev = r.sqnr_db;
  }
}

TEST(BitmodPe, FewerGuardBitsIncreaseError) {
  // G = 0 (aligned products rounded at the activation mantissa's LSB) against G = 3, with a
  // wide accumulator (P = 30) so that the alignment error dominates: 3 guard bits should buy
  // ~18 dB (6 dB per bit); measured 71.7 -> 98.1 dB (more: with G = 3 most shifts are exact).
  BitmodPeParams p;
  p.acc_man_bits = 31;
  p.guard_bits = 0;
  const double s0 = run_oracle("int8_sym", p, 44).sqnr_db;
  p.guard_bits = 3;
  const double s3 = run_oracle("int8_sym", p, 44).sqnr_db;
  std::printf("  G=0: %.2f dB, G=3: %.2f dB\n", s0, s3);
  EXPECT_GT(s3, s0 + 12.0);
}

TEST(BitmodPe, CodesAndDoublesAgreeAndInputsAreChecked) {
  const QuantScheme s = *make_scheme("bitmod_fp3");
  const QuantResult r = quantize(gaussian_matrix(64, 4, 9), s,
                                 QuantConfig{Granularity::kPerGroup, 32, ScaleFormat::kInt8});
  const BitmodWeights w = bitmod_weights_from_quant(r, s);
  const RealMatrix a = fp16_gaussian(3, 64, 10);
  std::vector<uint16_t> codes;
  for (double x : a.v) codes.push_back(static_cast<uint16_t>(fp16_bits(x)));
  EXPECT_EQ(gemm_bitmod(a, w), gemm_bitmod(codes, 3, w));
  RealMatrix bad = a;
  bad.at(0, 0) = 1.0 / 3.0;  // not an FP16 value
  EXPECT_THROW(gemm_bitmod(bad, w), std::invalid_argument);
  codes[0] = 0x7C00;  // infinity
  EXPECT_THROW(gemm_bitmod(codes, 3, w), std::invalid_argument);
  BitmodPeParams p;
  p.acc_man_bits = 50;
  EXPECT_THROW(p.validate(), std::invalid_argument);
  const QuantResult r16 = quantize(gaussian_matrix(64, 4, 9), s,
                                   QuantConfig{Granularity::kPerGroup, 32, ScaleFormat::kFp16});
  EXPECT_THROW(bitmod_weights_from_quant(r16, s), std::invalid_argument);
}

}  // namespace
}  // namespace tpesim::num::bitmod
