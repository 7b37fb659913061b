// Energy pricing: a small run's energy recomputed by hand from its action counts and a table of
// round numbers (tests/data/tech/hand.yaml), and the technology table's validation and rules.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "sim/config/arch.hpp"
#include "models/systolic/array_core.hpp"
#include "sim/common/error.hpp"
#include "sim/cost/energy.hpp"
#include "sim/cost/pe_activity.hpp"
#include "sim/cost/tech.hpp"
#include "sim/engine/run.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {
namespace {

const std::string kHand = std::string(TPESIM_TEST_DATA) + "/tech/hand.yaml";

Workload one_gemm(uint64_t M, uint64_t N, uint64_t K) {
  Workload w;
  w.name = "w";
  Gemm g;
  g.name = "g";
  g.M = M;
  g.N = N;
  g.K = K;
  g.weight_dtype = "int8";
  g.act_dtype = "int8";
  w.gemms.push_back(g);
  return w;
}

uint64_t count(const LayerResult& l, const std::string& a) {
  const auto it = l.actions.find(a);
  return it == l.actions.end() ? 0 : it->second;
}

TEST(Energy, SmallRunRecomputedByHandFromCountsAndTable) {
  // 8 x 8 weight-stationary INT8 array, INT32 accumulators, the default buffers
  // (256 KiB, 64 B / 64 B / 128 B ports, double-buffered) and LPDDR4.
  ArchSpec a = default_arch({{"rows", "8"}, {"cols", "8"}, {"tech", kHand}});
  RunOptions opt;
  const RunResult r = run_workload(a, one_gemm(20, 12, 16), opt);
  ASSERT_EQ(r.layers.size(), 1u);
  const LayerResult& l = r.layers[0];
  auto near = [](double got, double want) { EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, want)) << want; };
  auto e = [&](const char* c) { return l.energy_pj.count(c) ? l.energy_pj.at(c) : 0.0; };
  // The table (hand.yaml): int_mul 8b 0.25, int_add 32b 0.16, reg_write 0.01 / bit,
  // reg_clock 0.002 / bit, SRAM 256 KiB x 2 banks: 512-bit port 51.2 / 102.4 pJ per access =
  // 0.1 / 0.2 pJ per bit, 1024-bit port 102.4 / 204.8 = 0.1 / 0.2 pJ per bit, leakage
  // 2 + 2 + 3 mW; LPDDR4 4 pJ/bit.
  const uint64_t macs = count(l, "mac.int8xint8");
  EXPECT_EQ(macs, 20u * 12 * 16);
  near(e("pe.mac"), macs * (0.25 + 0.16));
  near(e("pe.registers"), count(l, "pe.operand_reg_write_bits") * 0.01 + count(l, "pe.acc_writes") * 32 * 0.01 +
                              count(l, "pe.stationary_writes") * 8 * 0.01);
  // ws: the operand bits are the left (activation) register loads only, 8 bits each.
  EXPECT_EQ(count(l, "pe.operand_reg_write_bits"), 8 * count(l, "pe.operand_reg_writes"));
  near(e("array.output"), count(l, "array.output_writes") * 32 * 0.01);
  // An idle ws PE clocks its left register (8), two stationary banks (2 x 8) and its partial
  // sum (32): 56 bits.
  near(e("pe.clock_idle"), count(l, "pe.idle_cycles") * 56 * 0.002);
  for (const char* b : {"ifmap", "filter", "ofmap"}) {
    const BufferTraffic& t = l.buffers.at(b);
    near(e((std::string("buffer.") + b).c_str()), 8.0 * (t.read_bytes * 0.1 + t.write_bytes * 0.2));
  }
  near(e("dram"), 8.0 * l.dram_bytes() * 4.0);
  // 7 mW for cycles / 1 GHz; 1 mW s = 1e9 pJ.
  near(e("leakage.sram"), 7.0 * (l.cycles.total / 1e9) * 1e9);
  // Nothing else was priced, and the totals are the sums.
  EXPECT_EQ(l.energy_pj.size(), 9u);
  near(r.totals.energy_total_pj(), l.energy_total_pj());
  EXPECT_EQ(r.costs.tech, "hand-test");
}

TEST(Energy, EveryCountedActionOfEveryEngineIsPriced) {
  // price_of throws for an action without a rule: the default job on each engine's preset
  // must price every action it counts.
  const std::string src = TPESIM_SOURCE_DIR;
  const std::pair<const char*, std::string> runs[] = {
      {"default", src + "/tests/golden/small.csv"},
      {"os16", src + "/tests/golden/small.csv"},
      {"fp16_ws32", src + "/workloads/llama2-7b-decode-256-fp16.csv"},
      {"bitmod_prefill32x32", src + "/tests/golden/small_bitmod.csv"},
      {"mixpe_w4a8_64x64", src + "/tests/golden/small_mixpe_w4a8.csv"},
      {"mixpe_w4a16_32x32", src + "/tests/golden/small_mixpe_w4a16.csv"},
      {"mixpe_fp16xint8_32x32", src + "/tests/golden/small_mixpe_fp16xint8.csv"},
  };
  for (const auto& [preset, trace] : runs) {
    const ArchSpec a = std::string(preset) == "default"
                           ? default_arch({{"tech", kHand}})
                           : load_arch(src + "/models/presets/" + preset + ".yaml", {{"tech", kHand}});
    RunOptions opt;
    const RunResult r = run_workload(a, load_trace(trace), opt);
    EXPECT_GT(r.totals.energy_total_pj(), 0) << preset;
    for (const auto& [action, n] : r.totals.actions) EXPECT_NO_THROW(cost::price_of(a, action)) << preset << " " << action;
  }
  EXPECT_THROW(cost::price_of(default_arch(), "pe.unheard_of"), cost::CostError);
}

TEST(TechTable, MissingEntryNamesComponentAndAction) {
  const cost::TechTable t = cost::load_tech(kHand);
  try {
    t.op_pj("fp_add", 16, "pe.mac", "mac.fp16xfp16");
    FAIL();
  } catch (const cost::CostError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("fp_add at 16 bits"), std::string::npos) << m;
    EXPECT_NE(m.find("component 'pe.mac'"), std::string::npos) << m;
    EXPECT_NE(m.find("action 'mac.fp16xfp16'"), std::string::npos) << m;
  }
  EXPECT_THROW(t.dram_pj_per_bit("HBM3", "dram"), cost::CostError);
}

TEST(TechTable, WidthRules) {
  const cost::TechTable t = cost::load_tech(kHand);
  EXPECT_DOUBLE_EQ(t.op_pj("int_add", 8, "c", "a"), 0.04);
  EXPECT_DOUBLE_EQ(t.op_pj("int_add", 12, "c", "a"), 0.04 * 12 / 8);   // nearest 8 (|12-8| < |12-32|), linear
  EXPECT_DOUBLE_EQ(t.op_pj("int_add", 20, "c", "a"), 0.04 * 20 / 8);   // tie 8 / 32: the smaller
  EXPECT_DOUBLE_EQ(t.op_pj("int_mul", 4, "c", "a"), 0.25 * 0.25);      // quadratic
  EXPECT_DOUBLE_EQ(t.op_pj("reg_write", 32, "c", "a"), 0.32);
  const cost::SramCost exact = t.sram_cost(262144, 512, 2, "b");
  EXPECT_EQ(exact.rule, "exact");
  EXPECT_DOUBLE_EQ(exact.read_pj_per_bit, 0.1);
  const cost::SramCost quarter = t.sram_cost(65536, 512, 2, "b");  // 4x smaller: energy/bit x 1/2
  EXPECT_DOUBLE_EQ(quarter.read_pj_per_bit, 0.05);
  EXPECT_DOUBLE_EQ(quarter.area_mm2, 0.25);
  EXPECT_NE(quarter.rule.find("sqrt"), std::string::npos);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string p = ::testing::TempDir() + "/" + name;
  std::ofstream(p) << text;
  return p;
}

TEST(TechTable, ValidationNamesFileLineAndKey) {
  const std::string head = "name: t\nnode_nm: 45\nvdd: 1\nsources: {s: \"x\"}\n";
  const std::string tail = "logic_leakage: {mw_per_mm2: 1, source: s}\nnand2: {um2: 1, source: s}\n";
  struct Case {
    const char* what;
    std::string text;
    const char* expect;
  };
  const Case cases[] = {
      {"unknown source", head + "ops:\n  - {op: int_add, bits: 8, pj: 1, source: nope}\n" + tail, ":6: source: 'nope' is not a key"},
      {"negative", head + "ops:\n  - {op: int_add, bits: 8, pj: -1, source: s}\n" + tail, "pj: must be positive"},
      {"duplicate", head + "ops:\n  - {op: int_add, bits: 8, pj: 1, source: s}\n  - {op: int_add, bits: 8, pj: 2, source: s}\n" + tail,
       "int_add at 8 bits is listed twice"},
      {"unknown op", head + "ops:\n  - {op: int_div, bits: 8, pj: 1, source: s}\n" + tail, "unknown operation 'int_div'"},
      {"unknown key", head + "ops: []\nleakage: 3\n" + tail, "leakage: unknown key"},
      {"missing", head + "ops: []\n" + "nand2: {um2: 1, source: s}\n", "logic_leakage: missing"},
  };
  for (const Case& c : cases) {
    const std::string p = write_temp("tech_case.yaml", c.text);
    try {
      cost::load_tech(p);
      ADD_FAILURE() << c.what;
    } catch (const ConfigError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(p), std::string::npos) << c.what << ": " << m;
      EXPECT_NE(m.find(c.expect), std::string::npos) << c.what << ": " << m;
    }
  }
}

TEST(Activity, ArrayCoreCountsRegisterToggles) {
  // A 1 x 1 output-stationary INT8 PE fed a = 0x0F, 0xF0 (-16), 0xF0, 0x00 with b = 1, one fold.
  systolic::ArrayParams p;
  p.rows = p.cols = 1;
  systolic::ArrayCore core(p);
  systolic::ArrayInputs in(1, 1);
  systolic::ArrayOutputs out(1);
  const int64_t as[] = {0x0F, -16, -16, 0};
  for (int t = 0; t < 4; ++t) {
    in.clear();
    in.a_valid[0] = in.b_valid[0] = 1;
    in.a_first[0] = t == 0;
    in.a_last[0] = t == 3;
    in.a_data[0] = as[t];
    in.b_data[0] = 1;
    core.step(in, &out);
  }
  const systolic::ArrayCounters& c = core.counters();
  // Left register 0 -> 0x0F -> 0xF0 -> 0xF0 -> 0x00: 4 + 8 + 0 + 4 bits.
  EXPECT_EQ(c.left_toggles, 16u);
  // Top register 0 -> 1, then 1 three times.
  EXPECT_EQ(c.top_toggles, 1u);
  // Accumulator 0 -> 15 (4 bits) -> -1 (15 ^ 0xFFFFFFFF: 28) -> -17 (0x...FF ^ 0x...EF: 1) -> -17 (0).
  EXPECT_EQ(c.acc_toggles, 33u);
  EXPECT_EQ(c.stationary_toggles, 0u);
}

TEST(Activity, ReportsTogglesOnlyWhenAskedAndNeedsValues) {
  const ArchSpec a = load_arch(std::string(TPESIM_SOURCE_DIR) + "/models/presets/os16.yaml", {{"tech", kHand}});
  RunOptions opt;
  opt.engine = "cycle";
  const RunResult plain = run_workload(a, one_gemm(20, 12, 16), opt);
  EXPECT_EQ(plain.layers[0].actions.count("toggles.left_reg_bits"), 0u);
  opt.activity = true;
  const RunResult act = run_workload(a, one_gemm(20, 12, 16), opt);
  const LayerResult& l = act.layers[0];
  EXPECT_GT(count(l, "toggles.left_reg_bits"), 0u);
  EXPECT_GT(count(l, "toggles.acc_reg_bits"), 0u);
  // The INT8 os PE is calibrated: its whole energy comes from toggles and cycles, scaled from
  // the calibration's node to the table's (hand.yaml: 45 nm, 1.0 V).
  const cost::PeToggleTable& pt = cost::shipped_pe_toggle_table();
  const cost::PeToggleEnergy* e = pt.find("systolic_pe_os", "AW=8 A_SIGNED=1 BW=8 B_SIGNED=1 ACC=32 SAT=0 PE=0");
  ASSERT_NE(e, nullptr);
  const double k = cost::energy_scale_factor(pt.node_nm, pt.vdd, 45, 1.0);
  const double want = k * (e->operand * (count(l, "toggles.left_reg_bits") + count(l, "toggles.top_reg_bits")) +
                           e->acc * count(l, "toggles.acc_reg_bits"));
  EXPECT_NEAR(l.energy_pj.at("pe.switching"), want, 1e-9 * want);
  EXPECT_NEAR(l.energy_pj.at("pe.clock"), k * e->cycle * 16 * 16 * l.cycles.total, 1e-6);
  EXPECT_EQ(l.energy_pj.count("pe.mac"), 0u);
  EXPECT_EQ(l.energy_pj.count("pe.registers"), 0u);
  // Everything outside the PE is priced as without activity.
  for (const char* c : {"buffer.ifmap", "buffer.filter", "buffer.ofmap", "dram", "array.output"})
    EXPECT_DOUBLE_EQ(l.energy_pj.at(c), plain.layers[0].energy_pj.at(c)) << c;
  opt.engine = "fast";
  EXPECT_THROW(run_workload(a, one_gemm(20, 12, 16), opt), ConfigError);
}

}  // namespace
}  // namespace tpesim
