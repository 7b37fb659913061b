#include "sim/cost/costs.hpp"

#include "sim/cost/area.hpp"
#include "sim/cost/energy.hpp"
#include "sim/cost/tech.hpp"

namespace tpesim::cost {

namespace {

/// The table's file as reports show it: relative to the source tree when it lives there.
std::string shown_path(const std::string& path) {
  const std::string root = std::string(TPESIM_SOURCE_DIR) + "/";
  return path.rfind(root, 0) == 0 ? path.substr(root.size()) : path;
}

TechTable arch_tech(const ArchSpec& arch) {
  try {
    return load_tech_by_name(arch.tech);
  } catch (const ConfigError& e) {
    throw ConfigError(where(arch.source, 0, "tech", std::string("cannot load technology table: ") + e.what()));
  }
}

}  // namespace

void check_tech(const ArchSpec& arch) { arch_tech(arch); }

void price_run(const ArchSpec& arch, RunResult* r) {
  const TechTable tech = arch_tech(arch);
  r->costs = RunCosts{};
  r->costs.tech = tech.name;
  r->costs.tech_file = shown_path(tech.path);
  r->costs.node_nm = tech.node_nm;
  r->costs.peak_ops_per_s = peak_ops_per_s(arch);
  LeakageBasis leak;
  leak.sram_leak_mw = buffers_leakage_mw(arch, tech);
  // Area from the synthesis cache (never synthesises here). An arch whose PE or array column
  // was not synthesised yet gets no area and no logic leakage, and the report says why.
  try {
    const AreaReport ar = area_for(arch, tech);
    for (const ComponentArea& c : ar.components) {
      r->costs.area.push_back(AreaComponent{c.name, c.mm2, c.basis});
      if (c.name.rfind("buffer.", 0) != 0) leak.logic_mm2 += c.mm2;
    }
  } catch (const CostError& e) {
    r->costs.area_note = std::string("area not available, logic leakage not included: ") + e.what();
  }
  for (LayerResult& l : r->layers) l.energy_pj = layer_energy(arch, l, tech, leak);
  compute_totals(r);
}

}  // namespace tpesim::cost
