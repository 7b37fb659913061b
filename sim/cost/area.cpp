#include "sim/cost/area.hpp"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/engine/mapper.hpp"
#include "sim/engine/mixpe_run.hpp"
#include "tpesim_area_rtl.hpp"

namespace tpesim::cost {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4)
// ---------------------------------------------------------------------------------------

namespace {

uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// The standard's constants: the first 32 bits of the fractional parts of the square roots
// (initial hash value) and cube roots (round constants) of the first primes. Computed in long
// double (64-bit mantissa: the 32 bits after the point are exact for these roots); the test
// vectors of tests/unit/test_area.cpp check every one of them.
struct Sha256Consts {
  std::array<uint32_t, 8> h0{};
  std::array<uint32_t, 64> k{};
  Sha256Consts() {
    int found = 0;
    for (int p = 2; found < 64; ++p) {
      bool prime = true;
      for (int d = 2; d * d <= p; ++d) prime = prime && p % d != 0;
      if (!prime) continue;
      const long double c = std::cbrt(static_cast<long double>(p));
      k[static_cast<size_t>(found)] = static_cast<uint32_t>(std::floor((c - std::floor(c)) * 4294967296.0L));
      if (found < 8) {
        const long double s = std::sqrt(static_cast<long double>(p));
        h0[static_cast<size_t>(found)] = static_cast<uint32_t>(std::floor((s - std::floor(s)) * 4294967296.0L));
      }
      ++found;
    }
  }
};

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw CostError(path + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::string sha256_hex(const std::string& bytes) {
  static const Sha256Consts C;
  std::array<uint32_t, 8> h = C.h0;
  std::string m = bytes;
  const uint64_t bits = static_cast<uint64_t>(bytes.size()) * 8;
  m.push_back(static_cast<char>(0x80));
  while (m.size() % 64 != 56) m.push_back('\0');
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  std::array<uint32_t, 64> w{};
  for (size_t off = 0; off < m.size(); off += 64) {
    for (size_t t = 0; t < 16; ++t) {
      w[t] = 0;
      for (size_t b = 0; b < 4; ++b) w[t] = (w[t] << 8) | static_cast<unsigned char>(m[off + 4 * t + b]);
    }
    for (size_t t = 16; t < 64; ++t) {
      const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (size_t t = 0; t < 64; ++t) {
      const uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + C.k[t] + w[t];
      const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  std::string out;
  for (uint32_t v : h) out += fmt::format("{:08x}", v);
  return out;
}

std::string sha256_file(const std::string& path) { return sha256_hex(read_text(path)); }

// ---------------------------------------------------------------------------------------
// Hashes and file sets
// ---------------------------------------------------------------------------------------

namespace {

std::string source_root_or(const std::string& root) { return root.empty() ? std::string(TPESIM_SOURCE_DIR) : root; }

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream is(s);
  std::vector<std::string> out;
  for (std::string w; is >> w;) out.push_back(w);
  return out;
}

}  // namespace

const AreaHashes& built_in_hashes() {
  static const AreaHashes h = [] {
    AreaHashes r;
    for (const auto& s : generated::kAreaRtlSets) r.rtl[s.name] = s.sha256;
    r.liberty_sha256 = generated::kAreaLibertySha256;
    r.liberty = generated::kAreaLiberty;
    return r;
  }();
  return h;
}

std::vector<std::string> rtl_set_files(const std::string& set) {
  for (const auto& s : generated::kAreaRtlSets)
    if (set == s.name) return split_ws(s.files);
  throw InternalError("area: unknown RTL file set '" + set + "'");
}

std::string rtl_set_sha256(const std::string& set, const std::string& source_root) {
  std::string lines;
  for (const std::string& f : rtl_set_files(set)) lines += f + " " + sha256_file(source_root + "/" + f) + "\n";
  return sha256_hex(lines);
}

std::string default_cache_path() { return std::string(TPESIM_SOURCE_DIR) + "/models/tech/synth_area.json"; }

// ---------------------------------------------------------------------------------------
// Jobs
// ---------------------------------------------------------------------------------------

namespace {

// The RTL parameter PE of systolic_array for the C++ array parameters (the inverse of
// rtl::detail::pe_kind; docs/systolic-array.md "PE kinds").
int rtl_pe_kind(const systolic::ArrayParams& p) {
  if (p.pe == systolic::PeKind::kDequantFma) return 3;
  if (p.fp) return 1;
  return p.pe == systolic::PeKind::kShiftAdd ? 2 : 0;
}

systolic::ArrayParams arch_array_params(const ArchSpec& a) {
  if (!a.is_mixpe()) return array_params(a);
  // map_mixpe's mapping for a record of the arch's weight width: int<b> (two's complement,
  // the traces' type), activations of the variant; a 1 x 1 x 1 record maps on any buffers.
  Gemm g;
  g.name = "area";
  g.weight_dtype = "int" + std::to_string(a.mixpe.weight_bits);
  g.act_dtype = a.mixpe.variant == "w4a8" ? "int8" : "fp16";
  return map_mixpe(a, g).array;
}

}  // namespace

std::vector<SynthJob> synth_jobs(const ArchSpec& a) {
  std::vector<SynthJob> jobs;
  if (a.is_bitmod()) {
    const BitmodSpec& b = a.bitmod;
    jobs.push_back({"bitmod_array", "bitmod_array",
                    fmt::format("TILE_ROWS={} TILE_COLS={} TILES_R={} TILES_C={} LANES={} G={} ACC_EXP={} ACC_MAN={} "
                                "ACC_BIAS={} SCALE_BITS={}",
                                b.tile_rows, b.tile_cols, a.rows / b.tile_rows, a.cols / b.tile_cols, b.lanes,
                                b.guard_bits, b.acc_exp_bits, b.acc_man_bits, (1 << (b.acc_exp_bits - 1)) - 1,
                                b.scale_bits),
                    "bitmod"});
    return jobs;
  }
  const systolic::ArrayParams p = arch_array_params(a);
  jobs.push_back({"array_column", "systolic_array",
                  fmt::format("DF={} ROWS={} COLS=1 AW={} A_SIGNED={} BW={} B_SIGNED={} ACC={} SAT={} PE={}",
                              p.stationary ? 1 : 0, p.rows, p.aw, p.a_signed ? 1 : 0, p.bw, p.b_signed ? 1 : 0, p.acc,
                              p.sat ? 1 : 0, rtl_pe_kind(p)),
                  "systolic"});
  if (a.is_mixpe() && a.mixpe.variant == "w4a8") {
    jobs.push_back({"dequant", "mixpe_dequant_int", fmt::format("B={} ACC=32", a.mixpe.weight_bits), "mixpe_units"});
    jobs.push_back({"row_adder", "tpesim_area_row_add_int", "ACC=32", "mixpe_units"});
  } else if (a.is_mixpe() && a.mixpe.variant == "w4a16") {
    jobs.push_back({"dequant", "mixpe_dequant_fp", fmt::format("B={}", a.mixpe.weight_bits), "mixpe_units"});
    jobs.push_back({"row_adder", "tpesim_area_row_add_fp", "", "mixpe_units"});
  }
  return jobs;
}

// ---------------------------------------------------------------------------------------
// Parsing yosys output and the Liberty file
// ---------------------------------------------------------------------------------------

namespace {

std::string strip_backslash(std::string s) {
  if (!s.empty() && s[0] == '\\') s.erase(0, 1);
  return s;
}

// "$paramod$<hash>\name" or "$paramod\name\P=..." -> "name"; other names unchanged.
std::string base_name(const std::string& n) {
  const std::string s = strip_backslash(n);
  if (s.rfind("$paramod", 0) != 0) return s;
  const size_t a = s.find('\\');
  if (a == std::string::npos) return s;
  const size_t b = s.find('\\', a + 1);
  return s.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

// A parameter value of write_json: a bit string (MSB first) for integers, else text.
std::string param_value(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (!v.is_string()) return v.dump();
  const std::string s = v.get<std::string>();
  if (s.empty() || s.size() > 64 || s.find_first_not_of("01") != std::string::npos) return s;
  uint64_t u = 0;
  for (char c : s) u = (u << 1) | static_cast<uint64_t>(c == '1');
  // Verilog `integer` parameters are 32-bit two's complement.
  if (s.size() == 32 && s[0] == '1') return std::to_string(static_cast<int64_t>(u) - (int64_t{1} << 32));
  return std::to_string(u);
}

struct StatModule {
  double own_um2 = 0;
  uint64_t own_cells = 0;                           // library cells
  std::vector<std::pair<std::string, uint64_t>> subs;  // submodule -> instances
};

}  // namespace

std::vector<ModuleArea> parse_yosys_stat(const std::string& stat, const std::string& params_json, const std::string& top,
                                         double nand2_um2) {
  // Pass 1: module blocks "=== name ===", their cell lists and "Chip area for module".
  std::map<std::string, StatModule> mods;
  std::map<std::string, std::vector<std::pair<std::string, uint64_t>>> cell_lists;
  double hierarchy_total = -1;
  std::string hierarchy_top;
  {
    std::istringstream is(stat);
    std::string line, cur;
    bool in_cells = false, in_hier = false;
    const std::regex header(R"(^=== (.*) ===\s*$)");
    const std::regex cell_line(R"(^\s+(\S+)\s+([0-9]+)\s*$)");
    const std::regex chip(R"(^\s+Chip area for module '(.*)': ([0-9.eE+-]+)\s*$)");
    const std::regex chip_top(R"(^\s+Chip area for top module '(.*)': ([0-9.eE+-]+)\s*$)");
    std::smatch m;
    while (std::getline(is, line)) {
      if (std::regex_match(line, m, header)) {
        in_hier = m[1] == "design hierarchy";
        cur = in_hier ? "" : strip_backslash(m[1]);
        if (!in_hier) mods[cur];
        in_cells = false;
        continue;
      }
      if (in_hier) {
        if (hierarchy_top.empty() && std::regex_match(line, m, cell_line)) hierarchy_top = strip_backslash(m[1]);
        if (std::regex_match(line, m, chip_top)) hierarchy_total = std::stod(m[2]);
        continue;
      }
      if (cur.empty()) continue;
      if (line.find("Number of cells:") != std::string::npos) {
        in_cells = true;
        continue;
      }
      if (in_cells && std::regex_match(line, m, cell_line)) {
        cell_lists[cur].emplace_back(strip_backslash(m[1]), std::stoull(m[2]));
        continue;
      }
      in_cells = false;
      if (std::regex_match(line, m, chip)) mods[cur].own_um2 = std::stod(m[2]);
    }
  }
  for (auto& [name, cells] : cell_lists)
    for (auto& [type, n] : cells) {
      if (mods.count(type))
        mods[name].subs.emplace_back(type, n);
      else
        mods[name].own_cells += n;
    }
  // The top: the module named `top` (or elaborated from it) that no other module instantiates.
  std::set<std::string> instantiated;
  for (const auto& [name, m] : mods)
    for (const auto& s : m.subs) instantiated.insert(s.first);
  std::string top_name;
  for (const auto& [name, m] : mods)
    if (base_name(name) == top && !instantiated.count(name)) top_name = name;
  if (top_name.empty()) throw CostError("yosys statistics have no module '" + top + "'");

  // Parameters per module from the elaborated hierarchy.
  std::map<std::string, std::string> params;
  if (!params_json.empty()) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(params_json);
    } catch (const std::exception& e) {
      throw CostError(std::string("yosys hierarchy (params.json) is not JSON: ") + e.what());
    }
    if (j.contains("modules"))
      for (auto it = j["modules"].begin(); it != j["modules"].end(); ++it) {
        std::string p;
        if (it.value().contains("parameter_default_values"))
          for (auto pv = it.value()["parameter_default_values"].begin();
               pv != it.value()["parameter_default_values"].end(); ++pv)
            p += (p.empty() ? "" : " ") + pv.key() + "=" + param_value(pv.value());  // keys come sorted
        params[strip_backslash(it.key())] = p;
      }
  }

  // Inclusive areas (memoised), instance counts in the top (topological order), DFS listing.
  std::map<std::string, std::pair<double, uint64_t>> incl;
  std::function<std::pair<double, uint64_t>(const std::string&, int)> inclusive = [&](const std::string& n, int guard) {
    if (guard > 64) throw CostError("yosys statistics: module hierarchy too deep or cyclic at '" + n + "'");
    auto it = incl.find(n);
    if (it != incl.end()) return it->second;
    const StatModule& m = mods.at(n);
    std::pair<double, uint64_t> r{m.own_um2, m.own_cells};
    for (const auto& [s, k] : m.subs) {
      const auto sub = inclusive(s, guard + 1);
      r.first += sub.first * static_cast<double>(k);
      r.second += sub.second * k;
    }
    return incl[n] = r;
  };
  inclusive(top_name, 0);
  if (hierarchy_total >= 0 && std::fabs(hierarchy_total - incl[top_name].first) > 1e-6 * std::max(1.0, hierarchy_total))
    throw CostError(fmt::format("yosys statistics: the hierarchy total {} differs from the sum over modules {}",
                                hierarchy_total, incl[top_name].first));
  std::vector<std::string> post;
  std::set<std::string> seen;
  std::function<void(const std::string&)> order = [&](const std::string& n) {
    if (!seen.insert(n).second) return;
    for (const auto& s : mods.at(n).subs) order(s.first);
    post.push_back(n);
  };
  order(top_name);
  std::map<std::string, uint64_t> inst{{top_name, 1}};
  for (auto it = post.rbegin(); it != post.rend(); ++it)
    for (const auto& [s, k] : mods.at(*it).subs) inst[s] += inst[*it] * k;

  std::vector<ModuleArea> out;
  std::set<std::string> listed;
  std::function<void(const std::string&, int)> list = [&](const std::string& n, int depth) {
    if (!listed.insert(n).second) return;
    ModuleArea a;
    a.module = base_name(n);
    a.params = params.count(n) ? params[n] : "";
    a.cell_um2 = incl[n].first;
    a.ge = nand2_um2 > 0 ? a.cell_um2 / nand2_um2 : 0;
    a.cells = incl[n].second;
    a.instances = inst[n];
    a.depth = depth;
    out.push_back(a);
    // Children: largest total area in this module first, then by name.
    auto subs = mods.at(n).subs;
    std::sort(subs.begin(), subs.end(), [&](const auto& x, const auto& y) {
      const double ax = incl[x.first].first * static_cast<double>(x.second);
      const double ay = incl[y.first].first * static_cast<double>(y.second);
      return ax != ay ? ax > ay : x.first < y.first;
    });
    for (const auto& s : subs) list(s.first, depth + 1);
  };
  list(top_name, 0);
  return out;
}

double liberty_cell_area(const std::string& lib, const std::string& cell) {
  const std::regex head("cell\\s*\\(\\s*\"?" + cell + "\"?\\s*\\)");
  std::smatch m;
  if (!std::regex_search(lib, m, head)) throw CostError("the Liberty file has no cell '" + cell + "'");
  const std::string rest = lib.substr(static_cast<size_t>(m.position(0) + m.length(0)), 4096);
  const std::regex area(R"(\barea\s*:\s*([0-9.eE+-]+))");
  if (!std::regex_search(rest, m, area)) throw CostError("the Liberty file's cell '" + cell + "' has no area");
  return std::stod(m[1]);
}

// ---------------------------------------------------------------------------------------
// The cache file
// ---------------------------------------------------------------------------------------

namespace {

const char* kCacheFormat = "tpesim-synth-area v1";

// v rounded to `decimals` places (division by an exact power of ten: the nearest double).
double round_to(double v, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(v * p) / p;
}

ojson module_json(const ModuleArea& m) {
  ojson j;
  j["module"] = m.module;
  j["params"] = m.params;
  j["cell_um2"] = round_to(m.cell_um2, 4);
  j["ge"] = round_to(m.ge, 3);
  j["cells"] = m.cells;
  j["instances"] = m.instances;
  j["depth"] = m.depth;
  return j;
}

template <class T>
T need(const nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key)) throw CostError(path + ": synthesis cache entry lacks '" + key + "'");
  try {
    return j.at(key).get<T>();
  } catch (const std::exception& e) {
    throw CostError(path + ": synthesis cache: '" + key + "': " + e.what());
  }
}

bool entry_less(const SynthEntry& a, const SynthEntry& b) {
  return std::tie(a.module, a.params, a.liberty_sha256) < std::tie(b.module, b.params, b.liberty_sha256);
}

}  // namespace

SynthCache SynthCache::load(const std::string& path) {
  SynthCache c;
  if (!fs::exists(path)) return c;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(path));
  } catch (const CostError&) {
    throw;
  } catch (const std::exception& e) {
    throw CostError(path + ": synthesis cache is not valid JSON: " + e.what());
  }
  if (!j.is_object() || j.value("format", "") != kCacheFormat)
    throw CostError(path + ": not a synthesis cache (\"format\": \"" + kCacheFormat + "\" expected)");
  c.liberty = j.value("liberty", "");
  c.nand2_cell = j.value("nand2_cell", "");
  c.nand2_um2 = j.value("nand2_um2", 0.0);
  for (const auto& e : j.value("entries", nlohmann::json::array())) {
    SynthEntry s;
    s.module = need<std::string>(e, "module", path);
    s.params = need<std::string>(e, "params", path);
    s.rtl_set = need<std::string>(e, "rtl_set", path);
    s.rtl_sha256 = need<std::string>(e, "rtl_sha256", path);
    s.liberty_sha256 = need<std::string>(e, "liberty_sha256", path);
    s.seconds = e.value("seconds", 0.0);
    s.yosys = e.value("yosys", "");
    for (const auto& m : need<nlohmann::json>(e, "modules", path)) {
      ModuleArea a;
      a.module = need<std::string>(m, "module", path);
      a.params = need<std::string>(m, "params", path);
      a.cell_um2 = need<double>(m, "cell_um2", path);
      a.ge = need<double>(m, "ge", path);
      a.cells = need<uint64_t>(m, "cells", path);
      a.instances = m.value("instances", uint64_t{1});
      a.depth = m.value("depth", 0);
      s.modules.push_back(a);
    }
    if (s.modules.empty()) throw CostError(path + ": synthesis cache entry " + s.module + " " + s.params + " has no modules");
    c.entries.push_back(std::move(s));
  }
  return c;
}

void SynthCache::save(const std::string& path) const {
  std::vector<SynthEntry> sorted = entries;
  std::sort(sorted.begin(), sorted.end(), entry_less);
  ojson j;
  j["format"] = kCacheFormat;
  j["about"] =
      "Cell areas from yosys synthesis (tools/synth/area.sh), written by `tpesim area`; see docs/energy-area.md, "
      "\"Area\". Keyed by module, params, rtl_sha256 (the RTL file set, sim/cost/area.cmake) and liberty_sha256. "
      "Areas include submodules and are per instance.";
  j["liberty"] = liberty;
  j["nand2_cell"] = nand2_cell;
  j["nand2_um2"] = nand2_um2;
  ojson arr = ojson::array();
  for (const SynthEntry& e : sorted) {
    ojson o;
    o["module"] = e.module;
    o["params"] = e.params;
    o["rtl_set"] = e.rtl_set;
    o["rtl_sha256"] = e.rtl_sha256;
    o["liberty_sha256"] = e.liberty_sha256;
    o["yosys"] = e.yosys;
    o["seconds"] = round_to(e.seconds, 1);
    ojson mods = ojson::array();
    for (const ModuleArea& m : e.modules) mods.push_back(module_json(m));
    o["modules"] = mods;
    arr.push_back(o);
  }
  j["entries"] = arr;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw CostError(tmp + ": cannot write");
    f << j.dump(1) << "\n";
    if (!f.flush()) throw CostError(tmp + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw CostError(path + ": cannot replace the synthesis cache: " + ec.message());
  }
}

const SynthEntry* SynthCache::find(const std::string& module, const std::string& params,
                                   const std::string& liberty_sha256) const {
  for (const SynthEntry& e : entries)
    if (e.module == module && e.params == params && e.liberty_sha256 == liberty_sha256) return &e;
  return nullptr;
}

void SynthCache::put(SynthEntry e) {
  for (SynthEntry& x : entries)
    if (x.module == e.module && x.params == e.params && x.liberty_sha256 == e.liberty_sha256) {
      x = std::move(e);
      return;
    }
  entries.push_back(std::move(e));
  std::sort(entries.begin(), entries.end(), entry_less);
}

// ---------------------------------------------------------------------------------------
// Running yosys
// ---------------------------------------------------------------------------------------

namespace {

// The executable `name` would run: itself if it has a '/', else the first match on PATH.
std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  for (const std::string& dir : split_ws([&] {
         std::string p = path ? path : "";
         std::replace(p.begin(), p.end(), ':', ' ');
         return p;
       }())) {
    const std::string c = dir + "/" + name;
    if (::access(c.c_str(), X_OK) == 0) return c;
  }
  return "";
}

// Runs argv with YOSYS set in its environment; returns the exit status (-1: did not run).
int run_process(const std::vector<std::string>& argv, const std::string& yosys) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::setenv("YOSYS", yosys.c_str(), 1);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string job_name(const SynthJob& j) { return j.params.empty() ? j.module : j.module + " " + j.params; }

}  // namespace

SynthEntry synthesise(const SynthJob& job, const SynthOptions& opt) {
  const std::string root = source_root_or(opt.source_root);
  const AreaHashes& built = built_in_hashes();
  const std::string lib = root + "/" + built.liberty;
  if (!fs::exists(lib)) throw CostError(lib + ": the synthesis library is missing");
  // The cache is keyed by the hashes this binary was configured with; synthesising other
  // sources under those keys would poison it.
  const std::string rtl_now = rtl_set_sha256(job.rtl_set, root);
  if (rtl_now != built.rtl.at(job.rtl_set))
    throw CostError("the RTL of file set '" + job.rtl_set + "' (sim/cost/area.cmake) in " + root +
                    " changed since this tpesim was configured; rebuild (CMake re-runs on RTL changes) and run `tpesim area` again");
  const std::string lib_sha = sha256_file(lib);
  if (lib_sha != built.liberty_sha256)
    throw CostError(lib + ": the synthesis library changed since this tpesim was configured; rebuild and run again");
  const std::string yosys = find_executable(opt.yosys);
  if (yosys.empty())
    throw CostError("yosys not found ('" + opt.yosys + "' is not an executable on PATH): `tpesim area` synthesises the RTL "
                    "with yosys (Debian: apt-get install yosys); runs price area from the cache without it");
  const double nand2 = liberty_cell_area(read_text(lib), opt.nand2_cell);

  std::string files;
  for (const std::string& f : rtl_set_files(job.rtl_set))
    if (f.size() > 2 && f.compare(f.size() - 2, 2, ".v") == 0) files += (files.empty() ? "" : " ") + root + "/" + f;
  std::string tmpl = (fs::temp_directory_path() / "tpesim-area-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw CostError("cannot create a temporary directory for yosys");
  const std::string dir = tmpl;
  struct Cleanup {
    std::string d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  std::vector<std::string> argv = {"sh", root + "/tools/synth/area.sh", "-l", lib, "-s", files, "-o", dir, job.module};
  for (const std::string& kv : split_ws(job.params)) argv.push_back(kv);
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = run_process(argv, yosys);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc != 0) {
    std::string tail;
    if (fs::exists(dir + "/yosys.log")) {
      const std::string log = read_text(dir + "/yosys.log");
      tail = log.substr(log.size() > 1500 ? log.size() - 1500 : 0);
    }
    throw CostError(fmt::format("yosys failed (status {}) synthesising {}; end of its log:\n{}", rc, job_name(job), tail));
  }
  SynthEntry e;
  e.module = job.module;
  e.params = job.params;
  e.rtl_set = job.rtl_set;
  e.rtl_sha256 = rtl_now;
  e.liberty_sha256 = lib_sha;
  e.seconds = secs;
  e.modules = parse_yosys_stat(read_text(dir + "/stat.txt"), read_text(dir + "/params.json"), job.module, nand2);
  {
    std::istringstream log(read_text(dir + "/yosys.log"));
    const std::regex ver(R"(^\s*(Yosys [0-9][^\s]*.*)$)");
    std::smatch m;
    for (std::string line; std::getline(log, line);)
      if (std::regex_match(line, m, ver)) {
        e.yosys = m[1];
        break;
      }
  }
  if (opt.cache_path != "-") {
    const std::string path = opt.cache_path.empty() ? default_cache_path() : opt.cache_path;
    SynthCache c = SynthCache::load(path);  // re-read: another run may have added entries
    c.liberty = built.liberty;
    c.nand2_cell = opt.nand2_cell;
    c.nand2_um2 = nand2;
    c.put(e);
    c.save(path);
  }
  return e;
}

// ---------------------------------------------------------------------------------------
// Pricing
// ---------------------------------------------------------------------------------------

namespace {

std::string area_command(const ArchSpec& a) {
  return a.source == "<built-in>" ? "tpesim area" : "tpesim area --arch " + a.source;
}

const ModuleArea* largest_of(const SynthEntry& e, const std::set<std::string>& names, double* total_ge,
                             uint64_t* total_inst) {
  const ModuleArea* best = nullptr;
  *total_ge = 0;
  *total_inst = 0;
  for (const ModuleArea& m : e.modules)
    if (names.count(m.module)) {
      *total_ge += m.ge * static_cast<double>(m.instances);
      *total_inst += m.instances;
      if (!best || m.instances > best->instances) best = &m;
    }
  return best;
}

std::string with_params(const ModuleArea& m) { return m.params.empty() ? m.module : m.module + " (" + m.params + ")"; }

}  // namespace

std::vector<const SynthEntry*> cached_entries(const ArchSpec& arch, const SynthCache& cache, const AreaHashes& hashes) {
  if (hashes.liberty_sha256.empty())
    throw CostError("area: the synthesis library " + hashes.liberty +
                    " was missing when this tpesim was configured; add it and rebuild");
  std::vector<const SynthEntry*> out;
  for (const SynthJob& j : synth_jobs(arch)) {
    const SynthEntry* e = cache.find(j.module, j.params, hashes.liberty_sha256);
    const std::string what = fmt::format("module {} ({}) of arch '{}' ({})", j.module,
                                         j.params.empty() ? "no parameters" : j.params, arch.name, arch.source);
    if (!e)
      throw CostError(fmt::format("area: no synthesis result for {} in the synthesis cache (models/tech/synth_area.json); "
                                  "run `{}` (with the same --set options) to synthesise it",
                                  what, area_command(arch)));
    const auto it = hashes.rtl.find(j.rtl_set);
    if (it == hashes.rtl.end() || e->rtl_sha256 != it->second)
      throw CostError(fmt::format("area: the synthesis result for {} is stale: the RTL of file set '{}' changed since it "
                                  "was synthesised (cache {}, this build {}); run `{}` to synthesise it again",
                                  what, j.rtl_set, e->rtl_sha256.substr(0, 12),
                                  it == hashes.rtl.end() ? "?" : it->second.substr(0, 12), area_command(arch)));
    out.push_back(e);
  }
  return out;
}

double peak_ops_per_s(const ArchSpec& a, std::string* basis) {
  const double pes = static_cast<double>(a.rows) * a.cols;
  if (a.is_bitmod()) {
    // A bit-serial PE takes `lanes` weights per term cycle; BitMoD's 4- and 3-bit types need 2
    // term cycles per weight (INT8 4, INT6 3, plain FP3 1).
    const double macs = pes * a.bitmod.lanes / 2.0;
    if (basis)
      *basis = fmt::format("2 ops x {} PEs x {} lanes / 2 term cycles per weight (BitMoD FP4/FP3; INT8 weights take 4) x "
                           "{:g} MHz",
                           a.rows * a.cols, a.bitmod.lanes, a.clock_hz / 1e6);
    return 2 * macs * a.clock_hz;
  }
  if (basis) *basis = fmt::format("2 ops x {} MACs/cycle x {:g} MHz", a.rows * a.cols, a.clock_hz / 1e6);
  return 2 * pes * a.clock_hz;
}

AreaReport area_for(const ArchSpec& arch, const TechTable& tech) {
  return area_for(arch, tech, SynthCache::load(default_cache_path()), built_in_hashes());
}

AreaReport area_for(const ArchSpec& arch, const TechTable& tech, const SynthCache& cache, const AreaHashes& hashes) {
  const std::vector<SynthJob> jobs = synth_jobs(arch);
  const std::vector<const SynthEntry*> entries = cached_entries(arch, cache, hashes);
  AreaReport r;
  r.tech = tech.name;
  const double n2 = tech.nand2_um2;
  const std::string node = fmt::format("x NAND2 {:g} um^2 at {} ({})", n2, tech.name, tech.nand2_source);
  // A component of less than half a gate is rounding noise of the cached GE (3 decimals):
  // e.g. a ws/is column's edge, whose PEs are all its cells.
  auto logic = [&](const std::string& name, double count, double ge_each, const std::string& what) {
    if (ge_each * count < 0.5) return;
    r.components.push_back({name, count * ge_each * n2 * 1e-6,
                            fmt::format("{:g} x {}: {:.1f} GE each (synthesis, cell area / NAND2 of {}) {}", count, what,
                                        ge_each, cache.nand2_cell.empty() ? "the library" : cache.nand2_cell, node)});
  };
  const double rows = arch.rows, cols = arch.cols;
  if (arch.is_bitmod()) {
    const SynthEntry& e = *entries[0];
    double pe_total = 0, enc_total = 0;
    uint64_t pe_n = 0, enc_n = 0;
    const ModuleArea* pe = largest_of(e, {"bitmod_pe"}, &pe_total, &pe_n);
    const ModuleArea* enc = largest_of(e, {"bitmod_encoder"}, &enc_total, &enc_n);
    if (!pe || !enc || pe_n != static_cast<uint64_t>(arch.rows * arch.cols))
      throw CostError("area: the synthesis result of bitmod_array " + e.params + " lacks its PEs or encoders");
    r.pe_ge = pe_total / static_cast<double>(pe_n);
    r.pe_module = with_params(*pe);
    logic("pe_array", rows * cols, r.pe_ge, "bitmod_pe (incl. its bit-serial dequantiser and column accumulator)");
    logic("bitmod.encoders", static_cast<double>(enc_n), enc_total / static_cast<double>(enc_n),
          "bitmod_encoder (one per PE column)");
    logic("array.edge", 1, e.modules[0].ge - pe_total - enc_total,
          "array edge of bitmod_array (tile skew delay lines, activation registers)");
  } else {
    const SynthEntry& col = *entries[0];
    double pe_total = 0;
    uint64_t pe_n = 0;
    const ModuleArea* pe = largest_of(col, {"systolic_pe_os", "systolic_pe_st"}, &pe_total, &pe_n);
    if (!pe || pe_n != static_cast<uint64_t>(arch.rows))
      throw CostError("area: the synthesis result of systolic_array " + col.params + " lacks its PEs");
    r.pe_ge = pe_total / static_cast<double>(pe_n);  // st: the top row's PE differs by a gate or two
    r.pe_module = with_params(*pe);
    logic("pe_array", rows * cols, r.pe_ge, pe->module + " (mean over a column)");
    logic("array.edge", cols, col.modules[0].ge - pe_total,
          arch.dataflow == Dataflow::kOS || arch.is_mixpe() ? "column edge (output register and the column's result "
                                                              "multiplexer)"
                                                            : "column edge");
    for (size_t i = 1; i < jobs.size(); ++i) {
      const ModuleArea& u = entries[i]->modules[0];
      if (jobs[i].role == "dequant") logic("mixpe.dequant", cols, u.ge, u.module + " (one per column)");
      if (jobs[i].role == "row_adder")
        logic("mixpe.row_adders", rows, u.ge,
              u.module + " (one per row, with its group-sum register; area-only top, tools/synth/area_units.v)");
    }
  }
  const std::string eff =
      tech.sram_array_efficiency > 0
          ? fmt::format("array efficiency {:g} ({})", tech.sram_array_efficiency, tech.sram_array_efficiency_source)
          : std::string("array efficiency not stated in the table");
  const std::pair<const char*, const BufferSpec*> bufs[] = {
      {"ifmap", &arch.ifmap}, {"filter", &arch.filter}, {"ofmap", &arch.ofmap}};
  for (const auto& [name, b] : bufs) {
    const int banks = b->double_buffered ? 2 : 1;
    const std::string comp = std::string("buffer.") + name;
    const SramCost c = tech.sram_cost(b->size_bytes, static_cast<int>(b->width_bytes * 8), banks, comp);
    r.components.push_back({comp, c.area_mm2,
                            fmt::format("SRAM {} B, {}-bit port, {} bank{} ({}): {}; {}", b->size_bytes,
                                        b->width_bytes * 8, banks, banks > 1 ? "s" : "",
                                        banks > 1 ? "double-buffered: one macro, two halves accessed independently"
                                                  : "single-buffered",
                                        c.rule, eff)});
  }
  for (const ComponentArea& c : r.components) r.total_mm2 += c.mm2;
  r.pe_um2 = r.pe_ge * n2;
  r.peak_tops = peak_ops_per_s(arch, &r.peak_basis) / 1e12;
  r.tops_per_mm2 = r.total_mm2 > 0 ? r.peak_tops / r.total_mm2 : 0;
  return r;
}

}  // namespace tpesim::cost

// ---------------------------------------------------------------------------------------
// `tpesim area`: synthesis on demand and text
// ---------------------------------------------------------------------------------------

namespace tpesim::cost {

std::vector<SynthEntry> ensure_synthesised(const ArchSpec& arch, const SynthOptions& opt, bool resynth, SynthCache& cache,
                                           const std::function<void(const std::string&)>& log) {
  const AreaHashes& h = built_in_hashes();
  std::vector<SynthEntry> out;
  for (const SynthJob& j : synth_jobs(arch)) {
    const SynthEntry* e = h.liberty_sha256.empty() ? nullptr : cache.find(j.module, j.params, h.liberty_sha256);
    const auto it = h.rtl.find(j.rtl_set);
    if (e && !resynth && it != h.rtl.end() && e->rtl_sha256 == it->second) {
      out.push_back(*e);
      continue;
    }
    if (log) log(fmt::format("synthesising {} ({}) with yosys{} ...", j.module, j.params.empty() ? "-" : j.params,
                             e ? (resynth ? ", --resynth" : ", cached result is stale") : ""));
    SynthEntry s = synthesise(j, opt);
    if (log) log(fmt::format("  done in {:.1f} s: {:.1f} GE", s.seconds, s.modules[0].ge));
    cache.liberty = h.liberty;
    cache.nand2_cell = opt.nand2_cell;
    if (s.modules[0].ge > 0) cache.nand2_um2 = s.modules[0].cell_um2 / s.modules[0].ge;
    cache.put(s);
    out.push_back(std::move(s));
  }
  return out;
}

std::string describe_modules(const SynthEntry& e, const TechTable& tech) {
  std::string s = fmt::format("{} {}  (yosys {:.1f} s, {})\n", e.module, e.params, e.seconds, e.yosys);
  s += fmt::format("  {:<34} {:>9} {:>9} {:>14} {:>11} {:>14}  {}\n", "module (areas per instance, incl. submodules)",
                   "instances", "cells", "cell um^2", "NAND2 GE", "um^2 @ " + tech.name, "parameters");
  for (const ModuleArea& m : e.modules) {
    const std::string name = std::string(static_cast<size_t>(2 * m.depth), ' ') + m.module;
    s += fmt::format("  {:<34} {:>9} {:>9} {:>14.1f} {:>11.1f} {:>14.1f}  {}\n", name, m.instances, m.cells, m.cell_um2,
                     m.ge, m.ge * tech.nand2_um2, m.params);
  }
  return s;
}

std::string describe_area_report(const AreaReport& r, const ArchSpec& arch) {
  std::string s = fmt::format("Area of '{}' at {} ({}x{} {}):\n", arch.name, r.tech, arch.rows, arch.cols, arch.engine);
  s += fmt::format("  {:<18} {:>12} {:>7}  {}\n", "component", "mm^2", "%", "basis");
  for (const ComponentArea& c : r.components)
    s += fmt::format("  {:<18} {:>12.4f} {:>6.1f}%  {}\n", c.name, c.mm2, r.total_mm2 > 0 ? 100 * c.mm2 / r.total_mm2 : 0,
                     c.basis);
  s += fmt::format("  {:<18} {:>12.4f} {:>6.1f}%\n", "total", r.total_mm2, 100.0);
  s += fmt::format("  PE: {:.1f} GE = {:.1f} um^2 at {} ({})\n", r.pe_ge, r.pe_um2, r.tech, r.pe_module);
  s += fmt::format("  peak {:.4g} TOPS ({}), {:.4g} TOPS/mm^2\n", r.peak_tops, r.peak_basis, r.tops_per_mm2);
  return s;
}

namespace {

int64_t param_of(const std::string& params, const std::string& name, int64_t dflt) {
  for (const std::string& kv : split_ws(params))
    if (kv.rfind(name + "=", 0) == 0) return std::stoll(kv.substr(name.size() + 1));
  return dflt;
}

// What a PE-level unit is, in words (docs/systolic-array.md "PE kinds", docs/mixpe-pe.md).
std::string unit_label(const ModuleArea& m) {
  const std::string& p = m.params;
  if (m.module.rfind("systolic_pe_", 0) == 0) {
    const int64_t pe = param_of(p, "PE", 0), aw = param_of(p, "AW", 8), bw = param_of(p, "BW", 8);
    const std::string df = m.module == "systolic_pe_os" ? "os" : "ws/is";
    if (pe == 0) return fmt::format("INT{}xINT{} MAC PE ({})", aw, bw, df);
    if (pe == 1 && bw == 16) return fmt::format("FP16 MAC PE ({})", df);
    if (pe == 1) return fmt::format("MixPE W{}A16 PE ({})", bw, df);
    if (pe == 2) return fmt::format("MixPE W{}A8 PE ({})", bw, df);
    return fmt::format("FP16xINT{} PE ({})", (bw - 17) / 2, df);
  }
  if (m.module == "bitmod_pe") return "BitMoD PE";
  if (m.module == "bitmod_encoder") return "BitMoD term encoder";
  if (m.module == "mixpe_dequant_int") return fmt::format("MixPE W{}A8 dequantiser", param_of(p, "B", 4));
  if (m.module == "mixpe_dequant_fp") return fmt::format("MixPE W{}A16 dequantiser", param_of(p, "B", 4));
  if (m.module == "tpesim_area_row_add_int") return "MixPE W4A8 row adder";
  if (m.module == "tpesim_area_row_add_fp") return "MixPE W4A16 row adder";
  return m.module;
}

}  // namespace

std::string describe_units_side_by_side(const SynthCache& cache, const AreaHashes& hashes, const TechTable& tech) {
  // The unit each cached job is about: a systolic column's PE (the one most of its PEs are),
  // BitMoD's PE and encoder, a MixPE dequantiser or row adder (the top itself).
  struct Row {
    std::string unit, params;
    double ge, um2;
  };
  std::vector<Row> rows;
  std::set<std::string> seen;
  for (const SynthEntry& e : cache.entries) {
    const auto it = hashes.rtl.find(e.rtl_set);
    if (it == hashes.rtl.end() || it->second != e.rtl_sha256 || e.liberty_sha256 != hashes.liberty_sha256) continue;
    std::vector<const ModuleArea*> units;
    if (e.module == "systolic_array") {
      double ge = 0;
      uint64_t n = 0;
      if (const ModuleArea* pe = largest_of(e, {"systolic_pe_os", "systolic_pe_st"}, &ge, &n)) units.push_back(pe);
    } else if (e.module == "bitmod_array") {
      for (const ModuleArea& m : e.modules)
        if (m.depth == 1 && (m.module == "bitmod_pe" || m.module == "bitmod_encoder")) units.push_back(&m);
    } else {
      units.push_back(&e.modules[0]);
    }
    for (const ModuleArea* m : units) {
      // A PE's parameters without TOP_ROW (ws/is columns: the inner rows' PE).
      std::string params;
      for (const std::string& kv : split_ws(m->params))
        if (kv.rfind("TOP_ROW=", 0) != 0) params += (params.empty() ? "" : " ") + kv;
      if (!seen.insert(m->module + "|" + params).second) continue;
      rows.push_back({unit_label(*m), m->module + " " + params, m->ge, m->cell_um2});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return std::tie(a.unit, a.ge) < std::tie(b.unit, b.ge); });
  std::string s = fmt::format("PE-level units of every engine in the synthesis cache (fresh entries):\n");
  s += fmt::format("  {:<30} {:>10} {:>12} {:>14}  {}\n", "unit", "NAND2 GE", "cell um^2", "um^2 @ " + tech.name,
                   "module and parameters");
  for (const Row& r : rows)
    s += fmt::format("  {:<30} {:>10.1f} {:>12.1f} {:>14.1f}  {}\n", r.unit, r.ge, r.um2, r.ge * tech.nand2_um2, r.params);
  s += fmt::format("  (cell um^2: synthesis library {}; um^2 @ {}: GE x its NAND2 {:g} um^2)\n",
                   cache.liberty.empty() ? "?" : cache.liberty, tech.name, tech.nand2_um2);
  return s;
}

}  // namespace tpesim::cost
