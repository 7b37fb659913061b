#include "sim/cost/energy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "models/numerics/int_format.hpp"
#include "sim/cost/pe_activity.hpp"
#include "sim/engine/mapper.hpp"

namespace tpesim::cost {

namespace {

/// An operand format named in an action ("int8", "uint4", "fp16"): its width and kind.
struct Operand {
  int bits = 0;
  bool fp = false;
};

bool parse_operand(const std::string& s, Operand* o) {
  if (s == "fp16") {
    *o = Operand{16, true};
    return true;
  }
  num::IntFormat f;
  if (!num::parse_int_format(s, &f)) return false;
  *o = Operand{f.bits, false};
  return true;
}

/// "int8xint4" -> (int8, int4).
bool parse_pair(const std::string& s, Operand* a, Operand* b) {
  const size_t x = s.find('x');
  return x != std::string::npos && parse_operand(s.substr(0, x), a) && parse_operand(s.substr(x + 1), b);
}

/// An a x b integer multiplier: the 8 x 8 (or max x max) multiplier's energy times the share
/// of its partial-product array.
Primitive int_mul(int a, int b) {
  const int m = std::max(a, b);
  return Primitive{"int_mul", m, static_cast<double>(a) * b / (static_cast<double>(m) * m)};
}

/// Shift-and-add of a `w`-bit operand by a B-bit code: B - 1 additions of (w + B)-bit terms
/// (docs/mixpe-pe.md, "The shift-and-add product"; the hardware has one adder per code bit).
Primitive shift_adds(int w, int B) { return Primitive{"int_add", w + B, static_cast<double>(std::max(B - 1, 1))}; }

/// Accumulator width of the arch's PE.
int acc_bits(const ArchSpec& a) { return a.is_mixpe() || a.is_bitmod() || a.fp_pe() ? 32 : a.acc.bits; }

/// Register bits of one PE that are clocked every cycle (for pe.idle_cycles).
int pe_register_bits(const ArchSpec& a) {
  if (a.is_bitmod()) {
    const BitmodSpec& b = a.bitmod;
    // Activation lanes, the term register and the group accumulator (bitmod-array.md).
    return b.lanes * 16 + b.lanes * 4 + b.acc_exp_bits + b.acc_man_bits;
  }
  if (a.is_mixpe()) {  // os; W4A8 INT8 activations, else FP16; FP16xINT8 carries (q, z, s)
    const int aw = a.mixpe.variant == "w4a8" ? 8 : 16;
    const int bw = a.mixpe.variant == "fp16xint8" ? 2 * a.mixpe.weight_bits + 17 : a.mixpe.weight_bits;
    return aw + bw + 32;
  }
  // The array's own operand widths (is swaps the operands). os: left, top and accumulator
  // registers; ws/is: left register, two stationary banks and the partial-sum register.
  const systolic::ArrayParams p = array_params(a);
  return p.stationary ? p.aw + 2 * p.bw + p.acc : p.aw + p.bw + p.acc;
}

[[noreturn]] void no_rule(const std::string& action) {
  throw CostError("energy: no pricing rule for action '" + action +
                  "' (docs/energy-area.md, \"Pricing rules\"): a counted action must be priced");
}

}  // namespace

ActionPrice price_of(const ArchSpec& a, const std::string& action) {
  Operand x, y;
  const int acc = acc_bits(a);
  auto starts = [&](const char* p) { return action.rfind(p, 0) == 0; };
  // ---- arithmetic ----
  if (starts("mac.")) {
    if (!parse_pair(action.substr(4), &x, &y)) no_rule(action);
    if (x.fp && y.fp) return {"pe.mac", {{"fp_mul", 16, 1}, {"fp_add", 32, 1}}};
    if (x.fp) return {"pe.mac", {shift_adds(11, y.bits), {"fp_add", 32, 1}}};  // FP16 x INT: shift-and-add
    return {"pe.mac", {int_mul(x.bits, y.bits), {"int_add", acc, 1}}};
  }
  if (starts("mixpe.shift_add_mac.")) {
    if (!parse_pair(action.substr(20), &x, &y)) no_rule(action);
    if (x.fp) return {"pe.mac", {shift_adds(11, y.bits), {"fp_add", 32, 1}}};
    return {"pe.mac", {shift_adds(x.bits, y.bits), {"int_add", 32, 1}}};
  }
  if (action == "mixpe.row_adds.int") return {"row_adder", {{"int_add", 32, 1}}};
  if (action == "mixpe.row_adds.fp32") return {"row_adder", {{"fp_add", 32, 1}}};
  if (action == "mixpe.dequant_ops.int")  // D = P - z A (exact), y + s D (fused, FP32)
    return {"dequant_unit", {int_mul(a.mixpe.weight_bits + 1, 32), {"int_add", 32, 1}, {"fp_mul", 32, 1}, {"fp_add", 32, 1}}};
  if (action == "mixpe.dequant_ops.fp")  // D = P - z A, y + s D: two FP32 multiply-adds
    return {"dequant_unit", {{"fp_mul", 32, 2}, {"fp_add", 32, 2}}};
  if (action == "dequant.weight_ops")  // w = RNE_fp16(s (q - z)) in every PE
    return {"pe.dequant", {{"int_add", a.mixpe.weight_bits + 1, 1}, {"fp_mul", 16, 1}}};
  // BitMoD (bitmod-array.md): per term cycle `lanes` 1-bit x 11-bit products (exponent
  // offsets), a lanes-input adder tree and the group accumulator update.
  if (a.is_bitmod()) {
    const BitmodSpec& b = a.bitmod;
    const int tree = 11 + b.guard_bits + 2;
    if (action == "bitmod.lane_products") return {"pe.lanes", {{"int_add", 5, 1}}};
    if (action == "bitmod.term_cycles")
      return {"pe.adder_tree", {{"int_add", tree, static_cast<double>(b.lanes - 1)}, {"int_add", b.acc_man_bits, 1}}};
    if (action == "bitmod.dequant_steps") return {"pe.dequant", {{"int_add", b.acc_man_bits + b.scale_bits, 1}}};
    if (action == "bitmod.column_adds") return {"pe.column_adder", {{"fp_add", 32, 1}}};
    if (action == "bitmod.channel_scale_muls") return {"pe.channel_scale", {{"fp_mul", 32, 1}}};
    if (action == "bitmod.encoder_quads") return {"encoder", {{"int_add", 4, static_cast<double>(b.lanes)}}};
    if (action == "bitmod.encoder_terms") return {"encoder", {{"reg_write", 1, static_cast<double>(b.lanes * 4)}}};
    if (action == "bitmod.act_reg_loads") return {"pe.registers", {{"reg_write", 1, static_cast<double>(b.lanes * 16)}}};
    if (action == "bitmod.hop_reg_writes") return {"array.pipeline", {{"reg_write", 1, static_cast<double>(b.lanes * 16)}}};
  }
  // ---- registers ----
  if (action == "pe.operand_reg_write_bits") return {"pe.registers", {{"reg_write", 1, 1}}};
  if (action == "pe.acc_writes") return {"pe.registers", {{"reg_write", 1, static_cast<double>(acc)}}};
  if (action == "pe.stationary_writes") {
    const num::IntFormat& st = a.dataflow == Dataflow::kIS ? a.act : a.weight;
    const int bits = (a.dataflow == Dataflow::kIS ? a.act_fp16 : a.weight_fp16) ? 16 : st.bits;
    return {"pe.registers", {{"reg_write", 1, static_cast<double>(bits)}}};
  }
  if (action == "array.output_writes") return {"array.output", {{"reg_write", 1, static_cast<double>(acc)}}};
  if (action == "pe.idle_cycles") return {"pe.clock_idle", {{"reg_clock", 1, static_cast<double>(pe_register_bits(a))}}};
  if (starts("toggles.")) return {"pe.registers", {{"reg_write", 1, 1}}};  // activity mode prices these itself
  // ---- not priced: already inside another count (operand register loads are priced by
  // their bits; a BitMoD wait cycle is one of pe.idle_cycles) or controller bookkeeping ----
  if (action == "pe.operand_reg_writes" || starts("ctrl.") || action == "bitmod.wait_cycles") return {};
  no_rule(action);
}

double buffers_leakage_mw(const ArchSpec& a, const TechTable& t) {
  double mw = 0;
  for (const auto& [name, b] : {std::pair<const char*, const BufferSpec&>{"ifmap", a.ifmap}, {"filter", a.filter}, {"ofmap", a.ofmap}})
    mw += t.sram_cost(b.size_bytes, static_cast<int>(b.width_bytes * 8), b.double_buffered ? 2 : 1, std::string("buffer.") + name)
              .leakage_mw;
  return mw;
}

std::map<std::string, double> layer_energy(const ArchSpec& a, const LayerResult& L, const TechTable& t,
                                           const LeakageBasis& leak) {
  std::map<std::string, double> e;
  const bool activity = L.actions.count("toggles.left_reg_bits") > 0;
  auto count = [&](const char* name) {
    const auto it = L.actions.find(name);
    return it == L.actions.end() ? 0.0 : static_cast<double>(it->second);
  };
  // Activity-aware with a per-PE calibration (docs/energy-area.md): the whole PE (MAC,
  // registers, clock) from its toggles and cycles, scaled from the calibration's node.
  const PeToggleEnergy* cal = nullptr;
  if (activity) {
    std::string module, params;
    pe_of(a, L, &module, &params);
    cal = shipped_pe_toggle_table().find(module, params);
    // Unsigned codes (MixPE zero points) use the signed PE's calibration: the circuits differ
    // only in the extension of the code's top bit.
    const size_t u = params.find("B_SIGNED=0");
    if (!cal && u != std::string::npos)
      cal = shipped_pe_toggle_table().find(module, params.substr(0, u) + "B_SIGNED=1" + params.substr(u + 10));
  }
  if (cal) {
    const PeToggleTable& pt = shipped_pe_toggle_table();
    const double k = energy_scale_factor(pt.node_nm, pt.vdd, t.node_nm, t.vdd);
    e["pe.switching"] += k * (cal->operand * (count("toggles.left_reg_bits") + count("toggles.top_reg_bits")) +
                              cal->acc * count("toggles.acc_reg_bits") +
                              cal->stationary * count("toggles.stationary_reg_bits"));
    e["pe.clock"] += k * cal->cycle * static_cast<double>(a.rows) * a.cols * static_cast<double>(L.cycles.total);
  }
  // Activity-aware mode: the operand toggle rate relative to random data (half the bits of a
  // loaded operand register toggle), which scales the MAC energies calibrated on random data.
  double alpha = 1;
  if (activity) {
    const double loaded = count("pe.operand_reg_write_bits");
    alpha = loaded > 0 ? (count("toggles.left_reg_bits") + count("toggles.top_reg_bits")) / (0.5 * loaded) : 0;
  }
  for (const auto& [action, n] : L.actions) {
    if (n == 0) continue;
    if (activity && (action == "pe.operand_reg_write_bits" || action == "pe.acc_writes" ||
                     action == "pe.stationary_writes" || action == "pe.idle_cycles" || action.rfind("toggles.", 0) == 0))
      continue;  // registers are priced by their toggles and clock below
    const ActionPrice p = price_of(a, action);
    if (p.component.empty()) continue;
    if (cal && (p.component == "pe.mac" || p.component == "pe.dequant")) continue;  // in the calibrated PE
    double pj = 0;
    for (const Primitive& q : p.prims) pj += q.count * t.op_pj(q.op, q.bits, p.component, action);
    e[p.component] += pj * static_cast<double>(n) * (activity && p.component == "pe.mac" ? alpha : 1.0);
  }
  if (activity && !cal) {
    // A register bit costs reg_clock every cycle and, when it toggles, the data part of a
    // write: reg_write is calibrated with random data (half the bits toggle), so one toggle
    // costs 2 (reg_write - reg_clock).
    const double clk = t.op_pj("reg_clock", 1, "pe.registers", "toggles.*");
    const double wr = t.op_pj("reg_write", 1, "pe.registers", "toggles.*");
    const double per_toggle = std::max(0.0, 2.0 * (wr - clk));
    const double toggles = count("toggles.left_reg_bits") + count("toggles.top_reg_bits") +
                           count("toggles.acc_reg_bits") + count("toggles.stationary_reg_bits");
    e["pe.registers"] += per_toggle * toggles;
    e["pe.clock"] += clk * pe_register_bits(a) * static_cast<double>(a.rows) * a.cols * static_cast<double>(L.cycles.total);
  }
  const std::pair<const char*, const BufferSpec*> bufs[] = {{"ifmap", &a.ifmap}, {"filter", &a.filter}, {"ofmap", &a.ofmap}};
  for (const auto& [name, spec] : bufs) {
    const auto it = L.buffers.find(name);
    if (it == L.buffers.end()) continue;
    const std::string comp = std::string("buffer.") + name;
    const SramCost c = t.sram_cost(spec->size_bytes, static_cast<int>(spec->width_bytes * 8), spec->double_buffered ? 2 : 1, comp);
    e[comp] += 8.0 * (static_cast<double>(it->second.read_bytes) * c.read_pj_per_bit +
                      static_cast<double>(it->second.write_bytes) * c.write_pj_per_bit);
  }
  if (L.dram_bytes()) e["dram"] += 8.0 * static_cast<double>(L.dram_bytes()) * t.dram_pj_per_bit(a.dram.type, "dram");
  // mW x s = 1e9 pJ.
  const double seconds = static_cast<double>(L.cycles.total) / a.clock_hz;
  if (leak.logic_mm2 > 0) e["leakage.logic"] += leak.logic_mm2 * t.logic_leakage_mw_per_mm2 * seconds * 1e9;
  if (leak.sram_leak_mw > 0) e["leakage.sram"] += leak.sram_leak_mw * seconds * 1e9;
  return e;
}

}  // namespace tpesim::cost
