// Element formats of models/numerics: exhaustive code tables of every named format, encoding
// (round to nearest, ties toward zero, saturation), BitMoD's extended FP3/FP4 and the
// bit-serial term decomposition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "models/numerics/element_format.hpp"

namespace tpesim::num {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Counts of a format's code table.
struct CodeCounts {
  int finite = 0, nan = 0, inf = 0, invalid = 0;
  std::multiset<double> finite_values;  // every finite code's value (zeros counted per code)
};

CodeCounts count_codes(const ElementFormat& f) {
  CodeCounts c;
  for (uint32_t code = 0; code < (1u << f.bits()); ++code) {
    if (!f.valid_code(code)) {
      ++c.invalid;
      continue;
    }
    const double v = f.decode(code);
    if (std::isnan(v)) {
      ++c.nan;
    } else if (std::isinf(v)) {
      ++c.inf;
    } else {
      ++c.finite;
      c.finite_values.insert(v);
    }
  }
  return c;
}

std::vector<double> sorted_distinct(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

/// The grid is sorted, strictly increasing and equal to the set of finite decoded values.
void expect_grid_consistent(const ElementFormat& f) {
  std::vector<double> fin;
  for (uint32_t code = 0; code < (1u << f.bits()); ++code) {
    if (f.valid_code(code) && std::isfinite(f.decode(code))) {
      fin.push_back(f.decode(code));
    }
  }
  EXPECT_EQ(f.grid(), sorted_distinct(fin)) << f.name();
  const auto g = f.grid();
  EXPECT_DOUBLE_EQ(f.max_abs(), std::max(std::fabs(g.front()), std::fabs(g.back()))) << f.name();
}

/// The positive values of a float below 2 * its smallest normal: multiples of the subnormal
/// step 2^(1 - bias - man_bits), with no gap (subnormals continue evenly into the first binade).
void expect_subnormal_spacing(const FloatElement& f) {
  const FloatSpec& s = f.spec();
  const double step = std::ldexp(1.0, 1 - s.bias - s.man_bits);
  const double min_normal = std::ldexp(1.0, 1 - s.bias);
  std::vector<double> low;
  for (double v : f.grid()) {
    if (v >= 0 && v < 2 * min_normal) {
      low.push_back(v);
    }
  }
  ASSERT_EQ(low.size(), size_t{2} << s.man_bits) << f.name();
  for (size_t i = 0; i < low.size(); ++i) {
    EXPECT_EQ(low[i], i * step) << f.name() << " i=" << i;
  }
}

std::vector<double> values_of(std::initializer_list<double> v) { return sorted_distinct(v); }

// The eight extended variants of BitMoD (FP3 +-3, +-6; FP4 +-5, +-8).
std::vector<ExtendedFloat> bitmod_variants() {
  std::vector<ExtendedFloat> out;
  for (double s : bitmod_fp3_specials().values) {
    out.emplace_back(fp3(), s);
  }
  for (double s : bitmod_fp4_specials().values) {
    out.emplace_back(fp4_e2m1(), s);
  }
  return out;
}

// ----------------------------------------------------------------------------------------------
// Named float formats: every code.

TEST(ElementFormat, Fp3EveryCode) {
  const FloatElement f = fp3();
  EXPECT_EQ(f.name(), "fp3");
  EXPECT_EQ(f.bits(), 3);
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.finite, 8);
  EXPECT_EQ(c.nan + c.inf + c.invalid, 0);
  EXPECT_EQ(c.finite_values, (std::multiset<double>{-4, -2, -1, 0, 0, 1, 2, 4}));
  EXPECT_EQ(f.decode(0b000), 0.0);
  EXPECT_EQ(f.decode(0b100), 0.0);  // -0 decodes to 0
  EXPECT_FALSE(std::signbit(f.decode(0b100)));
  EXPECT_EQ(f.decode(0b001), 1.0);
  EXPECT_EQ(f.decode(0b010), 2.0);
  EXPECT_EQ(f.decode(0b011), 4.0);
  EXPECT_EQ(f.decode(0b111), -4.0);
  EXPECT_EQ(f.grid(), values_of({-4, -2, -1, 0, 1, 2, 4}));
  EXPECT_EQ(f.max_abs(), 4.0);
  expect_grid_consistent(f);
}

TEST(ElementFormat, Fp4E2m1EveryCode) {
  const FloatElement f = fp4_e2m1();
  EXPECT_EQ(f.bits(), 4);
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.finite, 16);
  EXPECT_EQ(c.nan + c.inf + c.invalid, 0);
  const double pos[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (uint32_t code = 0; code < 8; ++code) {
    EXPECT_EQ(f.decode(code), pos[code]) << code;
    EXPECT_EQ(f.decode(code | 8), -pos[code]) << code;
  }
  EXPECT_EQ(f.grid(), values_of({0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.5, -1, -1.5, -2, -3, -4, -6}));
  EXPECT_EQ(f.max_abs(), 6.0);
  expect_grid_consistent(f);
  expect_subnormal_spacing(f);
}

TEST(ElementFormat, Fp6EveryCode) {
  const FloatElement a = fp6_e2m3(), b = fp6_e3m2();
  for (const FloatElement* f : {&a, &b}) {
    EXPECT_EQ(f->bits(), 6);
    const CodeCounts c = count_codes(*f);
    EXPECT_EQ(c.finite, 64) << f->name();
    EXPECT_EQ(c.nan + c.inf + c.invalid, 0) << f->name();
    EXPECT_EQ(f->grid().size(), 63u) << f->name();  // +0 and -0 share a grid point
    expect_grid_consistent(*f);
    expect_subnormal_spacing(*f);
  }
  EXPECT_EQ(a.spec().bias, 1);
  EXPECT_EQ(a.max_abs(), 7.5);  // 2^2 * 1.875
  EXPECT_EQ(a.decode(0b011111), 7.5);
  EXPECT_EQ(a.decode(0b000001), 0.125);  // min subnormal 2^0 * 1/8
  EXPECT_EQ(b.spec().bias, 3);
  EXPECT_EQ(b.max_abs(), 28.0);  // 2^4 * 1.75
  EXPECT_EQ(b.decode(0b011111), 28.0);
  EXPECT_EQ(b.decode(0b000001), 0.0625);  // min subnormal 2^-2 * 1/4
}

TEST(ElementFormat, Fp8E4m3OcpEveryCode) {
  const FloatElement f = fp8_e4m3();
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.nan, 2);  // 0x7F, 0xFF
  EXPECT_EQ(c.inf, 0);
  EXPECT_EQ(c.finite, 254);
  EXPECT_TRUE(std::isnan(f.decode(0x7F)));
  EXPECT_TRUE(std::isnan(f.decode(0xFF)));
  EXPECT_EQ(f.grid().size(), 253u);
  // Hand-computed spot values.
  EXPECT_EQ(f.decode(0x7E), 448.0);  // S.1111.110 = 2^8 * 1.75
  EXPECT_EQ(f.decode(0xFE), -448.0);
  EXPECT_EQ(f.decode(0x78), 256.0);                    // 2^8 * 1.0 (e=15 is a normal binade)
  EXPECT_EQ(f.decode(0x38), 1.0);                      // e = 7 = bias
  EXPECT_EQ(f.decode(0x01), std::ldexp(1.0, -9));      // min subnormal 2^-6 * 1/8
  EXPECT_EQ(f.decode(0x07), 7 * std::ldexp(1.0, -9));  // max subnormal
  EXPECT_EQ(f.decode(0x08), std::ldexp(1.0, -6));      // min normal
  EXPECT_EQ(f.max_abs(), 448.0);
  expect_grid_consistent(f);
  expect_subnormal_spacing(f);
}

TEST(ElementFormat, Fp8E5m2OcpEveryCode) {
  const FloatElement f = fp8_e5m2();
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.nan, 6);  // exponent 11111, mantissa 01/10/11, both signs
  EXPECT_EQ(c.inf, 2);
  EXPECT_EQ(c.finite, 248);
  EXPECT_EQ(f.decode(0x7C), kInf);
  EXPECT_EQ(f.decode(0xFC), -kInf);
  EXPECT_EQ(f.decode(0x7B), 57344.0);  // 2^15 * 1.75
  EXPECT_EQ(f.decode(0x01), std::ldexp(1.0, -16));
  EXPECT_EQ(f.decode(0x04), std::ldexp(1.0, -14));
  EXPECT_EQ(f.decode(0x3C), 1.0);
  EXPECT_EQ(f.max_abs(), 57344.0);
  expect_grid_consistent(f);
  expect_subnormal_spacing(f);
}

TEST(ElementFormat, Fp16EveryCode) {
  const FloatElement f = fp16();
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.nan, 2 * 1023);
  EXPECT_EQ(c.inf, 2);
  EXPECT_EQ(c.finite, 65536 - 2048);
  EXPECT_EQ(f.grid().size(), size_t{65536 - 2048 - 1});
  // Hand-computed spot values.
  EXPECT_EQ(f.decode(0x7BFF), 65504.0);                      // max normal (2 - 2^-10) * 2^15
  EXPECT_EQ(f.decode(0x0001), std::ldexp(1.0, -24));         // min subnormal
  EXPECT_EQ(f.decode(0x03FF), 1023 * std::ldexp(1.0, -24));  // max subnormal
  EXPECT_EQ(f.decode(0x0400), std::ldexp(1.0, -14));         // min normal
  EXPECT_EQ(f.decode(0x3C00), 1.0);
  EXPECT_EQ(f.decode(0xC000), -2.0);
  EXPECT_EQ(f.decode(0x3555), 0.333251953125);
  EXPECT_EQ(f.decode(0x7C00), kInf);
  EXPECT_EQ(f.decode(0xFC00), -kInf);
  EXPECT_TRUE(std::isnan(f.decode(0x7E00)));
  EXPECT_EQ(f.max_abs(), 65504.0);
  expect_grid_consistent(f);
  expect_subnormal_spacing(f);
}

TEST(ElementFormat, Bf16EveryCode) {
  const FloatElement f = bf16();
  EXPECT_EQ(f.spec().exp_bits, 8);
  EXPECT_EQ(f.spec().man_bits, 7);
  EXPECT_EQ(f.spec().bias, 127);
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.nan, 2 * 127);
  EXPECT_EQ(c.inf, 2);
  EXPECT_EQ(c.finite, 65536 - 256);
  EXPECT_EQ(f.decode(0x3F80), 1.0);
  EXPECT_EQ(f.decode(0x4049), 3.140625);
  EXPECT_EQ(f.decode(0x7F7F), (2 - std::ldexp(1.0, -7)) * std::ldexp(1.0, 127));
  EXPECT_EQ(f.decode(0x0001), std::ldexp(1.0, -133));
  EXPECT_EQ(f.decode(0x0080), std::ldexp(1.0, -126));
  EXPECT_EQ(f.decode(0x7F80), kInf);
  EXPECT_EQ(f.max_abs(), f.decode(0x7F7F));
  expect_grid_consistent(f);
  expect_subnormal_spacing(f);
}

TEST(ElementFormat, E8m0EveryCode) {
  const E8M0Element f{};
  EXPECT_EQ(f.name(), "e8m0");
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.nan, 1);
  EXPECT_EQ(c.finite, 255);
  for (uint32_t code = 0; code < 255; ++code) {
    EXPECT_EQ(f.decode(code), std::ldexp(1.0, static_cast<int>(code) - 127));
  }
  EXPECT_TRUE(std::isnan(f.decode(0xFF)));
  EXPECT_EQ(f.decode(127), 1.0);
  EXPECT_EQ(f.max_abs(), std::ldexp(1.0, 127));
  EXPECT_THROW(f.decode(0x100), std::invalid_argument);
  expect_grid_consistent(f);
}

// ----------------------------------------------------------------------------------------------
// Integer formats.

TEST(ElementFormat, IntKindsEveryCode) {
  for (int b = 2; b <= 16; ++b) {
    const IntElement tc(b, IntKind::kTwosComplement), sym(b, IntKind::kSymmetric),
        un(b, IntKind::kUnsigned);
    const int h = 1 << (b - 1);
    EXPECT_EQ(tc.grid().size(), size_t(2 * h));
    EXPECT_EQ(tc.grid().front(), -h);
    EXPECT_EQ(tc.grid().back(), h - 1);
    EXPECT_EQ(sym.grid().size(), size_t(2 * h - 1));
    EXPECT_EQ(sym.grid().front(), -(h - 1));
    EXPECT_EQ(un.grid().size(), size_t(2 * h));
    EXPECT_EQ(un.grid().front(), 0);
    EXPECT_EQ(un.grid().back(), 2 * h - 1);
    EXPECT_EQ(tc.max_abs(), h);
    EXPECT_EQ(sym.max_abs(), h - 1);
    for (uint32_t code = 0; code < (2u * h); ++code) {
      const int tcv = code >= static_cast<uint32_t>(h) ? static_cast<int>(code) - 2 * h
                                                       : static_cast<int>(code);
      EXPECT_EQ(tc.decode(code), tcv);
      EXPECT_EQ(un.decode(code), code);
      if (code != static_cast<uint32_t>(h)) {
        EXPECT_EQ(sym.decode(code), tcv);
      }
    }
    EXPECT_EQ(tc.min_value(), -h);
    EXPECT_EQ(sym.min_value(), -h + 1);
    EXPECT_EQ(un.max_value(), 2 * h - 1);
  }
}

TEST(ElementFormat, SymmetricIntRejectsMostNegativeCode) {
  const IntElement f(4, IntKind::kSymmetric);
  EXPECT_EQ(f.name(), "int4_sym");
  EXPECT_FALSE(f.valid_code(0x8));
  EXPECT_TRUE(f.valid_code(0x9));
  EXPECT_FALSE(f.valid_code(0x10));
  EXPECT_THROW(f.decode(0x8), std::invalid_argument);
  EXPECT_EQ(f.decode(0x9), -7.0);
  const CodeCounts c = count_codes(f);
  EXPECT_EQ(c.invalid, 1);
  EXPECT_EQ(c.finite, 15);
  // Encoding never produces the invalid code; very negative values saturate at -7.
  for (int k = -160; k <= 160; ++k) {
    EXPECT_NE(f.encode(k / 8.0), 0x8u) << k / 8.0;
  }
  EXPECT_EQ(f.encode(-8), 0x9u);
  EXPECT_EQ(f.encode(-1e9), 0x9u);
  const IntElement f8(8, IntKind::kSymmetric);
  EXPECT_FALSE(f8.valid_code(0x80));
  EXPECT_EQ(f8.grid().size(), 255u);
  EXPECT_EQ(f8.encode(-128), 0x81u);
}

TEST(ElementFormat, AsymmetricZeroPoint) {
  const IntElement f(4, IntKind::kAsymmetric, 7);
  EXPECT_EQ(f.name(), "int4_asym(zp=7)");
  EXPECT_EQ(f.zero_point(), 7);
  for (uint32_t code = 0; code < 16; ++code) {
    EXPECT_EQ(f.decode(code), static_cast<int>(code) - 7);
  }
  EXPECT_EQ(f.encode(0), 7u);
  EXPECT_EQ(f.encode(8), 15u);
  EXPECT_EQ(f.encode(-7), 0u);
  EXPECT_EQ(f.encode(100), 15u);
  EXPECT_EQ(f.encode(-100), 0u);
  EXPECT_EQ(f.encode(-0.5), 7u);  // tie between -1 and 0: toward zero
  EXPECT_EQ(f.encode(0.5), 7u);
  EXPECT_EQ(f.max_abs(), 8.0);
  EXPECT_EQ(f.min_value(), -7);
  EXPECT_EQ(f.max_value(), 8);
  const IntElement g(8, IntKind::kAsymmetric, 0);
  EXPECT_EQ(g.grid().front(), 0.0);
  EXPECT_EQ(g.grid().back(), 255.0);
  EXPECT_THROW(IntElement(4, IntKind::kAsymmetric, 16), std::invalid_argument);
  EXPECT_THROW(IntElement(4, IntKind::kAsymmetric, -1), std::invalid_argument);
  EXPECT_THROW(IntElement(4, IntKind::kTwosComplement, 3), std::invalid_argument);
}

TEST(ElementFormat, RejectsBadParameters) {
  EXPECT_THROW(IntElement(1, IntKind::kTwosComplement), std::invalid_argument);
  EXPECT_THROW(IntElement(17, IntKind::kUnsigned), std::invalid_argument);
  EXPECT_NO_THROW(IntElement(2, IntKind::kSymmetric));
  EXPECT_NO_THROW(IntElement(16, IntKind::kSymmetric));
  EXPECT_THROW(FloatElement("fp32", FloatSpec{8, 23, 127, FloatSpecials::kIeee, true}),
               std::invalid_argument);
  EXPECT_THROW(FloatElement("e0", FloatSpec{0, 3, 0, FloatSpecials::kNone, true}),
               std::invalid_argument);
  EXPECT_THROW(FloatElement("m-1", FloatSpec{3, -1, 0, FloatSpecials::kNone, true}),
               std::invalid_argument);
  const FloatElement unsigned_fp("ufp4", FloatSpec{2, 2, 1, FloatSpecials::kNone, false});
  EXPECT_THROW(ExtendedFloat(unsigned_fp, 5), std::invalid_argument);
  EXPECT_THROW(ExtendedFloat(fp4_e2m1(), kInf), std::invalid_argument);
  EXPECT_THROW(ExtendedFloat(fp4_e2m1(), std::nan("")), std::invalid_argument);
  EXPECT_THROW(fp4_e2m1().decode(16), std::invalid_argument);
  EXPECT_THROW(fp4_e2m1().encode(std::nan("")), std::invalid_argument);
}

TEST(ElementFormat, UnsignedFloatHasNoSignBit) {
  const FloatElement f("ue2m2", FloatSpec{2, 2, 1, FloatSpecials::kNone, false});
  EXPECT_EQ(f.bits(), 4);
  EXPECT_EQ(f.grid().size(), 16u);
  EXPECT_EQ(f.grid().front(), 0.0);
  EXPECT_EQ(f.max_abs(), 7.0);  // 2^2 * 1.75
  EXPECT_EQ(f.encode(-3), 0u);
}

// ----------------------------------------------------------------------------------------------
// Encoding.

/// Every format the encode tests run over (named floats, E8M0, integers, extended).
std::vector<std::unique_ptr<ElementFormat>> all_formats() {
  std::vector<std::unique_ptr<ElementFormat>> out;
  for (const char* n : {"fp3", "fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2", "fp16",
                        "bf16", "e8m0", "int2", "int4", "int8", "int16", "int4_sym", "int8_sym",
                        "uint4", "uint8", "int4_asym(zp=7)", "int8_asym(zp=100)"}) {
    out.push_back(make_format(n));
  }
  for (const ExtendedFloat& x : bitmod_variants()) {
    out.push_back(std::make_unique<ExtendedFloat>(x));
  }
  return out;
}

TEST(ElementFormat, EncodeDecodeRoundTripsEveryCode) {
  for (const auto& f : all_formats()) {
    ASSERT_NE(f, nullptr);
    for (uint32_t code = 0; code < (1u << f->bits()); ++code) {
      if (!f->valid_code(code)) {
        continue;
      }
      const double v = f->decode(code);
      if (std::isnan(v)) {
        EXPECT_THROW(f->encode(v), std::invalid_argument);
        continue;
      }
      const uint32_t back = f->encode(v);
      if (std::isinf(v)) {  // infinities saturate to the largest finite value of that sign
        EXPECT_EQ(f->decode(back), v > 0 ? f->grid().back() : f->grid().front()) << f->name();
      } else if (v == 0) {
        EXPECT_EQ(back, f->encode(0.0)) << f->name();  // -0 code -> +0 code
        EXPECT_EQ(f->decode(back), 0.0) << f->name();
      } else {
        EXPECT_EQ(back, code) << f->name() << " code " << code;
      }
    }
  }
}

TEST(ElementFormat, ZeroEncodesToPlusZeroCode) {
  for (const char* n : {"fp3", "fp4_e2m1", "fp6_e2m3", "fp8_e4m3", "fp8_e5m2", "fp16", "bf16"}) {
    const auto f = make_format(n);
    EXPECT_EQ(f->encode(0.0), 0u) << n;
    EXPECT_EQ(f->encode(-0.0), 0u) << n;
  }
}

/// Brute force: the valid finite code nearest to x; ties to the smaller magnitude, then to
/// the positive value, then to the smaller code.
uint32_t nearest_brute(const ElementFormat& f, double x) {
  const std::vector<double> g = f.grid();
  x = std::clamp(x, g.front(), g.back());  // beyond the range the extreme value is nearest
  uint32_t best = 0;
  double bv = 0, bd = kInf;
  bool found = false;
  for (uint32_t code = 0; code < (1u << f.bits()); ++code) {
    if (!f.valid_code(code)) {
      continue;
    }
    const double v = f.decode(code);
    if (!std::isfinite(v)) {
      continue;
    }
    const double d = std::fabs(x - v);
    bool better = !found || d < bd;
    if (found && d == bd) {
      if (std::fabs(v) != std::fabs(bv)) {
        better = std::fabs(v) < std::fabs(bv);
      } else if (v != bv) {
        better = v > bv;
      } else {
        better = false;  // same value: keep the smaller code
      }
    }
    if (better) {
      best = code;
      bv = v;
      bd = d;
      found = true;
    }
  }
  return best;
}

TEST(ElementFormat, EncodeMatchesBruteForceAtMidpointsAndRandomValues) {
  std::mt19937_64 rng(12345);
  for (const auto& f : all_formats()) {
    if (f->bits() > 8) {
      continue;  // brute force is O(codes) per value
    }
    const std::vector<double> g = f->grid();
    std::vector<double> xs;
    for (size_t i = 0; i + 1 < g.size(); ++i) {
      const double m = (g[i] + g[i + 1]) / 2;
      xs.insert(xs.end(), {m, std::nextafter(m, -kInf), std::nextafter(m, kInf), g[i]});
    }
    std::uniform_real_distribution<double> u(-1.25 * f->max_abs(), 1.25 * f->max_abs());
    for (int k = 0; k < 2000; ++k) {
      xs.push_back(u(rng));
    }
    xs.insert(xs.end(), {0.0, -0.0, kInf, -kInf, 1e300, -1e300});
    for (double x : xs) {
      ASSERT_EQ(f->encode(x), nearest_brute(*f, x)) << f->name() << " x=" << x;
    }
  }
}

TEST(ElementFormat, EncodeTiesTowardSmallerMagnitudeAndSaturates) {
  const FloatElement f = fp4_e2m1();
  auto val = [&](double x) { return f.decode(f.encode(x)); };
  EXPECT_EQ(val(2.5), 2.0);  // midpoint of 2 and 3
  EXPECT_EQ(val(-2.5), -2.0);
  EXPECT_EQ(val(std::nextafter(2.5, kInf)), 3.0);
  EXPECT_EQ(val(5.0), 4.0);  // midpoint of 4 and 6
  EXPECT_EQ(val(5.0001), 6.0);
  EXPECT_EQ(val(0.25), 0.0);  // midpoint of 0 and 0.5
  EXPECT_EQ(f.encode(-0.25), 0u);
  EXPECT_EQ(val(0.75), 0.5);
  EXPECT_EQ(val(1.25), 1.0);
  EXPECT_EQ(val(1.75), 1.5);
  EXPECT_EQ(val(-1.75), -1.5);
  EXPECT_EQ(f.encode(100), 0b0111u);  // saturate at +6
  EXPECT_EQ(f.encode(-1e300), 0b1111u);
  EXPECT_EQ(f.encode(kInf), 0b0111u);
  EXPECT_EQ(f.encode(-kInf), 0b1111u);

  const IntElement i4(4, IntKind::kTwosComplement);
  EXPECT_EQ(i4.decode(i4.encode(2.5)), 2.0);
  EXPECT_EQ(i4.decode(i4.encode(-2.5)), -2.0);
  EXPECT_EQ(i4.decode(i4.encode(-7.5)), -7.0);
  EXPECT_EQ(i4.decode(i4.encode(7.6)), 7.0);
  EXPECT_EQ(i4.encode(-100), 0x8u);
  const IntElement u4(4, IntKind::kUnsigned);
  EXPECT_EQ(u4.encode(-3), 0u);
  EXPECT_EQ(u4.encode(99), 15u);

  // fp16: ties go toward the smaller magnitude, not to even as IEEE conversion would.
  const FloatElement h = fp16();
  EXPECT_EQ(h.encode(1 + std::ldexp(1.0, -11)), 0x3C00u);      // between 0x3C00 and 0x3C01
  EXPECT_EQ(h.encode(1 + 3 * std::ldexp(1.0, -11)), 0x3C01u);  // IEEE RNE would give 0x3C02
  EXPECT_EQ(h.encode(-(1 + 3 * std::ldexp(1.0, -11))), 0xBC01u);
  EXPECT_EQ(h.encode(std::ldexp(1.0, -25)), 0x0000u);  // half the min subnormal
  EXPECT_EQ(h.encode(std::nextafter(std::ldexp(1.0, -25), 1.0)), 0x0001u);
  EXPECT_EQ(h.encode(65520), 0x7BFFu);  // saturate, no infinity
  EXPECT_EQ(h.encode(1e9), 0x7BFFu);
  EXPECT_EQ(h.encode(-1e9), 0xFBFFu);
  const FloatElement e4 = fp8_e4m3();
  EXPECT_EQ(e4.encode(1000), 0x7Eu);
  EXPECT_EQ(e4.encode(-480), 0xFEu);

  const E8M0Element s{};
  EXPECT_EQ(s.encode(3.0), 128u);  // midpoint of 2 and 4
  EXPECT_EQ(s.encode(3.5), 129u);
  EXPECT_EQ(s.encode(0.0), 0u);
  EXPECT_EQ(s.encode(-5.0), 0u);
  EXPECT_EQ(s.encode(1e300), 254u);
}

TEST(ElementFormat, EncodeIsThreadSafeOnAFreshFormat) {
  const FloatElement f = fp16();  // table not built yet: the threads race to build it
  std::vector<double> xs;
  xs.reserve(20000);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-70000, 70000);
  for (int k = 0; k < 20000; ++k) {
    xs.push_back(u(rng));
  }
  std::vector<std::vector<uint32_t>> out(4);
  std::vector<std::thread> th;
  th.reserve(4);
  for (int t = 0; t < 4; ++t) {
    th.emplace_back([&, t] {
      for (double x : xs) {
        out[t].push_back(f.encode(x));
      }
    });
  }
  for (auto& t : th) {
    t.join();
  }
  for (int t = 1; t < 4; ++t) {
    EXPECT_EQ(out[t], out[0]);
  }
  const FloatElement copy = f;  // copies share the table
  for (size_t k = 0; k < xs.size(); k += 97) {
    EXPECT_EQ(copy.encode(xs[k]), out[0][k]);
  }
}

// ----------------------------------------------------------------------------------------------
// Names and make_format.

TEST(ElementFormat, MakeFormatByNameRebuildsEveryFormat) {
  std::vector<std::string> names = {"fp3",
                                    "fp4_e2m1",
                                    "fp6_e2m3",
                                    "fp6_e3m2",
                                    "fp8_e4m3",
                                    "fp8_e5m2",
                                    "fp16",
                                    "bf16",
                                    "e8m0",
                                    "fp3+3",
                                    "fp3-6",
                                    "fp4_e2m1+5",
                                    "fp4_e2m1-8",
                                    "fp4_e2m1+2.5",
                                    "int4_asym(zp=7)",
                                    "int16_asym(zp=65535)"};
  for (int b = 2; b <= 16; ++b) {
    for (const char* k : {"int", "uint"}) {
      names.push_back(k + std::to_string(b));
    }
  }
  for (int b = 2; b <= 16; ++b) {
    names.push_back("int" + std::to_string(b) + "_sym");
  }
  for (const std::string& n : names) {
    const auto f = make_format(n);
    ASSERT_NE(f, nullptr) << n;
    EXPECT_EQ(f->name(), n);
  }
  EXPECT_EQ(make_format("fp4_e2m1")->grid(), fp4_e2m1().grid());
  EXPECT_EQ(make_format("int8")->grid(), IntElement(8, IntKind::kTwosComplement).grid());
  const auto x = make_format("fp3-6");
  ASSERT_NE(dynamic_cast<const ExtendedFloat*>(x.get()), nullptr);
  EXPECT_EQ(x->decode(0b100), -6.0);
  for (const char* bad : {"",
                          "int",
                          "int1",
                          "int17",
                          "int04",
                          "uint1",
                          "uint17",
                          "int4_asym",
                          "int4_asym(zp=16)",
                          "int4_asym(zp=-1)",
                          "int4_asym(zp=07)",
                          "int4_foo",
                          "fp5",
                          "fp4",
                          "FP16",
                          "fp3+",
                          "fp3+x",
                          "fp3++3",
                          "fp3+3x",
                          "fp3+inf",
                          "uint4+3",
                          "e8m0+1",
                          "+3",
                          "int8 "}) {
    EXPECT_EQ(make_format(bad), nullptr) << '"' << bad << '"';
  }
}

// ----------------------------------------------------------------------------------------------
// BitMoD extended FP3/FP4.

TEST(ExtendedFloat, SpecialTables) {
  const SpecialTable a = bitmod_fp3_specials(), b = bitmod_fp4_specials();
  EXPECT_EQ(std::vector<double>(a.values, a.values + 4), (std::vector<double>{3, -3, 6, -6}));
  EXPECT_EQ(std::vector<double>(b.values, b.values + 4), (std::vector<double>{5, -5, 8, -8}));
}

TEST(ExtendedFloat, ValueSetsAreBasicPlusSpecial) {
  const std::vector<std::string> expect_names = {
      "fp3+3", "fp3-3", "fp3+6", "fp3-6", "fp4_e2m1+5", "fp4_e2m1-5", "fp4_e2m1+8", "fp4_e2m1-8"};
  const auto vs = bitmod_variants();
  ASSERT_EQ(vs.size(), expect_names.size());
  for (size_t k = 0; k < vs.size(); ++k) {
    const ExtendedFloat& x = vs[k];
    EXPECT_EQ(x.name(), expect_names[k]);
    const FloatElement& base = x.base();
    EXPECT_EQ(x.bits(), base.bits());
    EXPECT_EQ(x.special_code(), 1u << (base.bits() - 1));  // the basic format's -0 code
    EXPECT_EQ(base.decode(x.special_code()), 0.0);
    for (uint32_t code = 0; code < (1u << x.bits()); ++code) {
      EXPECT_EQ(x.decode(code), code == x.special_code() ? x.special() : base.decode(code));
    }
    std::vector<double> expect = base.grid();
    expect.push_back(x.special());
    EXPECT_EQ(x.grid(), sorted_distinct(expect)) << x.name();
    EXPECT_EQ(x.grid().size(), (1u << x.bits())) << x.name();  // every code distinct now
    EXPECT_EQ(x.max_abs(), std::max(base.max_abs(), std::fabs(x.special())));
    const CodeCounts c = count_codes(x);
    EXPECT_EQ(c.finite, 1 << x.bits());
    EXPECT_EQ(c.finite_values.count(0.0), 1u);  // zero once: -0 became the special
  }
  const ExtendedFloat f3p3(fp3(), 3);
  EXPECT_EQ(f3p3.grid(), values_of({-4, -2, -1, 0, 1, 2, 3, 4}));
  const ExtendedFloat f3m6(fp3(), -6);
  EXPECT_EQ(f3m6.grid(), values_of({-6, -4, -2, -1, 0, 1, 2, 4}));
  const ExtendedFloat f4p5(fp4_e2m1(), 5);
  EXPECT_EQ(f4p5.grid(),
            values_of({-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 5, 6}));
  const ExtendedFloat f4m8(fp4_e2m1(), -8);
  EXPECT_EQ(f4m8.grid(),
            values_of({-8, -6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6}));
}

TEST(ExtendedFloat, SpecialTakesPartInRounding) {
  const ExtendedFloat f4p5(fp4_e2m1(), 5), f4m8(fp4_e2m1(), -8), f3p3(fp3(), 3), f3m6(fp3(), -6);
  EXPECT_EQ(f4p5.decode(f4p5.encode(4.5)), 4.0);  // tie 4|5: smaller magnitude
  EXPECT_EQ(f4p5.encode(4.6), 0b1000u);           // the special code
  EXPECT_EQ(f4p5.encode(5.5), 0b1000u);           // tie 5|6
  EXPECT_EQ(f4p5.decode(f4p5.encode(5.6)), 6.0);
  EXPECT_EQ(f4p5.encode(0.0), 0u);
  EXPECT_EQ(f4p5.encode(-0.1), 0u);
  EXPECT_EQ(f4m8.encode(-7.1), 0b1000u);
  EXPECT_EQ(f4m8.encode(-100), 0b1000u);  // saturates at the special, which extends the range
  EXPECT_EQ(f4m8.decode(f4m8.encode(-7.0)), -6.0);  // tie 6|8
  EXPECT_EQ(f4m8.decode(f4m8.encode(100)), 6.0);
  EXPECT_EQ(f3p3.decode(f3p3.encode(2.5)), 2.0);
  EXPECT_EQ(f3p3.encode(2.6), 0b100u);
  EXPECT_EQ(f3p3.decode(f3p3.encode(3.6)), 4.0);
  EXPECT_EQ(f3m6.decode(f3m6.encode(-5.0)), -4.0);
  EXPECT_EQ(f3m6.encode(-5.1), 0b100u);
  EXPECT_EQ(f3m6.decode(f3m6.encode(6.0)), 4.0);
  // A special equal to a basic value keeps the basic (smaller) code.
  const ExtendedFloat dup(fp4_e2m1(), 4);
  EXPECT_EQ(dup.encode(4.0), 0b0110u);
  EXPECT_EQ(dup.name(), "fp4_e2m1+4");
}

// ----------------------------------------------------------------------------------------------
// Bit-serial terms.

double sum_terms(const std::vector<Term>& t) {
  double s = 0;
  for (const Term& x : t) {
    s += x.value();
  }
  return s;
}

/// Every code of f: the terms sum exactly to decode(code), their number is
/// bitserial_term_count(f) (<= max_terms), and each term is well formed.
void expect_terms_exact(const ElementFormat& f, size_t max_terms, bool booth) {
  const size_t n = bitserial_term_count(f);
  EXPECT_LE(n, max_terms) << f.name();
  EXPECT_GE(n, 1u) << f.name();
  for (uint32_t code = 0; code < (1u << f.bits()); ++code) {
    if (!f.valid_code(code)) {
      EXPECT_THROW(bitserial_terms(f, code), std::invalid_argument);
      continue;
    }
    const std::vector<Term> t = bitserial_terms(f, code);
    ASSERT_EQ(t.size(), n) << f.name() << " code " << code;
    EXPECT_EQ(sum_terms(t), f.decode(code)) << f.name() << " code " << code;
    for (size_t i = 0; i < t.size(); ++i) {
      EXPECT_TRUE(t[i].sign == 1 || t[i].sign == -1);
      EXPECT_TRUE(t[i].mantissa == 0 || t[i].mantissa == 1);
      EXPECT_EQ(t[i].significance, booth ? 2 * static_cast<int>(i) : -static_cast<int>(i));
      if (booth) {
        EXPECT_TRUE(t[i].exp == 0 || t[i].exp == 1);
      }
    }
  }
}

TEST(BitserialTerm, IntegersUseRadix4Booth) {
  expect_terms_exact(IntElement(8, IntKind::kTwosComplement), 4, true);
  EXPECT_EQ(bitserial_term_count(IntElement(8, IntKind::kTwosComplement)), 4);  // exactly 4
  expect_terms_exact(IntElement(6, IntKind::kTwosComplement), 3, true);
  EXPECT_EQ(bitserial_term_count(IntElement(6, IntKind::kTwosComplement)), 3);
  expect_terms_exact(IntElement(4, IntKind::kTwosComplement), 2, true);
  for (int b = 2; b <= 16; b += 2) {
    EXPECT_EQ(bitserial_term_count(IntElement(b, IntKind::kTwosComplement)), b / 2);
  }
  // Every width and kind (odd widths sign-extend by one bit).
  for (int b = 2; b <= 12; ++b) {
    expect_terms_exact(IntElement(b, IntKind::kTwosComplement), (b + 1) / 2, true);
    expect_terms_exact(IntElement(b, IntKind::kSymmetric), (b + 1) / 2, true);
    expect_terms_exact(IntElement(b, IntKind::kUnsigned), (b + 2) / 2, true);
  }
  expect_terms_exact(IntElement(16, IntKind::kTwosComplement), 8, true);
  expect_terms_exact(IntElement(4, IntKind::kAsymmetric, 7), 3, true);  // -7..8: 5 bits
  expect_terms_exact(IntElement(4, IntKind::kAsymmetric, 8), 2, true);  // -8..7: 4 bits
  expect_terms_exact(IntElement(8, IntKind::kAsymmetric, 100), 5, true);
}

TEST(BitserialTerm, BoothDigitsByHand) {
  const IntElement i8(8, IntKind::kTwosComplement);
  auto digits = [&](uint32_t code) {
    std::vector<int> d;
    for (const Term& t : bitserial_terms(i8, code)) {
      d.push_back(t.sign * t.mantissa * (1 << t.exp));
    }
    return d;
  };
  EXPECT_EQ(digits(0x00), (std::vector<int>{0, 0, 0, 0}));   // zero: 4 bubble terms
  EXPECT_EQ(digits(0x80), (std::vector<int>{0, 0, 0, -2}));  // -128 = -2 * 4^3
  EXPECT_EQ(digits(0x7F), (std::vector<int>{-1, 0, 0, 2}));  // 127 = 2 * 64 - 1
  EXPECT_EQ(digits(0xFF), (std::vector<int>{-1, 0, 0, 0}));  // -1
  EXPECT_EQ(digits(0x06), (std::vector<int>{-2, 2, 0, 0}));  // 6 = 8 - 2
  EXPECT_EQ(digits(0x55), (std::vector<int>{1, 1, 1, 1}));   // 85 = 1 + 4 + 16 + 64
}

TEST(BitserialTerm, FloatsHaveAtMostTwoTerms) {
  expect_terms_exact(fp3(), 2, false);
  expect_terms_exact(fp4_e2m1(), 2, false);
  EXPECT_EQ(bitserial_term_count(fp3()), 1);
  EXPECT_EQ(bitserial_term_count(fp4_e2m1()), 2);
  for (const ExtendedFloat& x : bitmod_variants()) {
    expect_terms_exact(x, 2, false);
    EXPECT_EQ(bitserial_term_count(x), 2) << x.name();
  }
  // Convention by hand: 3.0 = 1.1b * 2^1; 0.5 = 0.1b * 2^0 (subnormal); 0 -> bubble terms.
  const FloatElement f = fp4_e2m1();
  auto same = [](const Term& a, const Term& b) {
    return a.sign == b.sign && a.exp == b.exp && a.mantissa == b.mantissa &&
           a.significance == b.significance;
  };
  auto t = bitserial_terms(f, 0b0101);
  EXPECT_TRUE(same(t[0], Term{1, 1, 1, 0}) && same(t[1], Term{1, 1, 1, -1}));
  t = bitserial_terms(f, 0b1001);  // -0.5
  EXPECT_TRUE(same(t[0], Term{-1, 0, 0, 0}) && same(t[1], Term{-1, 0, 1, -1}));
  t = bitserial_terms(f, 0b0000);
  EXPECT_EQ(t[0].mantissa + t[1].mantissa, 0);
  t = bitserial_terms(fp3(), 0b011);  // 4 = 2^2
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(same(t[0], Term{1, 2, 1, 0}));
  t = bitserial_terms(fp3(), 0b000);  // zero: one bubble term
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].mantissa, 0);
}

TEST(BitserialTerm, SpecialValuesDecomposeIntoTwoPowersOfTwo) {
  auto special = [](const FloatElement& base, double v) {
    const ExtendedFloat x(base, v);
    return bitserial_terms(x, x.special_code());
  };
  auto same = [](const Term& a, int s, int e, int m, int sig) {
    return a.sign == s && a.exp == e && a.mantissa == m && a.significance == sig;
  };
  auto t = special(fp4_e2m1(), 5);  // 4 + 1
  EXPECT_TRUE(same(t[0], 1, 2, 1, 0) && same(t[1], 1, 1, 1, -1));
  t = special(fp4_e2m1(), -5);
  EXPECT_TRUE(same(t[0], -1, 2, 1, 0) && same(t[1], -1, 1, 1, -1));
  t = special(fp4_e2m1(), 8);  // 8
  EXPECT_TRUE(same(t[0], 1, 3, 1, 0) && same(t[1], 1, 3, 0, -1));
  t = special(fp3(), 3);  // 2 + 1
  EXPECT_TRUE(same(t[0], 1, 1, 1, 0) && same(t[1], 1, 1, 1, -1));
  t = special(fp3(), -6);  // -(4 + 2)
  EXPECT_TRUE(same(t[0], -1, 2, 1, 0) && same(t[1], -1, 2, 1, -1));
  t = special(fp4_e2m1(), 7);  // 8 - 1
  EXPECT_TRUE(same(t[0], 1, 3, 1, 0) && same(t[1], -1, 1, 1, -1));
  // Programmed specials: every value that is +-(2^a +- 2^b) decomposes exactly.
  for (double v :
       {0.0, 0.75, 1.0, 2.5, 7.0, 9.0, 10.0, 12.0, 14.0, 16.0, 24.0, -20.0, 0.375, -1.5}) {
    for (const FloatElement& base : {fp3(), fp4_e2m1()}) {
      const ExtendedFloat x(base, v);
      EXPECT_EQ(sum_terms(bitserial_terms(x, x.special_code())), v) << x.name();
      expect_terms_exact(x, 2, false);
    }
  }
  for (double v : {11.0, 13.0, -11.0, 0.1, 2.625}) {
    EXPECT_THROW(special(fp4_e2m1(), v), std::invalid_argument) << v;
  }
}

TEST(BitserialTerm, FormatsWithoutDecompositionThrow) {
  for (const char* n : {"fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2", "fp16", "bf16", "e8m0"}) {
    const auto f = make_format(n);
    EXPECT_THROW(bitserial_terms(*f, 0), std::invalid_argument) << n;
    EXPECT_THROW(bitserial_term_count(*f), std::invalid_argument) << n;
  }
  EXPECT_THROW(bitserial_terms(ExtendedFloat(fp8_e4m3(), 5), 0), std::invalid_argument);
  EXPECT_THROW(bitserial_terms(fp4_e2m1(), 16), std::invalid_argument);
  EXPECT_THROW(bitserial_terms(IntElement(4, IntKind::kSymmetric), 0x8), std::invalid_argument);
}

}  // namespace
}  // namespace tpesim::num
