// Trace v1 parser (sim/workload/trace.cpp, workloads/FORMAT.md): shipped traces and their
// published shapes, the built-in default, and one bad file per error class.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "sim/common/error.hpp"
#include "sim/workload/default_trace.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {
namespace {

const std::string kData = TPESIM_TEST_DATA;
const std::string kWorkloads = std::string(TPESIM_SOURCE_DIR) + "/workloads/";

std::string trace_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const TraceError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected TraceError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected TraceError, nothing was thrown";
  return "";
}

uint64_t total_macs(const Workload& w) {
  uint64_t s = 0;
  for (const Gemm& g : w.gemms) s += g.M * g.N * g.K * g.count;
  return s;
}

std::map<std::string, Gemm> by_name(const Workload& w) {
  std::map<std::string, Gemm> m;
  for (const Gemm& g : w.gemms) m[g.name] = g;
  return m;
}

void expect_shape(const Gemm& g, uint64_t M, uint64_t N, uint64_t K, uint64_t count,
                  const char* kind) {
  SCOPED_TRACE(g.name);
  EXPECT_EQ(g.M, M);
  EXPECT_EQ(g.N, N);
  EXPECT_EQ(g.K, K);
  EXPECT_EQ(g.count, count);
  EXPECT_EQ(g.kind, kind);
  EXPECT_EQ(g.weight_dtype, "int8");
  EXPECT_EQ(g.act_dtype, "int8");
  EXPECT_EQ(g.group_size, 0u);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- shipped traces ------------------------------------------------------------------------
// Llama-2-7B (HF config): hidden 4096, intermediate 11008, 32 heads of 128, 32 layers,
// vocab 32000.

TEST(TraceShipped, Llama2Prefill2048) {
  const Workload w = load_trace(kWorkloads + "llama2-7b-prefill-2048.csv");
  EXPECT_EQ(w.name, "llama2-7b-prefill-2048");
  ASSERT_EQ(w.gemms.size(), 10u);
  auto g = by_name(w);
  for (const char* p : {"q_proj", "k_proj", "v_proj", "o_proj"})
    expect_shape(g[p], 2048, 4096, 4096, 32, "static");
  expect_shape(g["gate_proj"], 2048, 11008, 4096, 32, "static");
  expect_shape(g["up_proj"], 2048, 11008, 4096, 32, "static");
  expect_shape(g["down_proj"], 2048, 4096, 11008, 32, "static");
  expect_shape(g["attn_qk"], 2048, 2048, 128, 32 * 32, "dynamic");
  expect_shape(g["attn_pv"], 2048, 128, 2048, 32 * 32, "dynamic");
  expect_shape(g["lm_head"], 2048, 32000, 4096, 1, "static");
  EXPECT_EQ(w.gemms.back().name, "lm_head");
  // Per layer: 4 x 2048*4096*4096 = 137,438,953,472; gate+up 2 x 2048*11008*4096 =
  // 184,683,593,728; down 2048*4096*11008 = 92,341,796,864; QK^T and PV 32 x 2048*2048*128 =
  // 17,179,869,184 each. Layer = 448,824,082,432; x 32 = 14,362,370,637,824;
  // + lm_head 2048*32000*4096 = 268,435,456,000 -> 14,630,806,093,824.
  EXPECT_EQ(total_macs(w), 14630806093824ull);
}

TEST(TraceShipped, Llama2Decode) {
  const Workload w = load_trace(kWorkloads + "llama2-7b-decode.csv");
  EXPECT_EQ(w.name, "llama2-7b-decode");
  ASSERT_EQ(w.gemms.size(), 10u);
  auto g = by_name(w);
  for (const char* p : {"q_proj", "k_proj", "v_proj", "o_proj"})
    expect_shape(g[p], 1, 4096, 4096, 32, "static");
  expect_shape(g["gate_proj"], 1, 11008, 4096, 32, "static");
  expect_shape(g["up_proj"], 1, 11008, 4096, 32, "static");
  expect_shape(g["down_proj"], 1, 4096, 11008, 32, "static");
  expect_shape(g["attn_qk"], 1, 2048, 128, 1024, "dynamic");
  expect_shape(g["attn_pv"], 1, 128, 2048, 1024, "dynamic");
  expect_shape(g["lm_head"], 1, 32000, 4096, 1, "static");
  // Per layer: 4 x 4096*4096 = 67,108,864; 2 x 11008*4096 = 90,177,536; 4096*11008 =
  // 45,088,768; QK^T and PV 32 x 2048*128 = 8,388,608 each. Layer = 219,152,384;
  // x 32 = 7,012,876,288; + lm_head 32000*4096 = 131,072,000 -> 7,143,948,288.
  EXPECT_EQ(total_macs(w), 7143948288ull);
}

TEST(TraceShipped, DefaultWorkloadIsTheEmbeddedFile) {
  const std::string file = read_file(kWorkloads + "default.csv");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(std::string(default_trace_text()), file)
      << "sim/workload/default_trace.cpp must hold a byte-for-byte copy of "
         "workloads/default.csv: update it after editing the CSV";
  const Workload builtin = default_workload();
  const Workload loaded = load_trace(kWorkloads + "default.csv");
  EXPECT_EQ(builtin.source, "<built-in>");
  EXPECT_EQ(builtin.name, "llama2-7b-slice");
  EXPECT_EQ(loaded.name, builtin.name);
  ASSERT_EQ(builtin.gemms.size(), loaded.gemms.size());
  for (size_t i = 0; i < builtin.gemms.size(); ++i) {
    EXPECT_EQ(builtin.gemms[i].name, loaded.gemms[i].name);
    EXPECT_EQ(builtin.gemms[i].M, loaded.gemms[i].M);
    EXPECT_EQ(builtin.gemms[i].count, loaded.gemms[i].count);
  }
}

TEST(TraceShipped, DefaultWorkloadShapes) {
  const Workload w = default_workload();
  ASSERT_EQ(w.gemms.size(), 3u);
  auto g = by_name(w);
  const uint64_t T = g["L0.q_proj"].M;  // tokens of the prefill slice (4 as shipped)
  expect_shape(g["L0.q_proj"], T, 4096, 4096, 1, "static");
  expect_shape(g["L0.attn_qk"], T, T, 128, 32, "dynamic");
  expect_shape(g["L0.attn_pv"], T, 128, T, 32, "dynamic");
  // T*4096*4096 + 2 x T*T*128*32; at T = 4: 67,108,864 + 2 x 65,536 = 67,239,936.
  EXPECT_EQ(total_macs(w), T * 4096 * 4096 + 2 * T * T * 128 * 32);
  EXPECT_LT(total_macs(w), 100000000u) << "the default must stay small";
}

// ---- positive parsing ----------------------------------------------------------------------

TEST(TraceParse, AllColumnsInAnyOrder) {
  const Workload w = load_trace(kData + "/good/trace_all_columns.csv");
  EXPECT_EQ(w.name, "every column, shuffled");
  ASSERT_EQ(w.gemms.size(), 2u);
  const Gemm& a = w.gemms[0];
  EXPECT_EQ(a.name, "proj");
  EXPECT_EQ(a.M, 16u);
  EXPECT_EQ(a.N, 11008u);
  EXPECT_EQ(a.K, 4096u);
  EXPECT_EQ(a.count, 32u);
  EXPECT_EQ(a.group_size, 128u);
  EXPECT_EQ(a.weight_dtype, "uint4");
  EXPECT_EQ(a.act_dtype, "int8");
  EXPECT_EQ(a.kind, "static");
  EXPECT_EQ(a.line, 6);
  const Gemm& b = w.gemms[1];
  EXPECT_EQ(b.name, "qk");
  EXPECT_EQ(b.weight_dtype, "bf16");
  EXPECT_EQ(b.act_dtype, "fp16");
  EXPECT_EQ(b.kind, "dynamic");
  EXPECT_EQ(b.count, 1024u);
  EXPECT_EQ(b.line, 8);
}

TEST(TraceParse, CrlfAndMissingFinalNewline) {
  const Workload w = load_trace(kData + "/good/trace_crlf.csv");
  ASSERT_EQ(w.gemms.size(), 2u);
  EXPECT_EQ(w.gemms[1].name, "b");
  EXPECT_EQ(w.gemms[1].K, 6u);
  EXPECT_EQ(w.name, "trace_crlf");  // no "# name:" line: the file stem
  const Workload m = load_trace(kData + "/good/trace_minimal.csv");
  ASSERT_EQ(m.gemms.size(), 1u);
  EXPECT_EQ(m.gemms[0].K, 9u);
  // The same in memory, in case a checkout converted the line endings.
  const Workload c = parse_trace("# tpesim-trace v1\r\nname,M,N,K\r\na,1,2,3\r\n", "mem.csv");
  EXPECT_EQ(c.gemms.at(0).K, 3u);
  EXPECT_EQ(c.name, "mem");
}

TEST(TraceParse, DefaultsOfOptionalColumns) {
  const Gemm g = parse_trace("# tpesim-trace v1\nname,M,N,K\nx,1,2,3\n", "t.csv").gemms.at(0);
  EXPECT_EQ(g.count, 1u);
  EXPECT_EQ(g.weight_dtype, "int8");
  EXPECT_EQ(g.act_dtype, "int8");
  EXPECT_EQ(g.group_size, 0u);
  EXPECT_EQ(g.kind, "static");
  EXPECT_EQ(g.line, 3);
}

TEST(TraceParse, EveryDataType) {
  std::string text = "# tpesim-trace v1\nname,M,N,K,weight_dtype,act_dtype\n";
  std::vector<std::string> types = {"fp16",     "bf16",     "fp8_e4m3", "fp8_e5m2", "fp6_e2m3",
                                    "fp6_e3m2", "fp4_e2m1", "fp3",      "mxfp4"};
  for (int b = 2; b <= 16; ++b) {
    types.push_back("int" + std::to_string(b));
    types.push_back("uint" + std::to_string(b));
  }
  for (size_t i = 0; i < types.size(); ++i)
    text += "g" + std::to_string(i) + ",1,1,1," + types[i] + "," + types[i] + "\n";
  const Workload w = parse_trace(text, "types.csv");
  ASSERT_EQ(w.gemms.size(), types.size());
  for (size_t i = 0; i < types.size(); ++i) EXPECT_EQ(w.gemms[i].weight_dtype, types[i]);
  for (const char* bad : {"int1", "int17", "uint1", "int32", "INT8", "fp32", "e4m3"}) {
    const std::string msg = trace_error([&] {
      parse_trace(std::string("# tpesim-trace v1\nname,M,N,K,act_dtype\nx,1,1,1,") + bad + "\n",
                  "t.csv");
    });
    EXPECT_NE(msg.find("t.csv:3: act_dtype: unknown data type '" + std::string(bad) + "'"),
              std::string::npos)
        << msg;
  }
}

TEST(TraceParse, Limits) {
  const char* head = "# tpesim-trace v1\nname,M,N,K,count,group_size\n";
  // 2^31 is allowed for a dimension, 2^40 for count, 2^62 for the product.
  Workload w = parse_trace(std::string(head) +
                               "a,2147483648,1,1,1,0\n"
                               "b,1,1,1,1099511627776,0\n"
                               "c,2147483648,2147483648,1,1,0\n"
                               "d,4,4,128,1,128\n",
                           "t.csv");
  EXPECT_EQ(w.gemms[0].M, 2147483648u);
  EXPECT_EQ(w.gemms[1].count, 1099511627776u);
  EXPECT_EQ(w.gemms[3].group_size, 128u);  // group size = K is allowed
  // One more multiply-accumulate than 2^62.
  EXPECT_NE(trace_error([&] {
              parse_trace(std::string(head) + "e,2147483648,2147483648,1,2,0\n", "t.csv");
            }).find("t.csv:3: M*N*K*count: absurd size"),
            std::string::npos);
}

// ---- bad files -----------------------------------------------------------------------------

struct BadFile {
  const char* file;
  int line;              ///< 1-based; 0 = the message has no line
  const char* column;    ///< column (field) name; "" = none
  const char* expected;  ///< the message must also contain this
};

// Names the case in test output (gtest would otherwise print the struct's bytes).
void PrintTo(const BadFile& b, std::ostream* os) { *os << b.file; }

class TraceBadFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(TraceBadFile, MessageNamesFileLineColumn) {
  const BadFile& c = GetParam();
  const std::string path = kData + "/bad/" + c.file;
  const std::string msg = trace_error([&] { load_trace(path); });
  std::string prefix = path;
  if (c.line > 0) prefix += ":" + std::to_string(c.line);
  prefix += ": ";
  if (*c.column) prefix += std::string(c.column) + ": ";
  EXPECT_EQ(msg.rfind(prefix, 0), 0u) << "message: " << msg << "\nexpected prefix: " << prefix;
  EXPECT_NE(msg.find(c.expected), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
}

// Line numbers count the "# tpesim-trace v1" first line of each file.
INSTANTIATE_TEST_SUITE_P(
    Trace, TraceBadFile,
    ::testing::Values(
        BadFile{"trace_empty.csv", 0, "", "empty trace"},
        BadFile{"trace_blank_only.csv", 0, "", "empty trace"},
        BadFile{"trace_missing_column.csv", 3, "K", "missing required column"},
        BadFile{"trace_zero_dim.csv", 4, "N", "must be a positive integer, got 0"},
        BadFile{"trace_negative_dim.csv", 3, "M", "got negative value -16"},
        BadFile{"trace_non_numeric.csv", 4, "K", "not a number: 'sixteen'"},
        BadFile{"trace_float_dim.csv", 3, "N", "no fraction or exponent), got 16.5"},
        BadFile{"trace_dim_too_large.csv", 3, "N", "too large: 2147483649 (at most 2147483648)"},
        BadFile{"trace_count_too_large.csv", 3, "count", "too large: 1099511627777"},
        BadFile{"trace_absurd_size.csv", 4, "M*N*K*count", "absurd size"},
        BadFile{"trace_unknown_dtype.csv", 4, "weight_dtype", "unknown data type 'int32'"},
        BadFile{"trace_truncated_line.csv", 4, "K", "truncated line: 3 fields, the header has 5"},
        BadFile{"trace_extra_field.csv", 5, "field 5", "extra field: 5 fields, the header has 4"},
        BadFile{"trace_missing_version.csv", 1, "",
                "the first line must be '# tpesim-trace v1', got 'name,M,N,K'"},
        BadFile{"trace_wrong_version.csv", 2, "", "unsupported trace version"},
        BadFile{"trace_duplicate_name.csv", 6, "name", "duplicate name 'q' (first on line 3)"},
        BadFile{"trace_group_not_dividing.csv", 4, "group_size",
                "group size 32 does not divide K = 100"},
        BadFile{"trace_only_header.csv", 3, "", "no GEMM rows"},
        BadFile{"trace_no_header.csv", 0, "", "no header row"},
        BadFile{"trace_unknown_column.csv", 2, "dtype", "unknown column (known: name, M, N, K"},
        BadFile{"trace_duplicate_column.csv", 2, "M", "column appears twice"},
        BadFile{"trace_quoted_field.csv", 3, "name", "quoted fields are not supported"},
        BadFile{"trace_bad_kind.csv", 4, "kind", "unknown kind 'weights' (valid: static, dynamic)"},
        BadFile{"trace_empty_name.csv", 3, "name", "empty name"},
        BadFile{"trace_missing_value.csv", 3, "N", "missing value"},
        BadFile{"trace_negative_group.csv", 3, "group_size", "got negative value -32"},
        BadFile{"does_not_exist.csv", 0, "", "cannot open trace file: no such file"}),
    [](const ::testing::TestParamInfo<BadFile>& info) {
      std::string n = info.param.file;
      return n.substr(0, n.find('.'));
    });

}  // namespace
}  // namespace tpesim
