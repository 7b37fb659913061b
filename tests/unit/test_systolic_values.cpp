// The systolic cycle model's outputs are bit-exact against the numerics oracle, for every
// dataflow and fold mode, on random shapes, for several number formats and accumulators.
#include <gtest/gtest.h>

#include "models/numerics/reference_gemm.hpp"
#include "models/systolic/array_core.hpp"
#include "sim/engine/cosim.hpp"
#include "sim/engine/run.hpp"

namespace tpesim {
namespace {

// These tests are about the SystemC cycle model itself.
RunOptions cycle_engine() {
  RunOptions o;
  o.engine = "cycle";
  return o;
}

struct Case {
  const char* name;
  num::IntFormat act, weight;
  int acc_bits;
  num::Overflow ov;
};

TEST(SystolicValues, BitExactOnRandomShapesAllDataflowsAndModes) {
  const Case cases[] = {
      {"int8xint8_acc32_wrap", {8, true}, {8, true}, 32, num::Overflow::kWrap},
      {"uint4xint6_acc14_sat", {4, false}, {6, true}, 14, num::Overflow::kSaturate},
      {"int16xuint3_acc20_sat", {16, true}, {3, false}, 20, num::Overflow::kSaturate},
      {"int16xint16_acc12_wrap", {16, true}, {16, true}, 12, num::Overflow::kWrap},
      {"uint2xuint2_acc64_wrap", {2, false}, {2, false}, 64, num::Overflow::kWrap},
  };
  int runs = 0;
  for (const Case& c : cases)
    for (Dataflow df : {Dataflow::kOS, Dataflow::kWS, Dataflow::kIS})
      for (bool mode : {false, true}) {
        ArchSpec a;
        a.rows = 3;
        a.cols = 5;
        a.dataflow = df;
        a.fold_overlap = mode;
        a.weight_preload = mode;
        a.act = c.act;
        a.weight = c.weight;
        a.acc = num::AccFormat{c.acc_bits, c.ov};
        for (const Gemm& g : random_gemms(a, 4, 99 + runs)) {
          const GemmRun r = run_gemm(a, g, cycle_engine(), 1000 + runs);  // throws on mismatch
          EXPECT_TRUE(r.verified) << c.name;
          ++runs;
        }
      }
  EXPECT_EQ(runs, 5 * 3 * 2 * 4);
}

TEST(SystolicValues, SaturationActuallyClampsAndWrapActuallyWraps) {
  // 1x1 os PE, acc 8 bits: 127 + 1 saturates to 127; with wrap it becomes -128.
  for (bool sat : {true, false}) {
    systolic::ArrayParams p;
    p.rows = p.cols = 1;
    p.acc = 8;
    p.sat = sat;
    systolic::ArrayCore core(p);
    systolic::ArrayInputs in(1, 1);
    systolic::ArrayOutputs out(1);
    // k = 0: 127 * 1 (first); k = 1: 1 * 1 (last) -> emits 127 + 1.
    in.a_valid[0] = in.b_valid[0] = 1;
    in.a_first[0] = 1;
    in.a_data[0] = 127;
    in.b_data[0] = 1;
    core.step(in, &out);
    EXPECT_EQ(out.o_valid[0], 0);
    in.a_first[0] = 0;
    in.a_last[0] = 1;
    in.a_data[0] = 1;
    core.step(in, &out);
    ASSERT_EQ(out.o_valid[0], 1);
    EXPECT_EQ(out.o_data[0], sat ? 127 : -128);
  }
}

TEST(SystolicValues, OracleAccumulatesInFoldChunks) {
  // With saturation the order of additions matters: ws sums R products per fold from zero,
  // then adds fold sums in the ofmap buffer. 8-bit accumulator, K = 4 products of 100, R = 2:
  // per fold sat(100+100) = 127, then sat(127+127) = 127; one chunk: 127 as well; with
  // products 100, 100, -100, -100: chunked (127) + (-128) = -1, unchunked 127-100-100 = -73.
  num::IntMatrix a(1, 4), b(4, 1);
  for (int k = 0; k < 4; ++k) {
    a.at(0, k) = 10;
    b.at(k, 0) = k < 2 ? 10 : -10;
  }
  const num::AccFormat acc{8, num::Overflow::kSaturate};
  EXPECT_EQ(num::gemm_accumulate(a, b, acc, 2).at(0, 0), -1);
  EXPECT_EQ(num::gemm_accumulate(a, b, acc, 4).at(0, 0), -73);
  EXPECT_EQ(num::gemm_exact(a, b).at(0, 0), 0);
}

}  // namespace
}  // namespace tpesim
