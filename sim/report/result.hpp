// What a run produces: per-layer and total cycles, traffic and action counts.
// Report writers turn it into text, JSON ("tpesim-report/1") and CSV.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tpesim {

/// Reads and writes of one on-chip buffer, in accesses (one port transfer each) and bytes.
struct BufferTraffic {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  BufferTraffic& operator+=(const BufferTraffic& o);
  bool operator==(const BufferTraffic& o) const;
};

/// Cycle breakdown of one GEMM (or the sum of several).
struct Cycles {
  uint64_t total = 0;    ///< first cycle to last output, inclusive
  uint64_t compute = 0;  ///< total - stall
  uint64_t stall = 0;    ///< cycles the array's input was held back by a buffer
  std::map<std::string, uint64_t> stall_by_buffer;  ///< "ifmap", "filter", "ofmap" -> cycles
  /// Engines that break compute cycles down further (BitMoD: "term", "dequant", "encoder",
  /// "skew", summing to compute); empty otherwise. docs/report.md.
  std::map<std::string, uint64_t> breakdown;
  Cycles& operator+=(const Cycles& o);              ///< sums every field; maps per name
  bool operator==(const Cycles& o) const;           ///< a missing buffer name equals a zero entry
};

/// Results for one trace record (already multiplied by its count).
struct LayerResult {
  std::string name;
  uint64_t M = 0, N = 0, K = 0, count = 1;
  uint64_t folds = 0;             ///< array folds per instance
  Cycles cycles;                  ///< for all `count` instances
  uint64_t macs = 0;              ///< useful MACs (M*N*K*count)
  double utilization = 0;         ///< macs / (rows*cols*cycles.total)
  double mapping_efficiency = 0;  ///< macs / (rows*cols*folded-compute slots): spatial fill
  /// The cycles an analytical model (BitMoD artifact style: max(term cycles, DRAM bytes /
  /// bandwidth)) predicts for the same GEMMs; 0 = not computed by this engine.
  uint64_t analytical_cycles = 0;
  /// Output SQNR in dB against the FP64 GEMM of unquantised weights, on a sample of outputs
  /// (docs/report.md); absent when the engine does not compute values.
  std::optional<double> sqnr_db;
  std::map<std::string, uint64_t> actions;       ///< action name -> count (see docs/report.md)
  std::map<std::string, BufferTraffic> buffers;  ///< "ifmap", "filter", "ofmap"
  uint64_t dram_read_bytes = 0;
  uint64_t dram_write_bytes = 0;
  uint64_t dram_bytes() const { return dram_read_bytes + dram_write_bytes; }
  /// Energy by component, pJ (docs/energy-area.md): the counted actions, buffer and DRAM
  /// traffic and leakage priced by the run's technology table.
  std::map<std::string, double> energy_pj;
  double energy_total_pj() const;
  /// Field-by-field equality; doubles compared exactly (a JSON round trip preserves them);
  /// a name missing from `actions` or `buffers` equals a present zero entry.
  bool operator==(const LayerResult& o) const;
  bool operator!=(const LayerResult& o) const { return !(*this == o); }
};

/// One component of the design's area.
struct AreaComponent {
  std::string name;   ///< "pe_array", "buffer.ifmap", ...
  double mm2 = 0;
  std::string basis;  ///< how it was obtained (synthesis cache entry, SRAM table rule)
  bool operator==(const AreaComponent& o) const { return name == o.name && mm2 == o.mm2 && basis == o.basis; }
};

/// The technology a run was priced with and the design's area (docs/energy-area.md).
struct RunCosts {
  std::string tech;       ///< table name
  std::string tech_file;  ///< the table's file, relative to the source tree for built-in ones
  double node_nm = 0;
  std::vector<AreaComponent> area;  ///< empty when area_note says why
  std::string area_note;            ///< empty, or why area (and logic leakage) is missing
  double peak_ops_per_s = 0;        ///< 2 x MAC slots per second at the clock (engine's peak)
  double area_mm2() const;
  bool operator==(const RunCosts& o) const;
};

/// A whole run.
struct RunResult {
  std::string tool_version;  ///< tpesim version string
  std::string engine;        ///< "cycle", "rtl", "fast"
  std::string arch_name;
  std::string arch_engine = "systolic";  ///< the arch's engine model: "systolic", "bitmod"
  std::string arch_yaml;  ///< the validated arch, as YAML
  std::string workload_name;
  std::string workload_source;
  int rows = 0, cols = 0;
  std::string dataflow;
  double clock_hz = 0;
  std::vector<LayerResult> layers;
  LayerResult totals;  ///< sums; utilization and efficiency recomputed from the sums
  RunCosts costs;
  /// Field-by-field equality (layers in order, totals, header fields).
  bool operator==(const RunResult& o) const;
  bool operator!=(const RunResult& o) const { return !(*this == o); }
};

/// Recomputes r->totals from r->layers (layers are not modified):
///  - count, cycles (incl. stall_by_buffer), macs, actions, buffers, DRAM bytes, energy: sums;
///  - analytical_cycles: sum; sqnr_db: the lowest layer value (the worst layer), if any;
///  - folds: sum of folds * count (folds executed over the whole run; a layer's own
///    `folds` is per instance);
///  - name empty, M = N = K = 0;
///  - utilization = macs / (rows * cols * cycles.total), 0 if the denominator is 0; for the
///    BitMoD engine macs / sum over layers of (macs_l / utilization_l) (peak MAC slots);
///  - mapping_efficiency = macs / sum over layers of (macs_l / mapping_efficiency_l), i.e.
///    useful MACs over the PE slots the mappings offered (the macs-weighted harmonic mean);
///    layers with macs_l == 0 or mapping_efficiency_l <= 0 are left out of both sums;
///    0 if nothing is left.
/// Throws InternalError if r is null.
void compute_totals(RunResult* r);

}  // namespace tpesim
