// Prices a finished run: loads the arch's technology table, the design's area and every
// layer's energy (docs/energy-area.md). Called by run_workload after the engines ran.
#pragma once
#include "sim/config/arch.hpp"
#include "sim/report/result.hpp"

namespace tpesim::cost {

/// Fills r->costs and every layer's energy_pj, then recomputes the totals. ConfigError
/// naming the arch file and key `tech` if the table cannot be loaded; CostError if the table
/// lacks an entry an action needs.
void price_run(const ArchSpec& arch, RunResult* r);

/// Loads the arch's technology table (the same errors as price_run): a run checks it before
/// it simulates anything.
void check_tech(const ArchSpec& arch);

}  // namespace tpesim::cost
