// Fast engine == cycle model on real layers: Llama-2-7B's GEMMs (workloads/
// llama2-7b-prefill-2048.csv) at a reduced token count, on the shipped presets.
#include <gtest/gtest.h>

#include <string>

#include "sim/config/arch.hpp"
#include "sim/engine/bitmod_run.hpp"
#include "sim/engine/run.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {
namespace {

std::string path(const std::string& rel) { return std::string(TPESIM_SOURCE_DIR) + "/" + rel; }

TEST(FidelityLayers, Llama2PrefillLayersAtFourTokens) {
  const Workload w = load_trace(path("workloads/llama2-7b-prefill-2048.csv"));
  int compared = 0;
  for (const char* preset : {"models/presets/default.yaml", "models/presets/os16.yaml",
                             "models/presets/is16.yaml"}) {
    const ArchSpec a = load_arch(path(preset));
    for (Gemm g : w.gemms) {
      // 4 tokens instead of 2048: M (and the sequence-length dimension of attention). k/v/o
      // have q's shape and up has gate's; down and lm_head are left out to keep the test short.
      const std::string n = g.name;
      if (n == "k_proj" || n == "v_proj" || n == "o_proj" || n == "up_proj" || n == "down_proj" ||
          n == "lm_head" || (n == "gate_proj" && std::string(preset) != "models/presets/default.yaml"))
        continue;
      g.M = 4;
      if (n == "attn_qk") g.N = 4;
      if (n == "attn_pv") g.K = 4;
      RunOptions cyc, fast;
      cyc.engine = "cycle";
      cyc.verify_limit = 0;
      fast.engine = "fast";
      const GemmRun rc = run_gemm(a, g, cyc, 3), rf = run_gemm(a, g, fast, 3);
      const LayerResult lc = make_layer_result(a, g, rc), lf = make_layer_result(a, g, rf);
      EXPECT_EQ(lf.cycles, lc.cycles) << preset << " " << g.name;
      EXPECT_EQ(lf.actions, lc.actions) << preset << " " << g.name;
      EXPECT_EQ(lf.buffers, lc.buffers) << preset << " " << g.name;
      EXPECT_EQ(lf.dram_bytes(), lc.dram_bytes()) << preset << " " << g.name;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 3 * 3 + 1);
}

}  // namespace
}  // namespace tpesim

namespace tpesim {
namespace {

// The BitMoD engine on Llama-2-7B's layers (workloads/llama2-7b-prefill-256-bitmod-fp4/fp3):
// real K and group structure, M = 4 tokens and N cut to two array widths so the cycle model
// (which also checks every output against num::bitmod::gemm_bitmod) stays quick. Whole
// report rows must be equal.
TEST(FidelityLayers, BitmodLlama2LayersFastEqualsCycle) {
  int compared = 0;
  for (const char* trace : {"workloads/llama2-7b-prefill-256-bitmod-fp4.csv", "workloads/llama2-7b-prefill-256-bitmod-fp3.csv"}) {
    const Workload w = load_trace(path(trace));
    for (const char* preset : {"models/presets/bitmod_prefill32x32.yaml", "models/presets/bitmod_decode64x16.yaml"}) {
      const ArchSpec a = load_arch(path(preset));
      for (Gemm g : w.gemms) {
        if (g.name != "q_proj" && g.name != "down_proj" && g.name != "attn_qk" && g.name != "attn_pv") continue;
        g.M = 4;
        g.N = std::min<uint64_t>(g.N, 2 * static_cast<uint64_t>(a.cols));
        RunOptions cyc, fast;
        cyc.engine = "cycle";
        fast.engine = "fast";
        const BitmodGemmRun rc = run_bitmod_gemm(a, g, cyc, 5), rf = run_bitmod_gemm(a, g, fast, 5);
        EXPECT_TRUE(rc.verified) << preset << " " << g.name;
        const LayerResult lc = make_bitmod_layer_result(a, g, rc), lf = make_bitmod_layer_result(a, g, rf);
        EXPECT_EQ(lf, lc) << trace << " " << preset << " " << g.name;
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 2 * 2 * 4);
}

}  // namespace
}  // namespace tpesim
