#include "sim/engine/cosim.hpp"

#include <chrono>
#include <sstream>

#include <fmt/format.h>

#include "rtl/harness/rtl_array.hpp"
#include "sim/common/error.hpp"
#include "sim/common/progress.hpp"
#include "sim/engine/mapper.hpp"
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
  for (int i = 0; i < n; ++i) {
    Gemm g;
    g.name = "random" + std::to_string(i);
    g.M = dim(arch.dataflow == Dataflow::kIS ? C : R);
    g.N = dim(C);
    g.K = dim(R);
    g.weight_dtype = arch.fp16() ? "fp16" : arch.weight.name();
    g.act_dtype = arch.fp16() ? "fp16" : arch.act.name();
    out.push_back(g);
  }
  return out;
}

CosimReport cosimulate(const ArchSpec& arch, const std::vector<Gemm>& gemms, const CosimOptions& opt) {
  const systolic::ArrayParams p = array_params(arch);
  auto rtl = rtl::make_rtl_array(p);
  if (!rtl)
    throw ConfigError(where(arch.source, 0, "",
                            "no RTL variant was built for this array; built variants:\n" +
                                rtl::describe_rtl_variants() +
                                "add one to TPESIM_RTL_VARIANTS (rtl/CMakeLists.txt) and rebuild"));
  CosimReport rep;
  Progress prog("cosim", gemms.size(), opt.progress);
  const auto bufs = buffer_params(arch);
  const auto dram = dram_params(arch);
  for (size_t i = 0; i < gemms.size(); ++i) {
    const Gemm& g = gemms[i];
    const systolic::Schedule s = map_gemm(arch, g);
    const HashOperands ops(mix64(opt.seed + i), arch.act, arch.weight, arch.fp16());
    systolic::Controller ctl(s, bufs, dram, ops, nullptr);
    LockstepOptions lo;
    lo.corrupt_at_cycle = opt.corrupt_at_cycle;
    const auto t0 = std::chrono::steady_clock::now();
    const LockstepResult r = run_lockstep(ctl, p, *rtl, lo);
    rep.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++rep.gemms;
    prog.advance();
    rep.cycles += r.cycles;
    rep.outputs += r.outputs;
    if (!r.match) {
      rep.pass = false;
      rep.failing_gemm = g.name;
      rep.mismatch = r;
      if (!opt.wave_path.empty()) {
        // Replay the same GEMM deterministically, tracing the window before the mismatch.
        systolic::Controller replay(s, bufs, dram, ops, nullptr);
        LockstepOptions wo = lo;
        wo.wave_path = opt.wave_path;
        wo.trace_from = r.cycle > opt.wave_window ? r.cycle - opt.wave_window : 0;
        run_lockstep(replay, p, *rtl, wo);
        rep.wave_written = true;
      }
      break;
    }
  }
  return rep;
}

std::string describe(const CosimReport& r, const ArchSpec& arch) {
  const double rate = r.seconds > 0 ? static_cast<double>(r.cycles) / r.seconds : 0;
  if (r.pass)
    return fmt::format("cosim PASS: {} GEMMs on {}x{} {}, {} cycles compared, {} outputs compared, "
                       "{:.0f} cycles/s\n",
                       r.gemms, arch.rows, arch.cols, to_string(arch.dataflow), r.cycles, r.outputs,
                       rate);
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
