// Report writers (docs/report.md): text, JSON "tpesim-report/1", CSV, and the atomic
// writing of all three into an output directory.
#include "sim/report/writers.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <filesystem>
#include <set>
#include <system_error>
#include <vector>

#include "sim/common/error.hpp"

namespace tpesim {
namespace {

namespace fs = std::filesystem;

/// The buffers every report lists, in this order; other names follow sorted.
const char* const kBuffers[] = {"ifmap", "filter", "ofmap"};

/// Compute-cycle categories of engines that report a breakdown (docs/report.md), in order:
/// BitMoD's, then MixPE's. New names go at the end (they are CSV columns).
const char* const kBreakdown[] = {"term", "dequant", "encoder", "skew", "stream", "dequant_wait", "fill_drain"};

/// Energy component groups of the per-layer summaries (docs/energy-area.md).
const char* const kEnergyGroups[] = {"compute", "buffers", "dram", "leakage"};

/// The group of an energy component: buffers ("buffer.*"), dram, leakage ("leakage.*"),
/// everything else is compute (PE array, dequantisation units, encoders, array registers).
const char* energy_group(const std::string& component) {
  if (component.rfind("buffer.", 0) == 0) return "buffers";
  if (component == "dram") return "dram";
  if (component.rfind("leakage.", 0) == 0) return "leakage";
  return "compute";
}

double energy_of_group(const LayerResult& l, const std::string& g) {
  double s = 0;
  for (const auto& [c, pj] : l.energy_pj)
    if (g == energy_group(c)) s += pj;
  return s;
}

/// Pico-joules per MAC, TOPS/W and TOPS/mm^2 of a run (0 where undefined).
struct Figures {
  double pj_per_mac = 0, tops_per_w = 0, tops_per_mm2 = 0;
};

Figures figures(const RunResult& r) {
  Figures f;
  const double e = r.totals.energy_total_pj();
  if (r.totals.macs) f.pj_per_mac = e / static_cast<double>(r.totals.macs);
  // 2 ops per MAC: ops / J = 2 macs / (e 1e-12); TOPS/W = that / 1e12.
  if (e > 0) f.tops_per_w = 2.0 * static_cast<double>(r.totals.macs) / e;
  if (r.costs.area_mm2() > 0) f.tops_per_mm2 = r.costs.peak_ops_per_s / 1e12 / r.costs.area_mm2();
  return f;
}

/// Buffer names to list: the three standard ones, then any others found in `names`.
template <typename V>
std::vector<std::string> buffer_names(const std::map<std::string, V>& m) {
  std::vector<std::string> out(std::begin(kBuffers), std::end(kBuffers));
  for (const auto& entry : m) {
    if (std::find(out.begin(), out.end(), entry.first) == out.end()) out.push_back(entry.first);
  }
  return out;
}

/// Value of `name` in `m`, or a default value if absent.
template <typename V>
V value_or_zero(const std::map<std::string, V>& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? V{} : it->second;
}

// ---------------------------------------------------------------------------------------
// Number formatting (locale-independent)

/// 1234567 -> "1,234,567".
std::string group(uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// A ratio as a percentage with two decimals ("95.31").
std::string percent(double ratio) { return fmt::format("{:.2f}", ratio * 100.0); }

/// A frequency with an SI prefix ("1 GHz", "800 MHz", "1.5 GHz").
std::string format_hz(double hz) {
  if (hz >= 1e9) return fmt::format("{:g} GHz", hz / 1e9);
  if (hz >= 1e6) return fmt::format("{:g} MHz", hz / 1e6);
  if (hz >= 1e3) return fmt::format("{:g} kHz", hz / 1e3);
  return fmt::format("{:g} Hz", hz);
}

// ---------------------------------------------------------------------------------------
// Aligned text tables

/// A table of strings rendered with aligned columns, two spaces apart, a dashed rule under
/// the header. Right-aligned columns hold numbers.
class Table {
 public:
  /// One column: header text and alignment.
  void column(std::string header, bool right) {
    headers_.push_back(std::move(header));
    right_.push_back(right);
  }
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  /// Renders every line indented by `indent`.
  std::string render(const std::string& indent) const {
    std::vector<size_t> width(headers_.size(), 0);
    for (size_t c = 0; c < headers_.size(); ++c) width[c] = headers_[c].size();
    for (const auto& r : rows_) {
      for (size_t c = 0; c < r.size() && c < width.size(); ++c) {
        width[c] = std::max(width[c], r[c].size());
      }
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
      std::string s = indent;
      for (size_t c = 0; c < width.size(); ++c) {
        const std::string& cell = c < cells.size() ? cells[c] : std::string();
        if (c > 0) s += "  ";
        const std::string pad(width[c] - cell.size(), ' ');
        s += right_[c] ? pad + cell : cell + pad;
      }
      while (!s.empty() && s.back() == ' ') s.pop_back();
      out += s + '\n';
    };
    line(headers_);
    std::vector<std::string> rule;
    for (size_t w : width) rule.emplace_back(w, '-');
    line(rule);
    for (const auto& r : rows_) line(r);
    return out;
  }

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

/// "label" padded to a fixed width, then the value: one line of a key/value block.
std::string kv(const std::string& indent, const std::string& label, const std::string& value) {
  return fmt::format("{}{:<20}{}\n", indent, label, value);
}

// ---------------------------------------------------------------------------------------
// JSON

/// Rejects a non-finite ratio: it would be written as null, and it is an engine bug.
double finite(double v, const std::string& what) {
  if (!std::isfinite(v)) throw InternalError("report: " + what + " is not finite");
  return v;
}

nlohmann::ordered_json layer_json(const LayerResult& l, bool with_shape, const std::string& at) {
  nlohmann::ordered_json j;
  if (with_shape) {
    j["name"] = l.name;
    j["M"] = l.M;
    j["N"] = l.N;
    j["K"] = l.K;
  }
  j["count"] = l.count;
  j["folds"] = l.folds;
  nlohmann::ordered_json cyc;
  cyc["total"] = l.cycles.total;
  cyc["compute"] = l.cycles.compute;
  cyc["stall"] = l.cycles.stall;
  nlohmann::ordered_json sbb = nlohmann::ordered_json::object();
  for (const std::string& b : buffer_names(l.cycles.stall_by_buffer)) {
    sbb[b] = value_or_zero(l.cycles.stall_by_buffer, b);
  }
  cyc["stall_by_buffer"] = std::move(sbb);
  nlohmann::ordered_json bd = nlohmann::ordered_json::object();
  for (const auto& [name, n] : l.cycles.breakdown) bd[name] = n;
  cyc["breakdown"] = std::move(bd);
  j["cycles"] = std::move(cyc);
  j["utilization"] = finite(l.utilization, at + ".utilization");
  j["mapping_efficiency"] = finite(l.mapping_efficiency, at + ".mapping_efficiency");
  j["analytical_cycles"] = l.analytical_cycles;
  if (l.sqnr_db)
    j["sqnr_db"] = finite(*l.sqnr_db, at + ".sqnr_db");
  else
    j["sqnr_db"] = nullptr;
  j["macs"] = l.macs;
  nlohmann::ordered_json actions = nlohmann::ordered_json::object();
  for (const auto& [name, n] : l.actions) actions[name] = n;
  j["actions"] = std::move(actions);
  nlohmann::ordered_json bufs = nlohmann::ordered_json::object();
  for (const std::string& b : buffer_names(l.buffers)) {
    const BufferTraffic t = value_or_zero(l.buffers, b);
    nlohmann::ordered_json bj;
    bj["reads"] = t.reads;
    bj["writes"] = t.writes;
    bj["read_bytes"] = t.read_bytes;
    bj["write_bytes"] = t.write_bytes;
    bufs[b] = std::move(bj);
  }
  j["buffers"] = std::move(bufs);
  j["dram_bytes"] = l.dram_bytes();
  j["dram_read_bytes"] = l.dram_read_bytes;
  j["dram_write_bytes"] = l.dram_write_bytes;
  nlohmann::ordered_json en = nlohmann::ordered_json::object();
  for (const auto& [name, pj] : l.energy_pj) en[name] = finite(pj, at + ".energy_pj." + name);
  j["energy_pj"] = std::move(en);
  j["energy_total_pj"] = finite(l.energy_total_pj(), at + ".energy_total_pj");
  return j;
}

/// Reads typed values out of a report JSON, naming the JSON path in every error.
class Reader {
 public:
  static const nlohmann::json& need(const nlohmann::json& obj, const std::string& key,
                                    const std::string& path) {
    const std::string at = join(path, key);
    if (!obj.is_object()) fail(path.empty() ? "(top level)" : path, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(at, "missing key");
    return *it;
  }
  static const nlohmann::json& object(const nlohmann::json& obj, const std::string& key,
                                      const std::string& path) {
    const nlohmann::json& v = need(obj, key, path);
    if (!v.is_object()) fail(join(path, key), "expected an object");
    return v;
  }
  static uint64_t u64(const nlohmann::json& obj, const std::string& key, const std::string& path) {
    const nlohmann::json& v = need(obj, key, path);
    if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
      fail(join(path, key), "expected a non-negative integer, got " + v.dump());
    }
    return v.get<uint64_t>();
  }
  static double number(const nlohmann::json& obj, const std::string& key, const std::string& path) {
    const nlohmann::json& v = need(obj, key, path);
    if (!v.is_number()) fail(join(path, key), "expected a number, got " + v.dump());
    return v.get<double>();
  }
  static std::string str(const nlohmann::json& obj, const std::string& key,
                         const std::string& path) {
    const nlohmann::json& v = need(obj, key, path);
    if (!v.is_string()) fail(join(path, key), "expected a string, got " + v.dump());
    return v.get<std::string>();
  }
  static std::map<std::string, uint64_t> counts(const nlohmann::json& obj, const std::string& key,
                                                const std::string& path) {
    const nlohmann::json& m = object(obj, key, path);
    std::map<std::string, uint64_t> out;
    for (auto it = m.begin(); it != m.end(); ++it)
      out[it.key()] = u64(m, it.key(), join(path, key));
    return out;
  }
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  [[noreturn]] static void fail(const std::string& at, const std::string& what) {
    throw UserError(where("report JSON", 0, at, what));
  }
};

LayerResult layer_from_json(const nlohmann::json& j, bool with_shape, const std::string& at) {
  using R = Reader;
  LayerResult l;
  if (!j.is_object()) R::fail(at, "expected an object");
  if (with_shape) {
    l.name = R::str(j, "name", at);
    l.M = R::u64(j, "M", at);
    l.N = R::u64(j, "N", at);
    l.K = R::u64(j, "K", at);
  }
  l.count = R::u64(j, "count", at);
  l.folds = R::u64(j, "folds", at);
  const nlohmann::json& cyc = R::object(j, "cycles", at);
  const std::string cat = R::join(at, "cycles");
  l.cycles.total = R::u64(cyc, "total", cat);
  l.cycles.compute = R::u64(cyc, "compute", cat);
  l.cycles.stall = R::u64(cyc, "stall", cat);
  l.cycles.stall_by_buffer = R::counts(cyc, "stall_by_buffer", cat);
  // Added within schema 1 (issue 5): optional for reports written before.
  if (cyc.contains("breakdown")) l.cycles.breakdown = R::counts(cyc, "breakdown", cat);
  l.utilization = R::number(j, "utilization", at);
  l.mapping_efficiency = R::number(j, "mapping_efficiency", at);
  if (j.contains("analytical_cycles")) l.analytical_cycles = R::u64(j, "analytical_cycles", at);
  if (j.contains("sqnr_db") && !j.at("sqnr_db").is_null()) l.sqnr_db = R::number(j, "sqnr_db", at);
  l.macs = R::u64(j, "macs", at);
  l.actions = R::counts(j, "actions", at);
  const nlohmann::json& bufs = R::object(j, "buffers", at);
  const std::string bat = R::join(at, "buffers");
  for (const char* b : kBuffers) R::object(bufs, b, bat);  // the three are required
  for (auto it = bufs.begin(); it != bufs.end(); ++it) {
    const nlohmann::json& bj = R::object(bufs, it.key(), bat);
    const std::string bp = R::join(bat, it.key());
    BufferTraffic t;
    t.reads = R::u64(bj, "reads", bp);
    t.writes = R::u64(bj, "writes", bp);
    t.read_bytes = R::u64(bj, "read_bytes", bp);
    t.write_bytes = R::u64(bj, "write_bytes", bp);
    l.buffers[it.key()] = t;
  }
  l.dram_read_bytes = R::u64(j, "dram_read_bytes", at);
  l.dram_write_bytes = R::u64(j, "dram_write_bytes", at);
  // Added within schema 1 (issue 7): optional for reports written before.
  if (j.contains("energy_pj")) {
    const nlohmann::json& en = R::object(j, "energy_pj", at);
    for (auto it = en.begin(); it != en.end(); ++it) l.energy_pj[it.key()] = R::number(en, it.key(), R::join(at, "energy_pj"));
  }
  const uint64_t dram = R::u64(j, "dram_bytes", at);
  if (dram != l.dram_bytes()) {
    R::fail(R::join(at, "dram_bytes"),
            fmt::format("{} is not dram_read_bytes + dram_write_bytes = {}", dram, l.dram_bytes()));
  }
  return l;
}

// ---------------------------------------------------------------------------------------
// CSV

/// Quotes a CSV field if it holds a comma, quote or line break (RFC 4180).
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

/// 6 significant digits, independent of the C and C++ locales.
std::string csv_double(double v) { return fmt::format("{:.6g}", v); }

void csv_row(std::string* out, const LayerResult& l, bool is_total,
             const std::vector<std::string>& action_names, double area_mm2) {
  std::vector<std::string> f;
  f.push_back(is_total ? "TOTAL" : csv_field(l.name));
  f.push_back(is_total ? "" : std::to_string(l.M));
  f.push_back(is_total ? "" : std::to_string(l.N));
  f.push_back(is_total ? "" : std::to_string(l.K));
  f.push_back(std::to_string(l.count));
  f.push_back(std::to_string(l.folds));
  f.push_back(std::to_string(l.cycles.total));
  f.push_back(std::to_string(l.cycles.compute));
  f.push_back(std::to_string(l.cycles.stall));
  for (const char* b : kBuffers) {
    f.push_back(std::to_string(value_or_zero(l.cycles.stall_by_buffer, b)));
  }
  f.push_back(csv_double(l.utilization));
  f.push_back(csv_double(l.mapping_efficiency));
  f.push_back(std::to_string(l.macs));
  f.push_back(std::to_string(l.dram_read_bytes));
  f.push_back(std::to_string(l.dram_write_bytes));
  for (const char* b : kBreakdown) f.push_back(std::to_string(value_or_zero(l.cycles.breakdown, b)));
  f.push_back(std::to_string(l.analytical_cycles));
  f.push_back(l.sqnr_db ? csv_double(*l.sqnr_db) : std::string());
  for (const char* b : kBuffers) {
    const BufferTraffic t = value_or_zero(l.buffers, b);
    f.push_back(std::to_string(t.reads));
    f.push_back(std::to_string(t.writes));
    f.push_back(std::to_string(t.read_bytes));
    f.push_back(std::to_string(t.write_bytes));
  }
  f.push_back(csv_double(l.energy_total_pj()));
  for (const char* g : kEnergyGroups) f.push_back(csv_double(energy_of_group(l, g)));
  f.push_back(csv_double(area_mm2));
  for (const std::string& a : action_names) {
    f.push_back(std::to_string(value_or_zero(l.actions, a)));
  }
  for (size_t i = 0; i < f.size(); ++i) {
    if (i > 0) *out += ',';
    *out += f[i];
  }
  *out += '\n';
}

// ---------------------------------------------------------------------------------------
// Files

/// "cannot <what> '<path>': <reason of errno>".
[[noreturn]] void file_error(const std::string& what, const fs::path& path, int err) {
  throw UserError(
      fmt::format("cannot {} '{}': {}", what, path.string(), std::generic_category().message(err)));
}

/// Writes `content` to dir/name through dir/name.tmp.<pid>: write, fsync, rename. A reader
/// sees either the old file or the complete new one. Throws UserError naming the path.
void write_atomically(const fs::path& dir, const std::string& name, const std::string& content) {
  const fs::path final_path = dir / name;
  const fs::path tmp = dir / (name + ".tmp." + std::to_string(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) file_error("write report file", final_path, errno);
  auto abandon = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    file_error("write report file", final_path, err);
  };
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      abandon(errno);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) abandon(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    file_error("write report file", final_path, err);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    file_error("write report file", final_path, err);
  }
}

}  // namespace

// -----------------------------------------------------------------------------------------

std::string text_report(const RunResult& r) {
  const LayerResult& t = r.totals;
  std::string out;
  out += fmt::format("tpesim report (tpesim {})\n\n", r.tool_version);
  out += kv("  ", "engine", r.engine);
  out += kv("  ", "arch", r.arch_name + (r.arch_engine == "systolic" ? "" : " (engine " + r.arch_engine + ")"));
  out += kv("  ", "array", fmt::format("{} x {} PEs (rows x cols)", r.rows, r.cols));
  out += kv("  ", "dataflow", r.dataflow);
  out += kv("  ", "clock", format_hz(r.clock_hz));
  out += kv("  ", "workload",
            r.workload_source.empty() ? r.workload_name
                                      : fmt::format("{} ({})", r.workload_name, r.workload_source));

  // Per-layer table. Stall columns: the three standard buffers, then any other name seen.
  std::map<std::string, uint64_t> all_stalls;
  for (const LayerResult& l : r.layers) {
    for (const auto& [b, n] : l.cycles.stall_by_buffer) all_stalls[b] += n;
  }
  const std::vector<std::string> stall_names = buffer_names(all_stalls);
  Table layers;
  layers.column("name", false);
  layers.column("MxNxK", false);
  layers.column("count", true);
  layers.column("folds", true);
  layers.column("cycles", true);
  layers.column("compute", true);
  layers.column("stall", true);
  layers.column("util %", true);
  layers.column("map-eff %", true);
  layers.column("MACs", true);
  layers.column("DRAM bytes", true);
  for (const std::string& b : stall_names) layers.column("stall " + b, true);
  for (const LayerResult& l : r.layers) {
    std::vector<std::string> row = {l.name,
                                    fmt::format("{}x{}x{}", l.M, l.N, l.K),
                                    group(l.count),
                                    group(l.folds),
                                    group(l.cycles.total),
                                    group(l.cycles.compute),
                                    group(l.cycles.stall),
                                    percent(l.utilization),
                                    percent(l.mapping_efficiency),
                                    group(l.macs),
                                    group(l.dram_bytes())};
    for (const std::string& b : stall_names) {
      row.push_back(group(value_or_zero(l.cycles.stall_by_buffer, b)));
    }
    layers.row(std::move(row));
  }
  out += fmt::format(
      "\nLayers ({}; cycles, MACs and bytes are for all `count` instances, "
      "folds per instance)\n",
      r.layers.size());
  out += layers.render("  ");

  // Cycle breakdown (engines that report one). Only the categories some layer reports, so
  // that each engine's table and caption show its own split (BitMoD: term + dequant +
  // encoder + skew; MixPE: stream + dequant_wait + fill_drain), and the analytical columns
  // only when the engine computes that estimate (BitMoD).
  std::vector<std::string> bd_names;
  for (const char* b : kBreakdown) {
    for (const LayerResult& l : r.layers) {
      if (l.cycles.breakdown.count(b)) {
        bd_names.emplace_back(b);
        break;
      }
    }
  }
  bool any_analytical = false;
  for (const LayerResult& l : r.layers) any_analytical = any_analytical || l.analytical_cycles > 0;
  if (!bd_names.empty()) {
    Table bd;
    bd.column("name", false);
    bd.column("cycles", true);
    for (const std::string& b : bd_names) bd.column(b, true);
    bd.column("stall", true);
    if (any_analytical) {
      bd.column("analytical", true);
      bd.column("cycles/analytical", true);
    }
    bd.column("SQNR dB", true);
    auto row = [&](const LayerResult& l, const std::string& name) {
      std::vector<std::string> v = {name, group(l.cycles.total)};
      for (const std::string& b : bd_names) v.push_back(group(value_or_zero(l.cycles.breakdown, b)));
      v.push_back(group(l.cycles.stall));
      if (any_analytical) {
        v.push_back(group(l.analytical_cycles));
        v.push_back(l.analytical_cycles ? fmt::format("{:.3f}", static_cast<double>(l.cycles.total) /
                                                                   static_cast<double>(l.analytical_cycles))
                                        : std::string("-"));
      }
      v.push_back(l.sqnr_db ? fmt::format("{:.2f}", *l.sqnr_db) : std::string("-"));
      bd.row(std::move(v));
    };
    for (const LayerResult& l : r.layers) row(l, l.name);
    row(t, "TOTAL");
    std::string sum;
    for (const std::string& b : bd_names) sum += (sum.empty() ? "" : " + ") + b;
    out += "\nCycle breakdown (" + sum + " = compute";
    if (any_analytical) out += "; analytical = max(term cycles, DRAM bytes / bandwidth) per GEMM";
    out += "; SQNR vs FP64, sampled)\n";
    out += bd.render("  ");
  }

  // Totals.
  out += "\nTotals\n";
  out += kv("  ", "GEMMs", group(t.count));
  out += kv("  ", "folds", group(t.folds));
  out += kv("  ", "cycles", group(t.cycles.total));
  out += kv("  ", "  compute", group(t.cycles.compute));
  out += kv("  ", "  stall", group(t.cycles.stall));
  for (const std::string& b : buffer_names(t.cycles.stall_by_buffer)) {
    out += kv("  ", "    " + b, group(value_or_zero(t.cycles.stall_by_buffer, b)));
  }
  if (r.clock_hz > 0) {
    const double seconds = static_cast<double>(t.cycles.total) / r.clock_hz;
    out += kv("  ", "time", fmt::format("{:.6g} s at {}", seconds, format_hz(r.clock_hz)));
    const double gops = seconds > 0 ? 2.0 * static_cast<double>(t.macs) / seconds / 1e9 : 0.0;
    out += kv("  ", "throughput", fmt::format("{:.3f} GOPS (2 ops per MAC)", gops));
  } else {
    out += kv("  ", "time", "n/a (no clock)");
    out += kv("  ", "throughput", "n/a (no clock)");
  }
  out += kv("  ", "MACs", group(t.macs));
  out += kv("  ", "utilization", percent(t.utilization) + " %");
  out += kv("  ", "mapping efficiency", percent(t.mapping_efficiency) + " %");
  out += kv("  ", "DRAM read bytes", group(t.dram_read_bytes));
  out += kv("  ", "DRAM write bytes", group(t.dram_write_bytes));
  out += kv("  ", "DRAM bytes", group(t.dram_bytes()));

  // Energy per layer (component groups) and of the whole run (every component).
  if (!r.costs.tech.empty()) {
    const Figures fig = figures(r);
    Table el;
    el.column("name", false);
    for (const char* g : kEnergyGroups) el.column(std::string(g) + " uJ", true);
    el.column("total uJ", true);
    el.column("pJ/MAC", true);
    auto uj = [](double pj) { return fmt::format("{:.3f}", pj / 1e6); };
    auto energy_row = [&](const LayerResult& l, const std::string& name) {
      std::vector<std::string> row{name};
      for (const char* g : kEnergyGroups) row.push_back(uj(energy_of_group(l, g)));
      row.push_back(uj(l.energy_total_pj()));
      row.push_back(l.macs ? fmt::format("{:.3f}", l.energy_total_pj() / static_cast<double>(l.macs)) : "-");
      el.row(row);
    };
    for (const LayerResult& l : r.layers) energy_row(l, l.name);
    energy_row(t, "TOTAL");
    out += fmt::format("\nEnergy (technology {}, {} nm; docs/energy-area.md)\n", r.costs.tech, r.costs.node_nm);
    out += el.render("  ");
    Table ec;
    ec.column("component", false);
    ec.column("uJ", true);
    ec.column("%", true);
    const double total = t.energy_total_pj();
    for (const auto& [c, pj] : t.energy_pj) ec.row({c, uj(pj), total > 0 ? percent(pj / total) : "0.00"});
    out += "\n  Energy by component (whole run)\n";
    out += ec.render("  ");
    out += kv("  ", "energy", fmt::format("{:.6g} uJ", total / 1e6));
    out += kv("  ", "energy per MAC", fmt::format("{:.4g} pJ", fig.pj_per_mac));
    out += kv("  ", "efficiency", fmt::format("{:.4g} TOPS/W (2 ops per MAC)", fig.tops_per_w));
    // Area.
    out += "\nArea\n";
    if (r.costs.area.empty()) {
      out += "  " + r.costs.area_note + "\n";
    } else {
      Table at;
      at.column("component", false);
      at.column("mm2", true);
      at.column("basis", false);
      for (const AreaComponent& a : r.costs.area) at.row({a.name, fmt::format("{:.4f}", a.mm2), a.basis});
      out += at.render("  ");
      out += kv("  ", "total", fmt::format("{:.4f} mm2", r.costs.area_mm2()));
      out += kv("  ", "peak", fmt::format("{:.4g} TOPS, {:.4g} TOPS/mm2", r.costs.peak_ops_per_s / 1e12, fig.tops_per_mm2));
      if (!r.costs.area_note.empty()) out += "  " + r.costs.area_note + "\n";
    }
  }

  // Buffer traffic of the whole run.
  Table bufs;
  bufs.column("buffer", false);
  bufs.column("reads", true);
  bufs.column("writes", true);
  bufs.column("read bytes", true);
  bufs.column("write bytes", true);
  bufs.column("bytes", true);
  for (const std::string& b : buffer_names(t.buffers)) {
    const BufferTraffic bt = value_or_zero(t.buffers, b);
    bufs.row({b, group(bt.reads), group(bt.writes), group(bt.read_bytes), group(bt.write_bytes),
              group(bt.read_bytes + bt.write_bytes)});
  }
  out += "\nBuffer traffic (whole run)\n";
  out += bufs.render("  ");

  // Action counts of the whole run.
  Table actions;
  actions.column("action", false);
  actions.column("count", true);
  for (const auto& [name, n] : t.actions) actions.row({name, group(n)});
  out += "\nActions (whole run)\n";
  out += t.actions.empty() ? std::string("  (none)\n") : actions.render("  ");
  return out;
}

nlohmann::ordered_json costs_json(const RunResult& r) {
  nlohmann::ordered_json c;
  c["tech"] = r.costs.tech;
  c["tech_file"] = r.costs.tech_file;
  c["node_nm"] = finite(r.costs.node_nm, "costs.node_nm");
  const Figures f = figures(r);
  c["energy_total_pj"] = finite(r.totals.energy_total_pj(), "costs.energy_total_pj");
  c["pj_per_mac"] = finite(f.pj_per_mac, "costs.pj_per_mac");
  c["tops_per_w"] = finite(f.tops_per_w, "costs.tops_per_w");
  nlohmann::ordered_json area = nlohmann::ordered_json::array();
  for (const AreaComponent& a : r.costs.area) {
    nlohmann::ordered_json e;
    e["name"] = a.name;
    e["mm2"] = finite(a.mm2, "costs.area." + a.name);
    e["basis"] = a.basis;
    area.push_back(std::move(e));
  }
  c["area"] = std::move(area);
  c["area_mm2"] = finite(r.costs.area_mm2(), "costs.area_mm2");
  c["area_note"] = r.costs.area_note;
  c["peak_ops_per_s"] = finite(r.costs.peak_ops_per_s, "costs.peak_ops_per_s");
  c["tops_per_mm2"] = finite(f.tops_per_mm2, "costs.tops_per_mm2");
  return c;
}

nlohmann::ordered_json to_json(const RunResult& r) {
  nlohmann::ordered_json j;
  j["schema"] = kReportSchema;
  j["tool_version"] = r.tool_version;
  j["engine"] = r.engine;
  nlohmann::ordered_json arch;
  arch["name"] = r.arch_name;
  arch["engine"] = r.arch_engine;
  arch["rows"] = r.rows;
  arch["cols"] = r.cols;
  arch["dataflow"] = r.dataflow;
  arch["clock_hz"] = finite(r.clock_hz, "arch.clock_hz");
  arch["yaml"] = r.arch_yaml;
  j["arch"] = std::move(arch);
  nlohmann::ordered_json wl;
  wl["name"] = r.workload_name;
  wl["source"] = r.workload_source;
  j["workload"] = std::move(wl);
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    layers.push_back(layer_json(r.layers[i], true, fmt::format("layers[{}]", i)));
  }
  j["layers"] = std::move(layers);
  j["totals"] = layer_json(r.totals, false, "totals");
  j["costs"] = costs_json(r);
  return j;
}

RunResult from_json(const nlohmann::json& j) {
  using R = Reader;
  RunResult r;
  const std::string schema = R::str(j, "schema", "");
  if (schema != kReportSchema) {
    R::fail("schema", fmt::format("expected \"{}\", got \"{}\"", kReportSchema, schema));
  }
  r.tool_version = R::str(j, "tool_version", "");
  r.engine = R::str(j, "engine", "");
  const nlohmann::json& arch = R::object(j, "arch", "");
  r.arch_name = R::str(arch, "name", "arch");
  if (arch.contains("engine")) r.arch_engine = R::str(arch, "engine", "arch");  // added within schema 1
  const uint64_t rows = R::u64(arch, "rows", "arch");
  const uint64_t cols = R::u64(arch, "cols", "arch");
  if (rows > static_cast<uint64_t>(INT_MAX)) R::fail("arch.rows", "out of range");
  if (cols > static_cast<uint64_t>(INT_MAX)) R::fail("arch.cols", "out of range");
  r.rows = static_cast<int>(rows);
  r.cols = static_cast<int>(cols);
  r.dataflow = R::str(arch, "dataflow", "arch");
  r.clock_hz = R::number(arch, "clock_hz", "arch");
  r.arch_yaml = R::str(arch, "yaml", "arch");
  const nlohmann::json& wl = R::object(j, "workload", "");
  r.workload_name = R::str(wl, "name", "workload");
  r.workload_source = R::str(wl, "source", "workload");
  const nlohmann::json& layers = R::need(j, "layers", "");
  if (!layers.is_array()) R::fail("layers", "expected an array");
  for (size_t i = 0; i < layers.size(); ++i) {
    r.layers.push_back(layer_from_json(layers[i], true, fmt::format("layers[{}]", i)));
  }
  r.totals = layer_from_json(R::object(j, "totals", ""), false, "totals");
  if (j.contains("costs")) {  // added within schema 1 (issue 7)
    const nlohmann::json& c = R::object(j, "costs", "");
    r.costs.tech = R::str(c, "tech", "costs");
    r.costs.tech_file = R::str(c, "tech_file", "costs");
    r.costs.node_nm = R::number(c, "node_nm", "costs");
    const nlohmann::json& area = R::need(c, "area", "costs");
    if (!area.is_array()) R::fail("costs.area", "expected an array");
    for (size_t i = 0; i < area.size(); ++i) {
      const std::string at = fmt::format("costs.area[{}]", i);
      r.costs.area.push_back(AreaComponent{R::str(area[i], "name", at), R::number(area[i], "mm2", at), R::str(area[i], "basis", at)});
    }
    r.costs.area_note = R::str(c, "area_note", "costs");
    r.costs.peak_ops_per_s = R::number(c, "peak_ops_per_s", "costs");
  }
  return r;
}

RunResult from_json(const nlohmann::ordered_json& j) { return from_json(nlohmann::json(j)); }

std::string csv_report(const RunResult& r) {
  std::set<std::string> names;
  for (const LayerResult& l : r.layers) {
    for (const auto& entry : l.actions) names.insert(entry.first);
  }
  const std::vector<std::string> action_names(names.begin(), names.end());
  std::string out =
      "name,M,N,K,count,folds,cycles_total,cycles_compute,cycles_stall,stall_ifmap,"
      "stall_filter,stall_ofmap,utilization,mapping_efficiency,macs,dram_read_bytes,"
      "dram_write_bytes";
  // One column per breakdown category, in the order csv_row writes them.
  for (const char* b : kBreakdown) out += fmt::format(",cycles_{}", b);
  out += ",analytical_cycles,sqnr_db";
  for (const char* b : kBuffers) {
    out += fmt::format(",{0}_reads,{0}_writes,{0}_read_bytes,{0}_write_bytes", b);
  }
  out += ",energy_pj";
  for (const char* g : kEnergyGroups) out += fmt::format(",energy_{}_pj", g);
  out += ",area_mm2";
  for (const std::string& a : action_names) out += "," + csv_field("action." + a);
  out += '\n';
  const double area = r.costs.area_mm2();
  for (const LayerResult& l : r.layers) csv_row(&out, l, false, action_names, area);
  csv_row(&out, r.totals, true, action_names, area);
  return out;
}

void write_reports(const RunResult& r, const std::string& dir) {
  if (dir.empty()) throw UserError("report directory: empty path");
  // Format everything first: a formatting error then leaves no partial set of files.
  const std::string json = to_json(r).dump(2) + "\n";
  const std::string csv = csv_report(r);
  const std::string txt = text_report(r);

  const fs::path d(dir);
  std::error_code ec;
  fs::create_directories(d, ec);
  if (ec) {
    throw UserError(
        fmt::format("cannot create report directory '{}': {}", d.string(), ec.message()));
  }
  if (!fs::is_directory(d, ec)) {
    throw UserError(fmt::format("cannot create report directory '{}': {}", d.string(),
                                ec ? ec.message() : std::string("not a directory")));
  }
  write_atomically(d, "report.json", json);
  write_atomically(d, "report.csv", csv);
  write_atomically(d, "report.txt", txt);
  // Make the renames durable; best effort (some file systems refuse fsync on directories).
  const int dfd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace tpesim
