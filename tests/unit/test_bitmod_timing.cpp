// BitMoD engine timing: exact cycle counts of small cases derived by hand from the rules in
// docs/bitmod-array.md ("Cycle rules"), on both the cycle model and the fast engine.
#include <gtest/gtest.h>

#include "models/bitmod/controller.hpp"

namespace tpesim::bitmod {
namespace {

std::array<mem::BufferParams, mem::kNumBufs> ample() {
  std::array<mem::BufferParams, mem::kNumBufs> b;
  for (auto& x : b) x = mem::BufferParams{1 << 20, 64, true};
  return b;
}

BitmodStats both(const BitmodPlan& p0, const mem::DramParams& d) {
  const BitmodPlan p = plan_bitmod(p0, ample());
  BitmodController cyc(p, ample(), d, nullptr, nullptr);
  const BitmodStats sc = run_bitmod_core(cyc, p.shape, p.pe);
  BitmodController fast(p, ample(), d, nullptr, nullptr);
  fast.run_fast();
  EXPECT_TRUE(sc == fast.stats());
  return sc;
}

// One PE, one output, K = 8 in one group of FP4 (2 terms): 2 quads, 4 term cycles.
// DRAM: 1000 B/cycle (each unit takes 1 cycle), latency 10.
//  cycle 0: ifmap unit (16 B) requested: channel busy in cycle 0, ready at 0 + 1 + 10 = 11;
//           filter unit (8 x 4 bits + 10 bits of scale/selector = 6 B) next: busy in cycle 1,
//           ready at 12.
//  the feeder offers the first quad at 12 (the encoder would take it from cycle 0);
//  PE (0, 0) sees a term from 13 to 16 (4 term cycles);
//  cycles 1..11 it waited for the ifmap (11 stall cycles), cycle 12 for the filter (1); cycle
//  0 is the encoder register (1);
//  dequantisation starts at 17 and takes 8 cycles (17..24), the column add presents the
//  output after cycle 25: total 26 = 4 term + 12 stall + 1 encoder + 9 dequant + 0 skew.
TEST(BitmodTiming, OneOutputWithDramLatency) {
  BitmodPlan p;
  p.shape = ArrayShape{1, 1, 1, 1};
  p.M = p.N = 1;
  p.K = p.group_size = 8;
  p.terms = 2;
  p.weight_bits = 4;
  p.meta_bits = 10;
  const BitmodStats s = both(p, mem::DramParams{1000000, 10});
  EXPECT_EQ(s.cycles.total, 26u);
  EXPECT_EQ(s.cycles.term, 4u);
  EXPECT_EQ(s.cycles.stall[mem::kIfmap], 11u);
  EXPECT_EQ(s.cycles.stall[mem::kFilter], 1u);
  EXPECT_EQ(s.cycles.encoder, 1u);
  EXPECT_EQ(s.cycles.dequant, 9u);
  EXPECT_EQ(s.cycles.skew, 0u);
}

// Dequantiser occupancy: K = 16 in 4 groups of 4 INT8 weights (4 terms, one quad per group:
// 4 term cycles per group, less than the 8 dequantisation cycles). No DRAM latency, 1 cycle per
// unit: data ready at 1 (ifmap) and 2 (filter), first offer at 2, first term at 3.
//  group 0 terms 3..6, dequantiser 7..14; group 1 terms 7..10, waits 11..14, dequantiser
//  15..22; group 2 terms 15..18, waits 19..22, dequantiser 23..30; group 3 terms 23..26,
//  waits 27..30, dequantiser 31..38; column add: output after cycle 39, total 40.
//  On a 2 x 2 tile array of 1 x 1 PE tiles PE (1, 1) is 2 tile hops behind: total 42.
TEST(BitmodTiming, DequantiserWaitsAndTileSkew) {
  BitmodPlan p;
  p.shape = ArrayShape{1, 1, 1, 1};
  p.M = p.N = 1;
  p.K = 16;
  p.group_size = 4;
  p.terms = 4;
  p.weight_bits = 8;
  p.meta_bits = 8;
  BitmodStats s = both(p, mem::DramParams{1000000, 0});
  EXPECT_EQ(s.cycles.total, 40u);
  EXPECT_EQ(s.cycles.term, 16u);
  EXPECT_EQ(s.cycles.stall_total(), 2u);
  EXPECT_EQ(s.cycles.encoder, 1u);
  EXPECT_EQ(s.cycles.dequant, 21u);  // 3 x 4 waits + 8 dequantisation + 1 column add
  // The PE's wait counter counts terms offered while it waits: groups 1 and 2 hold group 2's
  // and 3's first term (4 + 4); after group 3 nothing is offered.
  EXPECT_EQ(s.array.pe.wait_cycles, 8u);
  p.shape = ArrayShape{1, 1, 2, 2};
  p.M = p.N = 2;
  s = both(p, mem::DramParams{1000000, 0});
  EXPECT_EQ(s.cycles.total, 42u);
  EXPECT_EQ(s.cycles.skew, 2u);
  EXPECT_EQ(s.array.pe.wait_cycles, 4 * 8u);
}

}  // namespace
}  // namespace tpesim::bitmod
