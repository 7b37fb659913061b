// Lockstep check of rtl/systolic/fp16_fp32_mac.v (Verilated, plain --cc) against the C++
// model fp_mac_fp16_fp32() (models/numerics/fp_mac.hpp, itself checked against the exact
// oracle in tests/unit/test_fp_mac.cpp): bit equality on every special-class combination,
// on structured cases (exact cancellation, ties, neighbours of the product) and on random
// inputs from a fixed seed.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "Vfp16_fp32_mac.h"
#include "models/numerics/fp_mac.hpp"
#include "verilated.h"

namespace {

using tpesim::num::fp_mac_fp16_fp32;

// One Verilated instance, evaluated combinationally.
class Dut {
 public:
  Dut()
      : ctx_(std::make_unique<VerilatedContext>()),
        m_(std::make_unique<Vfp16_fp32_mac>(ctx_.get())) {}
  ~Dut() { m_->final(); }
  uint32_t eval(uint32_t acc, uint16_t a, uint16_t b) {
    m_->acc = acc;
    m_->a = a;
    m_->b = b;
    m_->eval();
    return m_->sum;
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;  ///< the model's context (no time: combinational)
  std::unique_ptr<Vfp16_fp32_mac> m_;      ///< the model
};

// Counts every compared case; asserts bit equality.
struct Checker {
  Dut dut;
  int64_t count = 0;
  void check(uint32_t acc, uint16_t a, uint16_t b) {
    const uint32_t want = fp_mac_fp16_fp32(acc, a, b);
    const uint32_t got = dut.eval(acc, a, b);
    ++count;
    ASSERT_EQ(got, want) << std::hex << "acc " << acc << " a " << a << " b " << b;
  }
};

std::vector<uint16_t> fp16_specials() {
  const uint16_t mags[] = {0x0000, 0x0001, 0x0002, 0x0155, 0x03FF, 0x0400, 0x0401,
                           0x0C00, 0x3BFF, 0x3C00, 0x3C01, 0x3E00, 0x4000, 0x5400,
                           0x5640, 0x7BFE, 0x7BFF, 0x7C00, 0x7C01, 0x7E00, 0x7FFF};
  std::vector<uint16_t> v;
  for (uint16_t m : mags) {
    v.push_back(m);
    v.push_back(static_cast<uint16_t>(m | 0x8000));
  }
  return v;
}
std::vector<uint32_t> fp32_specials() {
  const uint32_t mags[] = {0x00000000, 0x00000001, 0x00000002, 0x00400000, 0x007FFFFF, 0x00800000,
                           0x00800001, 0x27800000, 0x27800001, 0x33800000, 0x3F7FFFFF, 0x3F800000,
                           0x3F800001, 0x44800000, 0x4E800000, 0x4E800001, 0x4F7FE002, 0x4F800000,
                           0x5F800000, 0x7F7FFFFF, 0x7F800000, 0x7F800001, 0x7FC00000, 0x7FFFFFFF};
  std::vector<uint32_t> v;
  for (uint32_t m : mags) {
    v.push_back(m);
    v.push_back(m | 0x80000000u);
  }
  return v;
}

TEST(FpMacRtl, AllSpecialClassCombinations) {
  Checker c;
  for (uint32_t acc : fp32_specials())
    for (uint16_t a : fp16_specials())
      for (uint16_t b : fp16_specials()) {
        c.check(acc, a, b);
        if (HasFatalFailure()) return;
      }
  EXPECT_EQ(c.count, 48 * 42 * 42);
}

// acc = -(a*b) + k ulps (k in [-8, 8]) and acc = (a*b) * 2^j neighbours: cancellation,
// renormalisation after a big left shift, ties around the product's binade.
TEST(FpMacRtl, CancellationAndNeighbours) {
  Checker c;
  std::mt19937_64 rng(0xF16F32A1);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t r = rng();
    auto a = static_cast<uint16_t>(r);
    if ((a & 0x7C00) == 0x7C00) a &= 0xBFFF;  // finite factors: a finite product
    auto b = static_cast<uint16_t>(r >> 32);
    if ((b & 0x7C00) == 0x7C00) b &= 0xBFFF;
    const uint32_t p = fp_mac_fp16_fp32(0, a, b);  // exact product, finite
    if ((p & 0x7F800000u) == 0x7F800000u) continue;
    for (int k = -8; k <= 8; ++k) {
      c.check(static_cast<uint32_t>(static_cast<int64_t>(p ^ 0x80000000u) + k), a, b);
      c.check(static_cast<uint32_t>(static_cast<int64_t>(p) + k), a, b);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_EQ(c.count, 680000);  // 20,000 x 17 offsets x 2
}

// The sticky-bit alignment path at its tightest: narrow products (few significant bits)
// against accumulators 20 to 60 binades smaller, both signs (as in tests/unit/test_fp_mac.cpp).
TEST(FpMacRtl, StickyAlignmentWithNarrowProducts) {
  Checker c;
  const uint16_t narrow[] = {0x0001, 0x0002, 0x0003, 0x0005, 0x0400, 0x0C00,
                             0x3C00, 0x3C01, 0x3E00, 0x7800, 0x7BFF, 0x0010};
  std::mt19937_64 rng(0xF16F32A3);
  for (uint16_t a : narrow)
    for (uint16_t b : narrow)
      for (int sign = 0; sign < 2; ++sign) {
        const auto bs = static_cast<uint16_t>(b | (sign ? 0x8000 : 0));
        const int pe = static_cast<int>((fp_mac_fp16_fp32(0, a, bs) >> 23) & 0xFF);
        for (int de = 20; de <= 60 && pe - de >= 0; ++de)
          for (int k = 0; k < 64; ++k) {
            c.check((static_cast<uint32_t>(pe - de) << 23) | (rng() & 0x807FFFFFu), a, bs);
            if (HasFatalFailure()) return;
          }
      }
  EXPECT_EQ(c.count, 755712);  // 12 x 12 x 2 signs x 41 exponent gaps x 64
}

// 4,000,000 random inputs: a third raw bit patterns, the rest with acc's exponent within
// +-30 binades of the product's (where alignment, rounding and cancellation happen).
TEST(FpMacRtl, Random) {
  Checker c;
  std::mt19937_64 rng(0xF16F32A2);
  for (int i = 0; i < 4000000; ++i) {
    const uint64_t r = rng();
    auto acc = static_cast<uint32_t>(r);
    const auto a = static_cast<uint16_t>(r >> 32);
    const auto b = static_cast<uint16_t>(r >> 48);
    if (i % 3 != 0) {
      const uint32_t p = fp_mac_fp16_fp32(0, a, b);
      int pe = static_cast<int>((p >> 23) & 0xFF);
      if (pe == 255) pe = 127;
      int ae = pe + static_cast<int>(rng() % 61) - 30;
      ae = ae < 0 ? 0 : (ae > 254 ? 254 : ae);
      acc = (acc & 0x807FFFFFu) | (static_cast<uint32_t>(ae) << 23);
    }
    c.check(acc, a, b);
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(c.count, 4000000);
}

}  // namespace
