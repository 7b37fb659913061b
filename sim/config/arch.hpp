// The architecture a run simulates: array, PE number formats, buffers, DRAM, clock.
// Loaded from a YAML file (docs/config.md), validated key by key.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/numerics/int_format.hpp"

namespace tpesim {

/// Which operand stays in the PEs.
enum class Dataflow { kOS, kWS, kIS };
const char* to_string(Dataflow d);  ///< "os", "ws", "is"

/// One on-chip SRAM buffer.
struct BufferSpec {
  uint64_t size_bytes = 256 * 1024;  ///< capacity in bytes
  uint64_t width_bytes = 64;         ///< bytes the port moves per cycle (read or write)
  bool double_buffered = true;       ///< split in two halves: fill one while the other is used
};

/// The off-chip memory interface.
struct DramSpec {
  std::string type = "LPDDR4";                ///< label, used by the cost model later
  uint64_t bandwidth_millibytes_per_cycle = 32000;  ///< sustained bandwidth, 1/1000 byte/cycle
  uint64_t latency_cycles = 100;              ///< from request to first data
};

/// The BitMoD engine's array and PE parameters (engine: bitmod; docs/config.md).
struct BitmodSpec {
  int tile_rows = 8, tile_cols = 8;  ///< PEs per tile (rows / cols must be multiples)
  int lanes = 4;                     ///< dot-product lanes per PE
  int guard_bits = 3;                ///< alignment guard bits
  int acc_exp_bits = 6;              ///< group accumulator exponent width
  int acc_man_bits = 15;             ///< group accumulator signed mantissa width
  int scale_bits = 8;                ///< integer group scale width (dequantisation cycles)
};

/// The MixPE engine's PE (engine: mixpe; docs/mixpe-pe.md): an output-stationary systolic
/// array of the spine with MixPE's PE and a per-group dequantisation unit, or the FP16xINT8
/// per-element-dequantisation baseline.
struct MixpeSpec {
  std::string variant = "w4a8";  ///< "w4a8", "w4a16", "fp16xint8"
  int weight_bits = 4;           ///< the PE's integer weight width (2..8)
};

/// A complete, validated architecture.
struct ArchSpec {
  std::string source = "<built-in>";  ///< file it came from, for messages
  std::string name = "default";       ///< free-form label
  std::string engine = "systolic";    ///< engine model selected by name: systolic, bitmod
  int rows = 16;                      ///< PE rows (R)
  int cols = 16;                      ///< PE columns (C)
  Dataflow dataflow = Dataflow::kWS;
  bool fold_overlap = true;    ///< next fold enters before the previous drains
  bool weight_preload = true;  ///< two stationary banks: next fold's tile shifts in during compute
  /// os only: split the reduction into folds of at most this many wavefronts (0 = all of K);
  /// the folds' partial sums are combined in the ofmap buffer (docs/timing.md).
  int64_t os_k_fold = 0;
  num::IntFormat act{8, true};     ///< A (activation) format
  num::IntFormat weight{8, true};  ///< B (weight) format
  /// pe.act / pe.weight given as fp16: the FP16 x FP16 MAC PE with an FP32 accumulator
  /// (both must be fp16; act/weight then hold {16 bits} for the byte arithmetic).
  bool act_fp16 = false, weight_fp16 = false;
  bool fp16() const { return act_fp16 && weight_fp16; }
  /// pe.act fp16 with an integer pe.weight of at most 8 bits: the FP16 x INT MAC PE
  /// (MixPE's W4A16 MAC: shift-and-add product, FP32 accumulator; docs/mixpe-pe.md).
  bool fp16_int() const { return act_fp16 && !weight_fp16; }
  /// Either FP PE (FP32 accumulator).
  bool fp_pe() const { return act_fp16; }
  num::AccFormat acc{32, num::Overflow::kWrap};
  double clock_hz = 1e9;  ///< clock frequency
  BufferSpec ifmap;       ///< holds A
  BufferSpec filter;      ///< holds B
  BufferSpec ofmap{256 * 1024, 128, true};  ///< holds C partial sums (ACC bits each)
  DramSpec dram;
  /// Technology table pricing the run's energy and area: a built-in name ("45nm", "28nm",
  /// "ihp-sg13g2-130nm") or a path to a tpesim-tech file (docs/energy-area.md).
  std::string tech = "45nm";
  BitmodSpec bitmod;  ///< engine: bitmod only
  bool is_bitmod() const { return engine == "bitmod"; }
  MixpeSpec mixpe;    ///< engine: mixpe only (act/weight/acc/dataflow are derived from it)
  bool is_mixpe() const { return engine == "mixpe"; }
};

/// A `key=value` override from the command line (`--set array.rows=32`).
struct Override {
  std::string key;
  std::string value;
};

/// Loads and validates an arch YAML file, then applies overrides (each validated as if it
/// were in the file; errors name "--set key"). Throws ConfigError naming file:line: key.
ArchSpec load_arch(const std::string& path, const std::vector<Override>& overrides = {});

/// The built-in default (16x16 weight-stationary INT8), with overrides applied.
ArchSpec default_arch(const std::vector<Override>& overrides = {});

/// Parses "key=value" (throws ConfigError if there is no '=' or the key is empty).
Override parse_override(const std::string& s);

/// Writes the spec back as YAML (same keys the loader accepts), for reports.
std::string to_yaml(const ArchSpec& a);

}  // namespace tpesim
