// Lockstep checks of the BitMoD RTL (rtl/bitmod/, Verilated --cc models) against the C++
// models, every cycle, bit for bit:
//  - the arithmetic stages (bitmod_arith_tb) against num::bitmod::bitserial_dot, acc_add,
//    column_add and apply_channel_scale (docs/bitmod-pe.md) on random operands, including
//    operand ranges the PE cannot produce (saturation, underflow, FP32 overflow/subnormals);
//  - the PE (bitmod_pe) against bitmod::PeCore on random term streams: every weight type's
//    terms, FP16 activations with zeros, subnormals and negatives, groups of 1..40 term
//    cycles (so the PE waits for the dequantiser), random bubbles; ready, out_valid and the
//    output bits are compared every cycle;
//  - the term encoder (bitmod_encoder) against bitmod::TermEncoder for every hardware weight
//    type, every code and every selector, with random back-pressure;
//  - the array (bitmod_array, every variant built) against bitmod::BitmodArrayCore on GEMMs
//    (random weights of every type, and quantised real weights) fed through the ports with
//    random feeder stalls: in_ready and every PE's out_valid/out_bits every cycle; the
//    outputs also equal num::bitmod::gemm_bitmod, and without stalls the last output appears
//    at bitmod_array_cycles().
// Build: the tests are part of tpesim_cosim_tests (label cosim); a stand-alone binary of this
// file only is `ninja tpesim_bitmod_rtl_tests` (rtl/bitmod.cmake).
// The first mismatch reports cycle, signal, expected and actual.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vbitmod_arith_tb.h"
#include "Vbitmod_encoder.h"
#include "Vbitmod_pe.h"
#include "models/bitmod/array_core.hpp"
#include "models/bitmod/array_io.hpp"
#include "models/bitmod/encoder.hpp"
#include "models/bitmod/pe_core.hpp"
#include "models/numerics/bitmod_pe.hpp"
#include "models/numerics/element_format.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"
#include "rtl/harness/bitmod_rtl.hpp"
#include "verilated.h"

namespace tpesim {
namespace {

namespace nb = num::bitmod;
using bitmod::WeightFmt;

// ---------------------------------------------------------------------------------------
// Helpers

/// A plain --cc model clocked from C++ (no time, no trace).
template <class M>
class Clocked {
 public:
  Clocked() : ctx_(std::make_unique<VerilatedContext>()), m_(std::make_unique<M>(ctx_.get())) {
    m_->rst = 1;
    low();
    edge();
    m_->rst = 0;
  }
  ~Clocked() { m_->final(); }
  Clocked(const Clocked&) = delete;
  Clocked& operator=(const Clocked&) = delete;
  M& m() { return *m_; }
  /// clk low with the current inputs (combinational outputs settle).
  void low() {
    m_->clk = 0;
    m_->eval();
  }
  /// The rising edge.
  void edge() {
    m_->clk = 1;
    m_->eval();
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<M> m_;
};

/// A combinational --cc model (no clock).
template <class M>
class Comb {
 public:
  Comb() : ctx_(std::make_unique<VerilatedContext>()), m_(std::make_unique<M>(ctx_.get())) {}
  ~Comb() { m_->final(); }
  Comb(const Comb&) = delete;
  Comb& operator=(const Comb&) = delete;
  M& m() { return *m_; }

 private:
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<M> m_;
};

/// The value of an FP16 code (finite).
double fp16_value(uint16_t c) {
  const int e = (c >> 10) & 31, f = c & 1023;
  const double v = e ? std::ldexp(1024.0 + f, e - 25) : std::ldexp(static_cast<double>(f), -24);
  return (c & 0x8000) ? -v : v;
}

/// FP32 bits of a value that is an FP32 value (or +-inf).
uint32_t f32_bits(double v) {
  const float f = static_cast<float>(v);
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
double f32_value(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

/// Where a comparison happens: a clock cycle or a case number of a combinational test.
struct At {
  const char* unit;
  uint64_t n;
};
At cyc(uint64_t n) { return At{"cycle", n}; }
At case_no(uint64_t n) { return At{"case", n}; }

/// Equality with a message naming the cycle (or case), the signal, expected and actual.
template <class T>
::testing::AssertionResult same(At at, const char* signal, const T& expected, const T& actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << at.unit << " " << at.n << ": " << signal << ": expected "
                                       << +expected << ", actual " << +actual;
}
/// The same for bit patterns, printed in hex.
::testing::AssertionResult same_bits(At at, const char* signal, uint64_t expected, uint64_t actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << at.unit << " " << at.n << ": " << signal << ": expected "
                                       << hex(expected) << ", actual " << hex(actual);
}

/// A random finite FP16 code: zeros, subnormals, extremes and normals of either sign.
uint16_t random_fp16(std::mt19937_64& rng) {
  const uint16_t sign = (rng() & 1) ? 0x8000 : 0;
  const int cls = static_cast<int>(rng() % 20);
  uint16_t mag;
  if (cls < 2) {
    mag = 0;
  } else if (cls < 5) {
    mag = static_cast<uint16_t>(1 + rng() % 1023);  // subnormal
  } else if (cls < 6) {
    const uint16_t ext[] = {0x7BFF, 0x0400, 0x0001, 0x3C00, 0x03FF, 0x7800};
    mag = ext[rng() % 6];
  } else {
    mag = static_cast<uint16_t>(((1 + rng() % 30) << 10) | (rng() % 1024));
  }
  return static_cast<uint16_t>(sign | mag);
}

/// The hardware weight types and the numerics formats they decode.
struct HwType {
  WeightFmt fmt;
  uint8_t sel;
  const char* name;
};
const std::vector<HwType>& hw_types() {
  static const std::vector<HwType> t = {
      {WeightFmt::kInt8, 0, "int8"},        {WeightFmt::kInt6, 0, "int6"},
      {WeightFmt::kInt4, 0, "int4"},        {WeightFmt::kFp4, 0, "fp4_e2m1"},
      {WeightFmt::kFp3, 0, "fp3"},          {WeightFmt::kFp4X, 0, "fp4_e2m1+5"},
      {WeightFmt::kFp4X, 1, "fp4_e2m1-5"},  {WeightFmt::kFp4X, 2, "fp4_e2m1+8"},
      {WeightFmt::kFp4X, 3, "fp4_e2m1-8"},  {WeightFmt::kFp3X, 0, "fp3+3"},
      {WeightFmt::kFp3X, 1, "fp3-3"},       {WeightFmt::kFp3X, 2, "fp3+6"},
      {WeightFmt::kFp3X, 3, "fp3-6"}};
  return t;
}
std::shared_ptr<const num::ElementFormat> format_of(const HwType& t) {
  return std::shared_ptr<const num::ElementFormat>(num::make_format(t.name));
}
/// The hardware type of a format (by name; the symmetric integers decode as two's
/// complement). Throws std::invalid_argument for a format the encoder does not decode.
const HwType& hw_type_of(const num::ElementFormat& f) {
  std::string n = f.name();
  if (n == "int8_sym" || n == "int6_sym" || n == "int4_sym") n.resize(4);
  for (const HwType& t : hw_types())
    if (n == t.name) return t;
  throw std::invalid_argument("no hardware weight type for " + f.name());
}

// ---------------------------------------------------------------------------------------
// Stages

TEST(BitmodRtlStages, DotEqualsBitserialDot) {
  Comb<Vbitmod_arith_tb> tb;
  auto& m = tb.m();
  const nb::BitmodPeParams p;
  std::mt19937_64 rng(1);
  const int sigs[] = {-1, 0, 2, 4, 6};
  for (int it = 0; it < 200000; ++it) {
    nb::ActOperand acts[4];
    num::Term terms[4];
    uint64_t acodes = 0;
    uint32_t neg = 0, ex = 0, man = 0;
    // Activation exponents clustered around a base, so alignments of 0..16 are common.
    const int base = static_cast<int>(rng() % 31);
    const int sig = sigs[rng() % 5];
    for (int i = 0; i < 4; ++i) {
      uint16_t c = random_fp16(rng);
      if (rng() % 2) {
        const int e = std::clamp(base - static_cast<int>(rng() % 17), 0, 30);
        c = static_cast<uint16_t>((c & 0x83FF) | (e << 10));
      }
      acodes |= static_cast<uint64_t>(c) << (16 * i);
      acts[i] = nb::unpack_fp16(c);
      terms[i] = num::Term{(rng() & 1) ? -1 : 1, static_cast<int>(rng() % 4),
                           rng() % 8 != 0 ? 1 : 0, sig};
      neg |= (terms[i].sign < 0 ? 1u : 0u) << i;
      ex |= static_cast<uint32_t>(terms[i].exp) << (2 * i);
      man |= static_cast<uint32_t>(terms[i].mantissa) << i;
    }
    m.d_acts = acodes;
    m.d_neg = neg;
    m.d_exp = ex;
    m.d_man = man;
    m.d_sig = static_cast<uint32_t>(sig) & 15u;
    m.eval();
    const nb::TreeOut want = nb::bitserial_dot(acts, terms, p);
    const int64_t got = m.d_x_neg ? -static_cast<int64_t>(m.d_x_mag) : static_cast<int64_t>(m.d_x_mag);
    const int got_exp = static_cast<int>(static_cast<int16_t>(static_cast<uint16_t>(m.d_x_exp << 4)) >> 4);
    ASSERT_TRUE(same<int64_t>(case_no(it), "tree sum", want.sum, got)) << " (acts " << hex(acodes) << ")";
    if (want.sum != 0) {
      ASSERT_TRUE(same(case_no(it), "scale exponent", want.scale_exp, got_exp));
    }
  }
}

/// A random canonical accumulator register.
nb::AccReg random_acc(std::mt19937_64& rng) {
  nb::AccReg a;
  if (rng() % 10 == 0) return a;  // +0
  a.exp_field = static_cast<int>(rng() % 64);
  if (rng() % 8 == 0) a.exp_field = rng() % 2 ? 0 : 63;
  a.man = a.exp_field ? (1u << 13) | (rng() % (1u << 13)) : 1 + rng() % ((1u << 13) - 1);
  a.sign = rng() & 1;
  return a;
}

TEST(BitmodRtlStages, AccAddEqualsModel) {
  Comb<Vbitmod_arith_tb> tb;
  auto& m = tb.m();
  const nb::BitmodPeParams p;
  std::mt19937_64 rng(2);
  int saturated = 0, subnormal = 0;
  for (int it = 0; it < 300000; ++it) {
    const nb::AccReg a = random_acc(rng);
    nb::TreeOut x;
    const int64_t mag = (rng() % 4 == 0) ? static_cast<int64_t>(rng() % 16) : static_cast<int64_t>(rng() % 65536);
    x.sum = (rng() & 1) ? -mag : mag;
    const int a_top = nb::acc_lsb_exp(a, p) + 13;
    // Near the accumulator (cancellation, ties) or anywhere in a wide range.
    x.scale_exp = rng() % 2 ? a_top - 15 + static_cast<int>(rng() % 20) : static_cast<int>(rng() % 120) - 80;
    if (rng() % 16 == 0) {  // exact negation of the accumulator
      x.sum = a.sign ? static_cast<int64_t>(a.man) : -static_cast<int64_t>(a.man);
      x.scale_exp = nb::acc_lsb_exp(a, p);
    }
    m.a_sign = a.sign;
    m.a_exp = static_cast<uint32_t>(a.exp_field);
    m.a_man = static_cast<uint32_t>(a.man);
    m.a_x_neg = x.sum < 0;
    m.a_x_mag = static_cast<uint32_t>(x.sum < 0 ? -x.sum : x.sum);
    m.a_x_exp = static_cast<uint32_t>(x.scale_exp) & 0xFFFu;
    m.eval();
    bool ovf = false;
    const nb::AccReg want = nb::acc_add(a, x, p, &ovf);
    auto ctx = [&] {
      return " (acc {" + std::to_string(a.sign) + ", " + std::to_string(a.exp_field) + ", " +
             std::to_string(a.man) + "} + " + std::to_string(x.sum) + " * 2^" + std::to_string(x.scale_exp) + ")";
    };
    ASSERT_TRUE(same(case_no(it), "sign", want.sign, m.a_r_sign != 0)) << ctx();
    ASSERT_TRUE(same(case_no(it), "exponent field", want.exp_field, static_cast<int>(m.a_r_exp))) << ctx();
    ASSERT_TRUE(same(case_no(it), "mantissa", want.man, static_cast<uint64_t>(m.a_r_man))) << ctx();
    ASSERT_TRUE(same(case_no(it), "overflow flag", ovf, m.a_r_ovf != 0)) << ctx();
    saturated += ovf;
    subnormal += want.exp_field == 0 && want.man != 0;
  }
  EXPECT_GT(saturated, 100);
  EXPECT_GT(subnormal, 100);
}

/// A random finite FP32 code: zeros, subnormals, extremes, normals.
uint32_t random_fp32(std::mt19937_64& rng, int emin = 1, int emax = 254) {
  const uint32_t sign = (rng() & 1) ? 0x80000000u : 0;
  const int cls = static_cast<int>(rng() % 20);
  uint32_t mag;
  if (cls < 2) {
    mag = 0;
  } else if (cls < 4) {
    mag = 1 + static_cast<uint32_t>(rng() % 0x7FFFFF);
  } else if (cls < 5) {
    const uint32_t ext[] = {0x7F7FFFFF, 0x00800000, 0x00000001, 0x3F800000, 0x007FFFFF};
    mag = ext[rng() % 5];
  } else {
    mag = (static_cast<uint32_t>(emin + static_cast<int>(rng() % (emax - emin + 1))) << 23) |
          static_cast<uint32_t>(rng() % 0x800000);
  }
  return sign | mag;
}

TEST(BitmodRtlStages, ColumnAddEqualsModel) {
  Comb<Vbitmod_arith_tb> tb;
  auto& m = tb.m();
  const nb::BitmodPeParams p;
  std::mt19937_64 rng(3);
  for (int it = 0; it < 200000; ++it) {
    nb::DequantOut d;
    d.man = rng() % 4 == 0 ? rng() % 64 : rng() % (1u << 22);
    d.sign = d.man != 0 && (rng() & 1);
    uint32_t a;
    if (rng() % 3 == 0) {
      // Near the addend: cancellation and ties.
      d.exp = static_cast<int>(rng() % 100) - 60;
      const double x = std::ldexp(static_cast<double>(d.man), d.exp);
      a = f32_bits(-(d.sign ? -x : x)) + static_cast<uint32_t>(rng() % 5) - 2u;
      if (((a >> 23) & 0xFF) == 0xFF) a = 0;
    } else {
      d.exp = static_cast<int>(rng() % 330) - 190;
      a = random_fp32(rng);
    }
    m.c_a = a;
    m.c_x_neg = d.sign;
    m.c_x_mag = static_cast<uint32_t>(d.man);
    m.c_x_exp = static_cast<uint32_t>(d.exp) & 0xFFFu;
    m.eval();
    const uint32_t want = f32_bits(nb::column_add(f32_value(a), d, p));
    ASSERT_TRUE(same_bits(case_no(it), "sum", want, m.c_r)) << " (" << hex(a) << " + " << (d.sign ? "-" : "")
                                    << d.man << " * 2^" << d.exp << ")";
  }
}

TEST(BitmodRtlStages, ChannelScaleEqualsModel) {
  Comb<Vbitmod_arith_tb> tb;
  auto& m = tb.m();
  const nb::BitmodPeParams p;
  std::mt19937_64 rng(4);
  for (int it = 0; it < 200000; ++it) {
    const uint32_t a = random_fp32(rng);
    const uint16_t s = random_fp16(rng);
    m.m_a = a;
    m.m_s = s;
    m.eval();
    const uint32_t want = f32_bits(nb::apply_channel_scale(f32_value(a), fp16_value(s), p));
    ASSERT_TRUE(same_bits(case_no(it), "product", want, m.m_r)) << " (" << hex(a) << " * fp16 " << hex(s) << ")";
  }
}

// ---------------------------------------------------------------------------------------
// PE

/// One term cycle as the test offers it: FP16 codes and terms, and the C++ model's input.
struct TermCycle {
  uint16_t acts[4] = {};
  num::Term terms[4];
  bool group_last = false;
  uint32_t scale_q = 0;
  bool output_last = false;
  uint16_t channel_scale = 0x3C00;
  bitmod::PeInput pe;  ///< the same for PeCore
};

/// Groups of random weight types and random lengths (term cycles), activations changing
/// with every quad.
std::vector<TermCycle> random_term_stream(std::mt19937_64& rng, int groups) {
  std::vector<TermCycle> out;
  for (int g = 0; g < groups; ++g) {
    const HwType& ty = hw_types()[rng() % hw_types().size()];
    const auto fmt = format_of(ty);
    const int T = num::bitserial_term_count(*fmt);
    const int len = 1 + static_cast<int>(rng() % 40);
    const uint32_t q = rng() % 8 == 0 ? (rng() % 2 ? 255u : 0u) : static_cast<uint32_t>(rng() % 256);
    const bool olast = rng() % 3 == 0 || g == groups - 1;
    const uint16_t cs = rng() % 4 == 0 ? 0x3C00 : random_fp16(rng);
    std::vector<std::vector<num::Term>> wt(4);
    uint16_t acts[4] = {};
    int lanes = 4;
    for (int k = 0; k < len; ++k) {
      const int t = k % T;
      if (t == 0) {
        lanes = rng() % 5 == 0 ? 1 + static_cast<int>(rng() % 3) : 4;
        for (int i = 0; i < 4; ++i) {
          uint32_t code;
          do code = static_cast<uint32_t>(rng() % (1u << fmt->bits()));
          while (!fmt->valid_code(code));
          wt[i] = num::bitserial_terms(*fmt, code);
          acts[i] = random_fp16(rng);
        }
      }
      TermCycle c;
      for (int i = 0; i < 4; ++i) {
        c.acts[i] = acts[i];
        c.terms[i] = i < lanes ? wt[i][t] : num::Term{1, 0, 0, wt[0][t].significance};
        c.pe.acts[i] = nb::unpack_fp16(acts[i]);
        c.pe.terms[i] = c.terms[i];
      }
      c.pe.valid = true;
      if (k == len - 1) {
        c.group_last = c.pe.group_last = true;
        c.scale_q = c.pe.scale_q = q;
        c.output_last = c.pe.output_last = olast;
        c.channel_scale = cs;
        c.pe.channel_scale = fp16_value(cs);
      }
      out.push_back(c);
    }
  }
  return out;
}

void drive_pe(Vbitmod_pe& m, const TermCycle* c) {
  m.in_valid = c != nullptr;
  if (!c) return;
  uint64_t acts = 0;
  uint32_t neg = 0, ex = 0, man = 0;
  for (int i = 0; i < 4; ++i) {
    acts |= static_cast<uint64_t>(c->acts[i]) << (16 * i);
    neg |= (c->terms[i].sign < 0 ? 1u : 0u) << i;
    ex |= static_cast<uint32_t>(c->terms[i].exp) << (2 * i);
    man |= static_cast<uint32_t>(c->terms[i].mantissa) << i;
  }
  m.acts = acts;
  m.t_neg = neg;
  m.t_exp = ex;
  m.t_man = man;
  m.t_sig = static_cast<uint32_t>(c->terms[0].significance) & 15u;
  m.group_last = c->group_last;
  m.scale_q = c->scale_q;
  m.output_last = c->output_last;
  m.channel_scale = c->channel_scale;
}

TEST(BitmodRtlPe, EqualsPeCoreEveryCycle) {
  std::mt19937_64 rng(5);
  const std::vector<TermCycle> stream = random_term_stream(rng, 1500);
  Clocked<Vbitmod_pe> rtl;
  bitmod::PeCore pe;
  size_t next = 0;
  int outputs = 0, drain = 0;
  for (uint64_t cycle = 0; drain < 40; ++cycle) {
    const bool offer = next < stream.size() && rng() % 5 != 0;  // random bubbles
    drive_pe(rtl.m(), offer ? &stream[next] : nullptr);
    rtl.low();
    const bool ready = pe.ready();
    ASSERT_TRUE(same(cyc(cycle), "ready", ready, rtl.m().ready != 0));
    bitmod::PeOutput out;
    pe.step(offer ? stream[next].pe : bitmod::PeInput{}, &out);
    rtl.edge();
    ASSERT_TRUE(same(cyc(cycle), "out_valid", out.out_valid, rtl.m().out_valid != 0));
    ASSERT_TRUE(same_bits(cyc(cycle), "out", f32_bits(out.out), rtl.m().out)) << " (" << out.out << ")";
    outputs += out.out_valid;
    if (offer && ready) ++next;
    if (next == stream.size()) ++drain;
  }
  EXPECT_GT(outputs, 400);
  EXPECT_GT(pe.counters().wait_cycles, 100u);  // the dequantiser made the PE wait
  EXPECT_EQ(pe.counters().term_cycles, stream.size());
}

// ---------------------------------------------------------------------------------------
// Encoder

TEST(BitmodRtlEncoder, EqualsTermEncoderForEveryTypeCodeAndSelector) {
  std::mt19937_64 rng(6);
  struct Quad {
    const HwType* ty;
    bitmod::QuadInput in;
    uint16_t cs;
  };
  std::vector<Quad> quads;
  for (const HwType& ty : hw_types()) {
    const auto fmt = format_of(ty);
    std::vector<uint32_t> codes;
    for (int rep = 0; rep < 4; ++rep)
      for (uint32_t c = 0; c < (1u << fmt->bits()); ++c)
        if (fmt->valid_code(c)) codes.push_back(c);
    std::shuffle(codes.begin(), codes.end(), rng);
    for (size_t i = 0; i < codes.size(); i += 4) {
      Quad q{&ty, {}, random_fp16(rng)};
      q.in.valid = true;
      q.in.format = fmt;
      q.in.lanes_used = rng() % 4 == 0 ? 1 + static_cast<int>(rng() % 4) : 4;
      for (size_t l = 0; l < 4; ++l) q.in.codes[l] = codes[(i + l) % codes.size()];
      q.in.group_last = rng() & 1;
      q.in.scale_q = static_cast<uint32_t>(rng() % 256);
      q.in.output_last = rng() & 1;
      q.in.channel_scale = fp16_value(q.cs);
      quads.push_back(q);
    }
  }
  std::shuffle(quads.begin(), quads.end(), rng);

  Clocked<Vbitmod_encoder> rtl;
  auto& m = rtl.m();
  bitmod::TermEncoder enc;
  bitmod::PeInput reg;
  size_t next = 0;
  int nterms = 0, emitted = 0;
  uint16_t cur_cs = 0;
  uint64_t terms = 0;
  for (uint64_t cycle = 0; next < quads.size() || reg.valid; ++cycle) {
    const bool ds = rng() % 10 < 7;
    const bool offer = next < quads.size() && rng() % 5 != 0;
    const Quad* q = offer ? &quads[next] : nullptr;
    m.in_valid = offer;
    m.ds_ready = ds;
    if (q) {
      m.fmt = static_cast<uint32_t>(q->ty->fmt);
      m.sel = q->ty->sel;
      m.lanes_used = static_cast<uint32_t>(q->in.lanes_used);
      uint32_t codes = 0;
      for (int l = 0; l < 4; ++l) codes |= q->in.codes[l] << (8 * l);
      m.codes = codes;
      m.group_last = q->in.group_last;
      m.scale_q = q->in.scale_q;
      m.output_last = q->in.output_last;
      m.channel_scale = q->cs;
    }
    rtl.low();
    const bool ready = enc.ready(ds);
    ASSERT_TRUE(same(cyc(cycle), "ready", ready, m.ready != 0));
    const bool hold = reg.valid && !ds;
    enc.step(q ? q->in : bitmod::QuadInput{}, ds, &reg);
    rtl.edge();
    const bool accepted = offer && ready;
    if (accepted) {
      nterms = num::bitserial_term_count(*q->in.format);
      emitted = 0;
      cur_cs = q->cs;
    }
    if (!hold && reg.valid) ++emitted, ++terms;
    ASSERT_TRUE(same(cyc(cycle), "out_valid", reg.valid, m.out_valid != 0));
    if (reg.valid) {
      for (int l = 0; l < 4; ++l) {
        const num::Term& t = reg.terms[l];
        ASSERT_TRUE(same(cyc(cycle), "out_neg", t.sign < 0 ? 1u : 0u, (m.out_neg >> l) & 1u)) << " lane " << l;
        ASSERT_TRUE(same(cyc(cycle), "out_exp", t.exp, static_cast<int>((m.out_exp >> (2 * l)) & 3u))) << " lane " << l;
        ASSERT_TRUE(same(cyc(cycle), "out_man", t.mantissa, static_cast<int>((m.out_man >> l) & 1u))) << " lane " << l;
      }
      const int sig = static_cast<int>(m.out_sig & 7u) - static_cast<int>(m.out_sig & 8u);
      ASSERT_TRUE(same(cyc(cycle), "out_sig", reg.terms[0].significance, sig));
      ASSERT_TRUE(same(cyc(cycle), "out_group_last", reg.group_last, m.out_group_last != 0));
      ASSERT_TRUE(same(cyc(cycle), "out_output_last", reg.output_last, m.out_output_last != 0));
      ASSERT_TRUE(same(cyc(cycle), "out_scale_q", reg.scale_q, static_cast<uint32_t>(m.out_scale_q)));
      if (emitted == nterms) {
        ASSERT_TRUE(same_bits(cyc(cycle), "out_channel_scale", cur_cs, m.out_channel_scale));
      }
    }
    if (accepted) ++next;
  }
  EXPECT_EQ(enc.counters().quads, quads.size());
  EXPECT_EQ(enc.counters().term_cycles, terms);
  EXPECT_GE(terms, 1480u);  // every code 4 times: sum over types of 4 * codes * terms / 4 lanes
}

// ---------------------------------------------------------------------------------------
// Array

/// The feeder's steps for C = A x W on `shape`: folds (m-tile outer, n-tile inner), each the
/// quad steps of one output; columns beyond N get zero codes of column 0's type with
/// scale_q = 0, rows beyond M zero activations.
std::vector<bitmod::BitmodArrayIn> array_steps(const bitmod::ArrayShape& shape,
                                               const std::vector<uint16_t>& a, int64_t M,
                                               const nb::BitmodWeights& w) {
  const int R = shape.rows(), C = shape.cols();
  const int64_t MT = (M + R - 1) / R, NT = (w.n + C - 1) / C;
  std::vector<bitmod::BitmodArrayIn> steps;
  for (int64_t mt = 0; mt < MT; ++mt)
    for (int64_t nt = 0; nt < NT; ++nt)
      for (int64_t g = 0; g < w.groups(); ++g) {
        const int64_t k0 = g * w.group_size, len = std::min(w.group_size, w.k - k0);
        for (int64_t q0 = 0; q0 < len; q0 += 4) {
          bitmod::BitmodArrayIn in(R, C);
          in.valid = true;
          const int lanes = static_cast<int>(std::min<int64_t>(4, len - q0));
          for (int c = 0; c < C; ++c) {
            const int64_t n = nt * C + c;
            const bool used = n < w.n;
            const int64_t nn = used ? n : nt * C;
            const size_t gi = static_cast<size_t>(g * w.n + nn);
            const HwType& ty = hw_type_of(*w.formats[gi]);
            bitmod::ColumnOffer& o = in.cols[static_cast<size_t>(c)];
            o.fmt = ty.fmt;
            o.sel = ty.sel;
            o.lanes_used = static_cast<uint8_t>(lanes);
            for (int i = 0; i < lanes; ++i)
              o.codes[static_cast<size_t>(i)] =
                  used ? static_cast<uint8_t>(w.codes[static_cast<size_t>((k0 + q0 + i) * w.n + n)]) : 0;
            o.group_last = q0 + 4 >= len;
            o.scale_q = used ? static_cast<uint8_t>(w.scale_q[gi]) : 0;
            o.output_last = g == w.groups() - 1;
            o.channel_scale =
                used ? static_cast<uint16_t>(num::fp16_bits(w.channel_scale[static_cast<size_t>(n)])) : 0x3C00;
          }
          for (int r = 0; r < R; ++r) {
            const int64_t mm = mt * R + r;
            for (int i = 0; i < lanes; ++i)
              in.acts[static_cast<size_t>(r)][static_cast<size_t>(i)] =
                  mm < M ? a[static_cast<size_t>(mm * w.k + k0 + q0 + i)] : 0;
          }
          steps.push_back(in);
        }
      }
  return steps;
}

/// Random weights: codes, per group and column a format of `family` (all with the same number
/// of terms), q, and FP16 channel scales.
nb::BitmodWeights random_weights(std::mt19937_64& rng, int64_t K, int64_t N, int64_t gs,
                                 const std::vector<const char*>& family) {
  nb::BitmodWeights w;
  w.k = K;
  w.n = N;
  w.group_size = gs;
  w.formats.resize(static_cast<size_t>(w.groups() * N));
  w.scale_q.resize(w.formats.size());
  for (size_t i = 0; i < w.formats.size(); ++i) {
    w.formats[i] = std::shared_ptr<const num::ElementFormat>(num::make_format(family[rng() % family.size()]));
    w.scale_q[i] = static_cast<uint32_t>(rng() % 256);
  }
  w.codes.resize(static_cast<size_t>(K * N));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) {
      const auto& f = *w.formats[static_cast<size_t>((k / gs) * N + n)];
      uint32_t c;
      do c = static_cast<uint32_t>(rng() % (1u << f.bits()));
      while (!f.valid_code(c));
      w.codes[static_cast<size_t>(k * N + n)] = c;
    }
  for (int64_t n = 0; n < N; ++n) {
    uint16_t s;
    do s = random_fp16(rng);
    while (fp16_value(s) == 0.0);
    w.channel_scale.push_back(fp16_value(s));
  }
  return w;
}

/// Runs the steps through the RTL and BitmodArrayCore in lockstep, the feeder withholding its
/// offer with probability `stall` per cycle; in_ready, every PE's out_valid and out_bits are
/// compared every cycle. Returns the outputs (M x N FP32 bits) and the cycle (1-based) of the
/// last output of a used PE. Fails the test on a mismatch, a missing or an extra output.
struct ArrayResult {
  std::vector<uint32_t> out;
  uint64_t last = 0;
};
ArrayResult run_array(rtl::RtlBitmodArray& dut, const std::vector<bitmod::BitmodArrayIn>& steps,
                      int64_t M, int64_t N, double stall, std::mt19937_64& rng) {
  const bitmod::ArrayShape s = dut.shape();
  const int R = s.rows(), C = s.cols();
  const int64_t NT = (N + C - 1) / C;
  const int64_t folds = ((M + R - 1) / R) * NT;
  ArrayResult res;
  res.out.assign(static_cast<size_t>(M * N), 0xFFFFFFFFu);
  std::vector<int64_t> seen(static_cast<size_t>(R * C), 0);
  dut.reset();
  bitmod::BitmodArrayCore core(s);
  bool ready = true;  // in_ready after reset
  EXPECT_TRUE(core.in_ready());
  size_t next = 0;
  bitmod::BitmodArrayOut out(R, C), want(R, C);
  const bitmod::BitmodArrayIn idle(R, C);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  int64_t done = 0;
  const int64_t total = static_cast<int64_t>(R) * C * folds;
  for (uint64_t cycle = 1; done < total; ++cycle) {
    if (cycle > 64 * (steps.size() + 100)) {
      ADD_FAILURE() << "array made no progress by cycle " << cycle;
      return res;
    }
    const bool offer = next < steps.size() && u(rng) >= stall;
    const bitmod::BitmodArrayIn& in = offer ? steps[next] : idle;
    dut.step(in, &out);
    core.step(in, &want);
    if (offer && ready) ++next;
    ready = out.in_ready;
    EXPECT_TRUE(same(cyc(cycle), "in_ready", want.in_ready, out.in_ready));
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        const size_t k = static_cast<size_t>(r * C + c);
        EXPECT_TRUE(same(cyc(cycle), "out_valid", want.out_valid[k], out.out_valid[k]))
            << " PE (" << r << ", " << c << ")";
        EXPECT_TRUE(same_bits(cyc(cycle), "out_bits", want.out_bits[k], out.out_bits[k]))
            << " PE (" << r << ", " << c << ")";
        if (::testing::Test::HasFailure()) return res;
        if (!out.out_valid[k]) continue;
        const int64_t f = seen[k]++;
        ++done;
        if (f >= folds) {
          ADD_FAILURE() << "cycle " << cycle << ": PE (" << r << ", " << c << ") extra output";
          return res;
        }
        const int64_t m = (f / NT) * R + r, n = (f % NT) * C + c;
        if (m < M && n < N) {
          res.out[static_cast<size_t>(m * N + n)] = out.out_bits[k];
          res.last = cycle;
        }
      }
  }
  return res;
}

std::vector<int64_t> output_group_cycles(const nb::BitmodWeights& w) {
  std::vector<int64_t> g;
  for (int64_t i = 0; i < w.groups(); ++i)
    g.push_back(nb::group_term_cycles(*w.formats[static_cast<size_t>(i * w.n)],
                                      std::min(w.group_size, w.k - i * w.group_size), nb::BitmodPeParams{}));
  return g;
}

/// RTL == BitmodArrayCore every cycle; outputs == gemm_bitmod; without stalls the last
/// output appears at bitmod_array_cycles().
void check_gemm(rtl::RtlBitmodArray& dut, const std::vector<uint16_t>& a, int64_t M,
                const nb::BitmodWeights& w, double stall, std::mt19937_64& rng, const std::string& what) {
  SCOPED_TRACE(std::string(dut.variant()) + ", " + what);
  const num::RealMatrix want = nb::gemm_bitmod(a, M, w);
  const auto steps = array_steps(dut.shape(), a, M, w);
  const ArrayResult got = run_array(dut, steps, M, w.n, stall, rng);
  if (::testing::Test::HasFailure()) return;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < w.n; ++n)
      ASSERT_TRUE(same_bits(case_no(static_cast<uint64_t>(m * w.n + n)), "output vs gemm_bitmod",
                            f32_bits(want.at(m, n)), got.out[static_cast<size_t>(m * w.n + n)]))
          << " (m " << m << ", n " << n << ")";
  if (stall == 0.0) {
    EXPECT_EQ(static_cast<int64_t>(got.last),
              bitmod::bitmod_array_cycles(dut.shape(), M, w.n, output_group_cycles(w)))
        << "cycles";
  }
}

TEST(BitmodRtlArray, VariantsExist) {
  ASSERT_FALSE(rtl::bitmod_rtl_variants().empty());
  for (const auto& [name, shape] : rtl::bitmod_rtl_variants()) {
    auto dut = rtl::make_bitmod_rtl_array(shape);
    ASSERT_NE(dut, nullptr) << name;
    EXPECT_EQ(dut->variant(), name);
  }
  bitmod::ArrayShape none;
  none.tile_rows = 7;
  EXPECT_EQ(rtl::make_bitmod_rtl_array(none), nullptr);
  EXPECT_NE(rtl::describe_bitmod_rtl_variants().find("tiles"), std::string::npos);
  // A VCD of a few cycles.
  auto dut = rtl::make_bitmod_rtl_array(rtl::bitmod_rtl_variants().front().second);
  const std::string vcd = ::testing::TempDir() + "bitmod_rtl_trace.vcd";
  dut->open_trace(vcd);
  const bitmod::ArrayShape s = dut->shape();
  bitmod::BitmodArrayOut out;
  for (int i = 0; i < 4; ++i) dut->step(bitmod::BitmodArrayIn(s.rows(), s.cols()), &out);
  dut->close_trace();
  EXPECT_EQ(dut->cycle(), 4u);
  EXPECT_TRUE(out.in_ready);
  std::ifstream f(vcd);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("u_pe"), std::string::npos);
  std::remove(vcd.c_str());
  EXPECT_THROW(dut->step(bitmod::BitmodArrayIn(s.rows() + 1, s.cols()), &out), std::invalid_argument);
}

TEST(BitmodRtlArray, RandomWeightsOfEveryTypeEqualOracle) {
  // Families with one term count each (the array needs equal term counts across columns).
  const std::vector<std::vector<const char*>> families = {
      {"int8"}, {"int6"}, {"fp3"},
      {"int4", "fp4_e2m1", "fp4_e2m1+5", "fp4_e2m1-5", "fp4_e2m1+8", "fp4_e2m1-8", "fp3+3",
       "fp3-3", "fp3+6", "fp3-6"}};
  std::mt19937_64 rng(7);
  for (const auto& [name, shape] : rtl::bitmod_rtl_variants()) {
    auto dut = rtl::make_bitmod_rtl_array(shape);
    for (size_t fi = 0; fi < families.size(); ++fi)
      for (const double stall : {0.0, 0.3}) {
        // Partial folds in both dimensions, a short last group; groups of 8 weights are
        // shorter than the dequantisation for all but INT8, so the PEs wait.
        const int64_t M = 2 * shape.rows() + 1, N = 2 * shape.cols() - 1, gs = 8, K = 3 * gs + 4;
        const nb::BitmodWeights w = random_weights(rng, K, N, gs, families[fi]);
        std::vector<uint16_t> a(static_cast<size_t>(M * K));
        for (auto& x : a) x = random_fp16(rng);
        check_gemm(*dut, a, M, w, stall, rng,
                   "family " + std::to_string(fi) + ", stall " + std::to_string(stall));
        if (HasFailure()) return;
      }
  }
}

TEST(BitmodRtlArray, QuantisedGemmEqualsOracle) {
  std::mt19937_64 rng(8);
  for (const char* scheme_name : {"bitmod_fp4", "bitmod_fp3", "int8_sym"}) {
    const num::QuantScheme s = *num::make_scheme(scheme_name);
    const int64_t K = 64, N = 5, M = 5;
    const num::RealMatrix wr = num::gaussian_matrix(K, N, 11);
    const num::QuantResult r =
        num::quantize(wr, s, num::QuantConfig{num::Granularity::kPerGroup, 32, num::ScaleFormat::kInt8});
    const nb::BitmodWeights w = nb::bitmod_weights_from_quant(r, s);
    const num::RealMatrix ar = num::gaussian_matrix(M, K, 12);
    std::vector<uint16_t> a;
    for (double x : ar.v) a.push_back(static_cast<uint16_t>(num::fp16_bits(num::round_to_fp16(x))));
    for (const auto& [name, shape] : rtl::bitmod_rtl_variants()) {
      auto dut = rtl::make_bitmod_rtl_array(shape);
      check_gemm(*dut, a, M, w, 0.25, rng, scheme_name);
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace tpesim
