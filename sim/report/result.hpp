// What a run produces: per-layer and total cycles, traffic and action counts.
// Report writers turn it into text, JSON ("tpesim-report/1") and CSV.
#pragma once
#include <cstdint>
#include <map>
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
  Cycles& operator+=(const Cycles& o);
  bool operator==(const Cycles& o) const;
};

/// Results for one trace record (already multiplied by its count).
struct LayerResult {
  std::string name;
  uint64_t M = 0, N = 0, K = 0, count = 1;
  uint64_t folds = 0;              ///< array folds per instance
  Cycles cycles;                   ///< for all `count` instances
  uint64_t macs = 0;               ///< useful MACs (M*N*K*count)
  double utilization = 0;          ///< macs / (rows*cols*cycles.total)
  double mapping_efficiency = 0;   ///< macs / (rows*cols*folded-compute slots): spatial fill
  std::map<std::string, uint64_t> actions;        ///< action name -> count (see docs/report.md)
  std::map<std::string, BufferTraffic> buffers;   ///< "ifmap", "filter", "ofmap"
  uint64_t dram_read_bytes = 0;
  uint64_t dram_write_bytes = 0;
  uint64_t dram_bytes() const { return dram_read_bytes + dram_write_bytes; }
};

/// A whole run.
struct RunResult {
  std::string tool_version;   ///< tpesim version string
  std::string engine;         ///< "cycle", "rtl", "fast"
  std::string arch_name;
  std::string arch_yaml;      ///< the validated arch, as YAML
  std::string workload_name;
  std::string workload_source;
  int rows = 0, cols = 0;
  std::string dataflow;
  double clock_hz = 0;
  std::vector<LayerResult> layers;
  LayerResult totals;  ///< sums; utilization and efficiency recomputed from the sums
};

/// Recomputes totals from layers (sums; ratios from the sums).
void compute_totals(RunResult* r);

}  // namespace tpesim
