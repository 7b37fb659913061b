// Node scaling of technology tables (sim/cost/tech_scale.cpp, docs/energy-area.md "Node
// scaling"): (a) the rule on factors computed by hand from the Stillmaker & Baas 2017 tables,
// including the paper's own worked example; (b) the shipped 28 nm table, written by
// tools/tech/scale_table.py, equals scale_tech() of the shipped 45 nm table entry by entry.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/cost/tech.hpp"

namespace tpesim::cost {
namespace {

const std::string kTech = std::string(TPESIM_SOURCE_DIR) + "/models/tech/";

/// A one-of-everything table at `nm`, `vdd` with unit values.
TechTable unit_table(double nm, double vdd) {
  TechTable t;
  t.name = "toy-" + std::to_string(static_cast<int>(nm)) + "nm";
  t.node_nm = nm;
  t.vdd = vdd;
  t.sources = {{"a", "source A"}, {"d", "source D"}};
  t.ops = {{"int_add", 8, 1.0, "a"}};
  SramEntry s;
  s.capacity_bytes = 65536;
  s.width_bits = 512;
  s.read_pj = s.write_pj = s.area_mm2 = s.leakage_mw = 1.0;
  s.source = "a";
  t.sram = {s};
  t.dram = {{"HBM2", 3.97, "d"}};
  t.logic_leakage_mw_per_mm2 = 1.0;
  t.logic_leakage_source = "a";
  t.nand2_um2 = 1.0;
  t.nand2_source = "a";
  t.sram_array_efficiency = 0.75;
  t.sram_array_efficiency_source = "a";
  return t;
}

// Hand-evaluated fits (Stillmaker & Baas 2017): energy aV^2 + bV + c (Table 5) and power.
constexpr double kE45hp_09 = 1.018 * 0.81 - 0.3107 * 0.9 + 0.1539;   // 0.69885
constexpr double kE32hp_09 = 0.8367 * 0.81 - 0.4341 * 0.9 + 0.1701;  // 0.457137
constexpr double kE20hp_09 = 0.373 * 0.81 - 0.1582 * 0.9 + 0.04104;  // 0.200790
constexpr double kP45hp_09 = 5462 * 0.81 - 1760 * 0.9 + 522.4;       // 3362.62
constexpr double kP32hp_09 = 4001 * 0.81 - 1733 * 0.9 + 533.6;       // 2214.71

TEST(TechScale, FortyFiveToThirtyTwoUsesThePaperRowsDirectly) {
  const TechTable s = scale_tech(unit_table(45, 0.9), 32, 0.9);
  const double ke = kE32hp_09 / kE45hp_09;  // 0.654127
  const double ka = 0.46;                   // area table, row 45 nm, column 32 nm
  const double kp = kP32hp_09 / kP45hp_09;  // 0.658626
  EXPECT_NEAR(ke, 0.654127, 1e-6);
  EXPECT_NEAR(kp, 0.658626, 1e-6);
  EXPECT_NEAR(s.ops[0].pj, ke, 1e-12);
  EXPECT_NEAR(s.sram[0].read_pj, ke, 1e-12);
  EXPECT_NEAR(s.sram[0].write_pj, ke, 1e-12);
  EXPECT_NEAR(s.sram[0].area_mm2, ka, 1e-12);
  EXPECT_NEAR(s.sram[0].leakage_mw, kp, 1e-12);
  EXPECT_NEAR(s.nand2_um2, ka, 1e-12);
  EXPECT_NEAR(s.logic_leakage_mw_per_mm2, kp / ka, 1e-12);
}

TEST(TechScale, ReproducesThePapersWorkedExample) {
  // Corrigendum to Section 4.2.1: 1 pJ/op at 65 nm, 1.3 V is 0.4571 / 2.604 = 0.1755 pJ/op at
  // 32 nm (HP), 0.9 V.
  const TechTable s = scale_tech(unit_table(65, 1.3), 32, 0.9);
  EXPECT_NEAR(s.ops[0].pj, 0.1755, 0.0001);
}

TEST(TechScale, TwentyEightNanometresInterpolatesGeometricallyBetween32And20) {
  const double t = std::log(32.0 / 28) / std::log(32.0 / 20);  // 0.284108
  EXPECT_NEAR(t, 0.284108, 1e-6);
  const TechTable s = scale_tech(unit_table(45, 0.9), 28, 0.9);
  const double ke = std::pow(kE32hp_09, 1 - t) * std::pow(kE20hp_09, t) / kE45hp_09;
  const double ka = std::pow(0.46, 1 - t) * std::pow(0.21, t);  // row 45 nm: 32 -> 0.46, 20 -> 0.21
  EXPECT_NEAR(ke, 0.517785, 1e-6);                              // the factors quoted in the docs
  EXPECT_NEAR(ka, 0.368136, 1e-6);
  EXPECT_NEAR(s.ops[0].pj, ke, 1e-12);
  EXPECT_NEAR(s.sram[0].area_mm2, ka, 1e-12);
  EXPECT_NEAR(s.sram[0].leakage_mw, 0.590643, 1e-6);
  EXPECT_NEAR(s.logic_leakage_mw_per_mm2, 0.590643 / 0.368136, 1e-5);
}

TEST(TechScale, KeepsDramAndEfficiencyAndRewritesSources) {
  const TechTable from = unit_table(45, 0.9);
  const TechTable s = scale_tech(from, 28, 0.9);
  EXPECT_EQ(s.name, "toy-28nm");
  EXPECT_EQ(s.node_nm, 28);
  EXPECT_EQ(s.vdd, 0.9);
  EXPECT_TRUE(s.path.empty());
  ASSERT_EQ(s.dram.size(), 1u);
  EXPECT_EQ(s.dram[0].pj_per_bit, 3.97);  // DRAM energy does not follow the logic node
  EXPECT_EQ(s.dram[0].source, "d");
  EXPECT_EQ(s.sram_array_efficiency, 0.75);
  EXPECT_EQ(s.sram_array_efficiency_source, "a");
  EXPECT_EQ(s.ops[0].source, "a+stillmaker17");
  EXPECT_EQ(s.sram[0].source, "a+stillmaker17");
  EXPECT_EQ(s.nand2_source, "a+stillmaker17");
  EXPECT_EQ(s.logic_leakage_source, "a+stillmaker17");
  // Every original source is kept; the scaling citation and the combined keys are added.
  for (const auto& kv : from.sources) EXPECT_EQ(s.sources.at(kv.first), kv.second);
  ASSERT_TRUE(s.sources.count("stillmaker17"));
  EXPECT_NE(s.sources.at("stillmaker17").find("Integration, the VLSI Journal 58"),
            std::string::npos);
  EXPECT_EQ(s.sources.at("a+stillmaker17"),
            "source A; scaled from 45 nm, 0.9 V to 28 nm, 0.9 V with stillmaker17");
}

TEST(TechScale, ScalingToTheSameNodeAndVoltageIsTheIdentity) {
  const TechTable s = scale_tech(unit_table(45, 0.9), 45, 0.9);
  EXPECT_DOUBLE_EQ(s.ops[0].pj, 1.0);
  EXPECT_DOUBLE_EQ(s.sram[0].area_mm2, 1.0);
  EXPECT_DOUBLE_EQ(s.sram[0].leakage_mw, 1.0);
}

TEST(TechScale, RejectsNodesOutsideThePapersRange) {
  EXPECT_THROW(scale_tech(unit_table(45, 0.9), 5, 0.7), CostError);
  EXPECT_THROW(scale_tech(unit_table(45, 0.9), 250, 2.5), CostError);
  EXPECT_THROW(scale_tech(unit_table(45, 0.9), 28, 0), CostError);
}

void expect_rel(double got, double want, const std::string& what) {
  EXPECT_LE(std::fabs(got - want), 1e-9 * std::fabs(want)) << what << ": " << got << " vs " << want;
}

/// Every SRAM entry of `got` equals `want`'s (configuration and source exactly, values within 1e-9).
void expect_same_sram(const TechTable& got, const TechTable& want) {
  ASSERT_EQ(got.sram.size(), want.sram.size());
  for (size_t i = 0; i < want.sram.size(); ++i) {
    const SramEntry &g = got.sram[i], &w = want.sram[i];
    const std::string what = "sram[" + std::to_string(i) + "] " + std::to_string(w.capacity_bytes) +
                             " B x " + std::to_string(w.width_bits) + " bit x " +
                             std::to_string(w.banks);
    EXPECT_EQ(g.capacity_bytes, w.capacity_bytes) << what;
    EXPECT_EQ(g.width_bits, w.width_bits) << what;
    EXPECT_EQ(g.banks, w.banks) << what;
    EXPECT_EQ(g.source, w.source) << what;
    expect_rel(g.read_pj, w.read_pj, what + " read_pj");
    expect_rel(g.write_pj, w.write_pj, what + " write_pj");
    expect_rel(g.area_mm2, w.area_mm2, what + " area_mm2");
    expect_rel(g.leakage_mw, w.leakage_mw, what + " leakage_mw");
  }
}

TEST(TechScale, Shipped28nmTableIsTheScaled45nmTable) {
  const TechTable t45 = load_tech(kTech + "generic_45nm.yaml");
  const TechTable want = scale_tech(t45, 28, 0.9);
  const TechTable got = load_tech(kTech + "generic_28nm.yaml");
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.node_nm, want.node_nm);
  EXPECT_EQ(got.vdd, want.vdd);
  EXPECT_EQ(got.sources, want.sources);
  ASSERT_EQ(got.ops.size(), want.ops.size());
  for (size_t i = 0; i < want.ops.size(); ++i) {
    const std::string what = "ops[" + std::to_string(i) + "] " + want.ops[i].op;
    EXPECT_EQ(got.ops[i].op, want.ops[i].op) << what;
    EXPECT_EQ(got.ops[i].bits, want.ops[i].bits) << what;
    EXPECT_EQ(got.ops[i].source, want.ops[i].source) << what;
    expect_rel(got.ops[i].pj, want.ops[i].pj, what);
  }
  expect_same_sram(got, want);
  ASSERT_EQ(got.dram.size(), want.dram.size());
  for (size_t i = 0; i < want.dram.size(); ++i) {
    EXPECT_EQ(got.dram[i].type, want.dram[i].type);
    EXPECT_EQ(got.dram[i].source, want.dram[i].source);
    expect_rel(got.dram[i].pj_per_bit, want.dram[i].pj_per_bit, "dram " + want.dram[i].type);
  }
  expect_rel(got.logic_leakage_mw_per_mm2, want.logic_leakage_mw_per_mm2, "logic_leakage");
  EXPECT_EQ(got.logic_leakage_source, want.logic_leakage_source);
  expect_rel(got.nand2_um2, want.nand2_um2, "nand2");
  EXPECT_EQ(got.nand2_source, want.nand2_source);
  expect_rel(got.sram_array_efficiency, want.sram_array_efficiency, "sram_array_efficiency");
  EXPECT_EQ(got.sram_array_efficiency_source, want.sram_array_efficiency_source);
}

TEST(TechScale, ShippedIhpSramIsThe45nmTableScaledTo130nm) {
  // tools/tech/ihp_calibrate.py writes the IHP SG13G2 table's sram entries with
  // scale_table.scale_sram (CACTI 7 has no 130 nm technology); they must equal what scale_tech
  // makes of the 45 nm table at 130 nm and the table's supply.
  const TechTable got = load_tech(kTech + "ihp_sg13g2_130nm.yaml");
  EXPECT_EQ(got.node_nm, 130);
  EXPECT_EQ(got.vdd, 1.2);
  const TechTable want = scale_tech(load_tech(kTech + "generic_45nm.yaml"), 130, 1.2);
  ASSERT_FALSE(want.sram.empty());
  expect_same_sram(got, want);
  // The scaled source and its citation ("...; scaled from 45 nm, 0.9 V to 130 nm, 1.2 V with
  // stillmaker17") are scale_tech's, and so are the unscaled sram_array_efficiency and its source.
  ASSERT_TRUE(got.sources.count("cacti7+stillmaker17"));
  EXPECT_EQ(got.sources.at("cacti7+stillmaker17"), want.sources.at("cacti7+stillmaker17"));
  EXPECT_EQ(got.sources.at("stillmaker17"), want.sources.at("stillmaker17"));
  expect_rel(got.sram_array_efficiency, want.sram_array_efficiency, "sram_array_efficiency");
  EXPECT_EQ(got.sram_array_efficiency_source, want.sram_array_efficiency_source);
  // The same 64 KiB x 512 bit macro is 6.4x the 45 nm area (the paper's 45 -> 130 nm factor).
  const SramCost c45 = load_tech(kTech + "generic_45nm.yaml").sram_cost(65536, 512, 1, "test");
  const SramCost c130 = got.sram_cost(65536, 512, 1, "test");
  EXPECT_EQ(c130.rule, "exact");
  EXPECT_NEAR(c130.area_mm2 / c45.area_mm2, 6.4, 1e-8);
}

TEST(TechScale, Shipped45nmTableHasTheHorowitzFigures) {
  const TechTable t = load_tech(kTech + "generic_45nm.yaml");
  EXPECT_EQ(t.node_nm, 45);
  EXPECT_EQ(t.vdd, 0.9);
  EXPECT_DOUBLE_EQ(t.op_pj("int_add", 8, "test", "add"), 0.03);
  EXPECT_DOUBLE_EQ(t.op_pj("int_add", 32, "test", "add"), 0.1);
  EXPECT_DOUBLE_EQ(t.op_pj("int_mul", 8, "test", "mul"), 0.2);
  EXPECT_DOUBLE_EQ(t.op_pj("int_mul", 32, "test", "mul"), 3.1);
  EXPECT_DOUBLE_EQ(t.op_pj("fp_add", 16, "test", "add"), 0.4);
  EXPECT_DOUBLE_EQ(t.op_pj("fp_add", 32, "test", "add"), 0.9);
  EXPECT_DOUBLE_EQ(t.op_pj("fp_mul", 16, "test", "mul"), 1.1);
  EXPECT_DOUBLE_EQ(t.op_pj("fp_mul", 32, "test", "mul"), 3.7);
  EXPECT_DOUBLE_EQ(t.nand2_um2, 0.798);
  // Every CACTI point of the documented grid is present: 8 KiB..2 MiB x 64..1024 bits, 1 bank.
  for (uint64_t cap = 8192; cap <= (2u << 20); cap *= 2)
    for (int w = 64; w <= 1024; w *= 2) EXPECT_EQ(t.sram_cost(cap, w, 1, "test").rule, "exact");
  EXPECT_EQ(t.sram_cost(262144, 256, 2, "test").rule, "exact");
}

}  // namespace
}  // namespace tpesim::cost
