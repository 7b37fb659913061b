// Area from synthesis (docs/energy-area.md, "Area"). `tpesim area` synthesises an engine's RTL
// with yosys against a Liberty library (IHP SG13G2, 130 nm) and keeps the cell areas per
// module in a cache in the repository, models/tech/synth_area.json, keyed by module,
// parameters, the SHA-256 of the RTL it read and of the library. Runs price area from that
// cache only (area_for): cell area in NAND2 gate equivalents (GE = cell area / the library's
// NAND2 area) times a technology table's NAND2 area, plus SRAM buffers from the same table.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/config/arch.hpp"
#include "sim/cost/tech.hpp"

namespace tpesim::cost {

/// One module of a synthesised hierarchy. Areas and cell counts are of ONE instance and
/// include its submodules.
struct ModuleArea {
  std::string module;      ///< Verilog module name (yosys's $paramod names reduced to it)
  std::string params;      ///< "NAME=value ..." (sorted by name; empty for a module without parameters)
  double cell_um2 = 0;     ///< standard-cell area in the synthesis library, um^2
  double ge = 0;           ///< cell_um2 / the library's NAND2 area (gate equivalents)
  uint64_t cells = 0;      ///< standard cells
  uint64_t instances = 1;  ///< instances in the synthesised top (1 for the top)
  int depth = 0;           ///< depth below the top (0 = the top), for printing the hierarchy
};

/// One synthesis run: a top module at one parameter set.
struct SynthJob {
  std::string role;     ///< what it prices: array_column, bitmod_array, dequant, row_adder
  std::string module;   ///< top module
  std::string params;   ///< "NAME=value ..." in the order given to chparam; part of the cache key
  std::string rtl_set;  ///< the RTL file set it reads (sim/cost/area.cmake): systolic, mixpe_units, bitmod
};

/// The synthesis runs that price `arch` (docs/energy-area.md, "Area"): systolic and MixPE
/// engines one column of the array (ROWS = rows, COLS = 1: columns are identical), with the PE
/// parameters of sim/engine/mapper.cpp array_params / mixpe_run.cpp map_mixpe; MixPE adds its
/// dequantisation unit and row adder; BitMoD the whole array at the arch's tile shape.
std::vector<SynthJob> synth_jobs(const ArchSpec& arch);

/// A cached synthesis result.
struct SynthEntry {
  std::string module, params;    ///< the job's top and parameters
  std::string rtl_set;           ///< file set it was synthesised from
  std::string rtl_sha256;        ///< that set's hash when it was synthesised
  std::string liberty_sha256;    ///< the library's SHA-256
  std::vector<ModuleArea> modules;  ///< [0] the top, then its hierarchy depth first
  double seconds = 0;            ///< yosys wall time
  std::string yosys;             ///< yosys version line
};

/// The cache file (format "tpesim-synth-area v1"; docs/energy-area.md).
struct SynthCache {
  std::string liberty;       ///< library path, relative to the source root
  std::string nand2_cell;    ///< the library's NAND2 cell (one gate equivalent)
  double nand2_um2 = 0;      ///< its area
  std::vector<SynthEntry> entries;  ///< sorted by (module, params, liberty)

  /// Reads a cache file; a missing file is an empty cache. CostError naming the file on a
  /// malformed one.
  static SynthCache load(const std::string& path);
  /// Writes the file atomically (temporary file + rename), entries sorted.
  void save(const std::string& path) const;
  /// The entry of (module, params, liberty) whatever its RTL hash, or null.
  const SynthEntry* find(const std::string& module, const std::string& params, const std::string& liberty_sha256) const;
  /// Adds `e`, replacing the entry of the same (module, params, liberty).
  void put(SynthEntry e);
};

/// The hashes the build was configured with (generated/tpesim_area_rtl.hpp).
struct AreaHashes {
  std::map<std::string, std::string> rtl;  ///< file set -> SHA-256
  std::string liberty_sha256;              ///< empty if the library was missing at configure time
  std::string liberty;                     ///< library path relative to the source root
};
const AreaHashes& built_in_hashes();
/// The files of an RTL set (relative to the source root; built-in list), including tools/synth/area.sh.
std::vector<std::string> rtl_set_files(const std::string& set);
/// A set's hash computed now from the files under `source_root` (the same rule as CMake).
std::string rtl_set_sha256(const std::string& set, const std::string& source_root);

/// SHA-256 of bytes / of a file's contents, lower-case hex. CostError if the file cannot be read.
std::string sha256_hex(const std::string& bytes);
std::string sha256_file(const std::string& path);

/// Default cache path: <source root>/models/tech/synth_area.json.
std::string default_cache_path();

/// Turns yosys output into module areas: `stat` is the text of `stat -liberty`, `params_json`
/// the hierarchy written by `write_json` after elaboration (module -> parameter values), `top`
/// the top module's name. Returns the top first, then its submodules depth first, with areas
/// including submodules and instance counts in the top. CostError if the top is missing.
std::vector<ModuleArea> parse_yosys_stat(const std::string& stat, const std::string& params_json, const std::string& top,
                                         double nand2_um2);
/// The area of `cell` in a Liberty file's text; CostError naming the cell if absent.
double liberty_cell_area(const std::string& liberty_text, const std::string& cell);

/// How to synthesise.
struct SynthOptions {
  std::string yosys = "yosys";                  ///< yosys executable
  std::string source_root;                      ///< empty: the source tree this binary was built from
  std::string cache_path;                       ///< empty: default_cache_path(); "-": do not write
  std::string nand2_cell = "sg13g2_nand2_1";    ///< the library's NAND2 cell
};

/// Runs yosys on one job (tools/synth/area.sh: synth; dfflibmap; abc -liberty; stat -liberty;
/// hierarchy kept), parses the areas, and stores the entry in the cache file (re-read just before
/// writing, then written atomically). CostError if yosys is missing or fails, or if the RTL in the
/// working tree is not what this binary was configured with (rebuild first).
SynthEntry synthesise(const SynthJob& job, const SynthOptions& opt);

/// For each job of `arch`: the cached entry if it is fresh and `resynth` is false, otherwise
/// synthesise(job, opt) (`log` gets a line before and after each synthesis). Returns the
/// entries in synth_jobs order and updates `cache` (in memory; synthesise writes the file).
std::vector<SynthEntry> ensure_synthesised(const ArchSpec& arch, const SynthOptions& opt, bool resynth, SynthCache& cache,
                                           const std::function<void(const std::string&)>& log);

/// One line of an area report.
struct ComponentArea {
  std::string name;   ///< pe_array, array.edge, mixpe.dequant, mixpe.row_adders, bitmod.encoders, buffer.<name>
  double mm2 = 0;     ///< at the technology table's node
  std::string basis;  ///< how it was obtained
};

struct AreaReport {
  std::string tech;  ///< technology table name
  std::vector<ComponentArea> components;
  double total_mm2 = 0;
  double pe_um2 = 0;  ///< one PE at the table's node: pe_ge x the table's NAND2 area
  double pe_ge = 0;   ///< one PE in gate equivalents (synthesis)
  // Added beside the fields above:
  std::string pe_module;    ///< "systolic_pe_st AW=8 ..." (the PE the array is made of)
  double peak_tops = 0;     ///< peak throughput, 10^12 operations/s (peak_basis says what counts)
  double tops_per_mm2 = 0;  ///< peak_tops / total_mm2
  std::string peak_basis;   ///< e.g. "2 ops x 1024 MACs/cycle x 1 GHz"
};

/// Peak operations per second of the arch and what they are: MAC engines 2 x rows x cols x
/// clock; BitMoD 2 x rows x cols x lanes / 2 x clock (two term cycles per 4- or 3-bit weight,
/// its mixture types; INT8 weights take 4, so half that).
double peak_ops_per_s(const ArchSpec& arch, std::string* basis = nullptr);

/// The area of `arch` at `tech`'s node, from the synthesis cache only (never runs yosys).
/// CostError naming the missing or stale module and parameters and the command to run
/// (`tpesim area --arch <file>`) if a job's entry is absent or was synthesised from other RTL.
AreaReport area_for(const ArchSpec& arch, const TechTable& tech);
/// The same against a given cache and hashes (tests).
AreaReport area_for(const ArchSpec& arch, const TechTable& tech, const SynthCache& cache, const AreaHashes& hashes);

/// The cache entries of `arch`'s jobs, in synth_jobs order; CostError as area_for.
std::vector<const SynthEntry*> cached_entries(const ArchSpec& arch, const SynthCache& cache, const AreaHashes& hashes);

/// Text for `tpesim area`: one synthesis result's hierarchy (instances, cells, cell area, GE,
/// area at `tech`'s node); an area report (components, total, peak TOPS/mm^2); and the PE-level
/// units of every fresh cache entry side by side (every engine's PE, encoder, dequantiser).
std::string describe_modules(const SynthEntry& e, const TechTable& tech);
std::string describe_area_report(const AreaReport& r, const ArchSpec& arch);
std::string describe_units_side_by_side(const SynthCache& cache, const AreaHashes& hashes, const TechTable& tech);

}  // namespace tpesim::cost
