// Every trace shipped in workloads/ parses, and the BitMoD traces carry the paper's setup.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sim/workload/workload.hpp"

namespace tpesim {
namespace {

TEST(Workloads, EveryShippedTraceParses) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(TPESIM_SOURCE_DIR) + "/workloads")) {
    if (e.path().extension() != ".csv") continue;
    EXPECT_NO_THROW(load_trace(e.path().string())) << e.path();
    ++n;
  }
  EXPECT_GE(n, 5);
}

TEST(Workloads, BitmodPrefillTracesUseGroupedLowBitWeightsAndFp16Activations) {
  for (const char* f : {"llama2-7b-prefill-256-bitmod-fp4.csv", "llama2-7b-prefill-256-bitmod-fp3.csv"}) {
    const Workload w = load_trace(std::string(TPESIM_SOURCE_DIR) + "/workloads/" + f);
    uint64_t macs = 0;
    for (const Gemm& g : w.gemms) {
      EXPECT_EQ(g.act_dtype, "fp16");
      EXPECT_EQ(g.M, 256u);
      EXPECT_EQ(g.group_size, 128u);
      macs += g.M * g.N * g.K * g.count;
    }
    // Per layer: 4 x 256*4096*4096 + 3 x 256*4096*11008 + 32 heads x 2 x 256*256*128, x 32 layers.
    const uint64_t per_layer = 4ull * 256 * 4096 * 4096 + 3ull * 256 * 4096 * 11008 + 32ull * 2 * 256 * 256 * 128;
    EXPECT_EQ(macs, 32 * per_layer) << f;
  }
}

}  // namespace
}  // namespace tpesim
