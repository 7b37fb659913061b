// Lockstep checks of the MixPE RTL (rtl/mixpe/, docs/mixpe-pe.md) against the C++ oracle
// functions of models/numerics/mixpe.hpp, every output bit of every unit instance:
//  - mixpe_mac_int (B = 2, 3, 4, 8; signed and unsigned codes) == acc + shift_add_int(q, a),
//    wrapped to 32 bits: exhaustive over every code and every INT8 activation, 10 accumulators;
//  - mixpe_mac_fp (six (B, signedness) pairs) == mac_w4a16 and mixpe_row_add_fp ==
//    row_add_fp16: random and structured inputs (cancellation, ties, signed zeros,
//    subnormal activations, overflow); infinite/NaN activations against the IEEE FMA
//    fp_mac_fp16_fp32 (the oracle rejects them);
//  - mixpe_dequant_int (B = 2, 4, 8) == dequant_int and mixpe_dequant_fp (B = 4, 8) ==
//    dequant_fp: random and structured inputs (D = 0, cancellation, ties, underflow below
//    FP32's subnormals, overflow, infinite/NaN accumulators);
//  - fp16xint8_dequant (six (B, signedness) pairs) == dequant_weight_fp16: every code and zero
//    point pattern with special and random scales; fp16xint8_pe == fp_mac_fp16_fp32(acc, a,
//    dequant_weight_fp16(q, z, s)) on random inputs.
// Each test top (rtl/mixpe/test/mixpe_tb_*.v) holds several parameter sets of one unit fed by
// shared inputs, so one evaluation checks all of them. A mismatch prints the unit, the inputs,
// the expected and the actual bits (the first 20 per test), and the test fails.
// Build / run: ninja tpesim_mixpe_rtl_test && ./rtl/tpesim_mixpe_rtl_test (CTest label cosim).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "Vmixpe_tb_base.h"
#include "Vmixpe_tb_dqf.h"
#include "Vmixpe_tb_dqi.h"
#include "Vmixpe_tb_fp.h"
#include "Vmixpe_tb_int.h"
#include "models/numerics/fp_mac.hpp"
#include "models/numerics/mixpe.hpp"
#include "models/numerics/quant.hpp"
#include "verilated.h"

namespace {

namespace nm = tpesim::num::mixpe;
using tpesim::num::fp16_to_fp32_bits;
using tpesim::num::fp32_add;
using tpesim::num::fp_mac_fp16_fp32;

// ---------------------------------------------------------------------------------------
// Helpers

/// Counts compared outputs and mismatches; reports the first kMaxReports mismatches.
class Checker {
 public:
  static constexpr int kMaxReports = 20;
  /// Compares one output; `inputs` is only built on a mismatch.
  template <class F>
  void check(const char* unit, uint64_t want, uint64_t got, F&& inputs) {
    ++count_;
    if (want == got) return;
    if (++mismatches_ <= kMaxReports) {
      ADD_FAILURE() << unit << ": " << inputs() << " expected 0x" << hex(want) << " actual 0x"
                    << hex(got);
    }
  }
  int64_t count() const { return count_; }
  int64_t mismatches() const { return mismatches_; }

 private:
  static std::string hex(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(v));
    return b;
  }
  int64_t count_ = 0;       ///< outputs compared
  int64_t mismatches_ = 0;  ///< outputs that differed
};

std::string fmt_inputs(std::initializer_list<std::pair<const char*, uint64_t>> kv) {
  std::string s;
  char b[48];
  for (const auto& [k, v] : kv) {
    std::snprintf(b, sizeof b, "%s%s=0x%llx", s.empty() ? "" : " ", k,
                  static_cast<unsigned long long>(v));
    s += b;
  }
  return s;
}

/// The low `bits` bits of `pattern` as a code: two's complement or unsigned.
int32_t decode(uint32_t pattern, int bits, bool is_signed) {
  const uint32_t v = pattern & ((1u << bits) - 1u);
  if (is_signed && ((v >> (bits - 1)) & 1u)) return static_cast<int32_t>(v) - (1 << bits);
  return static_cast<int32_t>(v);
}

/// One instance of a unit in a test top: its name, code width B, code signedness and output.
template <class M>
struct Inst {
  const char* name;
  int bits;
  bool is_signed;
  uint64_t (*out)(M&);
  /// The instance's code: the low B bits of `pattern`.
  int32_t code(uint32_t pattern) const { return decode(pattern, bits, is_signed); }
};
/// The Inst of output port `port` of `unit` at B = b, signedness su (s or u): "unit B=b su".
#define MIXPE_INST(unit, b, su, port)                                                   \
  {                                                                                     \
    unit " B=" #b " " #su, b, #su[0] == 's', [](auto& m) -> uint64_t { return m.port; } \
  }

/// One combinational --cc test top in its own context (no time, no trace), and the checker
/// of its outputs.
template <class M>
class Top {
 public:
  Top() : ctx_(std::make_unique<VerilatedContext>()), m_(std::make_unique<M>(ctx_.get())) {}
  ~Top() { m_->final(); }
  Checker c;

 protected:
  M& m() { return *m_; }
  /// Compares the output of every instance in `insts` with want(instance) (after eval()).
  template <size_t N, class Want, class Inputs>
  void check_insts(const Inst<M> (&insts)[N], Want&& want, const Inputs& inputs) {
    for (const Inst<M>& in : insts) c.check(in.name, want(in), in.out(*m_), inputs);
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;  ///< the model's context
  std::unique_ptr<M> m_;                   ///< the model
};

/// Random finite FP16: zeros of both signs, subnormals, extremes, normals of any exponent.
uint16_t rand_fp16(std::mt19937_64& rng) {
  const uint64_t r = rng();
  const auto sign = static_cast<uint16_t>((r >> 20) & 0x8000);
  switch (r % 16) {
    case 0:
      return sign;  // +-0
    case 1:
    case 2:
      return static_cast<uint16_t>(sign | ((r >> 4) & 0x3FF));  // subnormal
    case 3: {
      const uint16_t ext[] = {0x0001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0x7BFE, 0x3BFF, 0x0401};
      return static_cast<uint16_t>(sign | ext[(r >> 8) % 8]);
    }
    default: {
      const auto e = static_cast<uint16_t>(1 + (r >> 8) % 30);
      return static_cast<uint16_t>(sign | (e << 10) | ((r >> 16) & 0x3FF));
    }
  }
}

/// A random 32-bit integer of random magnitude (0 to 31 significant bits), either sign.
uint32_t rand_int_mag(std::mt19937_64& rng) {
  const uint64_t r = rng();
  const int bits = static_cast<int>(r % 33);
  const uint32_t v = bits == 0 ? 0u : static_cast<uint32_t>((r >> 8) & ((1ull << bits) - 1));
  return (r >> 63) ? 0u - v : v;
}

/// Random FP32 with unbiased exponent near `e` (|delta| <= spread), any sign and mantissa;
/// clamped to [subnormal, max finite].
uint32_t fp32_near(std::mt19937_64& rng, int e, int spread) {
  const uint64_t r = rng();
  int ef = e + 127 + static_cast<int>(r % (2 * spread + 1)) - spread;
  ef = ef < 0 ? 0 : (ef > 254 ? 254 : ef);
  return static_cast<uint32_t>(((r >> 32) & 0x807FFFFFu) | (static_cast<uint64_t>(ef) << 23));
}

/// Unbiased exponent of a finite nonzero FP32 (subnormals: -127), for steering.
int fp32_exp(uint32_t v) { return static_cast<int>((v >> 23) & 0xFF) - 127; }

/// The FP32 with sign and mantissa from `bits` and exponent field `ef` clamped to [1, 254].
uint32_t fp32_with_field(uint64_t bits, int ef) {
  return static_cast<uint32_t>(bits & 0x807FFFFFu) |
         (static_cast<uint32_t>(std::clamp(ef, 1, 254)) << 23);
}

/// FP32 accumulators that every FP test mixes in: zeros, subnormals, extremes, specials.
const std::vector<uint32_t>& fp32_specials() {
  static const std::vector<uint32_t> v = {
      0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x00800000,
      0x3F800000, 0xBF800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000,
      0x7FC00000, 0x7F800001, 0xFFC00001, 0x4B800000, 0x33800000, 0x5F000000};
  return v;
}
/// The special FP32 picked by the random word `r`.
uint32_t fp32_special(uint64_t r) { return fp32_specials()[r % fp32_specials().size()]; }

/// An FP32 operand steered against the reference `ref` by `kind`: 0 random bits, 1 a
/// special, 2 within +-jitter of ref's bits (pass -ref for cancellation), otherwise an
/// exponent within +-spread binades of ref's.
uint32_t fp32_steer(std::mt19937_64& rng, int kind, uint32_t ref, int jitter, int spread) {
  switch (kind) {
    case 0:
      return static_cast<uint32_t>(rng());
    case 1:
      return fp32_special(rng());
    case 2:
      return static_cast<uint32_t>(static_cast<int64_t>(ref) +
                                   static_cast<int64_t>(rng() % (2 * jitter + 1)) - jitter);
    default:
      return fp32_near(rng, (ref & 0x7FFFFFFFu) ? fp32_exp(ref) : 0, spread);
  }
}

/// Tie vectors: for each FP16 power of two 2^k (k = -24..15), `per_k` calls f(r, k, x) with
/// a fresh random word r and x = +-2^k (the sign from r).
template <class F>
void for_each_fp16_pow2(std::mt19937_64& rng, int per_k, F&& f) {
  for (int k = -24; k <= 15; ++k)
    for (int i = 0; i < per_k; ++i) {
      const uint64_t r = rng();
      const auto x =
          k >= -14 ? static_cast<uint16_t>((k + 15) << 10) : static_cast<uint16_t>(1u << (k + 24));
      f(r, k, static_cast<uint16_t>(x | ((r >> 40) & 0x8000)));
    }
}

// ---------------------------------------------------------------------------------------
// mixpe_mac_int

constexpr Inst<Vmixpe_tb_int> kMacIntInsts[] = {
    MIXPE_INST("mac_int", 2, s, s2), MIXPE_INST("mac_int", 2, u, u2),
    MIXPE_INST("mac_int", 3, s, s3), MIXPE_INST("mac_int", 3, u, u3),
    MIXPE_INST("mac_int", 4, s, s4), MIXPE_INST("mac_int", 4, u, u4),
    MIXPE_INST("mac_int", 8, s, s8), MIXPE_INST("mac_int", 8, u, u8)};

class IntTop : public Top<Vmixpe_tb_int> {
 public:
  /// Drives one input vector and compares all eight MACs.
  void run(uint32_t acc, uint32_t qp, uint32_t ap) {
    m().acc_in = acc;
    m().q = static_cast<uint8_t>(qp);
    m().a = static_cast<uint8_t>(ap);
    m().eval();
    const int32_t a = static_cast<int8_t>(ap);
    auto inputs = [&] { return fmt_inputs({{"acc", acc}, {"q", qp}, {"a", ap}}); };
    auto prod = [&](const Inst<Vmixpe_tb_int>& in) {
      return nm::shift_add_int(in.code(qp), in.bits, in.is_signed, a);
    };
    check_insts(
        kMacIntInsts,
        [&](const auto& in) {
          return static_cast<uint32_t>(acc + static_cast<uint64_t>(prod(in)));
        },
        inputs);
    // The shift-and-add product is the exact product (docs/mixpe-pe.md).
    for (const auto& in : kMacIntInsts)
      c.check("shift_add_int == q*a", static_cast<uint64_t>(int64_t{in.code(qp)} * a),
              static_cast<uint64_t>(prod(in)), inputs);
  }
};

// Every code pattern (all B at once: each instance takes q's low B bits) x every INT8
// activation x 10 accumulators (0, +-1, the int32 extremes, values that wrap, random).
TEST(MixpeRtl, MacIntExhaustive) {
  IntTop t;
  const uint32_t accs[] = {0u,          1u,          0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u,
                           0x7FFFC000u, 0x80003FFFu, 0x12345678u, 0xDEADBEEFu, 0x00010000u};
  for (uint32_t acc : accs)
    for (uint32_t qp = 0; qp < 256; ++qp)
      for (uint32_t ap = 0; ap < 256; ++ap) t.run(acc, qp, ap);
  EXPECT_EQ(t.c.mismatches(), 0);
  EXPECT_EQ(t.c.count(), 10 * 256 * 256 * 8 * 2);
}

// ---------------------------------------------------------------------------------------
// mixpe_mac_fp and mixpe_row_add_fp

constexpr Inst<Vmixpe_tb_fp> kMacFpInsts[] = {
    MIXPE_INST("mac_fp", 4, s, s4), MIXPE_INST("mac_fp", 4, u, u4), MIXPE_INST("mac_fp", 8, s, s8),
    MIXPE_INST("mac_fp", 8, u, u8), MIXPE_INST("mac_fp", 2, s, s2), MIXPE_INST("mac_fp", 3, u, u3)};

class FpTop : public Top<Vmixpe_tb_fp> {
  /// Drives one input vector; returns the formatter of its inputs.
  auto drive(uint32_t acc, uint32_t qp, uint16_t a) {
    m().acc_in = acc;
    m().q = static_cast<uint8_t>(qp);
    m().a = a;
    m().eval();
    return [=] { return fmt_inputs({{"acc", acc}, {"q", qp & 0xFF}, {"a", a}}); };
  }

 public:
  /// Drives one input vector and compares all seven outputs (a must be finite).
  void run(uint32_t acc, uint32_t qp, uint16_t a) {
    const auto inputs = drive(acc, qp, a);
    check_insts(
        kMacFpInsts, [&](const auto& in) { return nm::mac_w4a16(acc, in.code(qp), a); }, inputs);
    c.check("row_add_fp", nm::row_add_fp16(acc, a), m().row, inputs);
    // The doc's equivalence: mac_w4a16 == fp_mac_fp16_fp32 with b = q as FP16.
    const int32_t q8 = decode(qp, 8, true);
    c.check("mac_w4a16 == fp_mac_fp16_fp32(acc, a, fp16(q))",
            fp_mac_fp16_fp32(acc, a, static_cast<uint16_t>(tpesim::num::fp16_bits(q8))),
            nm::mac_w4a16(acc, q8, a), inputs);
  }
  /// Non-finite activations (outside the oracle's domain): the IEEE FMA of acc and a * q.
  void run_ieee(uint32_t acc, uint32_t qp, uint16_t a) {
    const auto inputs = drive(acc, qp, a);
    check_insts(
        kMacFpInsts,
        [&](const auto& in) {
          return fp_mac_fp16_fp32(acc, a,
                                  static_cast<uint16_t>(tpesim::num::fp16_bits(in.code(qp))));
        },
        inputs);
    c.check("row_add_fp", fp32_add(acc, fp16_to_fp32_bits(a)), m().row, inputs);
  }
};

/// n random (finite FP16 activation a, code pattern qp) pairs: f(i, a, qp), i = 0..n-1.
template <class F>
void for_each_rand_aq(std::mt19937_64& rng, int n, F&& f) {
  for (int i = 0; i < n; ++i) {
    const uint16_t a = rand_fp16(rng);
    f(i, a, static_cast<uint32_t>(rng() & 0xFF));
  }
}

// 250,000 random vectors: a third with a random accumulator, the rest with the accumulator's
// exponent within +-30 binades of the product's (alignment, rounding, cancellation), plus
// the special accumulators against random products.
TEST(MixpeRtl, MacFpRandom) {
  FpTop t;
  std::mt19937_64 rng(0x3A16F32A);
  for_each_rand_aq(rng, 250000, [&](int i, uint16_t a, uint32_t qp) {
    uint32_t acc;
    if (i % 3 == 0) {
      acc = static_cast<uint32_t>(rng());
      if ((acc & 0x7F800000u) == 0x7F800000u) acc &= 0xBFFFFFFFu;  // mostly finite
    } else {
      const uint32_t p = fp16_to_fp32_bits(a);
      acc = fp32_near(rng, (p & 0x7FFFFFFFu) ? fp32_exp(p) + 4 : 0, 30);
    }
    t.run(acc, qp, a);
    if (i % 50 == 0) t.run(fp32_special(rng()), qp, a);
  });
  EXPECT_EQ(t.c.mismatches(), 0);
  EXPECT_GT(t.c.count(), 250000 * 8);
}

// Structured: exact cancellation (acc = -(q*a) + k ulps for the B = 8 signed product), ties
// (a = 2^k, odd q, acc's ulp 2^(k+1)), signed zeros (zero a or q against +-0), overflow
// (acc near FP32's max).
TEST(MixpeRtl, MacFpStructured) {
  FpTop t;
  std::mt19937_64 rng(0x3A16F32B);
  for_each_rand_aq(rng, 20000, [&](int, uint16_t a, uint32_t qp) {
    const uint32_t p = nm::mac_w4a16(0, decode(qp, 8, true), a);  // exact (fits FP32)
    for (int k = -3; k <= 3; ++k) {
      t.run(static_cast<uint32_t>(static_cast<int64_t>(p ^ 0x80000000u) + k), qp, a);
      t.run(static_cast<uint32_t>(static_cast<int64_t>(p) + k), qp, a);
    }
  });
  // Ties: a = +-2^k (k = -24..15), q odd; acc with lsb 2^(k+1) (FP32 field k + 1 + 150): the
  // sum's dropped bit is exactly one half ulp whenever acc's exponent is that of the result.
  for_each_fp16_pow2(rng, 400, [&](uint64_t r, int k, uint16_t a) {
    t.run(fp32_with_field(r >> 8, k + 1 + 150), static_cast<uint32_t>((r & 0xFE) | 1), a);
  });
  // Signed zeros: zero activations of both signs, and q = 0, against +-0 and nonzero.
  for (uint32_t acc : fp32_specials())
    for (uint16_t a : {0x0000, 0x8000, 0x3C00, 0xBC00, 0x0001, 0x8001})
      for (uint32_t qp = 0; qp < 256; ++qp) t.run(acc, qp, a);
  // Overflow: accumulators near FP32's max with the largest products.
  for (int i = 0; i < 5000; ++i) {
    const auto a = static_cast<uint16_t>((rng() & 0x8000) | (0x7800 + (rng() & 0x3FF)));
    t.run(fp32_near(rng, 127, 1), static_cast<uint32_t>(rng() & 0xFF), a);
  }
  EXPECT_EQ(t.c.mismatches(), 0);
}

// Infinite and NaN activations (rejected by mac_w4a16 / row_add_fp16): IEEE semantics.
TEST(MixpeRtl, MacFpNonFiniteActivationsFollowIeee) {
  FpTop t;
  for (uint32_t acc : fp32_specials())
    for (uint16_t a : {0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFFFF})
      for (uint32_t qp = 0; qp < 256; ++qp) t.run_ieee(acc, qp, a);
  EXPECT_EQ(t.c.mismatches(), 0);
}

// ---------------------------------------------------------------------------------------
// mixpe_dequant_int and mixpe_dequant_fp

/// D = RNE_fp32(P + (-z) * A), the first step of dequant_fp (same call as the oracle).
uint32_t dequant_fp_d(uint32_t p, uint32_t a_sum, int32_t z) {
  const float af = tpesim::num::fp32_from_bits(a_sum);
  const auto za = tpesim::num::Dyadic::from_double(af) * tpesim::num::Dyadic::from_int(-int64_t{z});
  return nm::fp32_fma_exact(p, za, std::signbit(af) != (-int64_t{z} < 0));
}

/// The outputs of mixpe_tb_dqi: mixpe_dequant_int at B = 2, 4, 8.
template <class F>
void check_dequant(Checker& c, Vmixpe_tb_dqi& m, uint32_t y, uint32_t p, uint32_t a_sum,
                   uint32_t zp, uint16_t s, const F& inputs) {
  const auto P = static_cast<int32_t>(p), A = static_cast<int32_t>(a_sum);
  c.check("dequant_int B=2", nm::dequant_int(y, P, A, decode(zp, 3, true), s), m.y2, inputs);
  c.check("dequant_int B=4", nm::dequant_int(y, P, A, decode(zp, 5, true), s), m.y4, inputs);
  c.check("dequant_int B=8", nm::dequant_int(y, P, A, decode(zp, 9, true), s), m.y8, inputs);
}

/// The outputs of mixpe_tb_dqf: mixpe_dequant_fp at B = 4, 8, its D and its result.
template <class F>
void check_dequant(Checker& c, Vmixpe_tb_dqf& m, uint32_t y, uint32_t p, uint32_t a_sum,
                   uint32_t zp, uint16_t s, const F& inputs) {
  const int32_t z4 = decode(zp, 5, true), z8 = decode(zp, 9, true);
  c.check("dequant_fp B=4 D", dequant_fp_d(p, a_sum, z4), m.d4, inputs);
  c.check("dequant_fp B=8 D", dequant_fp_d(p, a_sum, z8), m.d8, inputs);
  c.check("dequant_fp B=4", nm::dequant_fp(y, p, a_sum, z4, s), m.y4, inputs);
  c.check("dequant_fp B=8", nm::dequant_fp(y, p, a_sum, z8, s), m.y8, inputs);
}

/// A dequantisation test top (mixpe_tb_dqi or mixpe_tb_dqf: the same inputs y_in, p, a_sum,
/// z, s); run() drives one vector and compares every output (check_dequant).
template <class M>
class DequantTop : public Top<M> {
 public:
  void run(uint32_t y, uint32_t p, uint32_t a_sum, uint32_t zp, uint16_t s) {
    M& top = this->m();
    top.y_in = y;
    top.p = p;
    top.a_sum = a_sum;
    top.z = zp & 0x1FF;
    top.s = s;
    top.eval();
    auto inputs = [&] {
      return fmt_inputs({{"y", y}, {"P", p}, {"A", a_sum}, {"z", zp & 0x1FF}, {"s", s}});
    };
    check_dequant(this->c, top, y, p, a_sum, zp, s, inputs);
  }
  /// Runs every special FP32 y against every combination of the listed P, A, z, s.
  void run_all(std::initializer_list<uint32_t> ps, std::initializer_list<uint32_t> a_sums,
               std::initializer_list<uint32_t> zps, std::initializer_list<uint16_t> ss) {
    for (uint32_t y : fp32_specials())
      for (uint32_t p : ps)
        for (uint32_t a_sum : a_sums)
          for (uint32_t zp : zps)
            for (uint16_t s : ss) run(y, p, a_sum, zp, s);
  }
};
using DqiTop = DequantTop<Vmixpe_tb_dqi>;
using DqfTop = DequantTop<Vmixpe_tb_dqf>;

/// A dequantisation vector's P and A, and RNE(s * D) for steering y.
struct DequantPA {
  uint32_t p, a_sum, sd;
};

/// 250,000 random vectors on a dequantisation top: z any pattern, s any finite FP16, P and A
/// from pa(rng, i, zp, s), y random, special, -RNE(s * D) + k ulps (cancellation) or near
/// s * D's exponent; `outputs` compared per vector.
template <class M, class PA>
void run_dequant_random(uint64_t seed, int outputs, PA&& pa) {
  DequantTop<M> t;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 250000; ++i) {
    const auto zp = static_cast<uint32_t>(rng());
    const uint16_t s = rand_fp16(rng);
    const DequantPA v = pa(rng, i, zp, s);
    t.run(fp32_steer(rng, i % 5, v.sd ^ 0x80000000u, 3, 30), v.p, v.a_sum, zp, s);
  }
  EXPECT_EQ(t.c.mismatches(), 0);
  EXPECT_EQ(t.c.count(), 250000 * outputs);
}

// 250,000 random vectors: P and A of random magnitudes, z any pattern, s any finite FP16; plus
// D = 0 (P = z * A); y as in run_dequant_random.
TEST(MixpeRtl, DequantIntRandom) {
  run_dequant_random<Vmixpe_tb_dqi>(
      0xDE0A17, 3, [](std::mt19937_64& rng, int i, uint32_t zp, uint16_t s) {
        uint32_t p = rand_int_mag(rng), a_sum = rand_int_mag(rng);
        if (i % 10 == 1) {
          p = static_cast<uint32_t>(decode(zp, 9, true) * static_cast<int32_t>(a_sum & 0xFFFFF));
          a_sum &= 0xFFFFF;  // D = 0 for B = 8
        }
        return DequantPA{p, a_sum,
                         nm::dequant_int(0, static_cast<int32_t>(p), static_cast<int32_t>(a_sum),
                                         decode(zp, 5, true), s)};  // RNE(s * D), B = 4
      });
}

// Ties, signed zeros, extremes.
TEST(MixpeRtl, DequantIntStructured) {
  DqiTop t;
  std::mt19937_64 rng(0xDE0A18);
  // Ties: s = +-2^k, D odd (A = 0, P odd), y's lsb 2^(k+1).
  for_each_fp16_pow2(rng, 400, [&](uint64_t r, int k, uint16_t s) {
    const uint32_t p = static_cast<uint32_t>(rand_int_mag(rng) | 1u);
    t.run(fp32_with_field(r >> 8, k + 1 + 150), p, 0, static_cast<uint32_t>(r), s);
  });
  // Signed zeros: D = 0 or s = +-0 against +-0 and other accumulators.
  t.run_all({0u, 1u, 0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu}, {0u, 1u, 0xFFFFFFFFu, 0x80000000u},
            {0u, 1u, 0x1FFu, 0x100u, 0x0FFu, 0x101u},
            {0x0000, 0x8000, 0x3C00, 0xBC00, 0x0001, 0xFBFF});
  // Largest products: |D| near 2^(31+B) with s = +-65504.
  for (int i = 0; i < 2000; ++i) {
    const uint64_t r = rng();
    t.run(fp32_near(rng, 70, 60), static_cast<uint32_t>(r) | 0x80000000u,
          static_cast<uint32_t>(r >> 32), static_cast<uint32_t>(r >> 20), 0x7BFF);
  }
  EXPECT_EQ(t.c.mismatches(), 0);
}

// 250,000 random vectors: A any finite FP32 (the oracle rejects others), P near z * A
// (cancellation in D) or random or special; y as in run_dequant_random.
TEST(MixpeRtl, DequantFpRandom) {
  run_dequant_random<
      Vmixpe_tb_dqf>(0xDE0AF1, 4, [](std::mt19937_64& rng, int i, uint32_t zp, uint16_t s) {
    uint32_t a_sum = (i % 4 == 0) ? static_cast<uint32_t>(rng()) : fp32_near(rng, 0, 40);
    if ((a_sum & 0x7F800000u) == 0x7F800000u) a_sum &= 0xBFFFFFFFu;
    if (i % 16 == 0) a_sum &= 0x807FFFFFu;                             // subnormal or zero A
    const uint32_t za = dequant_fp_d(0, a_sum, -decode(zp, 9, true));  // RNE(z * A), B = 8
    const uint32_t p = fp32_steer(rng, i % 6, za, 4, 26);
    return DequantPA{p, a_sum, nm::dequant_fp(0, p, a_sum, decode(zp, 9, true), s)};  // RNE(s * D)
  });
}

// Ties in both roundings, products below FP32's subnormals, D overflowing to infinity,
// signed zeros.
TEST(MixpeRtl, DequantFpStructured) {
  DqfTop t;
  std::mt19937_64 rng(0xDE0AF2);
  // Ties in step 2: s = +-2^k, D = P (z = 0) with a random mantissa, y's lsb one above the
  // product's lsb.
  for_each_fp16_pow2(rng, 300, [&](uint64_t r, int k, uint16_t s) {
    const uint32_t p = fp32_near(rng, 0, 100) | 1u;  // odd significand
    const int ef = std::max(1, static_cast<int>((p >> 23) & 0xFF)) + k + 1;
    const uint32_t a_sum = static_cast<uint32_t>(r >> 32) & 0xBFFFFFFFu;  // finite
    t.run(fp32_with_field(r >> 8, ef), p, a_sum, 0, s);
  });
  // Ties in step 1: A = +-2^j, odd z, P's lsb 2^(j+1).
  for (int j = -149; j <= 100; ++j)
    for (int i = 0; i < 40; ++i) {
      const uint64_t r = rng();
      const uint32_t a_sum = j >= -126 ? static_cast<uint32_t>(j + 127) << 23 : 1u << (j + 149);
      t.run(0, fp32_with_field(r >> 8, j + 1 + 150), a_sum | static_cast<uint32_t>(r & 0x80000000u),
            static_cast<uint32_t>(r >> 16) | 1u, 0x3C00);
    }
  // Underflow: subnormal s times tiny D, y = +-0 or tiny.
  for (int i = 0; i < 20000; ++i) {
    const uint64_t r = rng();
    const auto s = static_cast<uint16_t>(r & 0x83FF);
    const uint32_t p = fp32_near(rng, -120, 30);
    const uint32_t y =
        (i % 2) ? static_cast<uint32_t>(r >> 32) & 0x80000007u : fp32_near(rng, -140, 10);
    t.run(y, p, fp32_near(rng, -130, 20), static_cast<uint32_t>(r >> 16), s);
  }
  // Overflow of D (P, A near FP32's max) and infinite / NaN P: y + D, the scale ignored.
  for (int i = 0; i < 5000; ++i) {
    const uint64_t r = rng();
    const uint32_t p = (i % 5 == 0) ? fp32_special(r) : fp32_near(rng, 126, 2);
    t.run(fp32_special(r >> 8), p, fp32_near(rng, 126, 3), static_cast<uint32_t>(r >> 16),
          rand_fp16(rng));
  }
  // Signed zeros.
  t.run_all({0x00000000u, 0x80000000u, 0x3F800000u, 0x00000001u},
            {0x00000000u, 0x80000000u, 0x3F800000u, 0xBF800000u}, {0u, 1u, 0x1FFu, 0x100u},
            {0x0000, 0x8000, 0x3C00, 0xBC00});
  EXPECT_EQ(t.c.mismatches(), 0);
}

// ---------------------------------------------------------------------------------------
// fp16xint8_dequant and fp16xint8_pe

constexpr Inst<Vmixpe_tb_base> kDequantWeightInsts[] = {
    MIXPE_INST("dequant_weight", 8, s, w_s8), MIXPE_INST("dequant_weight", 8, u, w_u8),
    MIXPE_INST("dequant_weight", 4, s, w_s4), MIXPE_INST("dequant_weight", 4, u, w_u4),
    MIXPE_INST("dequant_weight", 2, s, w_s2), MIXPE_INST("dequant_weight", 3, u, w_u3)};

class BaseTop : public Top<Vmixpe_tb_base> {
 public:
  void run(uint32_t acc, uint32_t qp, uint32_t zp, uint16_t s, uint16_t a) {
    m().acc_in = acc;
    m().q = static_cast<uint8_t>(qp);
    m().z = zp & 0x1FF;
    m().s = s;
    m().a = a;
    m().eval();
    auto inputs = [&] {
      return fmt_inputs({{"acc", acc}, {"q", qp & 0xFF}, {"z", zp & 0x1FF}, {"s", s}, {"a", a}});
    };
    check_insts(
        kDequantWeightInsts,
        [&](const auto& in) {
          return nm::dequant_weight_fp16(in.code(qp), decode(zp, in.bits + 1, true), s);
        },
        inputs);
    const uint16_t w8 = nm::dequant_weight_fp16(decode(qp, 8, true), decode(zp, 9, true), s);
    const uint16_t w4 = nm::dequant_weight_fp16(decode(qp, 4, false), decode(zp, 5, true), s);
    c.check("fp16xint8_pe B=8 s w", w8, m().pe_s8_w, inputs);
    c.check("fp16xint8_pe B=8 s acc", fp_mac_fp16_fp32(acc, a, w8), m().pe_s8_acc, inputs);
    c.check("fp16xint8_pe B=4 u w", w4, m().pe_u4_w, inputs);
    c.check("fp16xint8_pe B=4 u acc", fp_mac_fp16_fp32(acc, a, w4), m().pe_u4_acc, inputs);
  }
};

// Every code and zero-point pattern of B = 8 (so every pattern of B = 2, 3, 4 too) with
// special scales (1, a negative subnormal, 65504 (saturates), -0, 1 + 2^-10 (products that
// round, ties included)), then every pattern of B = 4 with 600 random scales.
TEST(MixpeRtl, DequantWeightExhaustive) {
  BaseTop t;
  std::mt19937_64 rng(0xBA5E16);
  const uint16_t scales[] = {0x3C00, 0x83FF, 0x7BFF, 0x8000, 0x3C01};
  for (uint16_t s : scales)
    for (uint32_t qp = 0; qp < 256; ++qp)
      for (uint32_t zp = 0; zp < 512; ++zp) t.run(0, qp, zp, s, 0x3C00);
  for (int i = 0; i < 600; ++i) {
    const uint16_t s = rand_fp16(rng);
    const uint64_t r = rng();
    for (uint32_t qp = 0; qp < 16; ++qp)
      for (uint32_t zp = 0; zp < 32; ++zp)
        t.run(0, qp | static_cast<uint32_t>(r & 0xF0), zp | static_cast<uint32_t>((r >> 8) & 0x1E0),
              s, 0x3C00);
  }
  EXPECT_EQ(t.c.mismatches(), 0);
}

// 200,000 random PE steps: any finite scale, code, zero point; activations and accumulators
// as in the FP MAC tests.
TEST(MixpeRtl, Fp16xInt8PeRandom) {
  BaseTop t;
  std::mt19937_64 rng(0xBA5E17);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t r = rng();
    const uint16_t s = rand_fp16(rng), a = rand_fp16(rng);
    const auto qp = static_cast<uint32_t>(r & 0xFF), zp = static_cast<uint32_t>(r >> 8);
    const uint16_t w8 = nm::dequant_weight_fp16(decode(qp, 8, true), decode(zp, 9, true), s);
    const uint32_t p = fp_mac_fp16_fp32(0, a, w8);
    t.run(fp32_steer(rng, i % 4, p ^ 0x80000000u, 3, 30), qp, zp, s, a);
  }
  EXPECT_EQ(t.c.mismatches(), 0);
}

}  // namespace
