// The energy cost model (docs/energy-area.md, "Pricing rules"): every action a report row
// counted, priced by a technology table. The rules say which primitive operations (op, width)
// one action is made of and which component it belongs to; the table says what they cost.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "sim/config/arch.hpp"
#include "sim/cost/tech.hpp"
#include "sim/report/result.hpp"

namespace tpesim::cost {

/// One primitive of an action's price: `count` x op at `bits` (int_mul of a x b bits is
/// written as op int_mul, bits = max(a, b), count = a*b / max(a,b)^2: the array of partial
/// products).
struct Primitive {
  std::string op;
  int bits = 0;
  double count = 1;
};

/// How one action is priced.
struct ActionPrice {
  std::string component;  ///< e.g. "pe.mac", "pe.registers", "dequant_unit"
  std::vector<Primitive> prims;
};

/// The pricing rule of `action` on `arch` (docs/energy-area.md). Actions that are not priced
/// (controller bookkeeping, e.g. ctrl.*) return an empty component; an action without a rule
/// throws CostError naming it (every counted action must be priced or declared unpriced).
ActionPrice price_of(const ArchSpec& arch, const std::string& action);

/// Leakage inputs of a design: logic area and SRAM leakage power.
struct LeakageBasis {
  double logic_mm2 = 0;      ///< standard-cell area that leaks (PE array, dequantisers, ...)
  double sram_leak_mw = 0;   ///< all buffers
};

/// The SRAM leakage of the arch's three buffers (tech.sram_cost of each).
double buffers_leakage_mw(const ArchSpec& arch, const TechTable& tech);

/// Energy of one report row by component, pJ: every action priced (price_of x op_pj), each
/// buffer's read and write bits at its SRAM cost per bit, DRAM bits at the DRAM type's
/// energy, and leakage (logic and SRAM) over the row's cycles at the arch's clock.
std::map<std::string, double> layer_energy(const ArchSpec& arch, const LayerResult& L, const TechTable& tech,
                                           const LeakageBasis& leak);

}  // namespace tpesim::cost
