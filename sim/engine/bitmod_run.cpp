#include "sim/engine/bitmod_run.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>

#include "models/numerics/metrics.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"
#include "rtl/harness/bitmod_rtl.hpp"
#include "sim/common/error.hpp"
#include "sim/engine/mapper.hpp"
#include "sim/engine/operands.hpp"
#include "sim/engine/run.hpp"
#include "sim/engine/sc_bench.hpp"
#include "sim/io/npy.hpp"

namespace tpesim {

namespace nb = num::bitmod;

std::optional<BitmodDtype> bitmod_dtype(const std::string& t) {
  if (t == "int8") return BitmodDtype{"int8_sym", 4, 8, 0};
  if (t == "int6") return BitmodDtype{"int6_sym", 3, 6, 0};
  if (t == "int4") return BitmodDtype{"int4_sym", 2, 4, 0};
  if (t == "fp4_e2m1") return BitmodDtype{"fp4_e2m1", 2, 4, 0};
  if (t == "fp3") return BitmodDtype{"fp3", 1, 3, 0};
  if (t == "bitmod_fp4") return BitmodDtype{"bitmod_fp4", 2, 4, 2};
  if (t == "bitmod_fp3") return BitmodDtype{"bitmod_fp3", 2, 3, 2};
  return std::nullopt;
}

void check_bitmod_gemm(const ArchSpec&, const Gemm& g, const std::string& src) {
  if (g.act_dtype != "fp16")
    throw TraceError(where(src, g.line, "act_dtype",
                           "'" + g.act_dtype + "' on the BitMoD engine, which multiplies fp16 activations"));
  if (!bitmod_dtype(g.weight_dtype))
    throw TraceError(where(src, g.line, "weight_dtype",
                           "'" + g.weight_dtype + "' is not a BitMoD weight type (int8, int6, int4, "
                           "fp4_e2m1, fp3, bitmod_fp4, bitmod_fp3)"));
}

namespace {

nb::BitmodPeParams pe_params(const ArchSpec& a) {
  nb::BitmodPeParams p;
  p.lanes = a.bitmod.lanes;
  p.guard_bits = a.bitmod.guard_bits;
  p.acc_exp_bits = a.bitmod.acc_exp_bits;
  p.acc_man_bits = a.bitmod.acc_man_bits;
  p.acc_bias = (1 << (a.bitmod.acc_exp_bits - 1)) - 1;
  p.scale_bits = a.bitmod.scale_bits;
  return p;
}

bitmod::ArrayShape array_shape(const ArchSpec& a) {
  return bitmod::ArrayShape{a.bitmod.tile_rows, a.bitmod.tile_cols, a.rows / a.bitmod.tile_rows,
                            a.cols / a.bitmod.tile_cols};
}

uint16_t fp16_code(double x) { return static_cast<uint16_t>(num::fp16_bits(num::round_to_fp16(x))); }

num::QuantConfig quant_config(const Gemm& g) {
  num::QuantConfig c;
  c.scale = num::ScaleFormat::kInt8;
  if (g.group_size == 0) {
    c.granularity = num::Granularity::kPerChannel;
  } else {
    c.granularity = num::Granularity::kPerGroup;
    c.group_size = static_cast<int64_t>(g.group_size);
  }
  return c;
}

// Output SQNR on a sample: an 8 x 8 output GEMM with the record's K, weight type and
// grouping, on synthetic operands seeded by those only (not by M or N), so every engine and
// every record of that kind (prefill or decode) reports the same value.
double sampled_sqnr(const Gemm& g, const BitmodDtype& d, const nb::BitmodPeParams& pe, uint64_t seed,
                    const num::RealMatrix* real_w) {
  const int64_t Ms = 8, Ns = 8;
  const int64_t K = static_cast<int64_t>(g.K);
  const uint64_t s = mix64(seed ^ mix64(static_cast<uint64_t>(K) * 1315423911u + g.group_size) ^
                           std::hash<std::string>{}(g.weight_dtype));
  num::RealMatrix a = num::gaussian_matrix(Ms, K, s);
  std::vector<uint16_t> codes(a.v.size());
  for (size_t i = 0; i < a.v.size(); ++i) {
    a.v[i] = num::round_to_fp16(a.v[i]);
    codes[i] = fp16_code(a.v[i]);
  }
  num::RealMatrix w = num::gaussian_matrix(K, Ns, mix64(s + 1));
  if (real_w) {  // the layer's own weights: its first 8 columns
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < Ns; ++n) w.at(k, n) = real_w->at(k, std::min(n, real_w->cols - 1));
  }
  const num::QuantScheme scheme = *num::make_scheme(d.scheme);
  const nb::BitmodWeights bw = nb::bitmod_weights_from_quant(num::quantize(w, scheme, quant_config(g)), scheme);
  const num::RealMatrix out = nb::gemm_bitmod(codes, Ms, bw, pe);
  const num::RealMatrix ref = num::gemm_f64(a, w);
  return num::sqnr_db(ref.v, out.v);
}

// The RTL engine: the Verilated array driven by the controller, with the C++ array core
// beside it on the same inputs (it supplies the action counts and must agree with the RTL on
// every output port, else a bug).
bitmod::BitmodStats run_rtl_bitmod(bitmod::BitmodController& ctl, const bitmod::ArrayShape& shape,
                                   const nb::BitmodPeParams& pe, const ArchSpec& a) {
  auto rtl = rtl::make_bitmod_rtl_array(shape);
  if (!rtl)
    throw ConfigError(where(a.source, 0, "",
                            "no BitMoD RTL variant was built for tiles " + std::to_string(shape.tiles_r) + "x" +
                                std::to_string(shape.tiles_c) + " of " + std::to_string(shape.tile_rows) + "x" +
                                std::to_string(shape.tile_cols) + " PEs; built variants:\n" +
                                rtl::describe_bitmod_rtl_variants() +
                                "add one to TPESIM_BITMOD_RTL_VARIANTS (rtl/bitmod.cmake) and rebuild"));
  const nb::BitmodPeParams d;
  if (pe.lanes != d.lanes || pe.guard_bits != d.guard_bits || pe.acc_exp_bits != d.acc_exp_bits ||
      pe.acc_man_bits != d.acc_man_bits || pe.acc_bias != d.acc_bias || pe.scale_bits != d.scale_bits)
    throw ConfigError(where(a.source, 0, "bitmod", "the BitMoD RTL is built with the default PE widths only"));
  rtl->reset();
  bitmod::BitmodArrayCore core(shape, pe);
  bitmod::BitmodArrayIn in(shape.rows(), shape.cols());
  bitmod::BitmodArrayOut o(shape.rows(), shape.cols()), om(shape.rows(), shape.cols());
  bool ready = core.in_ready();
  for (uint64_t t = 0; !ctl.done(); ++t) {
    ctl.drive(t, ready, {core.pe(0, 0).ready(), core.pe_input_valid(0, 0)}, &in);
    rtl->step(in, &o);
    core.step(in, &om);
    if (!(o == om))
      throw InternalError("rtl engine: BitMoD RTL and model outputs differ at cycle " + std::to_string(t) +
                          " (run tpesim cosim for details)");
    ctl.collect(t, o);
    ready = o.in_ready;
  }
  bitmod::BitmodStats st = ctl.stats();
  st.array = core.counters();
  return st;
}

}  // namespace

std::optional<num::RealMatrix> layer_weights(const Gemm& g, const std::string& dir) {
  if (dir.empty() || g.kind != "static") return std::nullopt;
  const std::string path = dir + "/" + g.name + ".npy";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw UserError(path + ": no weights for layer '" + g.name + "' (--weights needs <layer>.npy for every static record)");
  NpyArray a = read_npy(path);
  if (a.shape.size() != 2 || a.data.rows != static_cast<int64_t>(g.K) || a.data.cols != static_cast<int64_t>(g.N))
    throw UserError(path + ": shape must be (K, N) = (" + std::to_string(g.K) + ", " + std::to_string(g.N) +
                    ") for layer '" + g.name + "'");
  for (double v : a.data.v)
    if (!std::isfinite(v)) throw UserError(path + ": holds a non-finite value");
  return std::move(a.data);
}

bitmod::BitmodOperands bitmod_operands(const Gemm& g, const BitmodDtype& d, uint64_t seed,
                                       const num::RealMatrix* real_w) {
  bitmod::BitmodOperands ops;
  const int64_t M = static_cast<int64_t>(g.M), K = static_cast<int64_t>(g.K), N = static_cast<int64_t>(g.N);
  const num::RealMatrix a = num::gaussian_matrix(M, K, mix64(seed));
  ops.a.resize(a.v.size());
  for (size_t i = 0; i < a.v.size(); ++i) ops.a[i] = fp16_code(a.v[i]);
  const num::QuantScheme scheme = *num::make_scheme(d.scheme);
  ops.w = nb::bitmod_weights_from_quant(
      num::quantize(real_w ? *real_w : num::gaussian_matrix(K, N, mix64(seed + 1)), scheme, quant_config(g)), scheme);
  ops.finish();
  return ops;
}

bitmod::BitmodPlan bitmod_plan(const ArchSpec& a, const Gemm& g) {
  const BitmodDtype d = *bitmod_dtype(g.weight_dtype);
  bitmod::BitmodPlan p;
  p.shape = array_shape(a);
  p.pe = pe_params(a);
  p.M = static_cast<int64_t>(g.M);
  p.N = static_cast<int64_t>(g.N);
  p.K = static_cast<int64_t>(g.K);
  p.group_size = g.group_size ? static_cast<int64_t>(g.group_size) : p.K;
  p.terms = d.terms;
  p.weight_bits = d.bits;
  p.meta_bits = a.bitmod.scale_bits + d.selector_bits;
  try {
    return bitmod::plan_bitmod(p, buffer_params(a));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(where(a.source, 0, "", std::string(e.what()) + " (layer " + g.name + ")"));
  }
}

BitmodGemmRun run_bitmod_gemm(const ArchSpec& a, const Gemm& g, const RunOptions& opt, uint64_t seed) {
  const BitmodDtype d = *bitmod_dtype(g.weight_dtype);
  BitmodGemmRun r;
  r.plan = bitmod_plan(a, g);
  const std::optional<num::RealMatrix> real_w = layer_weights(g, opt.weights_dir);
  const num::RealMatrix* rw = real_w ? &*real_w : nullptr;
  const auto bufs = buffer_params(a);
  const auto dram = dram_params(a);
  if (opt.engine == "fast") {
    bitmod::BitmodController ctl(r.plan, bufs, dram, nullptr, nullptr);
    ctl.run_fast();
    r.st = ctl.stats();
  } else if (opt.engine == "cycle" || opt.engine == "rtl") {
    const bitmod::BitmodOperands ops = bitmod_operands(g, d, seed, rw);
    num::RealMatrix out(r.plan.M, r.plan.N);
    bitmod::BitmodController ctl(r.plan, bufs, dram, &ops, &out);
    if (opt.engine == "cycle") {
      r.st = run_systemc_bitmod(ctl, r.plan.shape, r.plan.pe);
    } else {
      r.st = run_rtl_bitmod(ctl, r.plan.shape, r.plan.pe, a);
    }
    if (g.M * g.N * g.K <= opt.verify_limit) {
      if (!(nb::gemm_bitmod(ops.a, r.plan.M, ops.w, r.plan.pe) == out))
        throw InternalError("bitmod engine: " + g.name + ": outputs differ from num::bitmod::gemm_bitmod");
      r.verified = true;
    }
  } else {
    throw ConfigError("--engine: unknown engine '" + opt.engine + "' (known: fast, cycle, rtl)");
  }
  r.sqnr_db = sampled_sqnr(g, d, r.plan.pe, opt.seed, rw);
  return r;
}

LayerResult make_bitmod_layer_result(const ArchSpec& a, const Gemm& g, const BitmodGemmRun& r) {
  LayerResult L;
  const uint64_t n = g.count;
  const bitmod::BitmodCycles& c = r.st.cycles;
  L.name = g.name;
  L.M = g.M;
  L.N = g.N;
  L.K = g.K;
  L.count = n;
  L.folds = static_cast<uint64_t>(r.plan.folds());
  L.cycles.total = c.total * n;
  L.cycles.stall = c.stall_total() * n;
  L.cycles.compute = L.cycles.total - L.cycles.stall;
  L.cycles.breakdown = {{"term", c.term * n}, {"dequant", c.dequant * n}, {"encoder", c.encoder * n}, {"skew", c.skew * n}};
  for (int b = 0; b < mem::kNumBufs; ++b) {
    L.cycles.stall_by_buffer[mem::buf_name(b)] = c.stall[static_cast<size_t>(b)] * n;
    BufferTraffic bt;
    bt.reads = r.st.buf[static_cast<size_t>(b)].reads * n;
    bt.writes = r.st.buf[static_cast<size_t>(b)].writes * n;
    bt.read_bytes = r.st.buf[static_cast<size_t>(b)].read_bytes * n;
    bt.write_bytes = r.st.buf[static_cast<size_t>(b)].write_bytes * n;
    L.buffers[mem::buf_name(b)] = bt;
  }
  L.macs = g.M * g.N * g.K * n;
  const double pes = static_cast<double>(a.rows) * a.cols;
  // A PE's peak is `lanes` MACs every `terms` cycles.
  const double peak = pes * r.plan.pe.lanes / r.plan.terms * static_cast<double>(L.cycles.total);
  L.utilization = peak > 0 ? static_cast<double>(L.macs) / peak : 0;
  // Spatial fill: useful MACs over the lane slots of the folds (every PE does `lanes` MACs
  // per quad step).
  uint64_t quads = 0;
  for (int64_t gi = 0; gi < r.plan.groups(); ++gi) quads += static_cast<uint64_t>(r.plan.group_quads(gi));
  const double slots = pes * static_cast<double>(r.plan.folds()) * static_cast<double>(quads) * r.plan.pe.lanes;
  L.mapping_efficiency = slots > 0 ? static_cast<double>(g.M * g.N * g.K) / slots : 0;
  // The analytical estimate: term cycles, or the DRAM time of the same bytes if longer.
  const uint64_t dram_bytes = r.st.dram_read_bytes + r.st.dram_write_bytes;
  const uint64_t bw = a.dram.bandwidth_millibytes_per_cycle;
  L.analytical_cycles = std::max<uint64_t>(c.term, (dram_bytes * 1000 + bw - 1) / bw) * n;
  L.sqnr_db = r.sqnr_db;
  const bitmod::BitmodArrayCounters& x = r.st.array;
  L.actions["bitmod.term_cycles"] = x.pe.term_cycles * n;
  L.actions["bitmod.lane_products"] = x.pe.term_cycles * static_cast<uint64_t>(r.plan.pe.lanes) * n;
  L.actions["bitmod.wait_cycles"] = x.pe.wait_cycles * n;
  L.actions["bitmod.dequant_steps"] = x.pe.dequant_cycles * n;
  L.actions["bitmod.column_adds"] = x.pe.column_adds * n;
  L.actions["bitmod.channel_scale_muls"] = x.pe.outputs * n;
  L.actions["bitmod.encoder_quads"] = x.encoder.quads * n;
  L.actions["bitmod.encoder_terms"] = x.encoder.term_cycles * n;
  L.actions["bitmod.act_reg_loads"] = x.act_loads * n;
  L.actions["bitmod.hop_reg_writes"] = x.hop_writes * n;
  L.actions["pe.idle_cycles"] = (x.pe.cycles - x.pe.term_cycles) * n;
  L.actions["ctrl.quad_steps"] = r.st.steps * n;
  L.dram_read_bytes = r.st.dram_read_bytes * n;
  L.dram_write_bytes = r.st.dram_write_bytes * n;
  return L;
}

}  // namespace tpesim
