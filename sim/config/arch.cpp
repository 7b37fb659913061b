// Arch YAML loader ("tpesim-arch v1", docs/config.md): every key typed, range-checked and
// reported as "file:line: key.path: what"; `--set key=value` overrides go through the same
// setters; to_yaml() writes the format back.
#include "sim/config/arch.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/common/error.hpp"

namespace tpesim {

const char* to_string(Dataflow d) {
  switch (d) {
    case Dataflow::kOS:
      return "os";
    case Dataflow::kWS:
      return "ws";
    case Dataflow::kIS:
      return "is";
  }
  return "?";
}

namespace {

/// Engines an arch file may select (the `engine` key). Grows as engines land.
const std::vector<std::string> kEngines = {"systolic", "bitmod", "mixpe"};
/// Keys that only the systolic engine reads, and the BitMoD engine's own keys.
const std::vector<std::string> kSystolicOnly = {"dataflow", "fold_overlap", "weight_preload", "os_k_fold", "pe.weight",
                                                "pe.acc_bits", "pe.overflow"};

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMaxBufferSize = 16 * kKiB * kKiB * kKiB;  // 16 GiB
constexpr uint64_t kMaxBufferWidth = 64 * kKiB;               // 64 KiB per cycle
constexpr double kMaxClockHz = 1e12;                          // 1 THz
constexpr uint64_t kMaxBandwidthMilli = 1000000000;           // 1e6 B/cycle
constexpr uint64_t kMaxLatencyCycles = 1000000000;            // 1e9 cycles
constexpr int kMinRowsCols = 1, kMaxRowsCols = 256;
constexpr int kMinAccBits = 8, kMaxAccBits = 64;

/// Where a value came from: a file line, or a `--set` override.
struct Loc {
  std::string file;       ///< path of the arch file (unused for overrides)
  int line = 0;           ///< 1-based line in `file`; 0 = unknown
  std::string key;        ///< dotted key path
  bool from_set = false;  ///< true for `--set key=value`

  /// "file:line: key: message" or "--set key: message".
  std::string format(const std::string& message) const {
    if (from_set) return "--set " + key + ": " + message;
    return where(file, line, key, message);
  }
};

[[noreturn]] void fail(const Loc& at, const std::string& message) {
  throw ConfigError(at.format(message));
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

/// Shortest decimal text that parses back to exactly `v`.
std::string shortest(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// ---- scalar readers: each takes the YAML value and the location of its key ----------------

/// The value's text; rejects null, sequences and mappings with a type message.
std::string scalar_text(const YAML::Node& n, const Loc& at, const char* expected) {
  if (!n || n.IsNull())
    fail(at,
         std::string("no value (expected ") + expected + "; remove the key to keep the default)");
  if (n.IsSequence()) fail(at, std::string("expected ") + expected + ", got a list");
  if (n.IsMap()) fail(at, std::string("expected ") + expected + ", got a mapping");
  return n.Scalar();
}

/// Splits "12.5GHz" / "12.5 GHz" into number text "12.5" and unit "GHz". The number is
/// an optional '-', digits, and an optional '.' followed by digits.
void split_quantity(const std::string& s, std::string* num, std::string* unit) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  }
  *num = s.substr(0, i);
  size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  *unit = s.substr(j);
}

bool is_integer_text(const std::string& s) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

/// Parses an integer text already checked with is_integer_text; false on overflow.
bool to_int64(const std::string& s, int64_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool to_double(const std::string& s, double* out) {
  if (s.empty() || s == "-" || s.back() == '.') return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

int64_t read_int(const YAML::Node& n, const Loc& at, int64_t lo, int64_t hi) {
  const std::string s = scalar_text(n, at, "an integer");
  int64_t v = 0;
  if (!is_integer_text(s)) fail(at, "expected an integer, got '" + s + "'");
  if (!to_int64(s, &v) || v < lo || v > hi)
    fail(at, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + s);
  return v;
}

bool read_bool(const YAML::Node& n, const Loc& at) {
  const std::string s = scalar_text(n, at, "true or false");
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  fail(at, "expected true or false, got '" + s + "'");
}

std::string read_string(const YAML::Node& n, const Loc& at) {
  const std::string s = scalar_text(n, at, "a string");
  if (s.empty()) fail(at, "must not be empty");
  return s;
}

std::string read_choice(const YAML::Node& n, const Loc& at, const std::vector<std::string>& valid,
                        const char* what) {
  const std::string s = scalar_text(n, at, "a string");
  if (std::find(valid.begin(), valid.end(), s) == valid.end())
    fail(at, std::string("unknown ") + what + " '" + s + "' (valid: " + join(valid) + ")");
  return s;
}

num::IntFormat read_int_format(const YAML::Node& n, const Loc& at) {
  const std::string s = scalar_text(n, at, "an integer format");
  num::IntFormat f;
  if (!num::parse_int_format(s, &f))
    fail(at, "unknown number format '" + s + "' (valid: int2..int16, uint2..uint16, fp16)");
  return f;
}

/// A byte count: "256KiB", "4 MiB", "64B", "1MB" or a plain integer (bytes).
uint64_t read_bytes(const YAML::Node& n, const Loc& at, uint64_t hi) {
  const std::string s = scalar_text(n, at, "a size such as 256KiB");
  std::string num, unit;
  split_quantity(s, &num, &unit);
  static const std::vector<std::pair<std::string, uint64_t>> kUnits = {{"", 1},
                                                                       {"B", 1},
                                                                       {"KiB", kKiB},
                                                                       {"MiB", kKiB * kKiB},
                                                                       {"GiB", kKiB * kKiB * kKiB},
                                                                       {"kB", 1000},
                                                                       {"KB", 1000},
                                                                       {"MB", 1000000},
                                                                       {"GB", 1000000000}};
  const char* kValid = "B, KiB, MiB, GiB, KB, MB, GB; no unit = bytes";
  if (num.empty() || num == "-") fail(at, "expected a size such as 256KiB, got '" + s + "'");
  if (!is_integer_text(num))
    fail(at, "size must be a whole number with a unit, e.g. 256KiB, got '" + s + "'");
  auto u = std::find_if(kUnits.begin(), kUnits.end(), [&](auto& p) { return p.first == unit; });
  if (u == kUnits.end())
    fail(at, "unknown size unit '" + unit + "' in '" + s + "' (valid: " + kValid + ")");
  int64_t v = 0;
  const std::string range = "must be 1B.." + std::to_string(hi) + "B, got '" + s + "'";
  if (!to_int64(num, &v) || v <= 0) fail(at, range);
  if (static_cast<uint64_t>(v) > hi / u->second) fail(at, range);
  return static_cast<uint64_t>(v) * u->second;
}

/// A frequency: "1GHz", "800 MHz", "1.5GHz". A unit is required.
double read_clock(const YAML::Node& n, const Loc& at) {
  const std::string s = scalar_text(n, at, "a frequency such as 1GHz");
  std::string num, unit;
  split_quantity(s, &num, &unit);
  static const std::vector<std::pair<std::string, double>> kUnits = {
      {"Hz", 1.0}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}};
  double v = 0;
  if (!to_double(num, &v)) fail(at, "expected a frequency such as 1GHz, got '" + s + "'");
  if (unit.empty()) fail(at, "missing unit in '" + s + "' (valid: Hz, kHz, MHz, GHz)");
  auto u = std::find_if(kUnits.begin(), kUnits.end(), [&](auto& p) { return p.first == unit; });
  if (u == kUnits.end())
    fail(at, "unknown frequency unit '" + unit + "' in '" + s + "' (valid: Hz, kHz, MHz, GHz)");
  const double hz = v * u->second;
  if (!(hz > 0) || hz > kMaxClockHz) fail(at, "must be > 0 and at most 1000GHz, got '" + s + "'");
  return hz;
}

/// DRAM bandwidth as written: per cycle (exact, in millibytes) or per second (converted
/// with the final clock once every key and override is known).
struct BandwidthValue {
  bool per_second = false;
  double bytes_per_second = 0;  ///< if per_second
  double bytes_per_cycle = 0;   ///< otherwise
  std::string text;             ///< as written, for messages
  Loc at;
};

BandwidthValue read_bandwidth(const YAML::Node& n, const Loc& at) {
  const std::string s = scalar_text(n, at, "a bandwidth such as 32B/cycle or 25.6GB/s");
  std::string num, unit;
  split_quantity(s, &num, &unit);
  static const std::vector<std::pair<std::string, double>> kPerSecond = {
      {"B/s", 1.0}, {"kB/s", 1e3}, {"KB/s", 1e3}, {"MB/s", 1e6}, {"GB/s", 1e9}, {"TB/s", 1e12}};
  const char* kValid = "B/cycle, B/s, KB/s, MB/s, GB/s, TB/s";
  BandwidthValue b;
  b.text = s;
  b.at = at;
  double v = 0;
  if (!to_double(num, &v))
    fail(at, "expected a bandwidth such as 32B/cycle or 25.6GB/s, got '" + s + "'");
  if (unit.empty()) fail(at, "missing unit in '" + s + "' (valid: " + kValid + ")");
  if (v < 0) fail(at, "must be at least 0.001B/cycle, got '" + s + "'");
  if (unit == "B/cycle") {
    b.bytes_per_cycle = v;
    return b;
  }
  auto u =
      std::find_if(kPerSecond.begin(), kPerSecond.end(), [&](auto& p) { return p.first == unit; });
  if (u == kPerSecond.end())
    fail(at, "unknown bandwidth unit '" + unit + "' in '" + s + "' (valid: " + kValid + ")");
  b.per_second = true;
  b.bytes_per_second = v * u->second;
  return b;
}

/// DRAM latency as written: cycles (plain integer or "N cycles") or a time (ns, us).
struct LatencyValue {
  bool is_time = false;
  uint64_t cycles = 0;    ///< if !is_time
  double value = 0;       ///< if is_time: number in `per_second` units
  double per_second = 1;  ///< 1e9 for ns, 1e6 for us
  std::string text;
  Loc at;
};

LatencyValue read_latency(const YAML::Node& n, const Loc& at) {
  const std::string s = scalar_text(n, at, "a latency such as 100 or 80ns");
  std::string num, unit;
  split_quantity(s, &num, &unit);
  LatencyValue l;
  l.text = s;
  l.at = at;
  const char* kValid = "cycles (plain integer or 'cycles'), ns, us";
  if (num.empty() || num == "-")
    fail(at, "expected a latency such as 100 or 80ns, got '" + s + "'");
  if (unit.empty() || unit == "cycles" || unit == "cycle") {
    if (!is_integer_text(num))
      fail(at, "a latency in cycles must be a whole number, got '" + s + "'");
    int64_t v = 0;
    if (!to_int64(num, &v) || v < 0 || static_cast<uint64_t>(v) > kMaxLatencyCycles)
      fail(at, "must be 0.." + std::to_string(kMaxLatencyCycles) + " cycles, got '" + s + "'");
    l.cycles = static_cast<uint64_t>(v);
    return l;
  }
  if (unit == "ns") {
    l.per_second = 1e9;
  } else if (unit == "us") {
    l.per_second = 1e6;
  } else {
    fail(at, "unknown latency unit '" + unit + "' in '" + s + "' (valid: " + kValid + ")");
  }
  if (!to_double(num, &l.value)) fail(at, "expected a latency such as 80ns, got '" + s + "'");
  if (l.value < 0) fail(at, "must not be negative, got '" + s + "'");
  l.is_time = true;
  return l;
}

// ---- the schema ----------------------------------------------------------------------------

/// Everything a load accumulates before the final cross-key checks.
struct Builder {
  ArchSpec spec;
  BandwidthValue bandwidth;  ///< set if the file or an override gave one
  bool bandwidth_set = false;
  LatencyValue latency;  ///< set if the file or an override gave one
  bool latency_set = false;
  std::map<std::string, Loc> origin;  ///< leaf key path -> where it was last set
  std::string file;                   ///< for whole-file messages
};

using Setter = void (*)(Builder&, const YAML::Node&, const Loc&);

struct LeafKey {
  const char* path;  ///< dotted path, e.g. "pe.acc_bits"
  Setter set;
};

/// The buffer a "buffers.<name>.<key>" path refers to.
BufferSpec& buffer_of(Builder& b, const Loc& at) {
  if (at.key.rfind("buffers.ifmap.", 0) == 0) return b.spec.ifmap;
  if (at.key.rfind("buffers.filter.", 0) == 0) return b.spec.filter;
  return b.spec.ofmap;
}

// One setter per leaf key: read and validate the value, store it in the builder.
void set_name(Builder& b, const YAML::Node& n, const Loc& at) { b.spec.name = read_string(n, at); }
void set_engine(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.engine = read_choice(n, at, kEngines, "engine");
}
void set_rows(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.rows = static_cast<int>(read_int(n, at, kMinRowsCols, kMaxRowsCols));
}
void set_cols(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.cols = static_cast<int>(read_int(n, at, kMinRowsCols, kMaxRowsCols));
}
void set_dataflow(Builder& b, const YAML::Node& n, const Loc& at) {
  const std::string d = read_choice(n, at, {"os", "ws", "is"}, "dataflow");
  b.spec.dataflow = d == "os" ? Dataflow::kOS : d == "ws" ? Dataflow::kWS : Dataflow::kIS;
}
void set_fold_overlap(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.fold_overlap = read_bool(n, at);
}
void set_weight_preload(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.weight_preload = read_bool(n, at);
}
void set_os_k_fold(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.os_k_fold = read_int(n, at, 0, int64_t{1} << 31);
}
void set_clock(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.clock_hz = read_clock(n, at);
}
// "fp16" selects the FP16 x FP16 MAC PE (FP32 accumulator); anything else an integer format.
bool is_fp16(const YAML::Node& n) { return n.IsScalar() && n.Scalar() == "fp16"; }
void set_act(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.act_fp16 = is_fp16(n);
  b.spec.act = b.spec.act_fp16 ? num::IntFormat{16, true} : read_int_format(n, at);
}
void set_weight(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.weight_fp16 = is_fp16(n);
  b.spec.weight = b.spec.weight_fp16 ? num::IntFormat{16, true} : read_int_format(n, at);
}
void set_acc_bits(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.acc.bits = static_cast<int>(read_int(n, at, kMinAccBits, kMaxAccBits));
}
void set_overflow(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.acc.overflow = read_choice(n, at, {"wrap", "saturate"}, "overflow rule") == "wrap"
                            ? num::Overflow::kWrap
                            : num::Overflow::kSaturate;
}
void set_tile_rows(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.bitmod.tile_rows = static_cast<int>(read_int(n, at, 1, kMaxRowsCols));
}
void set_tile_cols(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.bitmod.tile_cols = static_cast<int>(read_int(n, at, 1, kMaxRowsCols));
}
void set_lanes(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.bitmod.lanes = static_cast<int>(read_int(n, at, 1, 8));
}
void set_guard_bits(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.bitmod.guard_bits = static_cast<int>(read_int(n, at, 0, 40));
}
void set_acc_exp_bits(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.bitmod.acc_exp_bits = static_cast<int>(read_int(n, at, 2, 11));
}
void set_acc_man_bits(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.bitmod.acc_man_bits = static_cast<int>(read_int(n, at, 3, 41));
}
void set_scale_bits(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.bitmod.scale_bits = static_cast<int>(read_int(n, at, 1, 8));
}
void set_mixpe_variant(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.mixpe.variant = read_choice(n, at, {"w4a8", "w4a16", "fp16xint8"}, "MixPE variant");
}
void set_mixpe_weight_bits(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.mixpe.weight_bits = static_cast<int>(read_int(n, at, 2, 8));
}
void set_buffer_size(Builder& b, const YAML::Node& n, const Loc& at) {
  buffer_of(b, at).size_bytes = read_bytes(n, at, kMaxBufferSize);
}
void set_buffer_width(Builder& b, const YAML::Node& n, const Loc& at) {
  buffer_of(b, at).width_bytes = read_bytes(n, at, kMaxBufferWidth);
}
void set_double_buffered(Builder& b, const YAML::Node& n, const Loc& at) {
  buffer_of(b, at).double_buffered = read_bool(n, at);
}
void set_tech(Builder& b, const YAML::Node& n, const Loc& at) { b.spec.tech = read_string(n, at); }
void set_dram_type(Builder& b, const YAML::Node& n, const Loc& at) {
  b.spec.dram.type = read_string(n, at);
}
void set_bandwidth(Builder& b, const YAML::Node& n, const Loc& at) {
  b.bandwidth = read_bandwidth(n, at);
  b.bandwidth_set = true;
}
void set_latency(Builder& b, const YAML::Node& n, const Loc& at) {
  b.latency = read_latency(n, at);
  b.latency_set = true;
}

/// Every leaf key, in the order to_yaml() writes them. Sections are the path prefixes.
const std::vector<LeafKey>& leaf_keys() {
  static const std::vector<LeafKey> keys = {
      {"name", set_name},
      {"engine", set_engine},
      {"rows", set_rows},
      {"cols", set_cols},
      {"dataflow", set_dataflow},
      {"fold_overlap", set_fold_overlap},
      {"weight_preload", set_weight_preload},
      {"os_k_fold", set_os_k_fold},
      {"clock", set_clock},
      {"pe.act", set_act},
      {"pe.weight", set_weight},
      {"pe.acc_bits", set_acc_bits},
      {"pe.overflow", set_overflow},
      {"bitmod.tile_rows", set_tile_rows},
      {"bitmod.tile_cols", set_tile_cols},
      {"bitmod.lanes", set_lanes},
      {"bitmod.guard_bits", set_guard_bits},
      {"bitmod.acc_exp_bits", set_acc_exp_bits},
      {"bitmod.acc_man_bits", set_acc_man_bits},
      {"bitmod.scale_bits", set_scale_bits},
      {"mixpe.variant", set_mixpe_variant},
      {"mixpe.weight_bits", set_mixpe_weight_bits},
      {"buffers.ifmap.size", set_buffer_size},
      {"buffers.ifmap.width", set_buffer_width},
      {"buffers.ifmap.double_buffered", set_double_buffered},
      {"buffers.filter.size", set_buffer_size},
      {"buffers.filter.width", set_buffer_width},
      {"buffers.filter.double_buffered", set_double_buffered},
      {"buffers.ofmap.size", set_buffer_size},
      {"buffers.ofmap.width", set_buffer_width},
      {"buffers.ofmap.double_buffered", set_double_buffered},
      {"dram.type", set_dram_type},
      {"dram.bandwidth", set_bandwidth},
      {"dram.latency", set_latency},
      {"tech", set_tech},
  };
  return keys;
}

/// The setter of a leaf key, or nullptr if `path` is not one.
Setter find_setter(const std::string& path) {
  for (const LeafKey& k : leaf_keys())
    if (path == k.path) return k.set;
  return nullptr;
}

/// True if `path` is a section (a proper prefix of some leaf key); "" is the top level.
bool is_section(const std::string& path) {
  if (path.empty()) return true;
  for (const LeafKey& k : leaf_keys()) {
    const std::string p = k.path;
    if (p.size() > path.size() && p.compare(0, path.size(), path) == 0 && p[path.size()] == '.')
      return true;
  }
  return false;
}

/// Names directly under a section, in schema order ("act", "weight", ... for "pe").
std::vector<std::string> children(const std::string& section) {
  std::vector<std::string> out;
  const std::string prefix = section.empty() ? "" : section + ".";
  for (const LeafKey& k : leaf_keys()) {
    const std::string p = k.path;
    if (p.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = p.substr(prefix.size());
    const std::string child = rest.substr(0, rest.find('.'));
    if (std::find(out.begin(), out.end(), child) == out.end()) out.push_back(child);
  }
  return out;
}

const char* node_kind(const YAML::Node& n) {
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return "a scalar";
  return "something else";
}

/// Reads one mapping (the top level or a section) of the file into the builder.
void walk(Builder& b, const YAML::Node& map, const std::string& section) {
  std::map<std::string, int> seen;  // key -> 1-based line of its first occurrence
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;  // copies: `it->` returns a temporary proxy
    const YAML::Node value = it->second;
    Loc at{b.file, key.Mark().line + 1, section, false};
    if (!key.IsScalar()) fail(at, "keys must be plain names, got " + std::string(node_kind(key)));
    const std::string name = key.Scalar();
    at.key = section.empty() ? name : section + "." + name;
    if (name.find('.') != std::string::npos)
      fail(at, "unknown key (dotted paths are for --set; in a file, nest the keys)");
    auto [first, fresh] = seen.emplace(name, at.line);
    if (!fresh) fail(at, "duplicate key (first set on line " + std::to_string(first->second) + ")");
    if (is_section(at.key)) {
      if (value.IsNull()) continue;  // an empty section keeps its defaults
      if (!value.IsMap())
        fail(at, std::string("expected a mapping of keys (") + join(children(at.key)) + "), got " +
                     node_kind(value));
      walk(b, value, at.key);
    } else if (Setter set = find_setter(at.key)) {
      set(b, value, at);
      b.origin[at.key] = at;
    } else {
      fail(at, "unknown key (known: " + join(children(section)) + ")");
    }
  }
}

/// Applies one `--set key=value`, validating the value as the file would.
void apply_override(Builder& b, const Override& o) {
  Loc at{"", 0, o.key, true};
  if (is_section(o.key)) {
    std::vector<std::string> keys;
    for (const std::string& c : children(o.key)) keys.push_back(o.key + "." + c);
    fail(at, "is a section; set one of its keys (" + join(keys) + ")");
  }
  Setter set = find_setter(o.key);
  if (!set) {
    // List the keys of the deepest section the path starts with, as full dotted paths.
    std::string section = o.key;
    do {
      const size_t dot = section.rfind('.');
      section = dot == std::string::npos ? "" : section.substr(0, dot);
    } while (!is_section(section));
    std::vector<std::string> keys;
    for (const std::string& c : children(section))
      keys.push_back(section.empty() ? c : section + "." + c);
    fail(at, "unknown key (known: " + join(keys) + ")");
  }
  YAML::Node value;
  try {
    value = YAML::Load(o.value);
  } catch (const YAML::Exception& e) {
    fail(at, "cannot read value '" + o.value + "' as YAML: " + e.msg);
  }
  set(b, value, at);
  b.origin[o.key] = at;
}

/// Where a cross-key message should point: the first of `keys` that was set, else the file.
Loc origin_of(const Builder& b, const std::vector<std::string>& keys) {
  for (const std::string& k : keys) {
    auto it = b.origin.find(k);
    if (it != b.origin.end()) return it->second;
  }
  return Loc{b.file, 0, keys.front(), false};
}

std::string format_clock(double hz);

/// Converts time-based DRAM values with the final clock and checks rules spanning keys.
void finish(Builder& b) {
  ArchSpec& a = b.spec;
  if (b.bandwidth_set) {
    const BandwidthValue& bw = b.bandwidth;
    const double per_cycle = bw.per_second ? bw.bytes_per_second / a.clock_hz : bw.bytes_per_cycle;
    const double milli = per_cycle * 1000.0;
    if (milli < 1.0 - 1e-9)
      fail(bw.at, "'" + bw.text + "' is " + shortest(per_cycle) + " B/cycle at " +
                      format_clock(a.clock_hz) + "; must be at least 0.001B/cycle");
    if (milli > static_cast<double>(kMaxBandwidthMilli) + 0.5)
      fail(bw.at, "'" + bw.text + "' is " + shortest(per_cycle) +
                      " B/cycle; must be at most 1000000B/cycle");
    a.dram.bandwidth_millibytes_per_cycle = static_cast<uint64_t>(std::llround(milli));
  }
  if (b.latency_set) {
    const LatencyValue& l = b.latency;
    if (l.is_time) {
      const double x = l.value * a.clock_hz / l.per_second;
      const double r = std::round(x);
      const double cycles = std::fabs(x - r) <= 1e-9 * std::max(1.0, x) ? r : std::ceil(x);
      if (cycles > static_cast<double>(kMaxLatencyCycles))
        fail(l.at, "'" + l.text + "' is more than " + std::to_string(kMaxLatencyCycles) +
                       " cycles at " + format_clock(a.clock_hz));
      a.dram.latency_cycles = static_cast<uint64_t>(cycles);
    } else {
      a.dram.latency_cycles = l.cycles;
    }
  }

  if (a.is_bitmod()) {
    for (const auto& [k, at] : b.origin)
      if (k.rfind("mixpe.", 0) == 0) fail(at, "only for engine mixpe");
    for (const std::string& k : kSystolicOnly)
      if (b.origin.count(k))
        fail(b.origin.at(k), "only for engine systolic (engine bitmod is output-stationary inside its "
                             "tiles and takes its weight format from the trace)");
    if (!a.act_fp16)
      fail(origin_of(b, {"pe.act", "engine"}), "engine bitmod multiplies FP16 activations: set pe.act: fp16");
    if (a.rows % a.bitmod.tile_rows != 0)
      fail(origin_of(b, {"bitmod.tile_rows", "rows"}),
           "rows (" + std::to_string(a.rows) + ") must be a multiple of bitmod.tile_rows (" +
               std::to_string(a.bitmod.tile_rows) + ")");
    if (a.cols % a.bitmod.tile_cols != 0)
      fail(origin_of(b, {"bitmod.tile_cols", "cols"}),
           "cols (" + std::to_string(a.cols) + ") must be a multiple of bitmod.tile_cols (" +
               std::to_string(a.bitmod.tile_cols) + ")");
    a.dataflow = Dataflow::kOS;
    a.weight_fp16 = false;
  } else if (a.is_mixpe()) {
    for (const auto& [k, at] : b.origin) {
      if (k.rfind("bitmod.", 0) == 0) fail(at, "only for engine bitmod");
      if (k == "dataflow" || k == "weight_preload" || k == "os_k_fold" || k.rfind("pe.", 0) == 0)
        fail(at, "not for engine mixpe (an output-stationary array whose PE formats and k-folds follow "
                 "mixpe.variant, mixpe.weight_bits and the trace's groups)");
    }
    const MixpeSpec& m = a.mixpe;
    a.dataflow = Dataflow::kOS;
    a.act_fp16 = m.variant != "w4a8";
    a.weight_fp16 = false;
    a.act = a.act_fp16 ? num::IntFormat{16, true} : num::IntFormat{8, true};
    a.weight = num::IntFormat{m.weight_bits, true};
    a.acc = num::AccFormat{32, num::Overflow::kWrap};
  } else {
    for (const auto& [k, at] : b.origin) {
      if (k.rfind("bitmod.", 0) == 0) fail(at, "only for engine bitmod");
      if (k.rfind("mixpe.", 0) == 0) fail(at, "only for engine mixpe");
    }
    if (a.os_k_fold != 0 && a.dataflow != Dataflow::kOS)
      fail(origin_of(b, {"os_k_fold", "dataflow"}), "splits output-stationary folds: set dataflow: os, or remove it");
  }
  if (!a.is_bitmod() && a.weight_fp16 && !a.act_fp16)
    fail(origin_of(b, {"pe.act", "pe.weight"}),
         "fp16 weights need fp16 activations (the FP16 PE): set pe.act to fp16 too");
  if (!a.is_bitmod() && a.fp16_int() && a.dataflow == Dataflow::kIS)
    fail(origin_of(b, {"dataflow", "pe.weight"}),
         "the FP16 x INT PE takes activations from the left edge: dataflow os or ws (is streams the weights there)");
  if (!a.is_bitmod() && a.fp16_int() && a.weight.bits > 8)
    fail(origin_of(b, {"pe.weight", "pe.act"}),
         "the FP16 x INT PE takes integer weights of at most 8 bits, got " + a.weight.name());
  if (!a.is_bitmod() && a.fp_pe() && a.acc.bits != 32)
    fail(origin_of(b, {"pe.acc_bits"}), "an fp16 PE accumulates in FP32: pe.acc_bits must be 32");
  const int need = std::max(a.act.bits, a.weight.bits) + 1;
  if (!a.is_bitmod() && !a.fp_pe() && a.acc.bits < need)
    fail(origin_of(b, {"pe.acc_bits", "pe.act", "pe.weight"}),
         std::to_string(a.acc.bits) + " bits are too narrow for " +
             (a.act.bits >= a.weight.bits ? a.act.name() : a.weight.name()) +
             " operands; pe.acc_bits must be at least " + std::to_string(need) +
             " (the wider of pe.act and pe.weight, plus 1)");

  const std::pair<const char*, const BufferSpec*> buffers[] = {
      {"ifmap", &a.ifmap}, {"filter", &a.filter}, {"ofmap", &a.ofmap}};
  for (const auto& [name, buf] : buffers) {
    const std::string p = std::string("buffers.") + name;
    const Loc at = origin_of(b, {p + ".size", p + ".width", p + ".double_buffered"});
    const std::string sz = std::to_string(buf->size_bytes) + "B";
    const std::string wd = std::to_string(buf->width_bytes) + "B";
    if (buf->width_bytes > buf->size_bytes) fail(at, "width " + wd + " is larger than size " + sz);
    if (buf->double_buffered && buf->size_bytes < 2 * buf->width_bytes)
      fail(at, "a double-buffered buffer needs room for one row of width " + wd +
                   " in each half, but size is " + sz);
  }
}

/// Checks an optional "# tpesim-arch vN" first line: if present it must say v1.
void check_version_line(const std::string& text, const std::string& file) {
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    if (line.empty()) continue;
    const std::string tag = "# tpesim-arch";
    if (line.compare(0, tag.size(), tag) == 0 && line != "# tpesim-arch v1")
      throw ConfigError(
          where(file, n, "",
                "unsupported format line '" + line + "' (this build reads '# tpesim-arch v1')"));
    return;
  }
}

/// "1GHz", "800MHz", "1.5GHz": the largest unit in which the value prints exactly.
std::string format_clock(double hz) {
  const std::pair<const char*, double> units[] = {{"GHz", 1e9}, {"MHz", 1e6}, {"kHz", 1e3}};
  for (const auto& [name, scale] : units) {
    const double v = hz / scale;
    if (v >= 1 && v * scale == hz) return shortest(v) + name;
  }
  return shortest(hz) + "Hz";
}

/// "64B", "256KiB", "4MiB": the largest binary unit that divides the size.
std::string format_bytes(uint64_t b) {
  const std::pair<const char*, uint64_t> units[] = {
      {"GiB", kKiB * kKiB * kKiB}, {"MiB", kKiB * kKiB}, {"KiB", kKiB}};
  for (const auto& [name, scale] : units)
    if (b >= scale && b % scale == 0) return std::to_string(b / scale) + name;
  return std::to_string(b) + "B";
}

std::string quoted(const std::string& s) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << s;
  return e.c_str();
}

}  // namespace

Override parse_override(const std::string& s) {
  const size_t eq = s.find('=');
  if (eq == std::string::npos)
    throw ConfigError("--set " + s + ": expected key=value (e.g. --set rows=32)");
  Override o{s.substr(0, eq), s.substr(eq + 1)};
  auto trim = [](std::string& t) {
    const size_t b = t.find_first_not_of(" \t");
    const size_t e = t.find_last_not_of(" \t");
    t = b == std::string::npos ? "" : t.substr(b, e - b + 1);
  };
  trim(o.key);
  trim(o.value);
  if (o.key.empty()) throw ConfigError("--set " + s + ": empty key (expected key=value)");
  return o;
}

ArchSpec load_arch(const std::string& path, const std::vector<Override>& overrides) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw ConfigError(where(path, 0, "", "cannot open arch file: no such file"));
  if (!std::filesystem::is_regular_file(path, ec))
    throw ConfigError(where(path, 0, "", "cannot open arch file: not a regular file"));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(
        where(path, 0, "", std::string("cannot open arch file: ") + std::strerror(errno)));
  std::ostringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();

  check_version_line(text, path);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where(path, e.mark.line + 1, "", "YAML syntax error: " + e.msg));
  } catch (const YAML::Exception& e) {
    throw ConfigError(where(path, 0, "", "YAML error: " + e.msg));
  }
  if (docs.empty() || docs[0].IsNull())
    throw ConfigError(where(path, 0, "",
                            "empty arch file (expected a mapping of keys such as rows, cols, "
                            "dataflow; see docs/config.md)"));
  if (docs.size() > 1)
    throw ConfigError(where(path, 0, "", "more than one YAML document; an arch file holds one"));
  const YAML::Node& root = docs[0];
  if (!root.IsMap())
    throw ConfigError(
        where(path, root.Mark().line + 1, "",
              std::string("the top level must be a mapping of keys, got ") + node_kind(root)));
  Builder b;
  b.file = path;
  b.spec.source = path;
  walk(b, root, "");
  for (const Override& o : overrides) apply_override(b, o);
  finish(b);
  return b.spec;
}

ArchSpec default_arch(const std::vector<Override>& overrides) {
  Builder b;
  b.file = "<built-in>";
  for (const Override& o : overrides) apply_override(b, o);
  finish(b);
  return b.spec;
}

std::string to_yaml(const ArchSpec& a) {
  auto buffer = [](const BufferSpec& s) {
    return "{size: " + format_bytes(s.size_bytes) + ", width: " + format_bytes(s.width_bytes) +
           ", double_buffered: " + (s.double_buffered ? "true" : "false") + "}";
  };
  const uint64_t bw = a.dram.bandwidth_millibytes_per_cycle;
  std::string bandwidth = std::to_string(bw / 1000);
  if (bw % 1000 != 0) {
    std::string frac = std::to_string(1000 + bw % 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    bandwidth += "." + frac;
  }
  // Buffers and DRAM, the same for every engine.
  const std::string memory = "buffers:\n  ifmap: " + buffer(a.ifmap) + "\n  filter: " + buffer(a.filter) +
                             "\n  ofmap: " + buffer(a.ofmap) + "\ndram:\n  type: " + quoted(a.dram.type) +
                             "\n  bandwidth: " + bandwidth + "B/cycle\n  latency: " +
                             std::to_string(a.dram.latency_cycles) + "\ntech: " + quoted(a.tech) + "\n";
  std::ostringstream o;
  if (a.is_mixpe()) {
    o << "# tpesim-arch v1\n"
      << "name: " << quoted(a.name) << "\n"
      << "engine: " << quoted(a.engine) << "\n"
      << "rows: " << a.rows << "\n"
      << "cols: " << a.cols << "\n"
      << "fold_overlap: " << (a.fold_overlap ? "true" : "false") << "\n"
      << "clock: " << format_clock(a.clock_hz) << "\n"
      << "mixpe:\n"
      << "  variant: " << a.mixpe.variant << "\n"
      << "  weight_bits: " << a.mixpe.weight_bits << "\n"
      << memory;
    return o.str();
  }
  if (a.is_bitmod()) {
    const BitmodSpec& m = a.bitmod;
    o << "# tpesim-arch v1\n"
      << "name: " << quoted(a.name) << "\n"
      << "engine: " << quoted(a.engine) << "\n"
      << "rows: " << a.rows << "\n"
      << "cols: " << a.cols << "\n"
      << "clock: " << format_clock(a.clock_hz) << "\n"
      << "pe:\n"
      << "  act: fp16\n"
      << "bitmod:\n"
      << "  tile_rows: " << m.tile_rows << "\n"
      << "  tile_cols: " << m.tile_cols << "\n"
      << "  lanes: " << m.lanes << "\n"
      << "  guard_bits: " << m.guard_bits << "\n"
      << "  acc_exp_bits: " << m.acc_exp_bits << "\n"
      << "  acc_man_bits: " << m.acc_man_bits << "\n"
      << "  scale_bits: " << m.scale_bits << "\n"
      << memory;
    return o.str();
  }
  o << "# tpesim-arch v1\n"
    << "name: " << quoted(a.name) << "\n"
    << "engine: " << quoted(a.engine) << "\n"
    << "rows: " << a.rows << "\n"
    << "cols: " << a.cols << "\n"
    << "dataflow: " << to_string(a.dataflow) << "\n"
    << "fold_overlap: " << (a.fold_overlap ? "true" : "false") << "\n"
    << "weight_preload: " << (a.weight_preload ? "true" : "false") << "\n"
    << (a.os_k_fold ? "os_k_fold: " + std::to_string(a.os_k_fold) + "\n" : std::string())
    << "clock: " << format_clock(a.clock_hz) << "\n"
    << "pe:\n"
    << "  act: " << (a.act_fp16 ? std::string("fp16") : a.act.name()) << "\n"
    << "  weight: " << (a.weight_fp16 ? std::string("fp16") : a.weight.name()) << "\n"
    << "  acc_bits: " << a.acc.bits << "\n"
    << "  overflow: " << (a.acc.overflow == num::Overflow::kWrap ? "wrap" : "saturate") << "\n"
    << memory;
  return o.str();
}

}  // namespace tpesim
