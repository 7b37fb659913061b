// The cycle-accurate BitMoD PE core produces the numerics oracle's outputs bit for bit and
// takes exactly num::bitmod::pe_output_cycles cycles per output (docs/bitmod-pe.md, "Cycles").
#include <gtest/gtest.h>

#include <random>

#include "models/bitmod/array_core.hpp"
#include "models/bitmod/encoder.hpp"
#include "models/bitmod/pe_core.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"
#include "sim/engine/sc_bench.hpp"

namespace tpesim::bitmod {
namespace {

using namespace tpesim::num;
using namespace tpesim::num::bitmod;

// The PE's input stream for output (row of a_codes, column n): group by group, quad by quad,
// term by term, as the oracle orders them (missing lanes: zero activation, bubble term).
std::vector<PeInput> stream_for(const std::vector<uint16_t>& a_row, const BitmodWeights& w, int64_t n,
                                const BitmodPeParams& p, std::vector<int64_t>* group_cycles) {
  std::vector<PeInput> s;
  for (int64_t g = 0; g < w.groups(); ++g) {
    const int64_t k0 = g * w.group_size, len = std::min(w.group_size, w.k - k0);
    const ElementFormat& f = *w.formats[static_cast<size_t>(g * w.n + n)];
    const int nt = bitserial_term_count(f);
    int64_t cycles = 0;
    for (int64_t q0 = 0; q0 < len; q0 += p.lanes) {
      std::vector<std::vector<Term>> wt(static_cast<size_t>(p.lanes));
      for (int i = 0; i < p.lanes; ++i)
        if (q0 + i < len) wt[i] = bitserial_terms(f, w.codes[static_cast<size_t>((k0 + q0 + i) * w.n + n)]);
      for (int t = 0; t < nt; ++t) {
        PeInput in;
        in.valid = true;
        for (int i = 0; i < p.lanes; ++i) {
          if (q0 + i < len) {
            in.acts[i] = unpack_fp16(a_row[static_cast<size_t>(k0 + q0 + i)]);
            in.terms[i] = wt[i][static_cast<size_t>(t)];
          } else {
            in.acts[i] = ActOperand{};
            in.terms[i] = Term{1, 0, 0, wt[0][static_cast<size_t>(t)].significance};
          }
        }
        ++cycles;
        s.push_back(in);
      }
    }
    s.back().group_last = true;
    s.back().scale_q = w.scale_q[static_cast<size_t>(g * w.n + n)];
    s.back().output_last = g == w.groups() - 1;
    s.back().channel_scale = w.channel_scale[static_cast<size_t>(n)];
    group_cycles->push_back(cycles);
  }
  return s;
}

std::vector<uint16_t> random_fp16(int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint16_t> v(static_cast<size_t>(count));
  for (auto& c : v) {
    const uint64_t r = rng();
    const uint16_t exp = static_cast<uint16_t>(8 + (r >> 20) % 14);  // 2^-7 .. 2^6, normal
    c = static_cast<uint16_t>(((r & 1) << 15) | (exp << 10) | ((r >> 1) & 0x3ff));
    if ((r >> 40) % 17 == 0) c = static_cast<uint16_t>((r >> 8) & 0x83ff);  // some zeros/subnormals
  }
  return v;
}

TEST(BitmodPeCore, MatchesOracleBitForBitAndCycleFormula) {
  const BitmodPeParams p;
  for (const char* scheme : {"bitmod_fp4", "bitmod_fp3", "fp4_e2m1", "int8_sym", "int4_sym"}) {
    const QuantScheme s = *make_scheme(scheme);
    const int64_t K = 96, N = 3;
    const QuantResult r = quantize(gaussian_matrix(K, N, 11), s, QuantConfig{Granularity::kPerGroup, 32, ScaleFormat::kInt8});
    const BitmodWeights w = bitmod_weights_from_quant(r, s);
    const std::vector<uint16_t> a = random_fp16(K, 5);
    const RealMatrix ref = gemm_bitmod(a, 1, w, p);
    for (int64_t n = 0; n < N; ++n) {
      std::vector<int64_t> gc;
      const std::vector<PeInput> st = stream_for(a, w, n, p, &gc);
      PeCore pe(p);
      PeOutput out;
      size_t next = 0;
      uint64_t cycles = 0;
      bool done = false;
      while (!done && cycles < 100000) {
        const bool offer = next < st.size();
        const bool take = offer && pe.ready();
        pe.step(offer ? st[next] : PeInput{}, &out);
        if (take) ++next;
        ++cycles;
        if (out.out_valid) {
          EXPECT_EQ(out.out, ref.at(0, n)) << scheme << " column " << n;
          done = true;
        }
      }
      ASSERT_TRUE(done) << scheme;
      EXPECT_EQ(static_cast<int64_t>(cycles), pe_output_cycles(gc, p)) << scheme << " column " << n;
      EXPECT_EQ(pe.counters().term_cycles, st.size());
      EXPECT_EQ(pe.counters().dequant_cycles, static_cast<uint64_t>(p.scale_bits * w.groups()));
    }
  }
}

TEST(BitmodPeCore, ShortGroupsWaitForTheDequantiser) {
  // Plain FP3 has one term per weight: a group of 16 weights is 4 term cycles, fewer than the
  // 8 dequantisation cycles, so each later group's partial sum waits and the PE stalls. With
  // 3 groups: group 0's terms at 0..3; its sum enters the dequantiser at 4 (busy 4..11) while
  // group 1's terms run at 4..7; group 1's sum waits at 8..11 (the PE refuses the 4 term cycles
  // of group 2 offered then), enters at 12 (busy 12..19) while group 2 runs at 12..15; group
  // 2's sum waits at 16..19, is dequantised at 20..27 and added at 28: 29 cycles.
  const BitmodPeParams p;
  const QuantScheme s = *make_scheme("fp3");
  const int64_t K = 48;
  const QuantResult r = quantize(gaussian_matrix(K, 1, 3), s, QuantConfig{Granularity::kPerGroup, 16, ScaleFormat::kInt8});
  const BitmodWeights w = bitmod_weights_from_quant(r, s);
  const std::vector<uint16_t> a = random_fp16(K, 9);
  std::vector<int64_t> gc;
  const std::vector<PeInput> st = stream_for(a, w, 0, p, &gc);
  ASSERT_EQ(gc, (std::vector<int64_t>{4, 4, 4}));
  PeCore pe(p);
  PeOutput out;
  size_t next = 0;
  uint64_t cycles = 0;
  while (!out.out_valid && cycles < 1000) {
    const bool offer = next < st.size();
    const bool take = offer && pe.ready();
    pe.step(offer ? st[next] : PeInput{}, &out);
    if (take) ++next;
    ++cycles;
  }
  EXPECT_EQ(cycles, 29u);
  EXPECT_EQ(pe_output_cycles(gc, p), 29);
  EXPECT_EQ(pe.counters().wait_cycles, 4u);
  EXPECT_EQ(out.out, gemm_bitmod(a, 1, w, p).at(0, 0));
}

}  // namespace
}  // namespace tpesim::bitmod

namespace tpesim::bitmod {
namespace {

TEST(BitmodPeSystemC, PortsGiveTheCoreResultAndCycles) {
  // The SystemC module, driven through its ready/valid ports, gives the oracle's output and
  // the same cycle count as the core (pe_output_cycles), including dequantiser waits.
  const num::bitmod::BitmodPeParams p;
  for (const char* scheme : {"bitmod_fp4", "fp3"}) {
    const num::QuantScheme s = *num::make_scheme(scheme);
    const int64_t K = 64;
    const num::QuantResult r = num::quantize(num::gaussian_matrix(K, 1, 21), s,
                                             num::QuantConfig{num::Granularity::kPerGroup, 16, num::ScaleFormat::kInt8});
    const num::bitmod::BitmodWeights w = num::bitmod::bitmod_weights_from_quant(r, s);
    const std::vector<uint16_t> a = random_fp16(K, 13);
    std::vector<int64_t> gc;
    const std::vector<PeInput> st = stream_for(a, w, 0, p, &gc);
    const BitmodPeRun run = run_systemc_bitmod_pe(st);
    EXPECT_EQ(run.out, num::bitmod::gemm_bitmod(a, 1, w, p).at(0, 0)) << scheme;
    EXPECT_EQ(static_cast<int64_t>(run.cycles), num::bitmod::pe_output_cycles(gc, p)) << scheme;
  }
}

}  // namespace
}  // namespace tpesim::bitmod

namespace tpesim::bitmod {
namespace {

TEST(BitmodEncoder, EncoderAndPeGiveTheOracleOneCycleLater) {
  // A column slice: the term encoder serialises quads of weight codes (with the group's data
  // type) into term cycles for the PE. The output equals the oracle's, and the encoder's
  // output register adds exactly one cycle to pe_output_cycles.
  const num::bitmod::BitmodPeParams p;
  for (const char* scheme : {"bitmod_fp4", "int8_sym", "fp3"}) {
    const num::QuantScheme s = *num::make_scheme(scheme);
    const int64_t K = 64, G = 16;
    const num::QuantResult r = num::quantize(num::gaussian_matrix(K, 1, 31), s,
                                             num::QuantConfig{num::Granularity::kPerGroup, G, num::ScaleFormat::kInt8});
    const num::bitmod::BitmodWeights w = num::bitmod::bitmod_weights_from_quant(r, s);
    const std::vector<uint16_t> a = random_fp16(K, 17);
    std::vector<QuadInput> quads;
    append_output_quads(a, w, 0, 0, p.lanes, &quads);
    ASSERT_EQ(quads.size(), static_cast<size_t>(K / p.lanes));
    std::vector<int64_t> gc;
    for (int64_t g = 0; g < w.groups(); ++g)
      gc.push_back(num::bitmod::group_term_cycles(*w.formats[static_cast<size_t>(g)], G, p));
    const ColumnSliceRun run = run_column_slice(quads, 1, p);
    ASSERT_EQ(run.outs.size(), 1u) << scheme;
    EXPECT_EQ(run.outs[0], num::bitmod::gemm_bitmod(a, 1, w, p).at(0, 0)) << scheme;
    EXPECT_EQ(static_cast<int64_t>(run.at[0]), num::bitmod::pe_output_cycles(gc, p) + 1) << scheme;
    EXPECT_EQ(run.enc.quads, quads.size());
  }
}

}  // namespace
}  // namespace tpesim::bitmod


namespace tpesim::bitmod {
namespace {

TEST(BitmodArray, OutputsBitExactAndCyclesFollowTheClosedForm) {
  // 2x2 tiles of 2x3 PEs (a 4x6 array) on M=7, N=8, K=64 (group 32): 2 x 2 folds, partial in
  // both dimensions. Outputs equal the oracle; cycles equal bitmod_array_cycles (derivation in
  // docs/bitmod-array.md): FP4 terms: 2 cycles x 8 quads = 16 per group, 2 groups per output,
  // 4 outputs per PE in a row -> pe_output_cycles = 8 x 16 + 8 + 1 = 137; + 1 encoder register
  // + skew of the last fold's farthest used tile (rows 3 used of 4 -> tile 1; cols 2 of 6 ->
  // tile 0) = 1: 139, unless an earlier full fold ends later: fold 3 of 4 (rows 4, cols 6,
  // skew 2) ends at 2 + 1 + (6 x 16 + 8 + 1) = 108 < 139.
  const num::bitmod::BitmodPeParams p;
  const ArrayShape shape{2, 3, 2, 2};
  const num::QuantScheme s = *num::make_scheme("bitmod_fp4");
  const int64_t M = 7, N = 8, K = 64;
  const num::QuantResult r = num::quantize(num::gaussian_matrix(K, N, 41), s,
                                           num::QuantConfig{num::Granularity::kPerGroup, 32, num::ScaleFormat::kInt8});
  const num::bitmod::BitmodWeights w = num::bitmod::bitmod_weights_from_quant(r, s);
  const std::vector<uint16_t> a = random_fp16(M * K, 19);
  const ArrayRun run = run_bitmod_array(shape, a, M, w, p);
  const num::RealMatrix ref = num::bitmod::gemm_bitmod(a, M, w, p);
  EXPECT_EQ(run.out.v, ref.v);
  EXPECT_EQ(run.folds, 4u);
  const int64_t expect = bitmod_array_cycles(shape, M, N, {16, 16}, p);
  EXPECT_EQ(expect, 139);
  EXPECT_EQ(static_cast<int64_t>(run.cycles), expect);
}

}  // namespace
}  // namespace tpesim::bitmod
