// Cosimulation regressions: every RTL variant built into the binary runs in lockstep with the
// SystemC model on random GEMMs (partial folds, dimensions of 1, array multiples +-1), for
// every dataflow its datapath supports and every fold mode, with ample and starved memory.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "rtl/harness/rtl_array.hpp"
#include "sim/common/error.hpp"
#include "sim/config/arch.hpp"
#include "sim/engine/cosim.hpp"
#include "sim/engine/mapper.hpp"

namespace tpesim {
namespace {

ArchSpec arch_for(const systolic::ArrayParams& p, Dataflow df, bool overlap, bool preload,
                  bool starved) {
  ArchSpec a;
  a.rows = p.rows;
  a.cols = p.cols;
  a.dataflow = df;
  a.fold_overlap = overlap;
  a.weight_preload = preload;
  const num::IntFormat left{p.aw, p.a_signed}, top{p.bw, p.b_signed};
  a.act = df == Dataflow::kIS ? top : left;
  a.weight = df == Dataflow::kIS ? left : top;
  a.acc = num::AccFormat{p.acc, p.sat ? num::Overflow::kSaturate : num::Overflow::kWrap};
  a.act_fp16 = p.fp;
  a.weight_fp16 = p.fp && p.bw == 16;  // fp with bw < 16: the FP16 x INT (shift-and-add) PE
  if (starved) {
    a.dram.bandwidth_millibytes_per_cycle = 2500;  // 2.5 bytes per cycle
    a.dram.latency_cycles = 7;
    a.filter.size_bytes = 512;
  }
  return a;
}

struct Config {
  std::string variant;
  systolic::ArrayParams p;
  Dataflow df;
  bool overlap, preload, starved;
};

std::vector<Config> configs() {
  std::vector<Config> out;
  for (const auto& [name, p] : rtl::rtl_variants()) {
    // The integer shift-and-add and dequantise-then-FMA PEs are MixPE's (test_cosim_mixpe.cpp);
    // the systolic engine's FP16 x INT PE is shift-and-add and runs here.
    if (p.pe == systolic::PeKind::kDequantFma || (p.pe == systolic::PeKind::kShiftAdd && !p.fp)) continue;
    const std::vector<Dataflow> dfs =
        p.stationary ? std::vector<Dataflow>{Dataflow::kWS, Dataflow::kIS} : std::vector<Dataflow>{Dataflow::kOS};
    const bool big = p.rows * p.cols > 64;
    for (Dataflow df : dfs)
      for (int mode = 0; mode < 4; ++mode) {
        const bool overlap = mode & 1, preload = mode & 2;
        if (!p.stationary && preload) continue;  // os has no stationary operand to preload
        for (bool starved : {false, true}) {
          if (big && (starved || mode == 1 || mode == 2)) continue;  // keep 16x16 runs few
          out.push_back(Config{name, p, df, overlap, preload, starved});
        }
      }
  }
  return out;
}

class Cosim : public ::testing::TestWithParam<Config> {};

TEST_P(Cosim, RtlMatchesSystemCModelOnRandomGemms) {
  const Config& c = GetParam();
  const ArchSpec a = arch_for(c.p, c.df, c.overlap, c.preload, c.starved);
  const bool big = c.p.rows * c.p.cols > 64;
  const auto gemms = random_gemms(a, big ? 3 : 8, 2024);
  CosimOptions opt;
  opt.seed = 77;
  const CosimReport r = cosimulate(a, gemms, opt);
  EXPECT_TRUE(r.pass) << describe(r, a);
  EXPECT_EQ(r.gemms, gemms.size());
  EXPECT_GT(r.outputs, 0u);
}

std::string config_name(const ::testing::TestParamInfo<Config>& info) {
  const Config& c = info.param;
  return c.variant + "_" + to_string(c.df) + (c.overlap ? "_overlap" : "_nooverlap") +
         (c.preload ? "_preload" : "_nopreload") + (c.starved ? "_starved" : "_ample");
}

INSTANTIATE_TEST_SUITE_P(AllVariants, Cosim, ::testing::ValuesIn(configs()), config_name);

TEST(CosimScoreboard, ReportsFirstMismatchAndWritesWaveform) {
  // Corrupt the RTL's column-0 output at a cycle where it carries a value: the scoreboard
  // must stop there and name cycle, column, signal, expected and actual.
  systolic::ArrayParams p;
  p.rows = p.cols = 4;
  p.stationary = true;
  ASSERT_NE(rtl::make_rtl_array(p), nullptr);
  const ArchSpec a = arch_for(p, Dataflow::kWS, true, true, false);
  Gemm g;
  g.name = "g";
  g.M = 6;
  g.N = 4;
  g.K = 4;
  // Find the first cycle with a valid output in column 0 from a clean run's schedule: with an
  // ample memory the first tile arrives at cycle 100+1 (latency 100, 16 bytes at 32 B/cycle),
  // shifts over 4 cycles (101..104), the first wavefront issues at 105 and reaches PE(3,0) at
  // 105 + 3 = 108.
  CosimOptions opt;
  opt.corrupt_at_cycle = 108;
  const std::string wave = ::testing::TempDir() + "/tpesim_cosim_wave.vcd";
  std::remove(wave.c_str());
  opt.wave_path = wave;
  opt.wave_window = 10;
  const CosimReport r = cosimulate(a, {g}, opt);
  ASSERT_FALSE(r.pass);
  EXPECT_EQ(r.mismatch.cycle, 108u);
  EXPECT_EQ(r.mismatch.column, 0);
  EXPECT_EQ(r.mismatch.pe_row, 3);
  EXPECT_EQ(r.mismatch.signal, "o_data[0]");
  EXPECT_EQ(r.mismatch.actual, r.mismatch.expected ^ 1);
  EXPECT_TRUE(r.wave_written);
  std::ifstream f(wave);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
  EXPECT_NE(text.find("o_data"), std::string::npos);
  const std::string d = describe(r, a);
  EXPECT_NE(d.find("cycle 108"), std::string::npos) << d;
}

TEST(CosimScoreboard, NoVariantIsAConfigErrorListingTheBuiltOnes) {
  ArchSpec a;
  a.rows = 7;
  a.cols = 9;
  try {
    cosimulate(a, random_gemms(a, 1, 1), CosimOptions{});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("st16x16_s8s8_a32"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tpesim

namespace tpesim {
namespace {

// BitMoD through `cosimulate`: random GEMMs of every weight type on the three built variants pass;
// a corrupted RTL output is reported with its cycle, PE, signal, expected and actual value,
// and the waveform window is written.
TEST(CosimBitmod, RandomGemmsPassAndACorruptedOutputIsReported) {
  ArchSpec a = load_arch(std::string(TPESIM_SOURCE_DIR) + "/models/presets/bitmod_prefill32x32.yaml",
                         {{"rows", "4"}, {"cols", "4"}, {"bitmod.tile_rows", "2"}, {"bitmod.tile_cols", "2"}});
  CosimOptions opt;
  const auto gemms = random_gemms(a, 16, 11);
  CosimReport rep = cosimulate(a, gemms, opt);
  EXPECT_TRUE(rep.pass) << describe(rep, a);
  EXPECT_EQ(rep.gemms, 16u);
  ArchSpec b = load_arch(std::string(TPESIM_SOURCE_DIR) + "/models/presets/bitmod_prefill32x32.yaml",
                         {{"rows", "3"}, {"cols", "2"}, {"bitmod.tile_rows", "3"}, {"bitmod.tile_cols", "1"}});
  EXPECT_TRUE(cosimulate(b, random_gemms(b, 16, 12), opt).pass);
  ArchSpec c = load_arch(std::string(TPESIM_SOURCE_DIR) + "/models/presets/bitmod_prefill32x32.yaml",
                         {{"rows", "3"}, {"cols", "2"}, {"bitmod.tile_rows", "1"}, {"bitmod.tile_cols", "1"}});
  EXPECT_TRUE(cosimulate(c, random_gemms(c, 16, 13), opt).pass);

  opt.corrupt_at_cycle = 0;
  opt.wave_path = testing::TempDir() + "bitmod_mismatch.vcd";
  rep = cosimulate(a, gemms, opt);
  ASSERT_FALSE(rep.pass);
  EXPECT_EQ(rep.failing_gemm, gemms[0].name);
  EXPECT_EQ(rep.mismatch.signal, "out_bits[0][0]");
  EXPECT_EQ(rep.mismatch.pe_row, 0);
  EXPECT_EQ(rep.mismatch.column, 0);
  EXPECT_EQ(rep.mismatch.expected ^ rep.mismatch.actual, 1);
  EXPECT_GT(rep.mismatch.cycle, 0u);
  EXPECT_TRUE(rep.wave_written);
  std::ifstream vcd(opt.wave_path);
  std::string all((std::istreambuf_iterator<char>(vcd)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find("$enddefinitions"), std::string::npos);
  EXPECT_NE(describe(rep, a).find("MISMATCH"), std::string::npos);
}

}  // namespace
}  // namespace tpesim
