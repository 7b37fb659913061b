// Area from synthesis (sim/cost/area.*, docs/energy-area.md "Area"): SHA-256, parsing yosys's
// statistics, the synthesis cache (lookup, stale RTL, round trip) and area_for's components,
// sums and scaling by the technology table's NAND2 area, all against hand-computed values.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "sim/config/arch.hpp"
#include "sim/cost/area.hpp"

namespace {

using namespace tpesim;
using namespace tpesim::cost;

TEST(Area, Sha256KnownVectors) {
  // FIPS 180-4 examples (one and two blocks) and the empty string.
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Area, BuiltInHashesMatchTheSourceTree) {
  // The configure-time hashes (CMake's file(SHA256)) equal the C++ rule on the same files.
  const AreaHashes& h = built_in_hashes();
  ASSERT_EQ(h.rtl.size(), 3u);
  for (const auto& [set, sha] : h.rtl) EXPECT_EQ(rtl_set_sha256(set, TPESIM_SOURCE_DIR), sha) << set;
  EXPECT_EQ(sha256_file(std::string(TPESIM_SOURCE_DIR) + "/" + h.liberty), h.liberty_sha256);
}

// A two-level hierarchy as `stat -liberty` prints it: top (2 x pe, 1 x edge cell), pe (1 x mac
// + 2 flip-flops), mac (3 gates; no submodules). Areas in um^2.
const char* kStat = R"(
=== $paramod$abc\top_mod ===

   Number of wires:                 10
   Number of cells:                  3
     $paramod$def\pe_mod             2
     lib_dff                         1

   Area for cell type $paramod$def\pe_mod is unknown!

   Chip area for module '$paramod$abc\top_mod': 20.000000

=== $paramod$def\pe_mod ===

   Number of cells:                  3
     \mac_mod                        1
     lib_dff                         2

   Chip area for module '$paramod$def\pe_mod': 40.000000

=== mac_mod ===

   Number of cells:                  3
     lib_nand2                       2
     lib_xor2                        1

   Chip area for module '\mac_mod': 30.500000

=== design hierarchy ===

   $paramod$abc\top_mod              1
     $paramod$def\pe_mod             2
       mac_mod                       1

   Number of cells:                 11
   Chip area for top module '$paramod$abc\top_mod': 161.000000
)";

const char* kParams = R"({"modules": {
  "$paramod$abc\\top_mod": {"parameter_default_values": {"N": "00000000000000000000000000000010"}},
  "$paramod$def\\pe_mod": {"parameter_default_values": {"OFF": "11111111111111111111111111111101", "W": "00000000000000000000000000001000"}},
  "mac_mod": {}
}})";

TEST(Area, ParsesHierarchicalStatistics) {
  const auto m = parse_yosys_stat(kStat, kParams, "top_mod", 2.0);
  ASSERT_EQ(m.size(), 3u);
  // mac 30.5; pe 40 + 30.5 = 70.5; top 20 + 2 x 70.5 = 161 (= yosys's hierarchy total).
  EXPECT_EQ(m[0].module, "top_mod");
  EXPECT_EQ(m[0].params, "N=2");
  EXPECT_DOUBLE_EQ(m[0].cell_um2, 161.0);
  EXPECT_DOUBLE_EQ(m[0].ge, 80.5);
  EXPECT_EQ(m[0].cells, 1u + 2u * (2u + 3u));
  EXPECT_EQ(m[0].instances, 1u);
  EXPECT_EQ(m[1].module, "pe_mod");
  EXPECT_EQ(m[1].params, "OFF=-3 W=8");  // 32-bit integer parameters are two's complement
  EXPECT_DOUBLE_EQ(m[1].cell_um2, 70.5);
  EXPECT_EQ(m[1].cells, 5u);
  EXPECT_EQ(m[1].instances, 2u);
  EXPECT_EQ(m[1].depth, 1);
  EXPECT_EQ(m[2].module, "mac_mod");
  EXPECT_EQ(m[2].params, "");
  EXPECT_DOUBLE_EQ(m[2].cell_um2, 30.5);
  EXPECT_EQ(m[2].instances, 2u);
  EXPECT_EQ(m[2].depth, 2);
  EXPECT_THROW(parse_yosys_stat(kStat, kParams, "nosuch", 2.0), CostError);
}

TEST(Area, LibertyCellArea) {
  const std::string lib = "library (x) {\n cell (a_nand2_1) {\n  area : 7.2576;\n }\n cell(\"b_inv\") { area: 3.5 }\n}\n";
  EXPECT_DOUBLE_EQ(liberty_cell_area(lib, "a_nand2_1"), 7.2576);
  EXPECT_DOUBLE_EQ(liberty_cell_area(lib, "b_inv"), 3.5);
  EXPECT_THROW(liberty_cell_area(lib, "c_nor2"), CostError);
}

// ---- area_for on hand-made cache entries ----

AreaHashes test_hashes() {
  AreaHashes h;
  h.rtl = {{"systolic", "sys-sha"}, {"mixpe_units", "mx-sha"}, {"bitmod", "bm-sha"}};
  h.liberty_sha256 = "lib-sha";
  h.liberty = "lib.lib";
  return h;
}

ModuleArea mod(const std::string& name, double ge, uint64_t inst, int depth) {
  ModuleArea m;
  m.module = name;
  m.ge = ge;
  m.cell_um2 = ge * 2.0;  // a library with a NAND2 of 2 um^2
  m.cells = static_cast<uint64_t>(ge);
  m.instances = inst;
  m.depth = depth;
  return m;
}

SynthEntry entry(const SynthJob& j, std::vector<ModuleArea> mods, const std::string& rtl_sha) {
  SynthEntry e;
  e.module = j.module;
  e.params = j.params;
  e.rtl_set = j.rtl_set;
  e.rtl_sha256 = rtl_sha;
  e.liberty_sha256 = "lib-sha";
  e.modules = std::move(mods);
  return e;
}

TechTable test_tech(double nand2_um2) {
  TechTable t;
  t.name = "test-node";
  t.path = "test.yaml";
  t.nand2_um2 = nand2_um2;
  t.nand2_source = "src";
  t.sram_array_efficiency = 0.7;
  t.sram_array_efficiency_source = "src";
  // Exact entries for the default arch's buffers: 256 KiB, 512- and 1024-bit ports, 2 banks.
  t.sram.push_back({256 * 1024, 512, 2, 1, 1, 0.5, 1, "src"});
  t.sram.push_back({256 * 1024, 1024, 2, 1, 1, 0.75, 1, "src"});
  return t;
}

// The default arch (16x16 ws INT8): one column of 16 PEs; the top row's PE is 2 GE larger.
SynthCache default_cache(const std::string& rtl_sha = "sys-sha") {
  const auto jobs = synth_jobs(default_arch());
  SynthCache c;
  c.nand2_cell = "nand2";
  c.nand2_um2 = 2.0;
  // Column = 15 x 300 + 1 x 302 + 8 (edge) = 4810 GE.
  c.put(entry(jobs.at(0),
              {mod("systolic_array", 4810, 1, 0), mod("systolic_pe_st", 300, 15, 1), mod("systolic_mac", 200, 16, 2),
               mod("systolic_pe_st", 302, 1, 1)},
              rtl_sha));
  return c;
}

TEST(Area, JobsFollowTheSimulatorsMapping) {
  const auto d = synth_jobs(default_arch());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].module, "systolic_array");
  EXPECT_EQ(d[0].params, "DF=1 ROWS=16 COLS=1 AW=8 A_SIGNED=1 BW=8 B_SIGNED=1 ACC=32 SAT=0 PE=0");
  EXPECT_EQ(d[0].rtl_set, "systolic");
  const std::string p = std::string(TPESIM_SOURCE_DIR) + "/models/presets/";
  const auto w4a8 = synth_jobs(load_arch(p + "mixpe_w4a8_64x64.yaml"));
  ASSERT_EQ(w4a8.size(), 3u);
  EXPECT_EQ(w4a8[0].params, "DF=0 ROWS=64 COLS=1 AW=8 A_SIGNED=1 BW=4 B_SIGNED=1 ACC=32 SAT=0 PE=2");
  EXPECT_EQ(w4a8[1].module, "mixpe_dequant_int");
  EXPECT_EQ(w4a8[1].params, "B=4 ACC=32");
  EXPECT_EQ(w4a8[2].module, "tpesim_area_row_add_int");
  const auto w4a16 = synth_jobs(load_arch(p + "mixpe_w4a16_32x32.yaml"));
  ASSERT_EQ(w4a16.size(), 3u);
  EXPECT_EQ(w4a16[0].params, "DF=0 ROWS=32 COLS=1 AW=16 A_SIGNED=1 BW=4 B_SIGNED=1 ACC=32 SAT=0 PE=1");
  EXPECT_EQ(w4a16[1].module, "mixpe_dequant_fp");
  const auto base = synth_jobs(load_arch(p + "mixpe_fp16xint8_32x32.yaml"));
  ASSERT_EQ(base.size(), 1u);  // every PE dequantises: no per-column unit
  EXPECT_EQ(base[0].params, "DF=0 ROWS=32 COLS=1 AW=16 A_SIGNED=1 BW=33 B_SIGNED=1 ACC=32 SAT=0 PE=3");
  const auto fp16 = synth_jobs(load_arch(p + "fp16_ws32.yaml"));
  EXPECT_EQ(fp16.at(0).params, "DF=1 ROWS=32 COLS=1 AW=16 A_SIGNED=1 BW=16 B_SIGNED=1 ACC=32 SAT=0 PE=1");
  const auto bm = synth_jobs(load_arch(p + "bitmod_decode64x16.yaml"));
  ASSERT_EQ(bm.size(), 1u);
  EXPECT_EQ(bm[0].params,
            "TILE_ROWS=8 TILE_COLS=8 TILES_R=2 TILES_C=8 LANES=4 G=3 ACC_EXP=6 ACC_MAN=15 ACC_BIAS=31 SCALE_BITS=8");
}

TEST(Area, ComponentsSumsAndNand2Scaling) {
  const ArchSpec a = default_arch();
  const AreaReport r = area_for(a, test_tech(0.5), default_cache(), test_hashes());
  // PE = (15 x 300 + 302) / 16 = 300.125 GE; 256 PEs x 300.125 GE x 0.5 um^2 = 38416 um^2.
  EXPECT_DOUBLE_EQ(r.pe_ge, 300.125);
  EXPECT_DOUBLE_EQ(r.pe_um2, 150.0625);
  ASSERT_EQ(r.components.size(), 5u);
  EXPECT_EQ(r.components[0].name, "pe_array");
  EXPECT_NEAR(r.components[0].mm2, 256 * 300.125 * 0.5e-6, 1e-15);
  // Edge: 16 columns x (4810 - 4802) GE x 0.5 um^2.
  EXPECT_EQ(r.components[1].name, "array.edge");
  EXPECT_NEAR(r.components[1].mm2, 16 * 8 * 0.5e-6, 1e-15);
  EXPECT_EQ(r.components[2].name, "buffer.ifmap");
  EXPECT_DOUBLE_EQ(r.components[2].mm2, 0.5);
  EXPECT_DOUBLE_EQ(r.components[3].mm2, 0.5);
  EXPECT_EQ(r.components[4].name, "buffer.ofmap");
  EXPECT_DOUBLE_EQ(r.components[4].mm2, 0.75);
  EXPECT_NE(r.components[4].basis.find("array efficiency 0.7"), std::string::npos) << r.components[4].basis;
  double sum = 0;
  for (const auto& c : r.components) sum += c.mm2;
  EXPECT_DOUBLE_EQ(r.total_mm2, sum);
  // Peak: 2 x 256 MACs x 1 GHz = 0.512 TOPS.
  EXPECT_DOUBLE_EQ(r.peak_tops, 0.512);
  EXPECT_DOUBLE_EQ(r.tops_per_mm2, 0.512 / sum);

  // Another node: logic scales with its NAND2 area exactly (GE x NAND2), SRAM does not.
  const AreaReport r2 = area_for(a, test_tech(0.125), default_cache(), test_hashes());
  EXPECT_DOUBLE_EQ(r2.components[0].mm2, r.components[0].mm2 * 0.25);
  EXPECT_DOUBLE_EQ(r2.components[1].mm2, r.components[1].mm2 * 0.25);
  EXPECT_DOUBLE_EQ(r2.components[2].mm2, r.components[2].mm2);
  EXPECT_DOUBLE_EQ(r2.pe_ge, r.pe_ge);
}

TEST(Area, MissingAndStaleEntriesNameTheModuleAndTheCommand) {
  ArchSpec a = default_arch();
  a.source = "models/presets/default.yaml";
  try {
    area_for(a, test_tech(0.5), default_cache("old-sha"), test_hashes());
    FAIL() << "no CostError for a stale entry";
  } catch (const CostError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("stale"), std::string::npos) << m;
    EXPECT_NE(m.find("systolic_array"), std::string::npos) << m;
    EXPECT_NE(m.find("ROWS=16"), std::string::npos) << m;
    EXPECT_NE(m.find("tpesim area --arch models/presets/default.yaml"), std::string::npos) << m;
  }
  a.rows = 8;  // a column of 8 PEs was never synthesised
  try {
    area_for(a, test_tech(0.5), default_cache(), test_hashes());
    FAIL() << "no CostError for a missing entry";
  } catch (const CostError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no synthesis result"), std::string::npos) << m;
    EXPECT_NE(m.find("ROWS=8"), std::string::npos) << m;
    EXPECT_NE(m.find("tpesim area"), std::string::npos) << m;
  }
  // Another library's entry does not count.
  AreaHashes h = test_hashes();
  h.liberty_sha256 = "other-lib";
  EXPECT_THROW(area_for(default_arch(), test_tech(0.5), default_cache(), h), CostError);
}

TEST(Area, MixpeAndBitmodExtras) {
  const std::string p = std::string(TPESIM_SOURCE_DIR) + "/models/presets/";
  const ArchSpec w = load_arch(p + "mixpe_w4a8_64x64.yaml");  // 64 x 64, os
  const auto jobs = synth_jobs(w);
  SynthCache c;
  c.put(entry(jobs[0], {mod("systolic_array", 64 * 100 + 40, 1, 0), mod("systolic_pe_os", 100, 64, 1)}, "sys-sha"));
  c.put(entry(jobs[1], {mod("mixpe_dequant_int", 1000, 1, 0)}, "mx-sha"));
  c.put(entry(jobs[2], {mod("tpesim_area_row_add_int", 250, 1, 0)}, "mx-sha"));
  TechTable t = test_tech(1.0);
  t.sram = {{128 * 1024, 512, 2, 1, 1, 0.25, 1, "src"}};  // all buffers from this entry (scaled)
  const AreaReport r = area_for(w, t, c, test_hashes());
  ASSERT_GE(r.components.size(), 4u);
  EXPECT_EQ(r.components[0].name, "pe_array");
  EXPECT_NEAR(r.components[0].mm2, 4096 * 100 * 1e-6, 1e-12);
  EXPECT_EQ(r.components[1].name, "array.edge");
  EXPECT_NEAR(r.components[1].mm2, 64 * 40 * 1e-6, 1e-12);
  EXPECT_EQ(r.components[2].name, "mixpe.dequant");
  EXPECT_NEAR(r.components[2].mm2, 64 * 1000 * 1e-6, 1e-12);
  EXPECT_EQ(r.components[3].name, "mixpe.row_adders");
  EXPECT_NEAR(r.components[3].mm2, 64 * 250 * 1e-6, 1e-12);
  EXPECT_DOUBLE_EQ(r.peak_tops, 2.0 * 4096 * 500e6 / 1e12);

  const ArchSpec b = load_arch(p + "bitmod_prefill32x32.yaml");
  const auto bj = synth_jobs(b);
  SynthCache bc;
  // Top = 1024 PEs x 5000 + 32 encoders x 600 + 3000 of edge registers.
  bc.put(entry(bj[0],
               {mod("bitmod_array", 1024 * 5000 + 32 * 600 + 3000, 1, 0), mod("bitmod_pe", 5000, 1024, 1),
                mod("bitmod_encoder", 600, 32, 1)},
               "bm-sha"));
  const AreaReport rb = area_for(b, t, bc, test_hashes());
  EXPECT_EQ(rb.components[0].name, "pe_array");
  EXPECT_NEAR(rb.components[0].mm2, 1024 * 5000 * 1e-6, 1e-9);
  EXPECT_EQ(rb.components[1].name, "bitmod.encoders");
  EXPECT_NEAR(rb.components[1].mm2, 32 * 600 * 1e-6, 1e-12);
  EXPECT_EQ(rb.components[2].name, "array.edge");
  EXPECT_NEAR(rb.components[2].mm2, 3000 * 1e-6, 1e-12);
  // Peak of the bit-serial PEs: 4 lanes / 2 term cycles = 2 MACs per PE and cycle.
  EXPECT_DOUBLE_EQ(rb.peak_tops, 2.0 * 1024 * 2 * 1e9 / 1e12);
}

TEST(Area, CacheRoundTripAndReplace) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("tpesim_area_test_" + std::to_string(::getpid()) + ".json")).string();
  SynthCache c = default_cache();
  c.liberty = "lib.lib";
  c.nand2_cell = "nand2";
  c.save(path);
  SynthCache d = SynthCache::load(path);
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.nand2_um2, 2.0);
  EXPECT_EQ(d.entries[0].modules.size(), 4u);
  EXPECT_EQ(d.entries[0].modules[1].instances, 15u);
  EXPECT_DOUBLE_EQ(d.entries[0].modules[0].ge, 4810);
  const AreaReport r = area_for(default_arch(), test_tech(0.5), d, test_hashes());
  EXPECT_DOUBLE_EQ(r.pe_ge, 300.125);
  // put() replaces the entry of the same (module, params, library).
  SynthEntry e = d.entries[0];
  e.rtl_sha256 = "new";
  d.put(e);
  ASSERT_EQ(d.entries.size(), 1u);
  EXPECT_EQ(d.entries[0].rtl_sha256, "new");
  std::remove(path.c_str());
  EXPECT_TRUE(SynthCache::load(path).entries.empty());  // a missing file is an empty cache
  {
    std::ofstream f(path);
    f << "{\"format\": \"something else\"}";
  }
  EXPECT_THROW(SynthCache::load(path), CostError);
  std::remove(path.c_str());
}

}  // namespace
