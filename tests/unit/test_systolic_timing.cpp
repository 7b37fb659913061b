// Exact cycle counts of the systolic cycle model (SystemC) against closed forms.
#include <gtest/gtest.h>

#include "sim/common/error.hpp"
#include "sim/engine/mapper.hpp"
#include "sim/engine/run.hpp"

namespace tpesim {
namespace {

// These tests are about the SystemC cycle model itself.
RunOptions cycle_engine() {
  RunOptions o;
  o.engine = "cycle";
  return o;
}

// Memory that never holds the array back once the first tiles are in: huge slots, a wide
// port, 1000 bytes per cycle of DRAM and no latency.
ArchSpec ideal(int rows, int cols, Dataflow df, bool overlap, bool preload) {
  ArchSpec a;
  a.rows = rows;
  a.cols = cols;
  a.dataflow = df;
  a.fold_overlap = overlap;
  a.weight_preload = preload;
  for (BufferSpec* b : {&a.ifmap, &a.filter, &a.ofmap}) {
    b->size_bytes = 256ull << 20;
    b->width_bytes = 4096;
  }
  a.dram.bandwidth_millibytes_per_cycle = 1000ull * 1000 * 1000;
  a.dram.latency_cycles = 0;
  return a;
}

Gemm gemm(uint64_t M, uint64_t N, uint64_t K) {
  Gemm g;
  g.name = "g";
  g.M = M;
  g.N = N;
  g.K = K;
  return g;
}

uint64_t cdiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

GemmRun run(const ArchSpec& a, const Gemm& g) { return run_gemm(a, g, cycle_engine(), 7); }

// SCALE-Sim v2 conventions (its Total Cycles + 1), with overlap and preload off:
//   os: ceil(M/R)*ceil(N/C)*(K+R+C-2)
//   ws: ceil(K/R)*ceil(N/C)*(2R+C+M-2)
//   is: ceil(K/R)*ceil(M/C)*(2R+C+N-2)
uint64_t scalesim(Dataflow df, uint64_t R, uint64_t C, uint64_t M, uint64_t N, uint64_t K) {
  switch (df) {
    case Dataflow::kOS: return cdiv(M, R) * cdiv(N, C) * (K + R + C - 2);
    case Dataflow::kWS: return cdiv(K, R) * cdiv(N, C) * (2 * R + C + M - 2);
    default: return cdiv(K, R) * cdiv(M, C) * (2 * R + C + N - 2);
  }
}

TEST(SystolicTiming, ScaleSimConventionsOnRandomShapes) {
  uint64_t state = 12345;
  auto rnd = [&](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return 1 + (state >> 33) % n;
  };
  const std::pair<int, int> shapes[] = {{4, 4}, {3, 5}, {5, 3}, {1, 6}, {8, 2}};
  int checked = 0;
  for (Dataflow df : {Dataflow::kOS, Dataflow::kWS, Dataflow::kIS})
    for (auto [R, C] : shapes)
      for (int i = 0; i < 6; ++i) {
        const Gemm g = gemm(rnd(20), rnd(20), rnd(20));
        const ArchSpec a = ideal(R, C, df, false, false);
        const GemmRun r = run(a, g);
        EXPECT_TRUE(r.verified);
        const uint64_t compute = r.ctl.end_cycle - r.ctl.stall_total();
        EXPECT_EQ(compute, scalesim(df, R, C, g.M, g.N, g.K))
            << to_string(df) << " " << R << "x" << C << " M=" << g.M << " N=" << g.N << " K=" << g.K;
        ++checked;
      }
  EXPECT_EQ(checked, 3 * 5 * 6);
}

TEST(SystolicTiming, WsSingleFoldByHand) {
  // 4x4 ws, M=5, N=4, K=4: one fold. Shift 4 cycles (0..3 after the first tile arrives),
  // stream 5 wavefronts (4..8), the last reaches PE(3,3) at 8+3+3 = 14: 15 cycles =
  // 2R+C+M-2 = 8+4+5-2. The first tile is ready at cycle 1 (16 bytes at 1 MB/cycle + 0
  // latency rounds up to one cycle), which is one stall cycle before the shift starts.
  const GemmRun r = run(ideal(4, 4, Dataflow::kWS, false, false), gemm(5, 4, 4));
  EXPECT_EQ(r.ctl.stall_total(), 1u);
  EXPECT_EQ(r.ctl.stall[mem::kFilter], 1u);
  EXPECT_EQ(r.ctl.end_cycle, 16u);
}

TEST(SystolicTiming, WsOverlapAndPreloadStreamsBackToBack) {
  // With two banks and overlap, fold g+1's tile shifts in while fold g streams; when
  // M >= 2R+C-3 the wavefronts never pause. R=C=4, M=12 >= 9, K=8 (2 folds), N=8 (2 folds):
  // 4 folds. Shift of fold 0: R = 4 cycles; 4 x 12 wavefronts back to back; the last one
  // drains through R+C-2 = 6 more cycles: 4 + 48 + 6 = 58 = 2R+C+F*M-2.
  const GemmRun r = run(ideal(4, 4, Dataflow::kWS, true, true), gemm(12, 8, 8));
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(r.ctl.end_cycle - r.ctl.stall_total(), 58u);
  // Same GEMM without overlap or preload: 4 x (2R+C+M-2) = 4 x 22 = 88.
  const GemmRun s = run(ideal(4, 4, Dataflow::kWS, false, false), gemm(12, 8, 8));
  EXPECT_EQ(s.ctl.end_cycle - s.ctl.stall_total(), 88u);
}

TEST(SystolicTiming, WsPreloadWithoutOverlap) {
  // Preload without overlap: the tile of fold g+1 is shifted during fold g, but fold g+1's
  // stream waits until fold g has drained (E + R + C - 1). Per fold after the first:
  // M + R + C - 2 = 12 + 6 = 18; the first adds the R = 4 shift cycles: 4 + 4 x 18 = 76.
  const GemmRun r = run(ideal(4, 4, Dataflow::kWS, false, true), gemm(12, 8, 8));
  EXPECT_EQ(r.ctl.end_cycle - r.ctl.stall_total(), 76u);
}

TEST(SystolicTiming, OsOverlapPeriodIsMaxOfKAndRows) {
  // os with overlap: consecutive folds stream back to back when K >= R (period K), and the
  // last drains R+C-2 cycles: M=8,N=8 on 4x4 = 4 folds, K=6: 4*6 + 4+4-2 = 30.
  const GemmRun r = run(ideal(4, 4, Dataflow::kOS, true, true), gemm(8, 8, 6));
  EXPECT_TRUE(r.verified);
  EXPECT_EQ(r.ctl.end_cycle - r.ctl.stall_total(), 30u);
  // K=2 < R=4: a column's output port takes one value per cycle, so a fold's last wavefront
  // waits until the previous fold's 4 rows have emitted: period R = 4. Folds' last
  // wavefronts at 1, 5, 9, 13; the last drains 6 more: 13 + 6 + 1 = 20.
  const GemmRun s = run(ideal(4, 4, Dataflow::kOS, true, true), gemm(8, 8, 2));
  EXPECT_TRUE(s.verified);
  EXPECT_EQ(s.ctl.end_cycle - s.ctl.stall_total(), 20u);
}

TEST(SystolicTiming, OverlapNeverSlowerThanScaleSimMode) {
  for (Dataflow df : {Dataflow::kOS, Dataflow::kWS, Dataflow::kIS})
    for (uint64_t m : {1u, 3u, 9u, 17u}) {
      const Gemm g = gemm(m, 11, 13);
      const GemmRun fast = run(ideal(4, 3, df, true, true), g);
      const GemmRun slow = run(ideal(4, 3, df, false, false), g);
      EXPECT_LE(fast.ctl.end_cycle - fast.ctl.stall_total(), slow.ctl.end_cycle - slow.ctl.stall_total());
      EXPECT_TRUE(fast.verified && slow.verified);
    }
}

TEST(SystolicStalls, StarvedDramStallsTheStationaryBuffer) {
  // 1 byte per cycle of DRAM: each 4x4 int8 weight tile (16 bytes) needs 16 cycles, more
  // than a fold's 12 wavefronts hide, so the filter buffer holds the array back.
  ArchSpec a = ideal(4, 4, Dataflow::kWS, true, true);
  a.dram.bandwidth_millibytes_per_cycle = 1000;
  a.dram.latency_cycles = 10;
  a.filter.size_bytes = 32;  // two 16-byte slots: one tile each
  const GemmRun r = run(a, gemm(12, 16, 16));
  EXPECT_TRUE(r.verified);
  EXPECT_GT(r.ctl.stall[mem::kFilter], 0u);
  EXPECT_EQ(r.ctl.stall_total(), r.ctl.stall[0] + r.ctl.stall[1] + r.ctl.stall[2]);
  const GemmRun ideal_run = run(ideal(4, 4, Dataflow::kWS, true, true), gemm(12, 16, 16));
  // Stall-free compute is unchanged by the memory: compute = total - stall.
  EXPECT_EQ(r.ctl.end_cycle - r.ctl.stall_total(), ideal_run.ctl.end_cycle - ideal_run.ctl.stall_total());
}

TEST(SystolicStalls, SingleBufferedIfmapStallsOnEveryChunk) {
  // os with a 16-byte single-buffered ifmap: A is streamed in chunks that cannot be
  // prefetched while the previous chunk is in use, so ifmap stalls appear.
  ArchSpec a = ideal(4, 4, Dataflow::kOS, true, true);
  a.ifmap.size_bytes = 16;
  a.ifmap.double_buffered = false;
  a.dram.latency_cycles = 20;
  const GemmRun r = run(a, gemm(4, 4, 32));
  EXPECT_TRUE(r.verified);
  EXPECT_GT(r.ctl.stall[mem::kIfmap], 0u);
}

TEST(SystolicStalls, BufferTooSmallForOneTileIsAConfigError) {
  ArchSpec a = ideal(4, 4, Dataflow::kWS, true, true);
  a.filter.size_bytes = 8;  // slot of 4 bytes < one 16-byte tile
  try {
    map_gemm(a, gemm(4, 4, 4));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("buffers.filter.size"), std::string::npos) << e.what();
  }
}

TEST(SystolicTraffic, DramBytesAreTheTilesOnce) {
  // Ample buffers: A (M x K), B (K x N) are read from DRAM exactly once and C (M x N, 32-bit
  // accumulators) written once.
  const GemmRun r = run(ideal(4, 4, Dataflow::kWS, true, true), gemm(10, 9, 11));
  EXPECT_EQ(r.ctl.dram_read_bytes, 10u * 11 + 11u * 9);
  EXPECT_EQ(r.ctl.dram_write_bytes, 10u * 9 * 4);
}

}  // namespace
}  // namespace tpesim

namespace tpesim {
namespace {

// os_k_fold: the reduction of each output tile runs as folds of at most os_k_fold
// wavefronts; every fold's partial sums leave through the column output registers (one value
// per cycle per column), so with overlap fold g's last wavefront waits until
// E[g-1] + rows(g-1) (docs/timing.md). 4x4 array, M = N = 4, K = 12:
//  - os_k_fold 4 (= R): 3 folds back to back, E[last] = 11, total = 11 + R + C - 1 = 18, the
//    same as one fold of K = 12 (K + R + C - 2 = 18);
//  - os_k_fold 2 (< R): 6 folds, fold g's last wavefront at E[g] = 1 + 4g (the output port
//    takes R = 4 cycles per fold), E[5] = 21, total = 21 + 7 = 28.
// Outputs are checked against gemm_accumulate summed in the same chunks (run_gemm verifies).
TEST(SystolicTiming, OsKFoldSplitsTheReduction) {
  ArchSpec a = ideal(4, 4, Dataflow::kOS, true, false);
  for (auto [kf, expect] : {std::pair<int64_t, uint64_t>{0, 18}, {4, 18}, {2, 28}}) {
    a.os_k_fold = kf;
    const GemmRun r = run(a, gemm(4, 4, 12));
    EXPECT_EQ(r.ctl.end_cycle - r.ctl.stall_total(), expect) << "os_k_fold " << kf;
    EXPECT_TRUE(r.verified);
    EXPECT_EQ(r.folds, kf ? 12u / static_cast<uint64_t>(kf) : 1u);
  }
  // Partial last fold and several output tiles, integer and FP16 PEs: outputs verified.
  a.os_k_fold = 5;
  EXPECT_TRUE(run(a, gemm(9, 6, 23)).verified);
  a.act_fp16 = a.weight_fp16 = true;
  a.act = a.weight = num::IntFormat{16, true};
  EXPECT_TRUE(run(a, gemm(5, 7, 17)).verified);
  // Only for os.
  EXPECT_THROW(load_arch(std::string(TPESIM_SOURCE_DIR) + "/models/presets/default.yaml", {{"os_k_fold", "4"}}),
               ConfigError);
}

// Output-port waits (ControllerStats::port_wait, MixPE's dequant_wait). With overlap, fold g's
// first wavefronts issue back to back after fold g-1's last (at E[g-1]), so its last one
// would issue at E[g-1] + W(g); the port rule holds it until E[g-1] + rows(g-1) (the previous
// fold's rows must first leave each column's output register, one per cycle). So fold g waits
// max(0, rows(g-1) - W(g)) cycles, and nothing else moves meanwhile (ideal memory).
//  - 4x4, M = N = 4, K = 12, os_k_fold 2: folds 1..5 have W = 2 after a fold of 4 rows:
//    5 x (4 - 2) = 10; os_k_fold 4: W = 4 = rows, no wait.
//  - 4x4, M = 6, N = 4, K = 5, os_k_fold 2: folds (m-tile, then k-fold) with (rows, W):
//    a0 (4, 2), a1 (4, 2), a2 (4, 1), b0 (2, 2), b1 (2, 2), b2 (2, 1). Waits: a1 4-2 = 2,
//    a2 4-1 = 3, b0 4-2 = 2 (after a2's 4 rows), b1 2-2 = 0, b2 2-1 = 1: 8 cycles.
//    Counting from a0's first wavefront at S (cycles before S are memory stalls): E = S+1,
//    S+5, S+9, S+13, S+15, S+17; total = E[last] + R + C - 1 = S + 24, so compute = 24 =
//    10 wavefront cycles + 8 port waits + 6 drain cycles (R + C - 2).
//  - without overlap a fold's first wavefront already waits until E[g-1] + R + C - 1, past
//    the port's E[g-1] + rows: no port wait.
// The fast engine must count the same cycles (it skips runs of waiting cycles in bulk).
TEST(SystolicTiming, OsKFoldPortWaitsByHand) {
  RunOptions fast;
  fast.engine = "fast";
  ArchSpec a = ideal(4, 4, Dataflow::kOS, true, false);
  for (auto [kf, expect] : {std::pair<int64_t, uint64_t>{2, 10}, {4, 0}}) {
    a.os_k_fold = kf;
    EXPECT_EQ(run(a, gemm(4, 4, 12)).ctl.port_wait, expect) << "os_k_fold " << kf;
    EXPECT_EQ(run_gemm(a, gemm(4, 4, 12), fast, 7).ctl.port_wait, expect) << "os_k_fold " << kf;
  }
  a.os_k_fold = 2;
  for (const char* engine : {"cycle", "fast"}) {
    RunOptions o;
    o.engine = engine;
    const GemmRun r = run_gemm(a, gemm(6, 4, 5), o, 7);
    EXPECT_EQ(r.ctl.port_wait, 8u) << engine;
    EXPECT_EQ(r.ctl.wavefronts, 10u) << engine;
    EXPECT_EQ(r.ctl.end_cycle - r.ctl.stall_total(), 24u) << engine;
    EXPECT_EQ(r.folds, 6u) << engine;
  }
  a.fold_overlap = false;
  EXPECT_EQ(run(a, gemm(6, 4, 5)).ctl.port_wait, 0u);
}

}  // namespace
}  // namespace tpesim
