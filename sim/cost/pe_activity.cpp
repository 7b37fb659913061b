#include "sim/cost/pe_activity.hpp"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "models/numerics/int_format.hpp"
#include "sim/cost/tech.hpp"
#include "sim/engine/mapper.hpp"

namespace tpesim::cost {

const PeToggleEnergy* PeToggleTable::find(const std::string& module, const std::string& params) const {
  for (const PeToggleEnergy& e : entries)
    if (e.module == module && e.params == params) return &e;
  return nullptr;
}

PeToggleTable load_pe_toggle_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw CostError(path + ": cannot open the per-PE toggle calibration");
  PeToggleTable t;
  t.path = path;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.at("format") != "tpesim-pe-activity v1") throw CostError(path + ": format is not \"tpesim-pe-activity v1\"");
    for (const auto& e : j.at("entries")) {
      PeToggleEnergy p;
      p.module = e.at("module").get<std::string>();
      p.params = e.at("params").get<std::string>();
      p.operand = e.at("pj_per_operand_toggle").get<double>();
      p.acc = e.at("pj_per_acc_toggle").get<double>();
      p.stationary = e.value("pj_per_stationary_toggle", 0.0);
      p.cycle = e.at("pj_per_cycle").get<double>();
      if (p.operand < 0 || p.acc < 0 || p.stationary < 0 || p.cycle < 0)
        throw CostError(path + ": " + p.module + " " + p.params + ": negative energy");
      t.entries.push_back(p);
    }
  } catch (const nlohmann::json::exception& e) {
    throw CostError(path + ": " + e.what());
  }
  return t;
}

const PeToggleTable& shipped_pe_toggle_table() {
  static const PeToggleTable t =
      load_pe_toggle_table(std::string(TPESIM_SOURCE_DIR) + "/models/tech/ihp_sg13g2_130nm.pe_activity.json");
  return t;
}

void pe_of(const ArchSpec& a, const LayerResult& L, std::string* module, std::string* params) {
  module->clear();
  params->clear();
  auto key = [&](bool os, int aw, bool as, int bw, bool bs, int acc, bool sat, int pe) {
    *module = os ? "systolic_pe_os" : "systolic_pe_st";
    *params = fmt::format("AW={} A_SIGNED={} BW={} B_SIGNED={} ACC={} SAT={} PE={}", aw, as ? 1 : 0, bw, bs ? 1 : 0, acc,
                          sat ? 1 : 0, pe);
  };
  if (a.is_bitmod()) return;
  if (!a.is_mixpe()) {
    const systolic::ArrayParams p = array_params(a);
    const int pe = p.pe == systolic::PeKind::kShiftAdd ? (p.fp ? 1 : 2) : p.pe == systolic::PeKind::kDequantFma ? 3 : p.fp ? 1 : 0;
    key(!p.stationary, p.aw, p.a_signed, p.bw, p.b_signed, p.acc, p.sat, pe);
    return;
  }
  // MixPE: the weight type is in the MAC action's name (mixpe_run.cpp make_mixpe_layer_result).
  for (const auto& [name, n] : L.actions) {
    std::string w;
    if (name.rfind("mixpe.shift_add_mac.", 0) == 0) w = name.substr(name.find('x', 20) + 1);
    if (w.empty()) continue;
    num::IntFormat f;
    if (!num::parse_int_format(w, &f)) return;
    const bool fp = a.mixpe.variant == "w4a16";
    key(true, fp ? 16 : 8, true, f.bits, f.is_signed, 32, false, fp ? 1 : 2);
    return;
  }
  if (a.mixpe.variant == "fp16xint8") {  // the dequantise-then-FMA PE: B-bit codes of the arch
    key(true, 16, true, 2 * a.mixpe.weight_bits + 17, true, 32, false, 3);
  }
}

}  // namespace tpesim::cost
