// Arch YAML loader (sim/config/arch.cpp, docs/config.md): presets, defaults, units, overrides,
// round trip through to_yaml(), and one bad file per error class with file:line: key checked.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "sim/common/error.hpp"
#include "sim/config/arch.hpp"

namespace tpesim {
namespace {

const std::string kData = TPESIM_TEST_DATA;
const std::string kPresets = std::string(TPESIM_SOURCE_DIR) + "/models/presets/";

/// The ConfigError message `f` throws; fails the test if it throws nothing or something else.
std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ConfigError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected ConfigError, nothing was thrown";
  return "";
}

/// Every field except `source` (where it came from).
void expect_same(const ArchSpec& a, const ArchSpec& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.engine, b.engine);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_EQ(a.dataflow, b.dataflow);
  EXPECT_EQ(a.fold_overlap, b.fold_overlap);
  EXPECT_EQ(a.weight_preload, b.weight_preload);
  EXPECT_EQ(a.act, b.act);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.acc.bits, b.acc.bits);
  EXPECT_EQ(a.acc.overflow, b.acc.overflow);
  EXPECT_EQ(a.clock_hz, b.clock_hz);
  const BufferSpec* ba[] = {&a.ifmap, &a.filter, &a.ofmap};
  const BufferSpec* bb[] = {&b.ifmap, &b.filter, &b.ofmap};
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(i == 0 ? "ifmap" : i == 1 ? "filter" : "ofmap");
    EXPECT_EQ(ba[i]->size_bytes, bb[i]->size_bytes);
    EXPECT_EQ(ba[i]->width_bytes, bb[i]->width_bytes);
    EXPECT_EQ(ba[i]->double_buffered, bb[i]->double_buffered);
  }
  EXPECT_EQ(a.dram.type, b.dram.type);
  EXPECT_EQ(a.dram.bandwidth_millibytes_per_cycle, b.dram.bandwidth_millibytes_per_cycle);
  EXPECT_EQ(a.dram.latency_cycles, b.dram.latency_cycles);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// ---- defaults and presets ------------------------------------------------------------------

TEST(ConfigPresets, DefaultArchEqualsDefaultYaml) {
  const ArchSpec file = load_arch(kPresets + "default.yaml");
  expect_same(default_arch(), file);
  expect_same(ArchSpec{}, file);
  EXPECT_EQ(file.source, kPresets + "default.yaml");
  EXPECT_EQ(default_arch().source, "<built-in>");
}

TEST(ConfigPresets, DefaultValues) {
  const ArchSpec a = default_arch();
  EXPECT_EQ(a.name, "default");
  EXPECT_EQ(a.engine, "systolic");
  EXPECT_EQ(a.rows, 16);
  EXPECT_EQ(a.cols, 16);
  EXPECT_EQ(a.dataflow, Dataflow::kWS);
  EXPECT_TRUE(a.fold_overlap);
  EXPECT_TRUE(a.weight_preload);
  EXPECT_EQ(a.act, (num::IntFormat{8, true}));
  EXPECT_EQ(a.weight, (num::IntFormat{8, true}));
  EXPECT_EQ(a.acc.bits, 32);
  EXPECT_EQ(a.acc.overflow, num::Overflow::kWrap);
  EXPECT_EQ(a.clock_hz, 1e9);
  EXPECT_EQ(a.ifmap.size_bytes, 256u * 1024);
  EXPECT_EQ(a.ifmap.width_bytes, 64u);
  EXPECT_EQ(a.ofmap.width_bytes, 128u);
  EXPECT_EQ(a.dram.type, "LPDDR4");
  EXPECT_EQ(a.dram.bandwidth_millibytes_per_cycle, 32000u);
  EXPECT_EQ(a.dram.latency_cycles, 100u);
}

TEST(ConfigPresets, ShippedPresets) {
  const ArchSpec os = load_arch(kPresets + "os16.yaml");
  EXPECT_EQ(os.dataflow, Dataflow::kOS);
  EXPECT_EQ(os.rows, 16);
  EXPECT_EQ(os.name, "os16");
  const ArchSpec is = load_arch(kPresets + "is16.yaml");
  EXPECT_EQ(is.dataflow, Dataflow::kIS);
  EXPECT_EQ(is.cols, 16);
  const ArchSpec ws = load_arch(kPresets + "ws32.yaml");
  EXPECT_EQ(ws.dataflow, Dataflow::kWS);
  EXPECT_EQ(ws.rows, 32);
  EXPECT_EQ(ws.cols, 32);
  const ArchSpec s = load_arch(kPresets + "scalesim_ws16.yaml");
  EXPECT_EQ(s.dataflow, Dataflow::kWS);
  EXPECT_EQ(s.rows, 16);
  EXPECT_FALSE(s.fold_overlap);
  EXPECT_FALSE(s.weight_preload);
  for (const BufferSpec* b : {&s.ifmap, &s.filter, &s.ofmap})
    EXPECT_EQ(b->size_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(s.dram.latency_cycles, 0u);
  EXPECT_EQ(s.dram.bandwidth_millibytes_per_cycle, 65536u * 1000);
}

TEST(ConfigPresets, RoundTripThroughToYaml) {
  for (const char* name :
       {"default.yaml", "os16.yaml", "is16.yaml", "ws32.yaml", "scalesim_ws16.yaml"}) {
    SCOPED_TRACE(name);
    const ArchSpec a = load_arch(kPresets + name);
    const ArchSpec b = load_arch(write_temp(std::string("rt_") + name, to_yaml(a)));
    expect_same(a, b);
    EXPECT_EQ(to_yaml(a), to_yaml(b));
  }
}

TEST(ConfigPresets, ToYamlFormat) {
  const std::string y = to_yaml(default_arch());
  EXPECT_EQ(y.rfind("# tpesim-arch v1\n", 0), 0u);
  EXPECT_NE(y.find("clock: 1GHz\n"), std::string::npos);
  EXPECT_NE(y.find("  ifmap: {size: 256KiB, width: 64B, double_buffered: true}\n"),
            std::string::npos);
  EXPECT_NE(y.find("  bandwidth: 32B/cycle\n"), std::string::npos);
  EXPECT_NE(y.find("  latency: 100\n"), std::string::npos);
}

TEST(ConfigPresets, RoundTripRandomSpecs) {
  std::mt19937_64 rng(12345);
  auto pick = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const double clocks[] = {1e9, 1.5e9, 800e6, 733.3e6, 1e9 / 3, 250e3, 1.25, 999.999e6};
  const char* names[] = {"x", "yes", "null", "a: b", "with \"quotes\"", "~", "#hash", "16"};
  for (int i = 0; i < 200; ++i) {
    ArchSpec a;
    a.name = names[i % 8];
    a.dram.type = names[(i + 3) % 8];
    a.rows = static_cast<int>(pick(1, 256));
    a.cols = static_cast<int>(pick(1, 256));
    a.dataflow = static_cast<Dataflow>(pick(0, 2));
    a.fold_overlap = pick(0, 1);
    a.weight_preload = pick(0, 1);
    a.act = {static_cast<int>(pick(2, 16)), pick(0, 1) == 1};
    a.weight = {static_cast<int>(pick(2, 16)), pick(0, 1) == 1};
    a.acc = {static_cast<int>(pick(17, 64)),
             pick(0, 1) ? num::Overflow::kWrap : num::Overflow::kSaturate};
    a.clock_hz = clocks[pick(0, 7)];
    for (BufferSpec* b : {&a.ifmap, &a.filter, &a.ofmap}) {
      b->width_bytes = pick(1, 4096);
      b->size_bytes = b->width_bytes * pick(2, 100000);
      b->double_buffered = pick(0, 1);
    }
    a.dram.bandwidth_millibytes_per_cycle = pick(1, 1000000000);
    a.dram.latency_cycles = pick(0, 100000);
    SCOPED_TRACE(to_yaml(a));
    expect_same(a, load_arch(write_temp("rt_random.yaml", to_yaml(a))));
  }
}

// ---- units and partial files ---------------------------------------------------------------

TEST(ConfigUnits, PartialFileKeepsDefaults) {
  const ArchSpec a = load_arch(kData + "/good/arch_partial.yaml");
  EXPECT_EQ(a.rows, 8);
  EXPECT_EQ(a.cols, 16);  // default
  EXPECT_EQ(a.acc.bits, 24);
  EXPECT_EQ(a.acc.overflow, num::Overflow::kSaturate);
  EXPECT_EQ(a.ofmap.size_bytes, 1024u * 1024);
  EXPECT_EQ(a.ofmap.width_bytes, 128u);    // default
  EXPECT_EQ(a.filter.size_bytes, 64000u);  // 64KB is decimal
  EXPECT_EQ(a.filter.width_bytes, 100u);
  EXPECT_EQ(a.clock_hz, 800e6);
  // 12.8 GB/s at 800 MHz = 12.8e9 / 0.8e9 = 16 B/cycle.
  EXPECT_EQ(a.dram.bandwidth_millibytes_per_cycle, 16000u);
  // 80 ns at 800 MHz = 80e-9 * 0.8e9 = 64 cycles.
  EXPECT_EQ(a.dram.latency_cycles, 64u);
}

TEST(ConfigUnits, EmptySectionsKeepDefaults) {
  const ArchSpec a = load_arch(kData + "/good/arch_empty_sections.yaml");
  EXPECT_EQ(a.name, "sections");
  ArchSpec d;
  d.name = "sections";
  expect_same(d, a);
}

TEST(ConfigUnits, SizesWidthsClockBandwidthLatency) {
  auto with = [](const std::string& key, const std::string& value) {
    return default_arch({{key, value}});
  };
  EXPECT_EQ(with("buffers.ifmap.size", "1GiB").ifmap.size_bytes, 1024ull * 1024 * 1024);
  EXPECT_EQ(with("buffers.ifmap.size", "2MB").ifmap.size_bytes, 2000000u);
  EXPECT_EQ(with("buffers.ifmap.size", "4096").ifmap.size_bytes, 4096u);
  EXPECT_EQ(with("buffers.ifmap.size", "3 KiB").ifmap.size_bytes, 3072u);
  EXPECT_EQ(with("buffers.ofmap.width", "256B").ofmap.width_bytes, 256u);
  EXPECT_EQ(with("buffers.ofmap.width", "32").ofmap.width_bytes, 32u);
  EXPECT_EQ(with("clock", "1.5GHz").clock_hz, 1.5e9);
  EXPECT_EQ(with("clock", "200 MHz").clock_hz, 200e6);
  EXPECT_EQ(with("clock", "50kHz").clock_hz, 50e3);
  EXPECT_EQ(with("dram.bandwidth", "0.5B/cycle").dram.bandwidth_millibytes_per_cycle, 500u);
  EXPECT_EQ(with("dram.bandwidth", "0.001B/cycle").dram.bandwidth_millibytes_per_cycle, 1u);
  // 25.6 GB/s at 1 GHz = 25.6 B/cycle.
  EXPECT_EQ(with("dram.bandwidth", "25.6GB/s").dram.bandwidth_millibytes_per_cycle, 25600u);
  EXPECT_EQ(with("dram.bandwidth", "1TB/s").dram.bandwidth_millibytes_per_cycle, 1000000u);
  EXPECT_EQ(with("dram.latency", "0").dram.latency_cycles, 0u);
  EXPECT_EQ(with("dram.latency", "250 cycles").dram.latency_cycles, 250u);
  // 45.5 ns at 1 GHz = 45.5 cycles, rounded up to 46; 1 us = 1000 cycles.
  EXPECT_EQ(with("dram.latency", "45.5ns").dram.latency_cycles, 46u);
  EXPECT_EQ(with("dram.latency", "1us").dram.latency_cycles, 1000u);
  EXPECT_EQ(with("pe.act", "uint4").act, (num::IntFormat{4, false}));
  EXPECT_EQ(with("fold_overlap", "False").fold_overlap, false);
  EXPECT_EQ(with("name", "\"quoted name\"").name, "quoted name");
  EXPECT_EQ(with("dataflow", "os").dataflow, Dataflow::kOS);
}

TEST(ConfigUnits, TimeValuesUseTheFinalClock) {
  // The file gives 12.8GB/s and 80ns at 800MHz; --set clock=1.6GHz converts them at 1.6 GHz:
  // 12.8e9 / 1.6e9 = 8 B/cycle, 80e-9 * 1.6e9 = 128 cycles.
  const ArchSpec a = load_arch(kData + "/good/arch_partial.yaml", {{"clock", "1.6GHz"}});
  EXPECT_EQ(a.dram.bandwidth_millibytes_per_cycle, 8000u);
  EXPECT_EQ(a.dram.latency_cycles, 128u);
}

TEST(ConfigUnits, ToStringDataflow) {
  EXPECT_STREQ(to_string(Dataflow::kOS), "os");
  EXPECT_STREQ(to_string(Dataflow::kWS), "ws");
  EXPECT_STREQ(to_string(Dataflow::kIS), "is");
}

// ---- overrides -----------------------------------------------------------------------------

TEST(ConfigOverride, ParseOverride) {
  const Override o = parse_override("buffers.ifmap.size=64KiB");
  EXPECT_EQ(o.key, "buffers.ifmap.size");
  EXPECT_EQ(o.value, "64KiB");
  EXPECT_EQ(parse_override("name=a=b").value, "a=b");
  EXPECT_EQ(parse_override(" rows = 32 ").key, "rows");
  EXPECT_NE(config_error([] { parse_override("rows"); }).find("--set rows: expected key=value"),
            std::string::npos);
  EXPECT_NE(config_error([] { parse_override("=5"); }).find("empty key"), std::string::npos);
}

TEST(ConfigOverride, AppliesOnFileAndDefault) {
  const std::vector<Override> set = {parse_override("rows=32"), parse_override("pe.acc_bits=24"),
                                     parse_override("buffers.ifmap.size=64KiB"),
                                     parse_override("dram.bandwidth=8B/cycle")};
  for (const ArchSpec& a : {default_arch(set), load_arch(kPresets + "os16.yaml", set)}) {
    EXPECT_EQ(a.rows, 32);
    EXPECT_EQ(a.cols, 16);
    EXPECT_EQ(a.acc.bits, 24);
    EXPECT_EQ(a.ifmap.size_bytes, 64u * 1024);
    EXPECT_EQ(a.dram.bandwidth_millibytes_per_cycle, 8000u);
  }
  EXPECT_EQ(load_arch(kPresets + "os16.yaml", set).dataflow, Dataflow::kOS);
  // The last override of a key wins.
  EXPECT_EQ(default_arch({{"rows", "8"}, {"rows", "4"}}).rows, 4);
  // An override may repair a file's cross-key problem: the check runs after all overrides.
  EXPECT_EQ(load_arch(kData + "/bad/arch_acc_too_narrow.yaml", {{"pe.acc_bits", "17"}}).acc.bits,
            17);
}

struct BadOverride {
  Override o;
  const char* expected;  ///< the message must contain this
};

TEST(ConfigOverride, BadOverrides) {
  const BadOverride cases[] = {
      {{"pe.foo", "1"}, "--set pe.foo: unknown key (known: pe.act, pe.weight, pe.acc_bits"},
      {{"columns", "16"}, "--set columns: unknown key (known: name, engine, rows"},
      {{"buffers.ifmap.banks", "4"},
       "--set buffers.ifmap.banks: unknown key (known: "
       "buffers.ifmap.size, buffers.ifmap.width"},
      {{"rows", "0"}, "--set rows: must be 1..256, got 0"},
      {{"rows", "-3"}, "--set rows: must be 1..256, got -3"},
      {{"rows", "16.5"}, "--set rows: expected an integer, got '16.5'"},
      {{"rows", "[1, 2]"}, "--set rows: expected an integer, got a list"},
      {{"rows", ""}, "--set rows: no value"},
      {{"rows", "{"}, "--set rows: cannot read value '{' as YAML"},
      {{"pe", "int8"}, "--set pe: is a section; set one of its keys (pe.act, pe.weight"},
      {{"buffers.ifmap", "1"}, "--set buffers.ifmap: is a section"},
      {{"pe.acc_bits", "8"},
       "--set pe.acc_bits: 8 bits are too narrow for int8 operands; pe.acc_bits "
       "must be at least 9"},
      {{"pe.acc_bits", "65"}, "--set pe.acc_bits: must be 8..64, got 65"},
      {{"buffers.ifmap.size", "64KiB/s"}, "--set buffers.ifmap.size: unknown size unit 'KiB/s'"},
      {{"buffers.ifmap.width", "0"}, "--set buffers.ifmap.width: must be 1B.."},
      {{"buffers.ifmap.width", "1MiB"}, "--set buffers.ifmap.width: must be 1B..65536B"},
      {{"dram.bandwidth", "8B/s"}, "--set dram.bandwidth: '8B/s' is 8e-09 B/cycle"},
      {{"dram.bandwidth", "8"}, "--set dram.bandwidth: missing unit"},
      {{"dram.latency", "-1"}, "--set dram.latency: must be 0..1000000000 cycles"},
      {{"dram.latency", "1.5"}, "--set dram.latency: a latency in cycles must be a whole number"},
      {{"clock", "0GHz"}, "--set clock: must be > 0"},
      {{"dataflow", "WS"}, "--set dataflow: unknown dataflow 'WS' (valid: os, ws, is)"},
      {{"engine", "cube3d"}, "--set engine: unknown engine 'cube3d' (valid: systolic, bitmod, mixpe)"},
      {{"fold_overlap", "1"}, "--set fold_overlap: expected true or false, got '1'"},
      {{"pe.overflow", "clamp"}, "--set pe.overflow: unknown overflow rule 'clamp'"},
  };
  for (const BadOverride& c : cases) {
    SCOPED_TRACE(c.o.key + "=" + c.o.value);
    const std::string msg = config_error([&] { default_arch({c.o}); });
    EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
    // The same override on a file gives the same message (it names --set, not the file).
    EXPECT_EQ(msg, config_error([&] { load_arch(kPresets + "default.yaml", {c.o}); }));
  }
}

// ---- bad files -----------------------------------------------------------------------------

struct BadFile {
  const char* file;
  int line;              ///< 1-based; 0 = the message has no line
  const char* key;       ///< dotted key path; "" = none
  const char* expected;  ///< the message must also contain this
};

// Names the case in test output (gtest would otherwise print the struct's bytes).
void PrintTo(const BadFile& b, std::ostream* os) { *os << b.file; }

class ConfigBadFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(ConfigBadFile, MessageNamesFileLineKey) {
  const BadFile& c = GetParam();
  const std::string path = kData + "/bad/" + c.file;
  const std::string msg = config_error([&] { load_arch(path); });
  std::string prefix = path;
  if (c.line > 0) prefix += ":" + std::to_string(c.line);
  prefix += ": ";
  if (*c.key) prefix += std::string(c.key) + ": ";
  EXPECT_EQ(msg.rfind(prefix, 0), 0u) << "message: " << msg << "\nexpected prefix: " << prefix;
  EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

// Line numbers count the "# tpesim-arch v1" first line of each file.
INSTANTIATE_TEST_SUITE_P(
    Config, ConfigBadFile,
    ::testing::Values(
        BadFile{"arch_empty.yaml", 0, "", "empty arch file"},
        BadFile{"arch_comments_only.yaml", 0, "", "empty arch file"},
        BadFile{"arch_not_mapping.yaml", 2, "", "the top level must be a mapping"},
        BadFile{"arch_syntax_error.yaml", 5, "", "YAML syntax error"},
        BadFile{"arch_unknown_key_top.yaml", 3, "columns", "unknown key (known: name, engine"},
        BadFile{"arch_unknown_key_nested.yaml", 7, "buffers.filter.banks",
                "unknown key (known: size, width, double_buffered)"},
        BadFile{"arch_wrong_type.yaml", 3, "cols", "expected an integer, got 'sixteen'"},
        BadFile{"arch_wrong_type_section.yaml", 3, "pe", "expected a mapping of keys"},
        BadFile{"arch_wrong_type_list.yaml", 2, "rows", "expected an integer, got a list"},
        BadFile{"arch_rows_zero.yaml", 3, "rows", "must be 1..256, got 0"},
        BadFile{"arch_rows_too_large.yaml", 2, "rows", "must be 1..256, got 257"},
        BadFile{"arch_bad_unit.yaml", 4, "buffers.ofmap.size", "unknown size unit 'kib'"},
        BadFile{"arch_bad_clock_unit.yaml", 2, "clock", "unknown frequency unit 'Ghz'"},
        BadFile{"arch_clock_no_unit.yaml", 2, "clock", "missing unit"},
        BadFile{"arch_unknown_dataflow.yaml", 3, "dataflow",
                "unknown dataflow 'rs' (valid: os, ws, is)"},
        BadFile{"arch_unknown_engine.yaml", 2, "engine", "unknown engine 'tpu' (valid: systolic, bitmod, mixpe)"},
        BadFile{"arch_duplicate_key.yaml", 4, "rows", "duplicate key (first set on line 2)"},
        BadFile{"arch_bitmod_dataflow.yaml", 3, "dataflow", "only for engine systolic"},
        BadFile{"arch_bitmod_int_act.yaml", 4, "pe.act", "engine bitmod multiplies FP16 activations"},
        BadFile{"arch_bitmod_tile.yaml", 6, "bitmod.tile_rows", "rows (30) must be a multiple of bitmod.tile_rows (8)"},
        BadFile{"arch_systolic_bitmod_key.yaml", 3, "bitmod.lanes", "only for engine bitmod"},
        BadFile{"arch_duplicate_key_nested.yaml", 4, "pe.act",
                "duplicate key (first set on line 3)"},
        BadFile{"arch_bad_bool.yaml", 2, "fold_overlap", "expected true or false, got 'yes'"},
        BadFile{"arch_bad_format.yaml", 3, "pe.act", "unknown number format 'int32'"},
        BadFile{"arch_acc_too_narrow.yaml", 5, "pe.acc_bits", "must be at least 17"},
        BadFile{"arch_buffer_width_zero.yaml", 3, "buffers.filter.width", "must be 1B.."},
        BadFile{"arch_buffer_size_zero.yaml", 4, "buffers.ifmap.size", "must be 1B.."},
        BadFile{"arch_buffer_width_gt_size.yaml", 3, "buffers.ofmap.size",
                "width 128B is larger than size 64B"},
        BadFile{"arch_buffer_double_too_small.yaml", 3, "buffers.ifmap.size",
                "double-buffered buffer needs room for one row"},
        BadFile{"arch_bandwidth_too_low.yaml", 4, "dram.bandwidth", "at least 0.001B/cycle"},
        BadFile{"arch_bandwidth_too_low_gbs.yaml", 4, "dram.bandwidth",
                "'0.0000001GB/s' is 1e-07 B/cycle at 1GHz"},
        BadFile{"arch_bad_latency.yaml", 3, "dram.latency", "unknown latency unit 'ms'"},
        BadFile{"arch_null_value.yaml", 2, "rows", "no value"},
        BadFile{"arch_wrong_version.yaml", 1, "", "unsupported format line '# tpesim-arch v2'"},
        BadFile{"arch_dotted_key.yaml", 3, "pe.act", "dotted paths are for --set"},
        BadFile{"arch_size_fraction.yaml", 3, "buffers.ifmap.size", "whole number"},
        BadFile{"does_not_exist.yaml", 0, "", "cannot open arch file: no such file"}),
    [](const ::testing::TestParamInfo<BadFile>& info) {
      std::string n = info.param.file;
      return n.substr(0, n.find('.'));
    });

}  // namespace
}  // namespace tpesim
