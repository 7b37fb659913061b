// The FP16 x INT MAC PE of the systolic engine (pe.act fp16, pe.weight int<=8 bits; MixPE's
// W4A16 MAC, docs/mixpe-pe.md): the integer weight enters the FP32 fused multiply-add as the
// FP16 value it equals (fp16_from_int, exact), so every output equals the FP16 reference GEMM
// with the weights converted; checked on the cycle model (os, ws, os with K-split folds), and
// the configuration rules.
#include <gtest/gtest.h>

#include <cmath>

#include "models/numerics/fp_mac.hpp"
#include "models/numerics/mixpe.hpp"
#include "sim/common/error.hpp"
#include "sim/config/arch.hpp"
#include "sim/engine/run.hpp"

namespace tpesim {
namespace {

TEST(Fp16IntPe, Fp16FromIntIsExact) {
  for (int v = -2048; v <= 2048; ++v)
    ASSERT_EQ(num::fp32_from_bits(num::fp16_to_fp32_bits(num::fp16_from_int(v))), static_cast<float>(v)) << v;
  EXPECT_THROW(num::fp16_from_int(2049), std::invalid_argument);
  // The array's MAC equals MixPE's shift-and-add W4A16 step.
  for (uint32_t acc : {0u, 0x80000000u, 0x3f800000u, 0xc2f60000u})
    for (int q = -8; q <= 7; ++q)
      for (uint16_t a : {uint16_t{0x3c00}, uint16_t{0x8001}, uint16_t{0x7bff}, uint16_t{0x0000}, uint16_t{0xb555}})
        ASSERT_EQ(num::fp_mac_fp16_fp32(acc, a, num::fp16_from_int(q)), num::mixpe::mac_w4a16(acc, q, a));
}

TEST(Fp16IntPe, CycleModelOutputsEqualTheReference) {
  for (const char* df : {"os", "ws"})
    for (const char* w : {"int4", "uint3", "int8"})
      for (const char* kf : {"0", "3"}) {
        if (std::string(df) == "ws" && std::string(kf) != "0") continue;
        const ArchSpec a = default_arch({{"rows", "4"}, {"cols", "3"}, {"dataflow", df}, {"pe.act", "fp16"},
                                         {"pe.weight", w}, {"os_k_fold", kf}});
        Gemm g;
        g.name = "g";
        g.M = 7;
        g.N = 5;
        g.K = 11;
        g.act_dtype = "fp16";
        g.weight_dtype = w;
        RunOptions o;
        o.engine = "cycle";
        const GemmRun r = run_gemm(a, g, o, 3);
        EXPECT_TRUE(r.verified) << df << " " << w << " kf " << kf;
        EXPECT_EQ(make_layer_result(a, g, r).actions.count(std::string("mac.fp16x") + w), 1u);
      }
}

TEST(Fp16IntPe, ConfigurationRules) {
  EXPECT_NO_THROW(default_arch({{"pe.act", "fp16"}, {"pe.weight", "int4"}}));
  EXPECT_THROW(default_arch({{"pe.act", "fp16"}, {"pe.weight", "int12"}}), ConfigError);
  EXPECT_THROW(default_arch({{"pe.act", "fp16"}, {"pe.weight", "int4"}, {"dataflow", "is"}}), ConfigError);
  EXPECT_THROW(default_arch({{"pe.act", "fp16"}, {"pe.weight", "int4"}, {"pe.acc_bits", "24"}}), ConfigError);
  EXPECT_THROW(default_arch({{"pe.weight", "fp16"}}), ConfigError);
}

}  // namespace
}  // namespace tpesim
