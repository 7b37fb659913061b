// Report: totals arithmetic, JSON schema keys and round trip, CSV shape, text report,
// atomic file writing and its errors; the stderr progress line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/common/error.hpp"
#include "sim/common/progress.hpp"
#include "sim/report/result.hpp"
#include "sim/report/writers.hpp"

namespace tpesim {
namespace {

namespace fs = std::filesystem;

/// Two layers on a 16x16 array at 1 GHz, numbers chosen so the totals are easy to derive.
RunResult two_layers() {
  RunResult r;
  r.tool_version = "0.1.0";
  r.engine = "fast";
  r.arch_name = "unit16";
  r.arch_yaml = "array:\n  rows: 16\n  cols: 16\n";
  r.workload_name = "tiny";
  r.workload_source = "tests/data/tiny.csv";
  r.rows = 16;
  r.cols = 16;
  r.dataflow = "ws";
  r.clock_hz = 1e9;

  LayerResult a;
  a.name = "qkv";
  a.M = 16, a.N = 32, a.K = 64, a.count = 2;
  a.folds = 4;
  a.cycles.total = 1000;
  a.cycles.compute = 900;
  a.cycles.stall = 100;
  a.cycles.stall_by_buffer = {{"ifmap", 60}, {"filter", 40}};
  a.macs = 16 * 32 * 64 * 2;  // 65536
  a.utilization = 65536.0 / (16 * 16 * 1000);
  a.mapping_efficiency = 0.8;
  a.actions = {{"pe.mac", 65536}, {"ifmap.read", 100}};
  a.buffers["ifmap"] = {10, 20, 640, 1280};
  a.buffers["filter"] = {30, 5, 1920, 320};
  a.buffers["ofmap"] = {1, 2, 64, 128};
  a.dram_read_bytes = 4096;
  a.dram_write_bytes = 2048;
  a.energy_pj = {{"pe.mac", 1000.5}, {"buffer.ifmap", 20.25}, {"dram", 300}, {"leakage.sram", 4}};

  LayerResult b;
  b.name = "proj";
  b.M = 8, b.N = 16, b.K = 32, b.count = 1;
  b.folds = 2;
  b.cycles.total = 500;
  b.cycles.compute = 500;
  b.cycles.stall = 0;
  b.macs = 8 * 16 * 32;  // 4096
  b.utilization = 4096.0 / (16 * 16 * 500);
  b.mapping_efficiency = 0.5;
  b.actions = {{"pe.mac", 4096}, {"ofmap.write", 7}};
  b.buffers["ifmap"] = {1, 1, 64, 64};
  b.buffers["filter"] = {2, 2, 128, 128};
  b.buffers["ofmap"] = {3, 3, 192, 192};
  b.dram_read_bytes = 100;
  b.dram_write_bytes = 50;
  b.energy_pj = {{"pe.mac", 62.5}, {"dram", 6}};
  r.costs.tech = "unit-tech";
  r.costs.tech_file = "models/tech/unit.yaml";
  r.costs.node_nm = 45;
  r.costs.area = {{"pe_array", 1.5, "synthesis"}, {"buffer.ifmap", 0.25, "sram table"}};
  r.costs.peak_ops_per_s = 5.12e11;

  r.layers = {a, b};
  compute_totals(&r);
  return r;
}

/// A fresh empty directory under the test temp dir, removed by the destructor.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    path = fs::path(testing::TempDir()) /
           (std::string("tpesim_report_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Report, TotalsAreSumsAndRatiosOfSums) {
  const RunResult r = two_layers();
  const LayerResult& t = r.totals;
  EXPECT_EQ(t.name, "");
  EXPECT_EQ(t.count, 3u);
  EXPECT_EQ(t.folds, 4u * 2 + 2u * 1);  // folds executed: per-instance folds x count
  EXPECT_EQ(t.cycles.total, 1500u);
  EXPECT_EQ(t.cycles.compute, 1400u);
  EXPECT_EQ(t.cycles.stall, 100u);
  EXPECT_EQ(t.cycles.stall_by_buffer.at("ifmap"), 60u);
  EXPECT_EQ(t.cycles.stall_by_buffer.at("filter"), 40u);
  EXPECT_EQ(t.macs, 65536u + 4096u);
  EXPECT_EQ(t.actions.at("pe.mac"), 65536u + 4096u);
  EXPECT_EQ(t.actions.at("ifmap.read"), 100u);
  EXPECT_EQ(t.actions.at("ofmap.write"), 7u);
  EXPECT_EQ(t.buffers.at("ifmap"), (BufferTraffic{11, 21, 704, 1344}));
  EXPECT_EQ(t.buffers.at("filter"), (BufferTraffic{32, 7, 2048, 448}));
  EXPECT_EQ(t.buffers.at("ofmap"), (BufferTraffic{4, 5, 256, 320}));
  EXPECT_EQ(t.dram_read_bytes, 4196u);
  EXPECT_EQ(t.dram_write_bytes, 2098u);
  EXPECT_EQ(t.dram_bytes(), 6294u);
  // 69632 MACs / (16*16 PEs * 1500 cycles)
  EXPECT_DOUBLE_EQ(t.utilization, 69632.0 / (256.0 * 1500.0));
  // 69632 / (65536/0.8 + 4096/0.5) = 69632 / (81920 + 8192)
  EXPECT_DOUBLE_EQ(t.mapping_efficiency, 69632.0 / 90112.0);
}

TEST(Report, TotalsGuardDivisionByZero) {
  RunResult r;
  r.rows = 0;
  r.cols = 16;
  LayerResult l;
  l.name = "empty";
  l.macs = 0;
  l.mapping_efficiency = 0;
  r.layers = {l};
  compute_totals(&r);
  EXPECT_EQ(r.totals.utilization, 0.0);
  EXPECT_EQ(r.totals.mapping_efficiency, 0.0);
  RunResult none;
  compute_totals(&none);
  EXPECT_EQ(none.totals.count, 0u);
  EXPECT_EQ(none.totals.utilization, 0.0);
  EXPECT_THROW(compute_totals(nullptr), InternalError);
}

TEST(Report, JsonHasExactlyTheDocumentedKeys) {
  const nlohmann::ordered_json j = to_json(two_layers());
  using V = std::vector<std::string>;
  EXPECT_EQ(keys(j),
            (V{"schema", "tool_version", "engine", "arch", "workload", "layers", "totals", "costs"}));
  EXPECT_EQ(keys(j["costs"]), (V{"tech", "tech_file", "node_nm", "energy_total_pj", "pj_per_mac", "tops_per_w", "area",
                                 "area_mm2", "area_note", "peak_ops_per_s", "tops_per_mm2"}));
  EXPECT_EQ(j["schema"], "tpesim-report/1");
  EXPECT_EQ(keys(j["arch"]), (V{"name", "engine", "rows", "cols", "dataflow", "clock_hz", "yaml"}));
  EXPECT_EQ(keys(j["workload"]), (V{"name", "source"}));
  ASSERT_EQ(j["layers"].size(), 2u);
  const V layer_keys = {"name",
                        "M",
                        "N",
                        "K",
                        "count",
                        "folds",
                        "cycles",
                        "utilization",
                        "mapping_efficiency",
                        "analytical_cycles",
                        "sqnr_db",
                        "macs",
                        "actions",
                        "buffers",
                        "dram_bytes",
                        "dram_read_bytes",
                        "dram_write_bytes",
                        "energy_pj",
                        "energy_total_pj"};
  const V total_keys(layer_keys.begin() + 4, layer_keys.end());
  const V buffer_keys = {"reads", "writes", "read_bytes", "write_bytes"};
  for (const auto& l : j["layers"]) EXPECT_EQ(keys(l), layer_keys);
  EXPECT_EQ(keys(j["totals"]), total_keys);
  for (const auto* l : {&j["layers"][0], &j["layers"][1], &j["totals"]}) {
    EXPECT_EQ(keys((*l)["cycles"]), (V{"total", "compute", "stall", "stall_by_buffer", "breakdown"}));
    // All three buffers are always listed, even with no stall (layer "proj").
    EXPECT_EQ(keys((*l)["cycles"]["stall_by_buffer"]), (V{"ifmap", "filter", "ofmap"}));
    EXPECT_EQ(keys((*l)["buffers"]), (V{"ifmap", "filter", "ofmap"}));
    for (const auto& b : (*l)["buffers"]) EXPECT_EQ(keys(b), buffer_keys);
  }
  EXPECT_EQ(keys(j["layers"][0]["actions"]), (V{"ifmap.read", "pe.mac"}));
  // Integers as integers, ratios as numbers.
  EXPECT_TRUE(j["layers"][0]["macs"].is_number_unsigned());
  EXPECT_TRUE(j["arch"]["rows"].is_number_integer());
  EXPECT_TRUE(j["totals"]["utilization"].is_number_float());
  EXPECT_EQ(j["totals"]["dram_bytes"], 6294u);
}

TEST(Report, JsonRoundTrips) {
  const RunResult r = two_layers();
  const RunResult back = from_json(to_json(r));
  EXPECT_EQ(to_json(back).dump(), to_json(r).dump());
  // "proj" had no stall_by_buffer entries: the JSON lists zeros, equality treats them alike.
  EXPECT_TRUE(back == r);
  // Through text, as a golden test reads it.
  const RunResult parsed = from_json(nlohmann::json::parse(to_json(r).dump(2)));
  EXPECT_TRUE(parsed == r);
}

TEST(Report, FromJsonNamesTheMissingKey) {
  nlohmann::json j = to_json(two_layers());
  j["layers"][1]["cycles"].erase("total");
  try {
    from_json(j);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("layers[1].cycles.total: missing key"), std::string::npos)
        << e.what();
  }
  nlohmann::json k = to_json(two_layers());
  k["schema"] = "tpesim-report/2";
  EXPECT_THROW(from_json(k), UserError);
  nlohmann::json m = to_json(two_layers());
  m["totals"]["macs"] = -1;
  EXPECT_THROW(from_json(m), UserError);
  nlohmann::json n = to_json(two_layers());
  n["totals"].erase("buffers");
  EXPECT_THROW(from_json(n), UserError);
}

TEST(Report, CsvHeaderAndRows) {
  const std::string csv = csv_report(two_layers());
  const std::vector<std::string> ls = lines(csv);
  ASSERT_EQ(ls.size(), 4u);  // header, 2 layers, TOTAL
  EXPECT_EQ(ls[0],
            "name,M,N,K,count,folds,cycles_total,cycles_compute,cycles_stall,stall_ifmap,"
            "stall_filter,stall_ofmap,utilization,mapping_efficiency,macs,dram_read_bytes,"
            "dram_write_bytes,cycles_term,cycles_dequant,cycles_encoder,cycles_skew,cycles_stream,"
            "cycles_dequant_wait,cycles_fill_drain,analytical_cycles,sqnr_db,ifmap_reads,ifmap_writes,ifmap_read_bytes,ifmap_write_bytes,"
            "filter_reads,filter_writes,filter_read_bytes,filter_write_bytes,ofmap_reads,"
            "ofmap_writes,ofmap_read_bytes,ofmap_write_bytes,energy_pj,energy_compute_pj,energy_buffers_pj,"
            "energy_dram_pj,energy_leakage_pj,area_mm2,action.ifmap.read,"
            "action.ofmap.write,action.pe.mac");
  EXPECT_EQ(ls[1].rfind("qkv,16,32,64,2,4,1000,900,100,60,40,0,0.256,0.8,65536,4096,2048,", 0), 0u)
      << ls[1];
  EXPECT_EQ(ls[3].rfind("TOTAL,,,,3,10,1500,1400,100,60,40,0,0.181333,0.772727,69632,", 0), 0u)
      << ls[3];
  auto fields = [](const std::string& l) { return std::count(l.begin(), l.end(), ',') + 1; };
  for (const auto& l : ls) EXPECT_EQ(fields(l), fields(ls[0])) << l;
  EXPECT_EQ(ls[2].substr(ls[2].size() - 9), ",0,7,4096");  // proj: no ifmap.read action
  // Energy: total, compute, buffers, dram, leakage, then the design's area on every row.
  EXPECT_NE(ls[1].find(",1324.75,1000.5,20.25,300,4,1.75,"), std::string::npos) << ls[1];
  EXPECT_NE(ls[3].find(",1393.25,1063,20.25,306,4,1.75,"), std::string::npos) << ls[3];
}

TEST(Report, CsvQuotesAwkwardNames) {
  RunResult r = two_layers();
  r.layers[0].name = "attn \"qk\", head 0";
  const std::vector<std::string> ls = lines(csv_report(r));
  EXPECT_EQ(ls[1].rfind("\"attn \"\"qk\"\", head 0\",16,", 0), 0u) << ls[1];
}

TEST(Report, TextReportHasHeaderLayersAndTotals) {
  const RunResult r = two_layers();
  const std::string txt = text_report(r);
  for (const char* s : {"0.1.0",      "fast",    "unit16", "16 x 16",     "ws",
                        "1 GHz",      "tiny",    "qkv",    "proj",        "16x32x64",
                        "Totals",     "69,632",  "1,500",  "1.5e-06 s",   "92.843 GOPS",
                        "18.13 %",    "77.27 %", "pe.mac", "ofmap.write", "Buffer traffic",
                        "stall ifmap"}) {
    EXPECT_NE(txt.find(s), std::string::npos) << "missing \"" << s << "\" in\n" << txt;
  }
  EXPECT_EQ(txt, text_report(r));  // deterministic
  // The layer table's rows (header, rule, 2 layers) are aligned: same length.
  const std::vector<std::string> ls = lines(txt);
  size_t header = 0;
  while (header < ls.size() && ls[header].find("MxNxK") == std::string::npos) ++header;
  ASSERT_LT(header + 3, ls.size());
  for (size_t i = header + 1; i <= header + 3; ++i) {
    EXPECT_EQ(ls[i].size(), ls[header].size()) << ls[i];
  }
}

// The cycle-breakdown table shows the categories the engine reports, and its caption states
// their sum; the analytical columns only for an engine that computes the estimate (BitMoD).
TEST(Report, CycleBreakdownTableFollowsTheEngine) {
  EXPECT_EQ(text_report(two_layers()).find("Cycle breakdown"), std::string::npos);  // systolic: none
  RunResult m = two_layers();
  m.layers[0].cycles.breakdown = {{"stream", 500}, {"dequant_wait", 300}, {"fill_drain", 100}};
  m.layers[1].cycles.breakdown = {{"stream", 300}, {"dequant_wait", 0}, {"fill_drain", 200}};
  m.totals.cycles.breakdown = {{"stream", 800}, {"dequant_wait", 300}, {"fill_drain", 300}};
  const std::string mt = text_report(m);
  EXPECT_NE(mt.find("Cycle breakdown (stream + dequant_wait + fill_drain = compute; SQNR"), std::string::npos) << mt;
  EXPECT_EQ(mt.find("analytical"), std::string::npos) << mt;
  EXPECT_EQ(mt.find("encoder"), std::string::npos) << mt;
  // CSV: the MixPE columns carry the values, the BitMoD ones are 0 (qkv's row, after dram bytes).
  const std::string qkv = lines(csv_report(m))[1];
  EXPECT_NE(qkv.find(",65536,4096,2048,0,0,0,0,500,300,100,0,"), std::string::npos) << qkv;
  RunResult b = two_layers();
  b.layers[0].cycles.breakdown = {{"term", 700}, {"dequant", 100}, {"encoder", 1}, {"skew", 99}};
  b.layers[0].analytical_cycles = 800;
  const std::string bt = text_report(b);
  EXPECT_NE(bt.find("Cycle breakdown (term + dequant + encoder + skew = compute; analytical = "), std::string::npos) << bt;
  EXPECT_NE(bt.find("cycles/analytical"), std::string::npos) << bt;
  EXPECT_EQ(bt.find("dequant_wait"), std::string::npos) << bt;
}

TEST(Report, WriteReportsCreatesThreeFilesAtomically) {
  ScratchDir scratch;
  const fs::path out = scratch.path / "nested" / "out";
  const RunResult r = two_layers();
  write_reports(r, out.string());
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(out)) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"report.csv", "report.json", "report.txt"}));
  EXPECT_EQ(slurp(out / "report.csv"), csv_report(r));
  EXPECT_EQ(slurp(out / "report.txt"), text_report(r));
  EXPECT_TRUE(from_json(nlohmann::json::parse(slurp(out / "report.json"))) == r);
  write_reports(r, out.string());  // overwriting is fine
  EXPECT_EQ(std::distance(fs::directory_iterator(out), fs::directory_iterator()), 3);
}

TEST(Report, WriteReportsUnderARegularFileNamesThePath) {
  ScratchDir scratch;
  const fs::path file = scratch.path / "plain";
  std::ofstream(file) << "x";
  const std::string dir = (file / "out").string();
  try {
    write_reports(two_layers(), dir);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
  }
}

TEST(Progress, DisabledPrintsNothing) {
  testing::internal::CaptureStderr();
  {
    Progress p("layers", 10, false);
    for (int i = 0; i < 10; ++i) p.advance();
    p.finish();
    EXPECT_EQ(p.done(), 10u);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(Progress, EnabledEndsWithFinalLine) {
  testing::internal::CaptureStderr();
  {
    Progress p("layers", 4, true);
    p.advance(3);
    p.advance();
    p.finish();
    p.finish();  // second call prints nothing
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("layers: 4/4 (100.0%)"), std::string::npos) << err;
  EXPECT_NE(err.find("done in 00:00"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.back(), '\n');
}

TEST(Progress, AdvanceIsThreadSafe) {
  Progress p("x", 4000, false);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&p] {
      for (int i = 0; i < 1000; ++i) p.advance();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(p.done(), 4000u);
}

}  // namespace
}  // namespace tpesim
