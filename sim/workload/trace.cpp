// Trace v1 parser ("# tpesim-trace v1", workloads/FORMAT.md): a CSV of GEMM shapes,
// every field checked, every error one line "file:line: column: what".
#include "sim/workload/workload.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "models/numerics/int_format.hpp"
#include "sim/common/error.hpp"

namespace tpesim {
namespace {

const char* const kVersionLine = "# tpesim-trace v1";
const char* const kNameTag = "# name:";

constexpr uint64_t kMaxDim = uint64_t{1} << 31;    // M, N, K
constexpr uint64_t kMaxCount = uint64_t{1} << 40;  // count
constexpr uint64_t kMaxMacs = uint64_t{1} << 62;   // M*N*K*count

/// Columns in the order the spec lists them; the first four are required.
const std::vector<std::string> kColumns = {
    "name", "M", "N", "K", "count", "weight_dtype", "act_dtype", "group_size", "kind"};
constexpr size_t kRequiredColumns = 4;

/// Data type names a trace may use. Integer formats are int2..int16 and uint2..uint16.
const std::vector<std::string> kFloatTypes = {
    "fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp6_e2m3", "fp6_e3m2", "fp4_e2m1", "fp3", "mxfp4",
    "bitmod_fp4", "bitmod_fp3"};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_commas(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    out.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

/// Throws TraceError for one position in the trace.
class Reporter {
 public:
  explicit Reporter(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(int line, const std::string& column, const std::string& message) const {
    throw TraceError(where(path_, line, column, message));
  }

 private:
  std::string path_;
};

/// A positive integer field no larger than `hi`; `zero_ok` admits 0 (group_size).
uint64_t read_uint(const Reporter& r, int line, const std::string& column, const std::string& s,
                   uint64_t hi, bool zero_ok) {
  const std::string want = zero_ok ? "a non-negative integer" : "a positive integer";
  if (s.empty()) r.fail(line, column, "missing value (expected " + want + ")");
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits != s.size()) {
    const bool negative =
        s[0] == '-' && s.size() > 1 && std::isdigit(static_cast<unsigned char>(s[1]));
    if (negative) r.fail(line, column, "must be " + want + ", got negative value " + s);
    const bool numeric_like = s.find_first_not_of("0123456789.eE+-") == std::string::npos &&
                              s.find_first_of("0123456789") != std::string::npos;
    if (numeric_like)
      r.fail(line, column, "must be " + want + " (no fraction or exponent), got " + s);
    r.fail(line, column, "not a number: '" + s + "' (expected " + want + ")");
  }
  uint64_t v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || v > hi)
    r.fail(line, column, "too large: " + s + " (at most " + std::to_string(hi) + ")");
  if (v == 0 && !zero_ok) r.fail(line, column, "must be " + want + ", got 0");
  return v;
}

std::string read_dtype(const Reporter& r, int line, const std::string& column,
                       const std::string& s) {
  if (s.empty()) r.fail(line, column, "missing value (expected a data type such as int8)");
  num::IntFormat f;
  if (num::parse_int_format(s, &f)) return s;
  if (std::find(kFloatTypes.begin(), kFloatTypes.end(), s) != kFloatTypes.end()) return s;
  r.fail(line, column,
         "unknown data type '" + s + "' (known: int2..int16, uint2..uint16, " + join(kFloatTypes) +
             ")");
}

}  // namespace

Workload parse_trace(const std::string& text, const std::string& path) {
  const Reporter r(path);
  Workload w;
  w.source = path;

  enum class State { kVersion, kHeader, kRows } state = State::kVersion;
  std::vector<std::string> header;      // column names, in file order
  std::map<std::string, size_t> index;  // column name -> position
  int header_line = 0;
  int name_line = 0;
  std::map<std::string, int> names;  // GEMM name -> line of first use

  size_t pos = 0;
  // A UTF-8 byte-order mark before the version line is tolerated.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;
  int line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string t = trim(line);
    if (t.empty()) continue;

    if (state == State::kVersion) {
      if (t == kVersionLine) {
        state = State::kHeader;
        continue;
      }
      if (t.rfind("# tpesim-trace", 0) == 0)
        r.fail(
            line_no, "",
            "unsupported trace version line '" + t + "' (this build reads '" + kVersionLine + "')");
      r.fail(line_no, "",
             std::string("the first line must be '") + kVersionLine + "', got '" + t + "'");
    }

    if (t[0] == '#') {
      if (t.rfind(kNameTag, 0) == 0) {
        const std::string name = trim(t.substr(std::strlen(kNameTag)));
        if (name.empty()) r.fail(line_no, "name", "empty workload name after '# name:'");
        if (name_line)
          r.fail(line_no, "name",
                 "workload named twice (first on line " + std::to_string(name_line) + ")");
        name_line = line_no;
        w.name = name;
      }
      continue;
    }

    if (state == State::kHeader) {
      header = split_commas(t);
      header_line = line_no;
      for (size_t i = 0; i < header.size(); ++i) {
        const std::string& c = header[i];
        if (c.find('"') != std::string::npos)
          r.fail(line_no, c, "quoted fields are not supported (remove the double quotes)");
        if (c.empty())
          r.fail(line_no, "column " + std::to_string(i + 1),
                 "empty column name in the header (known columns: " + join(kColumns) + ")");
        if (std::find(kColumns.begin(), kColumns.end(), c) == kColumns.end())
          r.fail(line_no, c, "unknown column (known: " + join(kColumns) + ")");
        if (!index.emplace(c, i).second) r.fail(line_no, c, "column appears twice in the header");
      }
      for (size_t i = 0; i < kRequiredColumns; ++i)
        if (!index.count(kColumns[i]))
          r.fail(line_no, kColumns[i],
                 "missing required column (the header needs name, M, N, K; got '" + t + "')");
      state = State::kRows;
      continue;
    }

    // A data row.
    const std::vector<std::string> f = split_commas(t);
    for (size_t i = 0; i < f.size() && i < header.size(); ++i)
      if (f[i].find('"') != std::string::npos)
        r.fail(line_no, header[i], "quoted fields are not supported (remove the double quotes)");
    if (f.size() < header.size())
      r.fail(line_no, header[f.size()],
             "truncated line: " + std::to_string(f.size()) + " fields, the header has " +
                 std::to_string(header.size()));
    if (f.size() > header.size())
      r.fail(line_no, "field " + std::to_string(header.size() + 1),
             "extra field: " + std::to_string(f.size()) + " fields, the header has " +
                 std::to_string(header.size()));
    auto field = [&](const std::string& c) -> const std::string* {
      auto it = index.find(c);
      return it == index.end() ? nullptr : &f[it->second];
    };

    Gemm g;
    g.line = line_no;
    g.name = *field("name");
    if (g.name.empty()) r.fail(line_no, "name", "empty name");
    auto [first, fresh] = names.emplace(g.name, line_no);
    if (!fresh)
      r.fail(
          line_no, "name",
          "duplicate name '" + g.name + "' (first on line " + std::to_string(first->second) + ")");
    g.M = read_uint(r, line_no, "M", *field("M"), kMaxDim, false);
    g.N = read_uint(r, line_no, "N", *field("N"), kMaxDim, false);
    g.K = read_uint(r, line_no, "K", *field("K"), kMaxDim, false);
    if (auto* s = field("count")) g.count = read_uint(r, line_no, "count", *s, kMaxCount, false);
    if (auto* s = field("weight_dtype"))
      g.weight_dtype = read_dtype(r, line_no, "weight_dtype", *s);
    if (auto* s = field("act_dtype")) g.act_dtype = read_dtype(r, line_no, "act_dtype", *s);
    if (auto* s = field("group_size")) {
      g.group_size = read_uint(r, line_no, "group_size", *s, kMaxDim, true);
      if (g.group_size > 0 && g.K % g.group_size != 0)
        r.fail(line_no, "group_size",
               "group size " + std::to_string(g.group_size) + " does not divide K = " +
                   std::to_string(g.K) + " (use a divisor of K, or 0 for per-channel)");
    }
    if (auto* s = field("kind")) {
      if (*s != "static" && *s != "dynamic")
        r.fail(line_no, "kind", "unknown kind '" + *s + "' (valid: static, dynamic)");
      g.kind = *s;
    }
    // M, N <= 2^31 so M*N <= 2^62 fits; each further product is checked before it can wrap.
    unsigned __int128 macs = static_cast<unsigned __int128>(g.M) * g.N * g.K;
    if (macs <= kMaxMacs) macs *= g.count;
    if (macs > kMaxMacs)
      r.fail(line_no, "M*N*K*count",
             "absurd size: M*N*K*count is more than 2^62 multiply-accumulates");
    w.gemms.push_back(std::move(g));
  }

  if (state == State::kVersion)
    r.fail(0, "", std::string("empty trace (the first line must be '") + kVersionLine + "')");
  if (state == State::kHeader)
    r.fail(0, "",
           "no header row (expected a CSV header such as 'name,M,N,K' after the version "
           "line)");
  if (w.gemms.empty())
    r.fail(header_line, "", "no GEMM rows after the header (a trace needs at least one GEMM)");
  if (w.name.empty()) w.name = std::filesystem::path(path).stem().string();
  return w;
}

Workload load_trace(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw TraceError(where(path, 0, "", "cannot open trace file: no such file"));
  if (!std::filesystem::is_regular_file(path, ec))
    throw TraceError(where(path, 0, "", "cannot open trace file: not a regular file"));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw TraceError(
        where(path, 0, "", std::string("cannot open trace file: ") + std::strerror(errno)));
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_trace(buf.str(), path);
}

}  // namespace tpesim
