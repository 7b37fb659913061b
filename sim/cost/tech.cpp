#include "sim/cost/tech.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace tpesim::cost {

namespace {

// ---- reading: every error names file, line and key ----------------------------------------

struct Reader {
  std::string file;

  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& msg) const {
    throw ConfigError(where(file, n.IsDefined() ? n.Mark().line + 1 : 0, key, msg));
  }
  const YAML::Node& need(const YAML::Node& map, const YAML::Node& n, const std::string& key) const {
    if (!n.IsDefined() || n.IsNull()) fail(map, key, "missing");
    return n;
  }
  std::string str(const YAML::Node& map, const std::string& key) const {
    const YAML::Node n = map[key];
    need(map, n, key);
    if (!n.IsScalar()) fail(n, key, "expected a text");
    return n.Scalar();
  }
  double positive(const YAML::Node& map, const std::string& key) const {
    const YAML::Node n = map[key];
    need(map, n, key);
    double v = 0;
    const std::string s = n.IsScalar() ? n.Scalar() : std::string();
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
      fail(n, key, "expected a number, got '" + s + "'");
    if (!(v > 0)) fail(n, key, "must be positive, got " + s);
    return v;
  }
  int64_t integer(const YAML::Node& map, const std::string& key, int64_t lo, int64_t hi) const {
    const YAML::Node n = map[key];
    need(map, n, key);
    int64_t v = 0;
    const std::string s = n.IsScalar() ? n.Scalar() : std::string();
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
      fail(n, key, "expected an integer, got '" + s + "'");
    if (v < lo || v > hi) fail(n, key, fmt::format("{} is outside {}..{}", v, lo, hi));
    return v;
  }
  /// Rejects keys other than `allowed` (a typo must not silently drop a value).
  void only(const YAML::Node& map, const std::string& where_, std::initializer_list<const char*> allowed) const {
    if (!map.IsMap()) fail(map, where_, "expected a mapping");
    for (const auto& kv : map) {
      const std::string k = kv.first.Scalar();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }))
        fail(kv.first, where_.empty() ? k : where_ + "." + k, "unknown key");
    }
  }
  std::string source(const YAML::Node& map, const std::string& key, const TechTable& t) const {
    const std::string s = str(map, key);
    if (!t.sources.count(s)) fail(map[key], key, "'" + s + "' is not a key of `sources`");
    return s;
  }
};

int nearest_index(const std::vector<const OpEntry*>& v, int bits) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(v.size()); ++i) {
    const int d = std::abs(v[i]->bits - bits), db = std::abs(v[best]->bits - bits);
    if (d < db || (d == db && v[i]->bits < v[best]->bits)) best = i;
  }
  return best;
}

}  // namespace

TechTable load_tech(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(where(path, 0, "", "cannot open technology table"));
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    throw ConfigError(where(path, e.mark.line + 1, "", e.msg));
  }
  const Reader r{path};
  TechTable t;
  t.path = path;
  r.only(root, "", {"name", "node_nm", "vdd", "sources", "ops", "sram", "dram", "logic_leakage", "nand2",
                    "sram_array_efficiency"});
  t.name = r.str(root, "name");
  t.node_nm = r.positive(root, "node_nm");
  t.vdd = r.positive(root, "vdd");
  const YAML::Node src = r.need(root, root["sources"], "sources");
  if (!src.IsMap()) r.fail(src, "sources", "expected a mapping key -> citation");
  for (const auto& kv : src) t.sources[kv.first.Scalar()] = r.str(src, kv.first.Scalar());

  const YAML::Node ops = r.need(root, root["ops"], "ops");
  if (!ops.IsSequence()) r.fail(ops, "ops", "expected a list");
  std::set<std::pair<std::string, int>> seen_ops;
  for (const auto& n : ops) {
    r.only(n, "ops[]", {"op", "bits", "pj", "source"});
    OpEntry e;
    e.op = r.str(n, "op");
    static const std::set<std::string> known = {"int_add", "int_mul", "fp_add", "fp_mul", "reg_write", "reg_clock"};
    if (!known.count(e.op)) r.fail(n["op"], "op", "unknown operation '" + e.op + "' (int_add, int_mul, fp_add, fp_mul, reg_write, reg_clock)");
    e.bits = static_cast<int>(r.integer(n, "bits", 1, 128));
    e.pj = r.positive(n, "pj");
    e.source = r.source(n, "source", t);
    if (!seen_ops.insert({e.op, e.bits}).second)
      r.fail(n, "ops", fmt::format("{} at {} bits is listed twice", e.op, e.bits));
    t.ops.push_back(e);
  }
  if (root["sram"].IsDefined()) {
    const YAML::Node sram = root["sram"];
    if (!sram.IsSequence()) r.fail(sram, "sram", "expected a list");
    std::set<std::tuple<uint64_t, int, int>> seen;
    for (const auto& n : sram) {
      r.only(n, "sram[]", {"capacity_bytes", "width_bits", "banks", "read_pj", "write_pj", "area_mm2", "leakage_mw", "source"});
      SramEntry e;
      e.capacity_bytes = static_cast<uint64_t>(r.integer(n, "capacity_bytes", 1, int64_t{1} << 40));
      e.width_bits = static_cast<int>(r.integer(n, "width_bits", 1, 1 << 16));
      e.banks = static_cast<int>(r.integer(n, "banks", 1, 1024));
      e.read_pj = r.positive(n, "read_pj");
      e.write_pj = r.positive(n, "write_pj");
      e.area_mm2 = r.positive(n, "area_mm2");
      e.leakage_mw = r.positive(n, "leakage_mw");
      e.source = r.source(n, "source", t);
      if (!seen.insert({e.capacity_bytes, e.width_bits, e.banks}).second)
        r.fail(n, "sram", fmt::format("{} bytes x {} bits x {} banks is listed twice", e.capacity_bytes, e.width_bits, e.banks));
      t.sram.push_back(e);
    }
  }
  if (root["dram"].IsDefined()) {
    const YAML::Node dram = root["dram"];
    if (!dram.IsSequence()) r.fail(dram, "dram", "expected a list");
    std::set<std::string> seen;
    for (const auto& n : dram) {
      r.only(n, "dram[]", {"type", "pj_per_bit", "source"});
      DramEntry e;
      e.type = r.str(n, "type");
      e.pj_per_bit = r.positive(n, "pj_per_bit");
      e.source = r.source(n, "source", t);
      if (!seen.insert(e.type).second) r.fail(n, "dram", "type '" + e.type + "' is listed twice");
      t.dram.push_back(e);
    }
  }
  const YAML::Node leak = r.need(root, root["logic_leakage"], "logic_leakage");
  r.only(leak, "logic_leakage", {"mw_per_mm2", "source"});
  t.logic_leakage_mw_per_mm2 = r.positive(leak, "mw_per_mm2");
  t.logic_leakage_source = r.source(leak, "source", t);
  const YAML::Node nand = r.need(root, root["nand2"], "nand2");
  r.only(nand, "nand2", {"um2", "source"});
  t.nand2_um2 = r.positive(nand, "um2");
  t.nand2_source = r.source(nand, "source", t);
  if (root["sram_array_efficiency"].IsDefined()) {
    const YAML::Node e = root["sram_array_efficiency"];
    r.only(e, "sram_array_efficiency", {"value", "source"});
    t.sram_array_efficiency = r.positive(e, "value");
    if (t.sram_array_efficiency > 1) r.fail(e["value"], "sram_array_efficiency.value", "must be at most 1");
    t.sram_array_efficiency_source = r.source(e, "source", t);
  }
  return t;
}

TechTable load_tech_by_name(const std::string& name_or_path) {
  static const std::map<std::string, std::string> builtin = {
      {"45nm", "generic_45nm.yaml"}, {"28nm", "generic_28nm.yaml"}, {"ihp-sg13g2-130nm", "ihp_sg13g2_130nm.yaml"}};
  const auto it = builtin.find(name_or_path);
  if (it == builtin.end()) return load_tech(name_or_path);
  return load_tech(std::string(TPESIM_SOURCE_DIR) + "/models/tech/" + it->second);
}

double TechTable::op_pj(const std::string& op, int bits, const std::string& component, const std::string& action) const {
  std::vector<const OpEntry*> same;
  for (const OpEntry& e : ops)
    if (e.op == op) {
      if (e.bits == bits) return e.pj;
      same.push_back(&e);
    }
  const bool linear = op == "int_add" || op == "reg_write" || op == "reg_clock";
  const bool quadratic = op == "int_mul";
  if (same.empty() || !(linear || quadratic))
    throw CostError(fmt::format("{}: technology table '{}' has no entry for {} at {} bits (needed by component '{}', action '{}'){}",
                                path, name, op, bits, component, action,
                                same.empty() ? "" : "; floating-point operations need an exact width"));
  const OpEntry& n = *same[static_cast<size_t>(nearest_index(same, bits))];
  const double ratio = static_cast<double>(bits) / n.bits;
  return n.pj * (linear ? ratio : ratio * ratio);
}

SramCost TechTable::sram_cost(uint64_t capacity, int width_bits, int banks, const std::string& component) const {
  const SramEntry* best = nullptr;
  auto dist = [&](const SramEntry& e) { return std::fabs(std::log2(static_cast<double>(e.capacity_bytes) / capacity)); };
  // The same width and banks first, then the same width, then any width.
  for (int pass = 0; pass < 3 && !best; ++pass)
    for (const SramEntry& e : sram) {
      if (pass < 2 && e.width_bits != width_bits) continue;
      if (pass == 0 && e.banks != banks) continue;
      if (!best || dist(e) < dist(*best) ||
          (dist(e) == dist(*best) && std::abs(e.width_bits - width_bits) < std::abs(best->width_bits - width_bits)))
        best = &e;
    }
  if (!best)
    throw CostError(fmt::format("{}: technology table '{}' has no SRAM entries (needed by component '{}')", path, name,
                                component));
  SramCost c;
  const double cap_ratio = static_cast<double>(capacity) / best->capacity_bytes;
  const double e_scale = std::sqrt(cap_ratio);
  c.read_pj_per_bit = best->read_pj / best->width_bits * e_scale;
  c.write_pj_per_bit = best->write_pj / best->width_bits * e_scale;
  c.area_mm2 = best->area_mm2 * cap_ratio;
  c.leakage_mw = best->leakage_mw * cap_ratio;
  if (best->capacity_bytes == capacity && best->width_bits == width_bits && best->banks == banks)
    c.rule = "exact";
  else
    c.rule = fmt::format("from {} B x {} bit x {} bank{}: energy/bit x sqrt({:.4g}), area and leakage x {:.4g}",
                         best->capacity_bytes, best->width_bits, best->banks, best->banks > 1 ? "s" : "", cap_ratio,
                         cap_ratio);
  return c;
}

double TechTable::dram_pj_per_bit(const std::string& type, const std::string& component) const {
  for (const DramEntry& e : dram)
    if (e.type == type) return e.pj_per_bit;
  std::string known;
  for (const DramEntry& e : dram) known += (known.empty() ? "" : ", ") + e.type;
  throw CostError(fmt::format("{}: technology table '{}' has no DRAM entry for '{}' (needed by component '{}'; listed: {})",
                              path, name, type, component, known.empty() ? "none" : known));
}

}  // namespace tpesim::cost
