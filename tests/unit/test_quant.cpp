// Group quantisation (models/numerics/quant.hpp) and error metrics (metrics.hpp): property
// tests on random tensors, scale formats, BitMoD's per-group selection, metadata bits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "models/numerics/element_format.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/reference_gemm_fp.hpp"
#include "models/numerics/synthetic.hpp"

namespace tpesim::num {
namespace {

std::shared_ptr<const ElementFormat> fmt_ptr(const std::string& name) {
  return std::shared_ptr<const ElementFormat>(make_format(name));
}

QuantScheme scheme(const std::string& name) {
  auto s = make_scheme(name);
  EXPECT_TRUE(s.has_value()) << name;
  return *s;
}

QuantConfig group_cfg(int64_t g, ScaleFormat f) {
  QuantConfig c;
  c.granularity = Granularity::kPerGroup;
  c.group_size = g;
  c.scale = f;
  return c;
}

/// A random K x N matrix of a mixture of shapes (so groups vary: skewed, heavy-tailed,
/// one-signed, with a single outlier, all-zero).
RealMatrix random_weights(int64_t K, int64_t N, uint64_t seed) {
  Rng rng(seed);
  RealMatrix m(K, N);
  for (int64_t n = 0; n < N; ++n) {
    const int kind = static_cast<int>(rng.below(6));
    const double scale = std::ldexp(1.0, static_cast<int>(rng.below(20)) - 10);
    for (int64_t k = 0; k < K; ++k) {
      double x = 0;
      switch (kind) {
        case 0:
          x = rng.gaussian();
          break;
        case 1:
          x = rng.laplace();
          break;
        case 2:
          x = std::fabs(rng.gaussian()) + 0.5;
          break;  // positive only
        case 3:
          x = -std::fabs(rng.laplace());
          break;  // negative only
        case 4:
          x = rng.gaussian() + (rng.below(40) == 0 ? 30 : 0);
          break;  // outliers
        case 5:
          x = rng.below(4) == 0 ? 0.0 : rng.uniform() - 0.3;
          break;
      }
      m.at(k, n) = x * scale;
    }
  }
  // One all-zero group.
  for (int64_t k = 0; k < std::min<int64_t>(K, 32); ++k) m.at(k, 0) = 0;
  return m;
}

/// Squared error of each group (index as QuantResult::group_of).
std::vector<double> group_errors(const RealMatrix& w, const QuantResult& r) {
  std::vector<double> e(static_cast<size_t>(r.num_groups()), 0.0);
  for (int64_t k = 0; k < w.rows; ++k)
    for (int64_t n = 0; n < w.cols; ++n) {
      const double d = w.at(k, n) - r.dequant.at(k, n);
      e[static_cast<size_t>(r.group_of(k, n))] += d * d;
    }
  return e;
}

// ---- FP16 scale rounding ----

TEST(Fp16Rounding, BitsRoundTripEveryFiniteCode) {
  const FloatElement h = fp16();
  for (uint32_t c = 0; c < 0x10000; ++c) {
    if (c == 0x8000) continue;  // -0 decodes to +0
    const double v = h.decode(c);
    if (!std::isfinite(v)) continue;
    EXPECT_EQ(fp16_bits(v), c) << c;
    EXPECT_EQ(round_to_fp16(v), v);
    EXPECT_EQ(round_up_fp16(std::fabs(v)), std::fabs(v));
  }
}

TEST(Fp16Rounding, NearestAndUpOnRandomValues) {
  const std::vector<double> g = fp16().grid();
  Rng rng(7);
  for (int i = 0; i < 20000; ++i) {
    const double x = std::ldexp(rng.uniform() + 0.5, static_cast<int>(rng.below(44)) - 27);
    if (x > 65504) continue;
    const auto up = std::lower_bound(g.begin(), g.end(), x);  // first >= x
    ASSERT_NE(up, g.end());
    const double hi = *up, lo = *(up - 1);
    const double r = round_to_fp16(x);
    EXPECT_TRUE(r == lo || r == hi) << x;
    EXPECT_LE(std::fabs(r - x), std::fabs((r == lo ? hi : lo) - x)) << x;
    EXPECT_EQ(round_up_fp16(x), hi) << x;
  }
  EXPECT_EQ(round_to_fp16(1.0 + 0x1.0p-11), 1.0);  // tie -> even mantissa
  EXPECT_EQ(round_to_fp16(1.0 + 3 * 0x1.0p-11), 1.0 + 0x1.0p-9);
  EXPECT_TRUE(std::isinf(round_to_fp16(65520.0)));
  EXPECT_EQ(round_to_fp16(65519.0), 65504.0);
  EXPECT_EQ(round_up_fp16(1e-12), 0x1.0p-24);
}

// ---- round to nearest: each element within half a grid step ----

/// Checks |w - deq| <= half the step of the grid interval holding w / s, and that the stored
/// code is what ElementFormat::encode gives.
void expect_half_step(const RealMatrix& w, const QuantScheme& s, const QuantResult& r) {
  const ElementFormat& f = *s.candidates[0];
  const std::vector<double> g = f.grid();
  for (int64_t k = 0; k < w.rows; ++k)
    for (int64_t n = 0; n < w.cols; ++n) {
      const size_t gi = static_cast<size_t>(r.group_of(k, n));
      const double sc = r.scales[gi];
      const double x = w.at(k, n), dq = r.dequant.at(k, n);
      const uint32_t code = r.codes[static_cast<size_t>(k * w.cols + n)];
      if (sc == 0) {
        EXPECT_EQ(x, 0.0);
        EXPECT_EQ(dq, 0.0);
        continue;
      }
      if (s.asymmetric) {
        const int zp = r.zero_points[gi];
        EXPECT_EQ(dq, (static_cast<double>(code) - zp) * sc);
        EXPECT_LE(std::fabs(x - dq), sc / 2 * (1 + 1e-12)) << k << "," << n;
        const IntElement az(f.bits(), IntKind::kAsymmetric, zp);
        EXPECT_EQ(code, az.encode(x / sc)) << k << "," << n;
        continue;
      }
      EXPECT_EQ(dq, f.decode(code) * sc);
      EXPECT_EQ(code, f.encode(x / sc));
      const double y = x / sc;
      // The grid interval [lo, hi] holding y (clamped to the grid's ends).
      auto it = std::upper_bound(g.begin(), g.end(), y);
      double lo, hi;
      if (it == g.begin()) {
        lo = g[0];
        hi = g[1];
      } else if (it == g.end()) {
        lo = g[g.size() - 2];
        hi = g.back();
      } else {
        lo = *(it - 1);
        hi = *it;
      }
      EXPECT_LE(std::fabs(x - dq), (hi - lo) / 2 * sc * (1 + 1e-12))
          << f.name() << " at " << k << "," << n << ": w=" << x << " deq=" << dq;
    }
}

TEST(Quantize, ErrorWithinHalfStepUniformAndNonUniformGrids) {
  const RealMatrix w = random_weights(256, 24, 11);
  for (const char* name : {"int4_sym", "int3_sym", "int4", "int8_sym", "int4_asym", "int3_asym",
                           "fp4_e2m1", "fp3", "fp6_e2m3", "fp8_e4m3", "fp4_e2m1+5", "fp3-6"})
    for (ScaleFormat sf : {ScaleFormat::kExact, ScaleFormat::kE8M0})
      for (int64_t g : {32, 64, 128, 256}) {
        SCOPED_TRACE(std::string(name) + " " + to_string(sf) + " g" + std::to_string(g));
        const QuantScheme s = scheme(name);
        expect_half_step(w, s, quantize(w, s, group_cfg(g, sf)));
      }
}

TEST(Quantize, ErrorWithinHalfStepPerChannelAndPerTensor) {
  const RealMatrix w = random_weights(96, 10, 12);
  for (const char* name : {"int4_sym", "int4_asym", "fp4_e2m1", "fp3"})
    for (Granularity gr : {Granularity::kPerChannel, Granularity::kPerTensor}) {
      QuantConfig c;
      c.granularity = gr;
      c.scale = ScaleFormat::kExact;
      const QuantScheme s = scheme(name);
      expect_half_step(w, s, quantize(w, s, c));
    }
}

TEST(Quantize, Fp16ScalesClipAtMostByTheirRoundingError) {
  // FP16 may round a scale down: the largest weight then saturates, off by at most
  // max|w| * 2^-11 beyond half a step.
  const RealMatrix w = random_weights(128, 16, 13);
  const QuantScheme s = scheme("fp4_e2m1");
  const QuantResult r = quantize(w, s, group_cfg(32, ScaleFormat::kFp16));
  for (int64_t k = 0; k < w.rows; ++k)
    for (int64_t n = 0; n < w.cols; ++n) {
      const double sc = r.scales[static_cast<size_t>(r.group_of(k, n))];
      EXPECT_EQ(sc, round_to_fp16(sc));
      EXPECT_LE(std::fabs(w.at(k, n) - r.dequant.at(k, n)), sc + std::fabs(w.at(k, n)) * 0x1.0p-10);
    }
}

TEST(Quantize, TiesGoTowardZero) {
  // int4_sym, group [7, 0.5, 2.5, -1.5]: scale 7/7 = 1; 0.5, 2.5 and -1.5 are midpoints and
  // go toward zero: [7, 0, 2, -1].
  RealMatrix w(4, 1);
  w.v = {7, 0.5, 2.5, -1.5};
  QuantConfig c = group_cfg(4, ScaleFormat::kExact);
  const QuantResult r = quantize(w, scheme("int4_sym"), c);
  EXPECT_EQ(r.scales[0], 1.0);
  EXPECT_EQ(r.dequant.v, (std::vector<double>{7, 0, 2, -1}));
  // FP4 E2M1, scale 1: 2.5 is the midpoint of 2 and 3 -> 2; 5 of 4 and 6 -> 4; -0.25 -> 0.
  w.v = {6, 2.5, 5, -0.25};
  const QuantResult f = quantize(w, scheme("fp4_e2m1"), c);
  EXPECT_EQ(f.dequant.v, (std::vector<double>{6, 2, 4, 0}));
}

TEST(Quantize, AsymmetricIntegerScaleAndZeroPoint) {
  // Group [-1, 0.5, 2, 0.1]: lo = -1, hi = 2, 4 bits: s = 3/15 = 0.2, z = round(1/0.2) = 5.
  RealMatrix w(4, 1);
  w.v = {-1, 0.5, 2, 0.1};
  const QuantResult r = quantize(w, scheme("int4_asym"), group_cfg(4, ScaleFormat::kExact));
  EXPECT_DOUBLE_EQ(r.scales[0], 0.2);
  EXPECT_EQ(r.zero_points[0], 5);
  // -1/0.2 = -5 -> code 0; 0.5/0.2 = 2.5 -> 2 (tie toward 0) -> 7; 2/0.2 = 10 -> 15;
  // 0.1/0.2 = 0.5 -> 0 -> 5.
  EXPECT_EQ(r.codes, (std::vector<uint32_t>{0, 7, 15, 5}));
  // A positive-only group: the range is widened to contain 0 (z = 0, s = max / 15).
  w.v = {10, 11, 12, 13};
  const QuantResult p = quantize(w, scheme("int4_asym"), group_cfg(4, ScaleFormat::kExact));
  EXPECT_EQ(p.zero_points[0], 0);
  EXPECT_DOUBLE_EQ(p.scales[0], 13.0 / 15);
  EXPECT_EQ(p.codes[3], 15u);
}

TEST(Quantize, ScaleRuleUsesTheWiderSideOfAnAsymmetricGrid) {
  // FP4 with special +8: grid [-6, 8]. Group max 8, min -3: s = max(8/8, 3/6) = 1.
  RealMatrix w(2, 1);
  w.v = {8, -3};
  const QuantScheme s = single_format(fmt_ptr("fp4_e2m1+8"));
  const QuantResult r = quantize(w, s, group_cfg(2, ScaleFormat::kExact));
  EXPECT_EQ(r.scales[0], 1.0);
  EXPECT_EQ(r.dequant.v, (std::vector<double>{8, -3}));
  // Max |w| on the negative side: s = 6/6 = 1 (not 6/8), so -6 is exact.
  w.v = {2, -6};
  EXPECT_EQ(quantize(w, s, group_cfg(2, ScaleFormat::kExact)).scales[0], 1.0);
}

TEST(Quantize, AllZeroGroupGivesZeros) {
  RealMatrix w(64, 2);
  for (int64_t k = 0; k < 64; ++k) w.at(k, 1) = 1.0 + k;
  for (const char* name : {"int4_sym", "int4_asym", "bitmod_fp4", "mxfp4"})
    for (ScaleFormat sf : {ScaleFormat::kFp16, ScaleFormat::kInt8, ScaleFormat::kE8M0}) {
      const QuantResult r = quantize(w, scheme(name), group_cfg(32, sf));
      for (int64_t k = 0; k < 64; ++k) EXPECT_EQ(r.dequant.at(k, 0), 0.0) << name;
      for (double x : r.dequant.v) EXPECT_TRUE(std::isfinite(x));
    }
}

// ---- per-group selection ----

TEST(Selection, NeverWorseThanAnySingleCandidate) {
  const RealMatrix w = random_weights(512, 32, 21);
  std::vector<QuantScheme> mixes = {
      scheme("bitmod_fp4"), scheme("bitmod_fp3"),
      plain_mixture({fmt_ptr("fp4_e2m1"), fmt_ptr("int4_sym"), fmt_ptr("fp4_e2m1-8")}, "mix3")};
  for (const QuantScheme& mix : mixes)
    for (ScaleFormat sf : {ScaleFormat::kExact, ScaleFormat::kFp16, ScaleFormat::kE8M0})
      for (int64_t g : {32, 128}) {
        SCOPED_TRACE(mix.name + " " + to_string(sf) + " g" + std::to_string(g));
        const QuantConfig c = group_cfg(g, sf);
        const QuantResult rm = quantize(w, mix, c);
        const std::vector<double> em = group_errors(w, rm);
        for (size_t ci = 0; ci < mix.candidates.size(); ++ci) {
          const QuantResult rc = quantize(w, single_format(mix.candidates[ci]), c);
          const std::vector<double> ec = group_errors(w, rc);
          for (size_t gi = 0; gi < em.size(); ++gi) {
            EXPECT_LE(em[gi], ec[gi]) << "group " << gi << " candidate " << ci;
            if (rm.selectors[gi] == ci) {
              EXPECT_EQ(em[gi], ec[gi]);
            }
          }
        }
        int64_t total = 0;
        for (int64_t n : rm.selection_counts) total += n;
        EXPECT_EQ(total, rm.num_groups());
      }
}

TEST(Selection, TiesGoToTheLowerIndex) {
  // Values on the basic FP4 grid: every special candidate is exact -> selector 0.
  RealMatrix w(4, 1);
  w.v = {6, -1.5, 0.5, 3};
  const QuantResult r = quantize(w, scheme("bitmod_fp4"), group_cfg(4, ScaleFormat::kExact));
  EXPECT_EQ(r.selectors[0], 0);
  // A group that needs -5 (with max 6 fixing the scale at 1) picks selector 1 (special -5).
  w.v = {6, -5, 0.5, 3};
  const QuantResult r2 = quantize(w, scheme("bitmod_fp4"), group_cfg(4, ScaleFormat::kExact));
  EXPECT_EQ(r2.selectors[0], 1);
  EXPECT_EQ(r2.dequant.v, w.v);
  EXPECT_EQ(r2.codes[1], 0x8u);  // the negative-zero code carries the special
}

TEST(Selection, BitmodFp4NeverWorseThanPlainFp4OnAnyGroup) {
  // Holds for every scale format: FP4+5 and FP4-5 keep FP4's range [-6, 6], so their exact
  // scale equals FP4's, and so does the stored scale (for INT8 the channel's scale-of-scales
  // is max exact scale / 255 in both runs: the +-8 candidates never need a larger scale than
  // FP4's); their grid contains FP4's, and the selection takes the minimum.
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const RealMatrix w = random_weights(1024, 16, 100 + seed);
    for (ScaleFormat sf :
         {ScaleFormat::kExact, ScaleFormat::kFp16, ScaleFormat::kInt8, ScaleFormat::kE8M0})
      for (int64_t g : {32, 128}) {
        const QuantConfig c = group_cfg(g, sf);
        const std::vector<double> eb = group_errors(w, quantize(w, scheme("bitmod_fp4"), c));
        const std::vector<double> ef = group_errors(w, quantize(w, scheme("fp4_e2m1"), c));
        const std::vector<double> eb3 = group_errors(w, quantize(w, scheme("bitmod_fp3"), c));
        const std::vector<double> ef3 = group_errors(w, quantize(w, scheme("fp3"), c));
        for (size_t i = 0; i < eb.size(); ++i) {
          ASSERT_LE(eb[i], ef[i]) << "seed " << seed << " " << to_string(sf) << " g" << g
                                  << " group " << i;
          ASSERT_LE(eb3[i], ef3[i])
              << "seed " << seed << " " << to_string(sf) << " g" << g << " group " << i;
        }
      }
  }
}

TEST(Selection, BitmodBeatsFp4OnGaussianWeights) {
  const RealMatrix w = gaussian_matrix(1024, 64, 3);
  const QuantConfig c = group_cfg(128, ScaleFormat::kFp16);
  const double eb = compare(w, quantize(w, scheme("bitmod_fp4"), c).dequant).mse;
  const double ef = compare(w, quantize(w, scheme("fp4_e2m1"), c).dequant).mse;
  EXPECT_LT(eb, ef * 0.95);
}

// ---- granularity ----

TEST(Granularity, PerGroupBeatsPerChannelBeatsPerTensorOnOutliers) {
  const RealMatrix w = outlier_matrix(1024, 64, 5);
  for (const char* name : {"int4_sym", "int4_asym", "fp4_e2m1", "bitmod_fp4"}) {
    QuantConfig t, ch, g;
    t.granularity = Granularity::kPerTensor;
    ch.granularity = Granularity::kPerChannel;
    g = group_cfg(128, ScaleFormat::kFp16);
    const QuantScheme s = scheme(name);
    const QuantResult rt = quantize(w, s, t), rc = quantize(w, s, ch), rg = quantize(w, s, g);
    EXPECT_EQ(rt.num_groups(), 1);
    EXPECT_EQ(rc.num_groups(), 64);
    EXPECT_EQ(rg.num_groups(), 8 * 64);
    const double mt = compare(w, rt.dequant).mse, mc = compare(w, rc.dequant).mse,
                 mg = compare(w, rg.dequant).mse;
    EXPECT_LT(mg, mc) << name;
    EXPECT_LE(mc, mt) << name;
  }
}

TEST(Granularity, GroupLayout) {
  const RealMatrix w = gaussian_matrix(64, 3, 1);
  const QuantResult r = quantize(w, scheme("int4_sym"), group_cfg(16, ScaleFormat::kExact));
  EXPECT_EQ(r.group_rows, 16);
  EXPECT_EQ(r.group_cols, 3);
  EXPECT_EQ(r.group_of(17, 2), 1 * 3 + 2);
  // Group (1, 2) = rows 16..31 of column 2: its scale is max|w| / 7.
  double m = 0;
  for (int64_t k = 16; k < 32; ++k) m = std::max(m, std::fabs(w.at(k, 2)));
  EXPECT_DOUBLE_EQ(r.scales[5], m / 7);
}

// ---- scale formats ----

TEST(ScaleFormats, E8M0ScalesArePowersOfTwoAndNothingClips) {
  const RealMatrix w = random_weights(256, 20, 31);
  for (const char* name : {"fp4_e2m1", "int4_sym", "fp3", "bitmod_fp4", "int4_asym"}) {
    const QuantScheme s = scheme(name);
    const QuantResult r = quantize(w, s, group_cfg(32, ScaleFormat::kE8M0));
    for (int64_t gi = 0; gi < r.num_groups(); ++gi) {
      const double sc = r.scales[static_cast<size_t>(gi)];
      int e = 0;
      EXPECT_EQ(std::frexp(sc, &e), 0.5) << sc;
      EXPECT_EQ(r.scale_codes[static_cast<size_t>(gi)], static_cast<uint32_t>(e - 1 + 127));
      EXPECT_EQ(E8M0Element().decode(r.scale_codes[static_cast<size_t>(gi)]), sc);
    }
    // No clipping: every |w| / s lies within the selected candidate's range (asymmetric: the
    // code range shifted by z); the half-step bound holds as with exact scales.
    if (s.candidates.size() == 1) expect_half_step(w, s, r);
    for (int64_t k = 0; k < w.rows; ++k)
      for (int64_t n = 0; n < w.cols; ++n) {
        const size_t gi = static_cast<size_t>(r.group_of(k, n));
        const ElementFormat& f = *s.candidates[r.selectors[gi]];
        if (!s.asymmetric) {
          const std::vector<double> g = f.grid();
          EXPECT_LE(w.at(k, n) / r.scales[gi], g.back());
          EXPECT_GE(w.at(k, n) / r.scales[gi], g.front());
        }
      }
  }
}

TEST(ScaleFormats, MxFp4UsesBlocksOf32AndE8M0WhateverTheConfig) {
  const RealMatrix w = gaussian_matrix(128, 4, 2);
  const QuantResult r = quantize(w, mxfp4(), group_cfg(128, ScaleFormat::kFp16));
  EXPECT_EQ(r.config.group_size, 32);
  EXPECT_EQ(r.config.scale, ScaleFormat::kE8M0);
  EXPECT_EQ(r.num_groups(), 4 * 4);
  EXPECT_DOUBLE_EQ(r.metadata_bits_per_weight, 8.0 / 32);  // 0.25
}

TEST(ScaleFormats, Int8SecondLevelScales) {
  const RealMatrix w = random_weights(512, 12, 41);
  for (const char* name : {"int4_sym", "int4_asym", "bitmod_fp4", "bitmod_fp3"}) {
    const QuantScheme s = scheme(name);
    const QuantConfig c = group_cfg(64, ScaleFormat::kInt8);
    const QuantResult r = quantize(w, s, c);
    const QuantResult ex = quantize(w, s, group_cfg(64, ScaleFormat::kExact));
    ASSERT_EQ(r.channel_scales.size(), 12u);
    for (int64_t n = 0; n < 12; ++n) {
      const double S = r.channel_scales[static_cast<size_t>(n)];
      EXPECT_EQ(S, round_to_fp16(S)) << "S is an FP16 value";
      // S * 255 covers the largest scale of the channel (of the exact run's selection, which
      // is at most the largest candidate scale used to set S).
      for (int64_t gk = 0; gk < 8; ++gk) {
        const size_t gi = static_cast<size_t>(gk * 12 + n);
        EXPECT_LE(ex.scales[gi], 255 * S * (1 + 1e-12));
        const uint32_t q = r.scale_codes[gi];
        EXPECT_LE(q, 255u);
        EXPECT_EQ(r.scales[gi], q * S);  // stored scale = 8-bit code x channel scale
      }
    }
    // Close to exact scales: the 8-bit scales lose little.
    EXPECT_GT(compare(w, r.dequant).sqnr_db, compare(w, ex.dequant).sqnr_db - 1.0) << name;
  }
  // Hand-made: one column, groups of 2 with max |w| 6, 3, 1.5 -> FP4 scales 1, 0.5, 0.25;
  // 1/255 = 1028.016 * 2^-18 (the FP16 step at 2^-8), so S = round_up_fp16(1/255) =
  // 1029 * 2^-18 (bits 0x1C05); q = round(s / S) = round(254.75, 127.38, 63.69) = 255, 127, 64.
  RealMatrix h(6, 1);
  h.v = {6, 1, 3, -1, -1.5, 0.5};
  const QuantResult hr = quantize(h, scheme("fp4_e2m1"), group_cfg(2, ScaleFormat::kInt8));
  EXPECT_EQ(hr.channel_scales[0], round_up_fp16(1.0 / 255));
  EXPECT_EQ(fp16_bits(hr.channel_scales[0]), 0x1C05u);
  EXPECT_EQ(hr.scale_codes, (std::vector<uint32_t>{255, 127, 64}));
}

// ---- metadata ----

TEST(Metadata, BitsPerWeightByHand) {
  // BitMoD FP4, groups of 128, INT8 scales, K = 4096: 8 scale bits + 2 selector bits per
  // group of 128, plus a 16-bit FP16 scale-of-scales per channel of 4096:
  // 10/128 + 16/4096 = 0.078125 + 0.00390625 = 0.08203125.
  EXPECT_DOUBLE_EQ(metadata_bits_per_weight(scheme("bitmod_fp4"),
                                            group_cfg(128, ScaleFormat::kInt8), 4096, 1024),
                   0.08203125);
  // INT4 asymmetric, groups of 128, FP16 scales: (16 + 4 zero-point bits) / 128 = 0.15625.
  EXPECT_DOUBLE_EQ(
      metadata_bits_per_weight(scheme("int4_asym"), group_cfg(128, ScaleFormat::kFp16), 4096, 1024),
      0.15625);
  // FP4, per-channel, FP16: 16 / K = 16 / 256 = 0.0625.
  QuantConfig ch;
  ch.granularity = Granularity::kPerChannel;
  EXPECT_DOUBLE_EQ(metadata_bits_per_weight(scheme("fp4_e2m1"), ch, 256, 8), 0.0625);
  // A 3-candidate mixture needs 2 selector bits: (8 + 2) / 32 with E8M0.
  const QuantScheme m3 =
      plain_mixture({fmt_ptr("fp4_e2m1"), fmt_ptr("int4_sym"), fmt_ptr("fp4_e2m1+5")}, "m3");
  EXPECT_DOUBLE_EQ(metadata_bits_per_weight(m3, group_cfg(32, ScaleFormat::kE8M0), 64, 8),
                   10.0 / 32);
  // quantize() reports the same.
  const RealMatrix w = gaussian_matrix(256, 4, 1);
  EXPECT_DOUBLE_EQ(quantize(w, scheme("bitmod_fp4"), group_cfg(128, ScaleFormat::kInt8))
                       .metadata_bits_per_weight,
                   10.0 / 128 + 16.0 / 256);
}

// ---- schemes and errors ----

TEST(Schemes, Names) {
  for (const std::string& n : standard_schemes()) EXPECT_TRUE(make_scheme(n).has_value()) << n;
  EXPECT_EQ(scheme("bitmod_fp4").candidates.size(), 4u);
  EXPECT_EQ(scheme("bitmod_fp4").candidates[2]->name(), "fp4_e2m1+8");
  EXPECT_EQ(scheme("bitmod_fp3").specials, (std::vector<double>{3, -3, 6, -6}));
  EXPECT_TRUE(scheme("int3_asym").asymmetric);
  EXPECT_TRUE(make_scheme("int8").has_value());
  EXPECT_FALSE(make_scheme("int1_asym").has_value());
  EXPECT_FALSE(make_scheme("int04_asym").has_value());
  EXPECT_FALSE(make_scheme("nosuch").has_value());
  ScaleFormat f;
  EXPECT_TRUE(parse_scale_format("e8m0", &f));
  EXPECT_EQ(f, ScaleFormat::kE8M0);
  EXPECT_FALSE(parse_scale_format("fp8", &f));
}

TEST(Quantize, RejectsBadInput) {
  RealMatrix w = gaussian_matrix(100, 2, 1);
  EXPECT_THROW(quantize(w, scheme("int4_sym"), group_cfg(32, ScaleFormat::kFp16)),
               std::invalid_argument);  // 32 does not divide 100
  EXPECT_NO_THROW(quantize(w, scheme("int4_sym"), group_cfg(25, ScaleFormat::kFp16)));
  EXPECT_THROW(quantize(w, scheme("int4_sym"), group_cfg(0, ScaleFormat::kFp16)),
               std::invalid_argument);
  w.at(3, 1) = std::nan("");
  try {
    quantize(w, scheme("int4_sym"), group_cfg(25, ScaleFormat::kFp16));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("row 3, column 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(quantize(RealMatrix(), scheme("int4_sym"), QuantConfig{}), std::invalid_argument);
  RealMatrix big(2, 1);
  big.v = {1e7, 1};  // scale 1e7 / 7 > 65504
  EXPECT_THROW(quantize(big, scheme("int4_sym"), group_cfg(2, ScaleFormat::kFp16)),
               std::invalid_argument);
  EXPECT_NO_THROW(quantize(big, scheme("int4_sym"), group_cfg(2, ScaleFormat::kE8M0)));
}

// ---- metrics and GEMM ----

TEST(Metrics, MseAndSqnrByHand) {
  // ref [1, 1, 2], approx [1, 0.9, 2.2]: noise 0.01 + 0.04 = 0.05, signal 6:
  // MSE 0.05 / 3, SQNR 10 log10(6 / 0.05) = 10 log10(120) = 20.79 dB.
  const std::vector<double> ref = {1, 1, 2}, approx = {1, 0.9, 2.2};
  EXPECT_NEAR(mse(ref, approx), 0.05 / 3, 1e-15);
  EXPECT_NEAR(sqnr_db(ref, approx), 10 * std::log10(120.0), 1e-12);
  EXPECT_NEAR(compare(ref, approx).max_abs_err, 0.2, 1e-15);
  EXPECT_EQ(sqnr_db(ref, ref), std::numeric_limits<double>::infinity());
  EXPECT_EQ(sqnr_db({0, 0}, {0, 1}), -std::numeric_limits<double>::infinity());
  EXPECT_THROW(mse({1}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(mse({}, {}), std::invalid_argument);
}

TEST(Metrics, GemmF64) {
  RealMatrix a(2, 3), b(3, 2);
  a.v = {1, 2, 3, 4, 5, 6};
  b.v = {7, 8, 9, 10, 11, 12};
  const RealMatrix c = gemm_f64(a, b);
  EXPECT_EQ(c.v, (std::vector<double>{58, 64, 139, 154}));
  EXPECT_THROW(gemm_f64(a, a), std::invalid_argument);
}

TEST(Metrics, GemmSqnrOfQuantisedWeightsAndOracleAgreement) {
  const RealMatrix w = gaussian_matrix(256, 16, 8);
  const RealMatrix a = gaussian_matrix(8, 256, 9);
  const RealMatrix c_ref = gemm_f64(a, w);
  double prev = 0;
  for (const char* name : {"int3_sym", "int4_sym", "int8_sym"}) {
    const QuantScheme s = scheme(name);
    const QuantResult r = quantize(w, s, group_cfg(128, ScaleFormat::kFp16));
    const double db = compare(c_ref, gemm_f64(a, r.dequant)).sqnr_db;
    EXPECT_GT(db, prev) << name;  // more bits, less noise
    prev = db;
  }
  // The oracle's exact quantised GEMM agrees with FP64 on the dequantised weights.
  for (const char* name : {"bitmod_fp4", "int4_asym", "mxfp4"}) {
    const QuantScheme s = scheme(name);
    for (Granularity gr : {Granularity::kPerGroup, Granularity::kPerTensor}) {
      QuantConfig c = group_cfg(64, ScaleFormat::kInt8);
      c.granularity = gr;
      const QuantResult r = quantize(w, s, c);
      const GroupedWeights gw = to_grouped_weights(r, s);
      const RealMatrix exact = gemm_quant_exact_double(a, gw);
      const RealMatrix fp = gemm_f64(a, r.dequant);
      for (size_t i = 0; i < fp.v.size(); ++i)
        EXPECT_NEAR(exact.v[i], fp.v[i], 1e-12 * (1 + std::fabs(fp.v[i]))) << name;
    }
  }
}

}  // namespace
}  // namespace tpesim::num
