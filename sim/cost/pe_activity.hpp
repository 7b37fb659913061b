// Per-PE toggle energies (models/tech/ihp_sg13g2_130nm.pe_activity.json, written by
// tools/tech/pe_activity.py from gate-level simulations of each PE's synthesised netlist with the
// IHP SG13G2 liberty; docs/energy-area.md, "Per-PE toggle calibration"). The activity-aware
// energy mode prices a PE array by these when the arch's PE was calibrated.
#pragma once
#include <string>
#include <vector>

#include "sim/config/arch.hpp"
#include "sim/report/result.hpp"

namespace tpesim::cost {

/// Energies of one PE, pJ at the calibration's node and supply.
struct PeToggleEnergy {
  std::string module;  ///< systolic_pe_os / systolic_pe_st
  std::string params;  ///< "AW=8 A_SIGNED=1 BW=8 B_SIGNED=1 ACC=32 SAT=0 PE=0"
  double operand = 0;     ///< per operand-register bit toggle (left and top)
  double acc = 0;         ///< per accumulator / partial-sum register bit toggle
  double stationary = 0;  ///< per stationary-bank register bit toggle (ws/is PEs)
  double cycle = 0;       ///< per PE-cycle (clock and everything that does not toggle with data)
};

struct PeToggleTable {
  std::string path;
  double node_nm = 130, vdd = 1.2;  ///< IHP SG13G2 typical corner
  std::vector<PeToggleEnergy> entries;
  const PeToggleEnergy* find(const std::string& module, const std::string& params) const;
};

/// Loads a calibration file; CostError naming the file on a malformed one.
PeToggleTable load_pe_toggle_table(const std::string& path);
/// The shipped calibration (models/tech/ihp_sg13g2_130nm.pe_activity.json), loaded once.
const PeToggleTable& shipped_pe_toggle_table();

/// The PE module and parameters a report row ran on (systolic: the arch's array; MixPE: the
/// record's variant and weight type, read from its MAC action's name). Empty module if unknown.
void pe_of(const ArchSpec& arch, const LayerResult& L, std::string* module, std::string* params);

}  // namespace tpesim::cost
