// MixPE cosimulation (`tpesim cosim` on engine: mixpe): every PE variant's Verilated array
// (W4A8 integer shift-and-add, W4A16 FP16 x INT shift-and-add, FP16 x INT8 dequantise-then-FMA)
// against the SystemC array model in lockstep, and the Verilated dequantisation units against
// num::mixpe on every group result, on random and trace stimulus with groups shorter and
// longer than the array, short last groups, signed and unsigned codes and zero points at
// their extremes.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "sim/common/error.hpp"
#include "sim/config/arch.hpp"
#include "sim/engine/cosim.hpp"
#include "sim/engine/mixpe_run.hpp"

namespace tpesim {
namespace {

// A 3 x 4 MixPE array (the built RTL variants os3x4_*), from the shipped presets.
ArchSpec small_arch(const std::string& preset, bool starved = false) {
  std::vector<Override> sets = {{"rows", "3"}, {"cols", "4"}};
  if (starved) {
    sets.push_back({"dram.bandwidth", "3B/cycle"});
    sets.push_back({"dram.latency", "7"});
  }
  return load_arch(std::string(TPESIM_SOURCE_DIR) + "/models/presets/" + preset + ".yaml", sets);
}

Gemm record(uint64_t M, uint64_t N, uint64_t K, uint64_t group, const char* weight, const char* act) {
  Gemm g;
  g.name = "g";
  g.M = M;
  g.N = N;
  g.K = K;
  g.group_size = group;
  g.weight_dtype = weight;
  g.act_dtype = act;
  return g;
}

struct Variant {
  const char* preset;
  bool joins;  // the dequantisation unit joins group partial sums
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.preset; }

class CosimMixpe : public ::testing::TestWithParam<Variant> {};

TEST_P(CosimMixpe, RandomGemmsPassWithAmpleAndStarvedMemory) {
  for (bool starved : {false, true}) {
    const ArchSpec a = small_arch(GetParam().preset, starved);
    const auto gemms = random_gemms(a, 24, 5);
    // The stimulus really has what the lockstep must cover.
    bool short_group = false, long_group = false, tail = false, uns = false, sig = false, per_channel = false;
    for (const Gemm& g : gemms) {
      short_group |= g.group_size > 0 && g.group_size < static_cast<uint64_t>(a.rows);
      long_group |= g.group_size > static_cast<uint64_t>(a.rows);
      tail |= g.group_size > 0 && g.K % g.group_size != 0;
      per_channel |= g.group_size == 0;
      uns |= g.weight_dtype[0] == 'u';
      sig |= g.weight_dtype[0] == 'i';
    }
    EXPECT_TRUE(short_group && long_group && tail && uns && sig && per_channel);
    CosimOptions opt;
    opt.seed = 9;
    const CosimReport r = cosimulate(a, gemms, opt);
    EXPECT_TRUE(r.pass) << describe(r, a);
    EXPECT_EQ(r.gemms, gemms.size());
    EXPECT_GT(r.outputs, 0u);
    // One dequantisation per group result the array delivers (MixPE); none for FP16xINT8.
    EXPECT_EQ(r.dequant_joins, GetParam().joins ? r.outputs : 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, CosimMixpe,
                         ::testing::Values(Variant{"mixpe_w4a8_64x64", true}, Variant{"mixpe_w4a16_32x32", true},
                                           Variant{"mixpe_fp16xint8_32x32", false}),
                         [](const auto& info) { return std::string(info.param.preset).substr(6); });

TEST(CosimMixpeStimulus, ZeroPointsCodesAndScalesReachTheirExtremes) {
  const ArchSpec a = small_arch("mixpe_w4a8_64x64");
  for (const char* dt : {"int4", "uint4"}) {
    const Gemm g = record(3, 16, 64, 4, dt, "int8");
    const auto w = mixpe_stress_weights(a, g, 1);
    const std::set<int32_t> z(w.zero.begin(), w.zero.end()), q(w.q.begin(), w.q.end());
    EXPECT_TRUE(z.count(-15) && z.count(0) && z.count(15));
    EXPECT_EQ(q.size(), 16u);  // every code
    EXPECT_EQ(*q.begin(), dt[0] == 'u' ? 0 : -8);
    bool subnormal = false, big = false;
    for (uint16_t s : w.scale) {
      subnormal |= (s & 0x7C00) == 0;
      big |= (s & 0x7C00) >= 0x7800;  // exponent 30: >= 2^15
    }
    EXPECT_TRUE(subnormal && big);
  }
}

TEST(CosimMixpe, TraceStimulusPasses) {
  const std::string dir = std::string(TPESIM_SOURCE_DIR) + "/tests/golden/";
  const ArchSpec a8 = small_arch("mixpe_w4a8_64x64");
  CosimReport r = cosimulate(a8, load_trace(dir + "small_mixpe_w4a8.csv").gemms, CosimOptions{});
  EXPECT_TRUE(r.pass) << describe(r, a8);
  EXPECT_EQ(r.dequant_joins, r.outputs);
  const ArchSpec a16 = small_arch("mixpe_w4a16_32x32");
  r = cosimulate(a16, load_trace(dir + "small_mixpe_w4a16.csv").gemms, CosimOptions{});
  EXPECT_TRUE(r.pass) << describe(r, a16);
  const ArchSpec ab = small_arch("mixpe_fp16xint8_32x32");
  r = cosimulate(ab, load_trace(dir + "small_mixpe_fp16xint8.csv").gemms, CosimOptions{});
  EXPECT_TRUE(r.pass) << describe(r, ab);
  EXPECT_EQ(r.gemms, 4u);
}

TEST(CosimMixpe, ACorruptedDequantisationResultIsReported) {
  const ArchSpec a = small_arch("mixpe_w4a16_32x32");
  const Gemm g = record(4, 5, 10, 4, "uint4", "fp16");
  CosimOptions opt;
  opt.corrupt_dequant_at = 7;
  opt.wave_path = ::testing::TempDir() + "/tpesim_mixpe_dequant.vcd";
  std::remove(opt.wave_path.c_str());
  const CosimReport r = cosimulate(a, {g}, opt);
  ASSERT_FALSE(r.pass);
  EXPECT_EQ(r.mismatch.signal.rfind("dequant.y_out[", 0), 0u) << r.mismatch.signal;
  EXPECT_EQ(r.mismatch.expected ^ r.mismatch.actual, 1);
  EXPECT_GT(r.mismatch.cycle, 0u);
  EXPECT_GE(r.mismatch.column, 0);
  EXPECT_LT(r.mismatch.column, a.cols);
  EXPECT_TRUE(r.wave_written);
  std::ifstream f(opt.wave_path);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
  EXPECT_NE(describe(r, a).find("dequant.y_out"), std::string::npos);

}

TEST(CosimMixpe, ACorruptedArrayOutputIsReportedAtItsCycle) {
  // The dequantise-then-FMA array: flip bit 0 of the RTL's column-0 output at each cycle in
  // turn; the first cycle at which that port carries a value must be reported as it is.
  const ArchSpec a = small_arch("mixpe_fp16xint8_32x32");
  const Gemm g = record(3, 4, 6, 2, "int8", "fp16");
  bool found = false;
  for (int64_t t = 0; t < 400 && !found; ++t) {
    CosimOptions opt;
    opt.corrupt_at_cycle = t;
    const CosimReport r = cosimulate(a, {g}, opt);
    if (r.pass) continue;
    found = true;
    EXPECT_EQ(r.mismatch.cycle, static_cast<uint64_t>(t));
    EXPECT_EQ(r.mismatch.signal, "o_data[0]");
    EXPECT_EQ(r.mismatch.expected ^ r.mismatch.actual, 1);
  }
  EXPECT_TRUE(found);
}

TEST(CosimMixpe, MissingVariantIsAConfigErrorNamingTheArray) {
  ArchSpec a = small_arch("mixpe_w4a8_64x64");
  a.rows = 5;
  try {
    cosimulate(a, random_gemms(a, 1, 1), CosimOptions{});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("os3x4_w4a8"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("5x4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tpesim
