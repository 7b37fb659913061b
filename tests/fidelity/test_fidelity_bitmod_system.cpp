// BitMoD engine with buffers and DRAM: the fast engine (BitmodController::run_fast, group by
// group in closed form) gives exactly the cycle model's statistics (the controller around
// BitmodArrayCore, every cycle) on random shapes, tilings, group sizes, term counts and
// memory settings from ample to starved (fixed seeds). Every field is compared: the cycle
// breakdown (term, dequantisation, encoder, stall per buffer, skew), buffer accesses and
// bytes, DRAM bytes, steps, outputs and every array action count.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "models/bitmod/controller.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"

namespace tpesim::bitmod {
namespace {

std::string describe(const BitmodStats& s) {
  std::ostringstream o;
  const auto& c = s.cycles;
  o << "total=" << c.total << " term=" << c.term << " dequant=" << c.dequant << " enc=" << c.encoder
    << " stall=" << c.stall[0] << "/" << c.stall[1] << "/" << c.stall[2] << " skew=" << c.skew
    << " dram=" << s.dram_read_bytes << "/" << s.dram_write_bytes << " steps=" << s.steps << " outs=" << s.outputs;
  for (int b = 0; b < 3; ++b)
    o << " buf" << b << "=" << s.buf[b].reads << "," << s.buf[b].writes << "," << s.buf[b].read_bytes << ","
      << s.buf[b].write_bytes;
  const auto& a = s.array;
  o << " pe=" << a.pe.term_cycles << "," << a.pe.wait_cycles << "," << a.pe.dequant_cycles << ","
    << a.pe.column_adds << "," << a.pe.outputs << "," << a.pe.cycles << " enc=" << a.encoder.quads << ","
    << a.encoder.term_cycles << " act=" << a.act_loads << " hop=" << a.hop_writes << " cyc=" << a.cycles;
  return o.str();
}

struct Case {
  BitmodPlan plan;
  std::array<mem::BufferParams, mem::kNumBufs> bufs;
  mem::DramParams dram;
  std::string label;
};

Case random_case(std::mt19937_64& rng, int memory_kind, int order) {
  auto pick = [&](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  Case k;
  BitmodPlan& p = k.plan;
  p.shape = ArrayShape{static_cast<int>(1 + pick(3)), static_cast<int>(1 + pick(3)), static_cast<int>(1 + pick(3)),
                       static_cast<int>(1 + pick(3))};
  p.pe.lanes = pick(4) == 0 ? 2 : 4;
  p.terms = static_cast<int>(1 + pick(4));
  p.group_size = 1 + pick(40);
  p.K = p.group_size * (1 + pick(4)) + (pick(3) == 0 ? 1 + pick(p.group_size) : 0);
  if (p.K > 0 && pick(2)) p.K = std::max<int64_t>(1, p.K - pick(p.group_size));
  p.M = 1 + pick(3 * p.shape.rows() + 1);
  p.N = 1 + pick(3 * p.shape.cols() + 1);
  p.weight_bits = p.terms == 4 ? 8 : p.terms == 3 ? 6 : 4;
  p.meta_bits = pick(2) ? 8 : 10;
  const int64_t R = p.shape.rows(), C = p.shape.cols();
  const uint64_t a_min = static_cast<uint64_t>(R * p.group_size * 2);
  const uint64_t w_min = p.w_bytes(C, 0, 1);
  const uint64_t o_min = static_cast<uint64_t>(R * C * 4);
  for (auto& b : k.bufs) b = mem::BufferParams{1 << 20, 64, true};
  k.dram = mem::DramParams{64000, 20};
  switch (memory_kind) {
    case 0: k.label = "ample"; break;
    case 1:  // buffers a few groups deep, slow DRAM
      k.label = "tight";
      k.bufs[0].size_bytes = 2 * a_min * static_cast<uint64_t>(1 + pick(3));
      k.bufs[1].size_bytes = 2 * w_min * static_cast<uint64_t>(1 + pick(3));
      k.bufs[2].size_bytes = 2 * o_min * static_cast<uint64_t>(1 + pick(2));
      k.dram = mem::DramParams{static_cast<uint64_t>(500 + pick(4000)), static_cast<uint64_t>(pick(60))};
      break;
    case 2:  // starved: 0.25 B/cycle, long latency
      k.label = "starved";
      k.dram = mem::DramParams{250, 100};
      break;
    default:  // single-buffered, small
      k.label = "single";
      for (auto& b : k.bufs) b.double_buffered = false;
      k.bufs[0].size_bytes = a_min * static_cast<uint64_t>(1 + pick(3));
      k.bufs[1].size_bytes = w_min * static_cast<uint64_t>(1 + pick(3));
      k.bufs[2].size_bytes = o_min * static_cast<uint64_t>(1 + pick(2));
      k.dram = mem::DramParams{static_cast<uint64_t>(1000 + pick(8000)), static_cast<uint64_t>(pick(40))};
      break;
  }
  k.plan = plan_bitmod(p, k.bufs, order);
  std::ostringstream o;
  o << k.label << " M=" << p.M << " N=" << p.N << " K=" << p.K << " G=" << p.group_size << " T=" << p.terms
    << " L=" << p.pe.lanes << " tiles " << p.shape.tiles_r << "x" << p.shape.tiles_c << " of " << p.shape.tile_rows
    << "x" << p.shape.tile_cols << " chunks=" << k.plan.a_chunk_groups << "/" << k.plan.w_chunk_groups << " a_reuse=" << k.plan.a_reuse
    << " w_reuse=" << k.plan.w_reuse << " n_outer=" << k.plan.n_outer;
  k.label = o.str();
  return k;
}

TEST(FidelityBitmodSystem, FastEqualsCycleModelOnRandomCases) {
  std::mt19937_64 rng(77);
  int n = 0, stalls = 0, ofmap_stalls = 0, waits = 0, n_outer = 0, a_kept = 0, w_kept = 0;
  for (int it = 0; it < 400; ++it) {
    // Even cases: the loop order plan_bitmod chooses; odd ones: the other order, forced.
    int order = -1;
    if (it % 2) {
      std::mt19937_64 probe = rng;
      order = random_case(probe, it % 4, -1).plan.n_outer ? 0 : 1;
    }
    const Case k = random_case(rng, it % 4, order);
    BitmodController cyc(k.plan, k.bufs, k.dram, nullptr, nullptr);
    const BitmodStats sc = run_bitmod_core(cyc, k.plan.shape, k.plan.pe);
    BitmodController fast(k.plan, k.bufs, k.dram, nullptr, nullptr);
    fast.run_fast();
    const BitmodStats& sf = fast.stats();
    ASSERT_TRUE(sc == sf) << k.label << "\ncycle: " << describe(sc) << "\nfast:  " << describe(sf);
    const auto& c = sc.cycles;
    ASSERT_EQ(c.term + c.dequant + c.encoder + c.stall_total() + c.skew, c.total) << k.label;
    ASSERT_EQ(c.encoder, 1u) << k.label;
    stalls += c.stall_total() > 0;
    ofmap_stalls += c.stall[mem::kOfmap] > 0;
    waits += sc.array.pe.wait_cycles > 0;
    n_outer += k.plan.n_outer;
    a_kept += k.plan.n_outer && k.plan.a_reuse;
    w_kept += !k.plan.n_outer && k.plan.w_reuse;
    ++n;
  }
  EXPECT_EQ(n, 400);
  // The suite exercises what it claims to: memory stalls (also on the output buffer) and
  // PEs waiting for the dequantiser.
  EXPECT_GT(stalls, 200);
  EXPECT_GT(ofmap_stalls, 5);
  EXPECT_GT(waits, 50);
  // Both loop orders, and in each the inner operand kept for the whole GEMM.
  EXPECT_GT(n_outer, 150);
  EXPECT_GT(a_kept, 5);
  EXPECT_GT(w_kept, 10);
  std::printf("%d cases: %d with stalls, %d with ofmap stalls, %d with dequantiser waits, %d n-tile outer "
              "(%d keeping all activations), %d m-tile outer keeping all weights\n",
              n, stalls, ofmap_stalls, waits, n_outer, a_kept, w_kept);
}

}  // namespace
}  // namespace tpesim::bitmod
