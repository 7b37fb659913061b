// MixPE arithmetic (docs/mixpe-pe.md, models/numerics/mixpe.hpp): the shift-and-add product
// equals q * a for every code and INT8 activation; the W4A16 MAC equals the FP16 MAC PE's
// fused multiply-add (an independent implementation) on random operands; the dequantisation
// steps round once, with IEEE zero signs; the oracles stay within their documented error of
// the exact GEMM and report a sensible SQNR against FP64.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "models/numerics/fp_mac.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/mixpe.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"

namespace tpesim::num::mixpe {
namespace {

float f32(uint32_t b) { return fp32_from_bits(b); }
uint32_t b32(float f) { return fp32_to_bits(f); }
uint16_t h(double v) { return static_cast<uint16_t>(fp16_bits(std::fabs(v)) | (v < 0 ? 0x8000u : 0u)); }

TEST(MixpeNumerics, ShiftAddEqualsProductForEveryCodeAndInt8) {
  for (int bits : {2, 3, 4, 8})
    for (bool sgn : {true, false}) {
      const int lo = sgn ? -(1 << (bits - 1)) : 0, hi = sgn ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
      for (int q = lo; q <= hi; ++q)
        for (int a = -128; a <= 127; ++a)
          ASSERT_EQ(shift_add_int(q, bits, sgn, a), static_cast<int64_t>(q) * a) << bits << " " << sgn << " " << q << " " << a;
    }
}

TEST(MixpeNumerics, W4A16MacEqualsFp16MacWithExactWeight) {
  std::mt19937_64 rng(4);
  for (int i = 0; i < 200000; ++i) {
    uint16_t a = static_cast<uint16_t>(rng());
    if (((a >> 10) & 0x1F) == 0x1F) a &= 0xBFFF;  // finite
    const int32_t q = static_cast<int32_t>(rng() % 16) - 8;
    uint32_t acc = static_cast<uint32_t>(rng());
    if (((acc >> 23) & 0xFF) == 0xFF) acc &= 0xBFFFFFFFu;
    if (i % 7 == 0) acc = rng() & 1 ? 0x80000000u : 0u;  // signed zeros
    const uint16_t qh = h(q);
    ASSERT_EQ(mac_w4a16(acc, q, a), fp_mac_fp16_fp32(acc, a, qh)) << std::hex << acc << " " << a << " " << q;
  }
}

TEST(MixpeNumerics, DequantisationRoundsOnceWithIeeeZeros) {
  // 0 + 0.5 * (3 - 1 * 1) = 1.
  EXPECT_EQ(f32(dequant_int(0, 3, 1, 1, h(0.5))), 1.0f);
  // 1 + 2^-24 (s = 2^-24, D = 1) is a tie: to even, 1.
  EXPECT_EQ(f32(dequant_int(b32(1.0f), 1, 0, 0, h(std::ldexp(1.0, -24)))), 1.0f);
  // 1 + 3 * 2^-24 is 1 + 1.5 ulp: one rounding gives 1 + 2 ulp.
  EXPECT_EQ(f32(dequant_int(b32(1.0f), 3, 0, 0, h(std::ldexp(1.0, -24)))), 1.0f + std::ldexp(1.0f, -22));
  // A large D: 2^24 + 1 is not an FP32 value; the fused form rounds the exact sum once.
  EXPECT_EQ(f32(dequant_int(b32(0.5f), (1 << 24) + 1, 0, 0, h(1.0))), 16777218.0f);
  // Zeros: -0 + (+s * 0) = +0; -0 + (-s * 0) = -0.
  EXPECT_EQ(dequant_int(0x80000000u, 5, 5, 1, h(1.0)), 0u);
  EXPECT_EQ(dequant_int(0x80000000u, 5, 5, 1, h(-1.0)), 0x80000000u);
  // FP path: D = RNE(P - z A) first, then y + s D.
  EXPECT_EQ(f32(dequant_fp(b32(2.0f), b32(10.0f), b32(3.0f), 2, h(0.25))), 3.0f);
  // Per-element dequantisation: rounds to FP16 and saturates.
  EXPECT_EQ(dequant_weight_fp16(3, 1, h(0.5)), h(1.0));
  EXPECT_EQ(dequant_weight_fp16(7, -8, h(65504.0)), h(65504.0));
  EXPECT_EQ(dequant_weight_fp16(-8, 7, h(65504.0)), h(-65504.0));
  EXPECT_EQ(dequant_weight_fp16(2, 1, h(std::ldexp(1.0, -24))), h(std::ldexp(1.0, -24)));
  EXPECT_EQ(dequant_weight_fp16(1, 1, h(-2.0)), 0x8000);
}

MixpeWeights quantised(int64_t K, int64_t N, int64_t G, const char* scheme, uint64_t seed, RealMatrix* w_out) {
  const QuantScheme s = *make_scheme(scheme);
  *w_out = gaussian_matrix(K, N, seed);
  return mixpe_weights_from_quant(quantize(*w_out, s, QuantConfig{Granularity::kPerGroup, G, ScaleFormat::kFp16}), s);
}

TEST(MixpeNumerics, OraclesAgainstExactGemmAndFp64) {
  const int64_t M = 6, K = 256, N = 10, G = 64;
  for (const char* scheme : {"int4_asym", "int4_sym", "int8_asym"}) {
    RealMatrix wf;
    const MixpeWeights w = quantised(K, N, G, scheme, 9, &wf);
    std::mt19937_64 rng(5);
    std::vector<int32_t> ai(static_cast<size_t>(M * K));
    std::vector<uint16_t> ah(ai.size());
    RealMatrix a_int(M, K), a_h(M, K);
    for (size_t i = 0; i < ai.size(); ++i) {
      ai[i] = static_cast<int32_t>(rng() % 256) - 128;
      a_int.v[i] = ai[i];
      const double x = round_to_fp16(gaussian_matrix(1, 1, rng()).v[0]);
      ah[i] = h(x);
      a_h.v[i] = x;
    }
    const GroupedWeights gw = to_grouped(w);
    for (MixpeVariant v : {MixpeVariant::kW4A8, MixpeVariant::kW4A16, MixpeVariant::kFp16xInt8}) {
      const auto out = gemm_mixpe(v, M, ai, ah, w);
      const RealMatrix& a = v == MixpeVariant::kW4A8 ? a_int : a_h;
      const RealMatrix exact = gemm_quant_exact_double(a, gw);
      double worst = 0;
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          // Magnitude bound: sum |a| |w|.
          double mag = 0;
          for (int64_t k = 0; k < K; ++k) mag += std::fabs(a.at(i, k) * gw.scale_at(k / G, j) * (gw.q_at(k, j) - gw.zero_at(k / G, j)));
          const double err = std::fabs(f32(out[static_cast<size_t>(i * N + j)]) - exact.at(i, j));
          // W4A8: one FP32 rounding per group; W4A16: one per MAC, row add and step; the
          // baseline also rounds every weight to FP16 (2^-11 relative).
          const double bound = v == MixpeVariant::kW4A8 ? (K / G + 1) * std::ldexp(1.0, -24) * mag * 1.01
                               : v == MixpeVariant::kW4A16 ? (3 * K) * std::ldexp(1.0, -24) * mag * 1.01 + 1e-30
                                                           : (std::ldexp(1.0, -11) + K * std::ldexp(1.0, -24)) * mag * 1.01;
          ASSERT_LE(err, bound) << scheme << " " << to_string(v) << " (" << i << "," << j << ")";
          worst = std::max(worst, mag > 0 ? err / mag : 0.0);
        }
      EXPECT_LT(worst, 1e-3) << scheme << " " << to_string(v);
    }
    // Against FP64 with the unquantised weights: 4-bit group quantisation is in the usual range.
    const auto out = gemm_mixpe(MixpeVariant::kW4A16, M, ai, ah, w);
    std::vector<double> y(out.size());
    for (size_t i = 0; i < out.size(); ++i) y[i] = f32(out[i]);
    const double sq = sqnr_db(gemm_f64(a_h, wf).v, y);
    EXPECT_GT(sq, std::string(scheme).find("int8") != std::string::npos ? 35.0 : 14.0) << scheme;
  }
}

TEST(MixpeNumerics, ZeroPointsAtTheirExtremes) {
  // Unsigned 4-bit codes with z = 0 and z = 15 in alternating groups; W4A8 is exact per group.
  MixpeWeights w;
  w.k = 8;
  w.n = 1;
  w.group_size = 4;
  w.bits = 4;
  w.is_signed = false;
  w.q = {15, 0, 7, 15, 0, 15, 3, 0};
  w.scale = {h(0.5), h(2.0)};
  w.zero = {0, 15};
  const std::vector<int32_t> a = {127, -128, 3, -1, 100, -100, 7, -7};
  const auto y = gemm_mixpe(MixpeVariant::kW4A8, 1, a, {}, w);
  // Group 0: 0.5 * (15*127 + 0 + 21 - 15) = 955.5; group 1: 2 * ((0-15)*100 + 0*(-100) + (3-15)*7 + (0-15)*(-7)).
  const double g1 = 2.0 * ((0 - 15) * 100 + (15 - 15) * -100 + (3 - 15) * 7 + (0 - 15) * -7);
  EXPECT_EQ(f32(y[0]), static_cast<float>(955.5 + g1));
  EXPECT_THROW(
      {
        MixpeWeights bad = w;
        bad.zero[0] = 16;
        bad.validate();
      },
      std::invalid_argument);
}

}  // namespace
}  // namespace tpesim::num::mixpe
