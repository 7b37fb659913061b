// Technology tables (models/tech/*.yaml, docs/energy-area.md): what one action costs at a
// process node. Every value carries the key of its source; nothing here is a constant of the
// simulator: the tables are data, versioned with the repository.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/common/error.hpp"

namespace tpesim::cost {

/// A table entry the cost model needs but the table lacks (or cannot derive by its documented
/// rules). The message names the table, the component and the action that needed it.
class CostError : public UserError {
 public:
  using UserError::UserError;
};

/// One priced operation: `op` at `bits` costs `pj` per operation.
struct OpEntry {
  std::string op;  ///< int_add, int_mul, fp_add, fp_mul, reg_write, reg_clock (see docs)
  int bits = 0;
  double pj = 0;
  std::string source;  ///< key into TechTable::sources
};

/// One SRAM macro (a CACTI run): per access of `width_bits`.
struct SramEntry {
  uint64_t capacity_bytes = 0;
  int width_bits = 0;
  int banks = 1;
  double read_pj = 0, write_pj = 0;  ///< per access of width_bits
  double area_mm2 = 0;               ///< macro area including periphery
  double leakage_mw = 0;
  std::string source;
};

/// DRAM interface energy per transferred bit.
struct DramEntry {
  std::string type;  ///< LPDDR4, DDR4, HBM2, ...
  double pj_per_bit = 0;
  std::string source;
};

/// An SRAM buffer's costs after the table's lookup rule (docs/energy-area.md).
struct SramCost {
  double read_pj_per_bit = 0, write_pj_per_bit = 0;
  double area_mm2 = 0;
  double leakage_mw = 0;
  std::string rule;  ///< how it was obtained: "exact", or the scaling applied
};

struct TechTable {
  std::string path;  ///< file it was loaded from (for messages)
  std::string name;
  double node_nm = 0;
  double vdd = 0;
  std::map<std::string, std::string> sources;  ///< key -> full citation
  std::vector<OpEntry> ops;
  std::vector<SramEntry> sram;
  std::vector<DramEntry> dram;
  double logic_leakage_mw_per_mm2 = 0;  ///< standard-cell logic leakage density
  std::string logic_leakage_source;
  double nand2_um2 = 0;  ///< area of a 2-input NAND (one gate equivalent) at this node
  std::string nand2_source;
  double sram_array_efficiency = 0;  ///< fraction of an SRAM macro's area that is bit cells (stated, informative)
  std::string sram_array_efficiency_source;

  /// Energy of one `op` on `bits`-bit operands, pJ. Exact entries first; int_add and
  /// reg_* scale linearly in bits, int_mul quadratically, from the nearest listed width;
  /// fp_* need an exact width. Throws CostError naming `component` and `action`.
  double op_pj(const std::string& op, int bits, const std::string& component, const std::string& action) const;
  /// The SRAM costs of a buffer (capacity, port width, banks), by the documented lookup rule.
  SramCost sram_cost(uint64_t capacity_bytes, int width_bits, int banks, const std::string& component) const;
  /// DRAM energy per bit for a DRAM type; CostError naming the component if missing.
  double dram_pj_per_bit(const std::string& type, const std::string& component) const;
};

/// Loads and validates a table: every value positive, every `source` a key of `sources`,
/// no duplicate (op, bits) or SRAM configuration. ConfigError "file:line: key: ..." otherwise.
TechTable load_tech(const std::string& path);

/// A built-in table by name ("45nm", "28nm", "ihp-sg13g2-130nm") from models/tech/, or a path.
TechTable load_tech_by_name(const std::string& name_or_path);

/// Scales a table to another node with the Stillmaker & Baas 2017 equations (energy and area
/// factors; docs/energy-area.md), keeping every source and adding the scaling citation.
TechTable scale_tech(const TechTable& from, double to_nm, double to_vdd);

/// The energy factor scale_tech applies from (from_nm, from_vdd) to (to_nm, to_vdd).
double energy_scale_factor(double from_nm, double from_vdd, double to_nm, double to_vdd);

}  // namespace tpesim::cost
