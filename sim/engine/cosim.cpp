#include "sim/engine/cosim.hpp"

#include <chrono>
#include <functional>
#include <sstream>

#include <fmt/format.h>

#include "rtl/harness/rtl_array.hpp"
#include "sim/common/error.hpp"
#include "sim/common/progress.hpp"
#include "sim/engine/bitmod_run.hpp"
#include "sim/engine/mapper.hpp"
#include "sim/engine/mixpe_run.hpp"
#include "sim/engine/operands.hpp"

namespace tpesim {

std::vector<Gemm> random_gemms(const ArchSpec& arch, int n, uint64_t seed) {
  std::vector<Gemm> out;
  uint64_t state = seed;
  auto next = [&](uint64_t bound) {
    state = mix64(state);
    return state % bound;
  };
  const uint64_t R = arch.rows, C = arch.cols;
  auto dim = [&](uint64_t unit) -> uint64_t {
    switch (next(6)) {
      case 0: return 1;
      case 1: return unit;
      case 2: return unit + 1;
      case 3: return unit > 1 ? 2 * unit - 1 : 2;
      default: return 1 + next(3 * unit + 2);
    }
  };
  // BitMoD: every weight type, per-group (groups of 4..32) or per-channel scales, fp16 activations.
  const char* const bitmod_types[] = {"bitmod_fp4", "bitmod_fp3", "int8", "int6", "int4", "fp4_e2m1", "fp3"};
  for (int i = 0; arch.is_bitmod() && i < n; ++i) {
    Gemm g;
    g.name = "random" + std::to_string(i);
    g.M = dim(R);
    g.N = dim(C);
    g.weight_dtype = bitmod_types[next(7)];
    g.act_dtype = "fp16";
    const uint64_t gs = next(5) == 0 ? 0 : uint64_t{4} << next(4);
    g.group_size = gs;
    g.K = gs ? gs * (1 + next(4)) : 1 + next(64);
    out.push_back(g);
  }
  // MixPE: signed and unsigned codes of mixpe.weight_bits, groups from 1 to
  // beyond the array rows (shorter groups make folds wait for the output ports), K with and
  // without a short last group, per-channel now and then.
  for (int i = 0; arch.is_mixpe() && i < n; ++i) {
    Gemm g;
    g.name = "random" + std::to_string(i);
    g.M = dim(R);
    g.N = dim(C);
    g.weight_dtype = (i % 2 ? "uint" : "int") + std::to_string(arch.mixpe.weight_bits);
    g.act_dtype = arch.mixpe.variant == "w4a8" ? "int8" : "fp16";
    const uint64_t gs_choice[] = {1, 2, R > 1 ? R - 1 : 1, R, R + 1, 2 * R + 1, 1 + next(3 * R)};
    g.group_size = next(8) == 0 ? 0 : gs_choice[next(7)];
    const uint64_t groups = 1 + next(4);
    g.K = g.group_size ? groups * g.group_size - (next(2) ? next(g.group_size) : 0) : 1 + next(3 * R);
    out.push_back(g);
  }
  for (int i = 0; !arch.is_bitmod() && !arch.is_mixpe() && i < n; ++i) {
    Gemm g;
    g.name = "random" + std::to_string(i);
    g.M = dim(arch.dataflow == Dataflow::kIS ? C : R);
    g.N = dim(C);
    g.K = dim(R);
    g.weight_dtype = arch.fp16() ? "fp16" : arch.weight.name();
    g.act_dtype = arch.fp_pe() ? "fp16" : arch.act.name();
    out.push_back(g);
  }
  return out;
}

namespace {

// The GEMM-by-GEMM loop of every engine: `run(i, lo)` builds GEMM i's controller and runs it
// in lockstep with options lo. On the first mismatch the same GEMM is run again (deterministic)
// tracing the waveform window before it.
CosimReport lockstep_all(const std::vector<Gemm>& gemms, const CosimOptions& opt,
                         const std::function<LockstepResult(size_t, const LockstepOptions&)>& run) {
  CosimReport rep;
  Progress prog("cosim", gemms.size(), opt.progress);
  for (size_t i = 0; i < gemms.size(); ++i) {
    LockstepOptions lo;
    lo.corrupt_at_cycle = opt.corrupt_at_cycle;
    lo.corrupt_dequant_at = opt.corrupt_dequant_at;
    const auto t0 = std::chrono::steady_clock::now();
    const LockstepResult r = run(i, lo);
    rep.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++rep.gemms;
    prog.advance();
    rep.cycles += r.cycles;
    rep.outputs += r.outputs;
    rep.dequant_joins += r.dequant_joins;
    if (r.match) continue;
    rep.pass = false;
    rep.failing_gemm = gemms[i].name;
    rep.mismatch = r;
    if (!opt.wave_path.empty()) {
      LockstepOptions wo = lo;
      wo.wave_path = opt.wave_path;
      wo.trace_from = r.cycle > opt.wave_window ? r.cycle - opt.wave_window : 0;
      run(i, wo);
      rep.wave_written = true;
    }
    break;
  }
  return rep;
}

// The BitMoD engine: operands from the record's weight type, controller offers into the
// array model and the RTL in lockstep (sc_bench.hpp, run_bitmod_lockstep).
CosimReport cosimulate_bitmod(const ArchSpec& arch, const std::vector<Gemm>& gemms, const CosimOptions& opt) {
  for (const Gemm& g : gemms) check_bitmod_gemm(arch, g, "cosim stimulus");
  const bitmod::BitmodPlan first = bitmod_plan(arch, gemms.empty() ? Gemm{} : gemms[0]);
  auto rtl = rtl::make_bitmod_rtl_array(first.shape);
  if (!rtl)
    throw ConfigError(where(arch.source, 0, "",
                            "no BitMoD RTL variant was built for this array; built variants:\n" +
                                rtl::describe_bitmod_rtl_variants() +
                                "add one to TPESIM_BITMOD_RTL_VARIANTS (rtl/bitmod.cmake) and rebuild"));
  const auto bufs = buffer_params(arch);
  const auto dram = dram_params(arch);
  return lockstep_all(gemms, opt, [&](size_t i, const LockstepOptions& lo) {
    const Gemm& g = gemms[i];
    const bitmod::BitmodPlan plan = bitmod_plan(arch, g);
    const bitmod::BitmodOperands ops = bitmod_operands(g, *bitmod_dtype(g.weight_dtype), mix64(opt.seed + i));
    bitmod::BitmodController ctl(plan, bufs, dram, &ops, nullptr);
    return run_bitmod_lockstep(ctl, plan.shape, *rtl, lo);
  });
}

}  // namespace

CosimReport cosimulate(const ArchSpec& arch, const std::vector<Gemm>& gemms, const CosimOptions& opt) {
  if (arch.is_bitmod()) return cosimulate_bitmod(arch, gemms, opt);
  if (arch.is_mixpe()) {
    // MixPE: the record's PE variant in the array, the dequantisation units beside it.
    for (const Gemm& g : gemms) check_mixpe_gemm(arch, g, "cosim stimulus");
    return lockstep_all(gemms, opt, [&](size_t i, const LockstepOptions& lo) {
      return run_mixpe_lockstep(arch, gemms[i], mix64(opt.seed + i), lo);
    });
  }
  const systolic::ArrayParams p = array_params(arch);
  auto rtl = rtl::make_rtl_array(p);
  if (!rtl)
    throw ConfigError(where(arch.source, 0, "",
                            "no RTL variant was built for this array; built variants:\n" +
                                rtl::describe_rtl_variants() +
                                "add one to TPESIM_RTL_VARIANTS (rtl/CMakeLists.txt) and rebuild"));
  const auto bufs = buffer_params(arch);
  const auto dram = dram_params(arch);
  return lockstep_all(gemms, opt, [&](size_t i, const LockstepOptions& lo) {
    const systolic::Schedule s = map_gemm(arch, gemms[i]);
    const HashOperands ops(mix64(opt.seed + i), arch.act, arch.weight, arch.fp16(), arch.fp16_int());
    systolic::Controller ctl(s, bufs, dram, ops, nullptr);
    return run_lockstep(ctl, p, *rtl, lo);
  });
}

std::string describe(const CosimReport& r, const ArchSpec& arch) {
  const double rate = r.seconds > 0 ? static_cast<double>(r.cycles) / r.seconds : 0;
  const std::string shape = arch.is_bitmod()  ? fmt::format("{}x{} bitmod (tiles of {}x{})", arch.rows, arch.cols,
                                                           arch.bitmod.tile_rows, arch.bitmod.tile_cols)
                            : arch.is_mixpe() ? fmt::format("{}x{} mixpe {}", arch.rows, arch.cols, arch.mixpe.variant)
                                              : fmt::format("{}x{} {}", arch.rows, arch.cols, to_string(arch.dataflow));
  const std::string joins =
      r.dequant_joins ? fmt::format(", {} dequantisation results compared", r.dequant_joins) : std::string();
  if (r.pass)
    return fmt::format("cosim PASS: {} GEMMs on {}, {} cycles compared, {} outputs compared{}, "
                       "{:.0f} cycles/s\n",
                       r.gemms, shape, r.cycles, r.outputs, joins, rate);
  const LockstepResult& m = r.mismatch;
  std::string s = fmt::format(
      "cosim MISMATCH in GEMM '{}' at cycle {}: PE ({}, {}), signal {}: expected {} (SystemC model), "
      "actual {} (RTL)\n",
      r.failing_gemm, m.cycle, m.pe_row, m.column, m.signal, m.expected, m.actual);
  s += fmt::format("  {} GEMMs, {} cycles and {} outputs compared before it\n", r.gemms, r.cycles,
                   r.outputs);
  return s;
}

}  // namespace tpesim
