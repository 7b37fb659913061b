// The MixPE engine (engine: mixpe; docs/mixpe-pe.md): on the cycle engine every output of
// every variant equals num::mixpe::gemm_mixpe bit for bit (per-group partial sums joined by the
// dequantisation unit, zero points, per-channel groups, several output tiles and partial
// folds); the fast engine's report rows equal the cycle engine's; configuration rules.
#include <gtest/gtest.h>

#include "sim/common/error.hpp"
#include "sim/config/arch.hpp"
#include "sim/engine/mixpe_run.hpp"

namespace tpesim {
namespace {

Gemm gemm(uint64_t M, uint64_t N, uint64_t K, const char* w, const char* act, uint64_t group) {
  Gemm g;
  g.name = "g";
  g.M = M;
  g.N = N;
  g.K = K;
  g.weight_dtype = w;
  g.act_dtype = act;
  g.group_size = group;
  return g;
}

TEST(MixpeEngine, CycleOutputsEqualTheOracleAndFastEqualsCycle) {
  int runs = 0;
  for (const char* v : {"w4a8", "w4a16", "fp16xint8"}) {
    const ArchSpec a = default_arch({{"engine", "mixpe"}, {"mixpe.variant", v}, {"mixpe.weight_bits", "8"},
                                     {"rows", "4"}, {"cols", "3"}});
    const char* act = std::string(v) == "w4a8" ? "int8" : "fp16";
    for (const Gemm& g : {gemm(9, 7, 40, "int4", act, 8), gemm(5, 6, 24, "uint4", act, 8), gemm(3, 4, 10, "int4", act, 0),
                          gemm(6, 5, 21, "uint8", act, 7), gemm(1, 1, 3, "int2", act, 3)}) {
      RunOptions cyc, fast;
      cyc.engine = "cycle";
      fast.engine = "fast";
      const GemmRun rc = run_mixpe_gemm(a, g, cyc, 11), rf = run_mixpe_gemm(a, g, fast, 11);
      EXPECT_TRUE(rc.verified) << v << " " << g.weight_dtype;
      EXPECT_EQ(make_mixpe_layer_result(a, g, rc), make_mixpe_layer_result(a, g, rf)) << v << " " << g.weight_dtype;
      ++runs;
    }
  }
  EXPECT_EQ(runs, 15);
}

TEST(MixpeEngine, PerGroupFoldsAndActions) {
  const ArchSpec a = default_arch({{"engine", "mixpe"}, {"rows", "4"}, {"cols", "4"}});
  RunOptions fast;
  fast.engine = "fast";
  const Gemm g = gemm(8, 8, 64, "int4", "int8", 16);
  const LayerResult L = make_mixpe_layer_result(a, g, run_mixpe_gemm(a, g, fast, 1));
  EXPECT_EQ(L.folds, 2u * 2u * 4u);  // 2 x 2 output tiles x 4 groups
  EXPECT_EQ(L.actions.at("mixpe.shift_add_mac.int8xint4"), 8u * 8u * 64u);
  EXPECT_EQ(L.actions.at("mixpe.dequant_ops.int"), 8u * 8u * 4u);
  EXPECT_EQ(L.actions.at("mixpe.row_adds.int"), 8u * 64u);
}

TEST(MixpeEngine, ConfigurationAndTraceRules) {
  EXPECT_THROW(default_arch({{"engine", "mixpe"}, {"dataflow", "ws"}}), ConfigError);
  EXPECT_THROW(default_arch({{"engine", "mixpe"}, {"pe.act", "fp16"}}), ConfigError);
  EXPECT_THROW(default_arch({{"engine", "mixpe"}, {"mixpe.variant", "w2a2"}}), ConfigError);
  EXPECT_THROW(default_arch({{"mixpe.variant", "w4a8"}}), ConfigError);  // systolic engine
  const ArchSpec a = default_arch({{"engine", "mixpe"}});
  EXPECT_THROW(check_mixpe_gemm(a, gemm(1, 1, 8, "int4", "fp16", 0), "t.csv"), TraceError);
  EXPECT_THROW(check_mixpe_gemm(a, gemm(1, 1, 8, "int8", "int8", 0), "t.csv"), TraceError);  // 8 > 4 bits
  EXPECT_NO_THROW(check_mixpe_gemm(a, gemm(1, 1, 8, "uint4", "int8", 0), "t.csv"));
  RunOptions rtl;
  rtl.engine = "rtl";
  EXPECT_THROW(run_mixpe_gemm(a, gemm(1, 1, 8, "int4", "int8", 0), rtl, 1), ConfigError);
}

}  // namespace
}  // namespace tpesim
