#include "sim/engine/run.hpp"

#include <map>
#include <memory>
#include <tuple>

#include "models/numerics/fp_mac.hpp"
#include "models/numerics/reference_gemm.hpp"
#include "rtl/harness/rtl_array.hpp"
#include "sim/cost/costs.hpp"
#include "sim/common/error.hpp"
#include "sim/common/progress.hpp"
#include "sim/engine/bitmod_run.hpp"
#include "sim/engine/mapper.hpp"
#include "sim/engine/mixpe_run.hpp"
#include "sim/engine/operands.hpp"
#include "sim/engine/sc_bench.hpp"

namespace tpesim {

// The FP16 PE's oracle: per output, each reduction chunk summed from +0 in ascending k with
// one FP32 rounding per MAC (num::fp_mac_fp16_fp32), chunk sums added in order with one
// rounding each (num::fp32_add); FP32 bits sign-extended as the array holds them.
num::IntMatrix gemm_fp16_reference(const num::IntMatrix& a, const num::IntMatrix& b, int64_t chunk) {
  num::IntMatrix c(a.rows, b.cols);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) {
      uint32_t total = 0;
      for (int64_t k0 = 0; k0 < a.cols; k0 += chunk) {
        uint32_t part = 0;
        for (int64_t k = k0; k < std::min(a.cols, k0 + chunk); ++k)
          part = num::fp_mac_fp16_fp32(part, static_cast<uint16_t>(a.at(i, k)), static_cast<uint16_t>(b.at(k, j)));
        total = k0 == 0 ? part : num::fp32_add(total, part);
      }
      c.at(i, j) = static_cast<int32_t>(total);
    }
  return c;
}

systolic::ArrayCounters run_rtl_model(systolic::Controller& ctl, const systolic::ArrayParams& p, const ArchSpec& arch,
                                      const std::string& gemm_name) {
  auto rtl = rtl::make_rtl_array(p);
  if (!rtl)
    throw ConfigError(where(arch.source, 0, "",
                            "no RTL variant was built for this array (" + std::to_string(arch.rows) + "x" +
                                std::to_string(arch.cols) + " " + to_string(arch.dataflow) + ", " +
                                std::to_string(p.aw) + "-bit x " + std::to_string(p.bw) +
                                "-bit operands); built variants:\n" + rtl::describe_rtl_variants() +
                                "add one to TPESIM_RTL_VARIANTS (rtl/CMakeLists.txt) and rebuild"));
  rtl->reset();
  // The RTL does not count its own actions: the C++ array core runs beside it on the same
  // inputs, supplies the counts, and must agree with the RTL on every output (else a bug).
  systolic::ArrayCore core(p);
  systolic::ArrayInputs in(p.rows, p.cols);
  systolic::ArrayOutputs o(p.cols), om(p.cols);
  for (uint64_t t = 0; !ctl.done(); ++t) {
    ctl.drive(t, &in);
    rtl->step(in, &o);
    core.step(in, &om);
    if (!(o == om))
      throw InternalError("rtl engine: " + gemm_name + ": RTL and model outputs differ at cycle " +
                          std::to_string(t) + " (run tpesim cosim for details)");
    ctl.collect(t, o);
  }
  return core.counters();
}

GemmRun run_gemm(const ArchSpec& arch, const Gemm& g, const RunOptions& opt, uint64_t layer_seed) {
  const systolic::Schedule s = map_gemm(arch, g);
  HashOperands ops(layer_seed, arch.act, arch.weight, arch.fp16(), arch.fp16_int());
  // The fast engine computes timing and counts, not values: nothing to compare.
  const bool verify = opt.engine != "fast" && g.M * g.N * g.K <= opt.verify_limit;
  num::IntMatrix out;
  if (verify) out = num::IntMatrix(static_cast<int64_t>(g.M), static_cast<int64_t>(g.N));
  systolic::Controller ctl(s, buffer_params(arch), dram_params(arch), ops, verify ? &out : nullptr);
  GemmRun r;
  r.activity = opt.activity;
  if (opt.engine == "fast") {
    r.array = ctl.run_fast();
  } else if (opt.engine == "cycle") {
    r.array = run_systemc_model(ctl, s.array);
  } else if (opt.engine == "rtl") {
    r.array = run_rtl_model(ctl, s.array, arch, g.name);
  } else {
    throw ConfigError("--engine: unknown engine '" + opt.engine + "' (known: fast, cycle, rtl)");
  }
  r.ctl = ctl.stats();
  r.folds = s.folds.size();
  for (const auto& f : s.folds) r.fold_wavefronts += static_cast<uint64_t>(s.wavefronts(f));
  if (r.array.macs != g.M * g.N * g.K)
    throw InternalError("systolic engine: " + g.name + ": array counted " +
                        std::to_string(r.array.macs) + " MACs, the GEMM has " +
                        std::to_string(g.M * g.N * g.K));
  if (verify) {
    const auto A = ops.matrix_a(static_cast<int64_t>(g.M), static_cast<int64_t>(g.K));
    const auto B = ops.matrix_b(static_cast<int64_t>(g.K), static_cast<int64_t>(g.N));
    const int64_t chunk = arch.dataflow != Dataflow::kOS ? arch.rows
                          : arch.os_k_fold > 0        ? arch.os_k_fold
                                                      : static_cast<int64_t>(g.K);
    num::IntMatrix Bh = B;  // the FP16 x INT PE: integer weights as the FP16 values they equal
    if (arch.fp16_int())
      for (auto& v : Bh.v) v = num::fp16_from_int(static_cast<int32_t>(v));
    const auto ref = arch.fp_pe() ? gemm_fp16_reference(A, Bh, chunk) : num::gemm_accumulate(A, B, arch.acc, chunk);
    if (!(ref == out))
      throw InternalError("systolic engine: " + g.name + ": outputs differ from the reference GEMM");
    r.verified = true;
  }
  return r;
}

LayerResult make_layer_result(const ArchSpec& arch, const Gemm& g, const GemmRun& r) {
  LayerResult L;
  const uint64_t n = g.count;
  L.name = g.name;
  L.M = g.M;
  L.N = g.N;
  L.K = g.K;
  L.count = n;
  L.folds = r.folds;
  L.cycles.total = r.ctl.end_cycle * n;
  L.cycles.stall = r.ctl.stall_total() * n;
  L.cycles.compute = L.cycles.total - L.cycles.stall;
  for (int b = 0; b < mem::kNumBufs; ++b) {
    L.cycles.stall_by_buffer[mem::buf_name(b)] = r.ctl.stall[b] * n;
    BufferTraffic bt;
    bt.reads = r.ctl.buf[b].reads * n;
    bt.writes = r.ctl.buf[b].writes * n;
    bt.read_bytes = r.ctl.buf[b].read_bytes * n;
    bt.write_bytes = r.ctl.buf[b].write_bytes * n;
    L.buffers[mem::buf_name(b)] = bt;
  }
  L.macs = g.M * g.N * g.K * n;
  const double pes = static_cast<double>(arch.rows) * arch.cols;
  L.utilization = L.cycles.total ? static_cast<double>(L.macs) / (pes * L.cycles.total) : 0;
  L.mapping_efficiency =
      r.fold_wavefronts ? static_cast<double>(g.M * g.N * g.K) / (pes * r.fold_wavefronts) : 0;
  const std::string mac =
      arch.fp16() ? std::string("mac.fp16xfp16")
      : arch.fp16_int() ? "mac.fp16x" + arch.weight.name()
                        : "mac." + arch.act.name() + "x" + arch.weight.name();
  L.actions[mac] = r.array.macs * n;
  L.actions["pe.operand_reg_writes"] = r.array.operand_reg_writes * n;
  L.actions["pe.operand_reg_write_bits"] = r.array.operand_reg_write_bits * n;
  L.actions["pe.acc_writes"] = r.array.acc_writes * n;
  L.actions["pe.stationary_writes"] = r.array.stationary_writes * n;
  L.actions["pe.idle_cycles"] =
      (static_cast<uint64_t>(arch.rows) * arch.cols * r.ctl.end_cycle - r.array.macs) * n;
  L.actions["array.output_writes"] = r.array.output_writes * n;
  L.actions["ctrl.wavefronts"] = r.ctl.wavefronts * n;
  L.actions["ctrl.shift_steps"] = r.ctl.shift_steps * n;
  if (r.activity) {
    L.actions["toggles.left_reg_bits"] = r.array.left_toggles * n;
    L.actions["toggles.top_reg_bits"] = r.array.top_toggles * n;
    L.actions["toggles.acc_reg_bits"] = r.array.acc_toggles * n;
    L.actions["toggles.stationary_reg_bits"] = r.array.stationary_toggles * n;
  }
  L.dram_read_bytes = r.ctl.dram_read_bytes * n;
  L.dram_write_bytes = r.ctl.dram_write_bytes * n;
  return L;
}

namespace {

// Runs every GEMM of the workload with `sim(g, seed)`, reusing the fast engine's result for
// GEMMs with equal `key(g)` (its timing and counts do not depend on operand values), and
// turns each into a report row with `row(g, run)`; progress by MACs.
template <typename Key, typename KeyFn, typename SimFn, typename RowFn>
void run_layers(const Workload& w, const RunOptions& opt, RunResult* res, KeyFn key, SimFn sim, RowFn row) {
  uint64_t total_macs = 0;
  for (const Gemm& g : w.gemms) total_macs += g.M * g.N * g.K;
  Progress prog("simulating " + w.name + " (MACs of one instance per record)", total_macs, opt.progress);
  using Run = decltype(sim(w.gemms.front(), uint64_t{0}));
  std::map<Key, Run> memo;
  for (size_t i = 0; i < w.gemms.size(); ++i) {
    const Gemm& g = w.gemms[i];
    const Key k = key(g);
    auto it = memo.find(k);
    if (opt.engine != "fast" || it == memo.end()) {
      Run r = sim(g, mix64(opt.seed + i));
      if (opt.engine != "fast") {
        res->layers.push_back(row(g, r));
        prog.advance(g.M * g.N * g.K);
        continue;
      }
      it = memo.emplace(k, std::move(r)).first;
    }
    res->layers.push_back(row(g, it->second));
    prog.advance(g.M * g.N * g.K);
  }
  prog.finish();
  compute_totals(res);
}

}  // namespace

namespace {

// Runs every record on the arch's engine into *res (rows and totals, no costs).
void run_engine(const ArchSpec& arch, const Workload& w, const RunOptions& opt, RunResult* out) {
  RunResult& res = *out;
  res.tool_version = TPESIM_VERSION;
  res.engine = opt.engine;
  res.arch_name = arch.name;
  res.arch_engine = arch.engine;
  res.arch_yaml = to_yaml(arch);
  res.workload_name = w.name;
  res.workload_source = w.source;
  res.rows = arch.rows;
  res.cols = arch.cols;
  res.dataflow = to_string(arch.dataflow);
  res.clock_hz = arch.clock_hz;
  if (arch.is_bitmod()) {
    for (const Gemm& g : w.gemms) check_bitmod_gemm(arch, g, w.source);
    for (const Gemm& g : w.gemms) bitmod_plan(arch, g);  // buffer errors before any work
    // Shape, weight type and group; with real weights the SQNR depends on the layer too.
    using Key = std::tuple<uint64_t, uint64_t, uint64_t, std::string, uint64_t>;
    run_layers<Key>(
        w, opt, &res,
        [&](const Gemm& g) {
          return Key{g.M, g.N, g.K, g.weight_dtype + (opt.weights_dir.empty() ? "" : "/" + g.name), g.group_size};
        },
        [&](const Gemm& g, uint64_t seed) { return run_bitmod_gemm(arch, g, opt, seed); },
        [&](const Gemm& g, const BitmodGemmRun& r) { return make_bitmod_layer_result(arch, g, r); });
    return;
  }
  if (arch.is_mixpe()) {
    for (const Gemm& g : w.gemms) check_mixpe_gemm(arch, g, w.source);
    for (const Gemm& g : w.gemms) map_mixpe(arch, g);  // buffer errors before any work
    // Timing depends on the shape, the group (k-folds) and the weight width (bytes).
    using Key = std::tuple<uint64_t, uint64_t, uint64_t, std::string, uint64_t>;
    run_layers<Key>(
        w, opt, &res, [](const Gemm& g) { return Key{g.M, g.N, g.K, g.weight_dtype, g.group_size}; },
        [&](const Gemm& g, uint64_t seed) { return run_mixpe_gemm(arch, g, opt, seed); },
        [&](const Gemm& g, const GemmRun& r) { return make_mixpe_layer_result(arch, g, r); });
    return;
  }
  for (const Gemm& g : w.gemms) check_gemm_types(arch, g, w.source);
  using Key = std::tuple<uint64_t, uint64_t, uint64_t>;
  run_layers<Key>(
      w, opt, &res, [](const Gemm& g) { return Key{g.M, g.N, g.K}; },
      [&](const Gemm& g, uint64_t seed) { return run_gemm(arch, g, opt, seed); },
      [&](const Gemm& g, const GemmRun& r) { return make_layer_result(arch, g, r); });
}

}  // namespace

RunResult run_workload(const ArchSpec& arch, const Workload& w, const RunOptions& opt) {
  RunResult res;
  cost::check_tech(arch);
  if (opt.activity && (opt.engine == "fast" || arch.is_bitmod()))
    throw ConfigError("--energy activity: register toggles are counted by the cycle and rtl engines of the systolic "
                      "and MixPE arrays (use --engine cycle or rtl; not the BitMoD engine)");
  run_engine(arch, w, opt, &res);
  cost::price_run(arch, &res);
  return res;
}

}  // namespace tpesim
