// Integer formats and accumulators of models/numerics.
#include <gtest/gtest.h>

#include "models/numerics/int_format.hpp"
#include "models/numerics/reference_gemm.hpp"

namespace tpesim::num {
namespace {

TEST(IntFormat, EveryCodeRoundTripsForEveryWidth) {
  for (int bits = 2; bits <= 16; ++bits)
    for (bool sgn : {true, false}) {
      const IntFormat f{bits, sgn};
      int64_t count = 0;
      for (uint64_t code = 0; code < (1ull << bits); ++code) {
        const int64_t v = f.decode(code);
        EXPECT_TRUE(f.contains(v));
        EXPECT_EQ(f.encode(v), code);
        ++count;
      }
      EXPECT_EQ(count, f.max() - f.min() + 1);
      EXPECT_EQ(f.min(), sgn ? -(1 << (bits - 1)) : 0);
    }
}

TEST(IntFormat, Names) {
  IntFormat f;
  EXPECT_TRUE(parse_int_format("uint4", &f));
  EXPECT_EQ(f, (IntFormat{4, false}));
  EXPECT_EQ(f.name(), "uint4");
  EXPECT_TRUE(parse_int_format("int16", &f));
  EXPECT_FALSE(parse_int_format("int1", &f));
  EXPECT_FALSE(parse_int_format("int17", &f));
  EXPECT_FALSE(parse_int_format("fp8", &f));
  EXPECT_FALSE(parse_int_format("int", &f));
}

TEST(AccFormat, WrapIsModularAndSaturateClamps) {
  for (int bits : {8, 12, 20, 32, 62, 63, 64}) {
    const AccFormat w{bits, Overflow::kWrap}, s{bits, Overflow::kSaturate};
    const __int128 one = 1;
    const int64_t hi = static_cast<int64_t>((one << (bits - 1)) - 1);
    const int64_t lo = static_cast<int64_t>(-(one << (bits - 1)));
    EXPECT_EQ(w.add(hi, 1), lo) << bits;
    EXPECT_EQ(w.add(lo, -1), hi) << bits;
    EXPECT_EQ(s.add(hi, 1), hi) << bits;
    EXPECT_EQ(s.add(lo, -1), lo) << bits;
    EXPECT_EQ(s.add(5, -7), -2);
    EXPECT_EQ(w.add(hi, 0), hi);
    // The fast path agrees with 128-bit arithmetic.
    for (int64_t p : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1} << 30, -(int64_t{1} << 31)}) {
      EXPECT_EQ(w.add(hi, p), w.add_slow(hi, p));
      EXPECT_EQ(s.add(lo, p), s.add_slow(lo, p));
    }
  }
}

TEST(ReferenceGemm, WrapEqualsExactModulo) {
  IntMatrix a(3, 7), b(7, 2);
  for (int i = 0; i < 21; ++i) a.v[i] = (i * 37) % 255 - 127;
  for (int i = 0; i < 14; ++i) b.v[i] = (i * 53) % 255 - 127;
  const IntMatrix e = gemm_exact(a, b);
  const AccFormat w{10, Overflow::kWrap};
  for (int chunk : {1, 2, 7, 100}) {
    const IntMatrix c = gemm_accumulate(a, b, w, chunk);
    for (size_t i = 0; i < e.v.size(); ++i) EXPECT_EQ(c.v[i], w.fit(e.v[i]));
  }
}

}  // namespace
}  // namespace tpesim::num
