#include "sim/engine/mixpe_run.hpp"

#include <algorithm>
#include <functional>
#include <memory>

#include "models/numerics/fp_mac.hpp"
#include "models/numerics/metrics.hpp"
#include "models/numerics/mixpe.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"
#include "sim/common/error.hpp"
#include "sim/engine/mapper.hpp"
#include "sim/engine/operands.hpp"
#include "sim/engine/sc_bench.hpp"
#include "rtl/harness/mixpe_rtl.hpp"
#include "rtl/harness/rtl_array.hpp"

namespace tpesim {

namespace nm = num::mixpe;

namespace {

nm::MixpeVariant variant_of(const ArchSpec& a) {
  return a.mixpe.variant == "w4a8" ? nm::MixpeVariant::kW4A8
         : a.mixpe.variant == "w4a16" ? nm::MixpeVariant::kW4A16
                                      : nm::MixpeVariant::kFp16xInt8;
}

num::IntFormat weight_format(const Gemm& g) {
  num::IntFormat f;
  num::parse_int_format(g.weight_dtype, &f);  // checked by check_mixpe_gemm
  return f;
}

// The systolic arch the record runs on: os, the variant's operand formats, the group as k-fold.
ArchSpec systolic_view(const ArchSpec& a, const Gemm& g) {
  ArchSpec s = a;
  s.engine = "systolic";
  s.dataflow = Dataflow::kOS;
  s.weight = weight_format(g);
  s.weight_fp16 = false;
  s.act_fp16 = variant_of(a) != nm::MixpeVariant::kW4A8;
  s.act = s.act_fp16 ? num::IntFormat{16, true} : num::IntFormat{8, true};
  s.acc = num::AccFormat{32, num::Overflow::kWrap};
  s.os_k_fold = variant_of(a) == nm::MixpeVariant::kFp16xInt8 ? 0 : static_cast<int64_t>(g.group_size);
  return s;
}

// Operand values: activations (INT8 uniform or FP16 ~ N(0, 1)) and Gaussian weights quantised
// to the record's format with FP16 group scales (int<b>: symmetric, uint<b>: zero points).
struct MixpeOperands : systolic::Operands {
  nm::MixpeVariant v;
  int64_t K = 0;
  std::vector<int32_t> a_int;
  std::vector<uint16_t> a_h;
  nm::MixpeWeights w;
  int64_t a(int64_t m, int64_t k) const override {
    const size_t i = static_cast<size_t>(m * K + k);
    return v == nm::MixpeVariant::kW4A8 ? a_int[i] : a_h[i];
  }
  int64_t b(int64_t k, int64_t n) const override {
    const size_t i = static_cast<size_t>(k * w.n + n);
    if (v != nm::MixpeVariant::kFp16xInt8) return w.q[i];
    // The dequantise-then-FMA PE's packed operand: the code with its group's zero point and scale.
    const size_t gi = static_cast<size_t>((k / w.group_size) * w.n + n);
    return systolic::pack_dequant_operand(w.q[i], w.zero[gi], w.scale[gi], w.bits);
  }
};

std::unique_ptr<MixpeOperands> make_operands(const ArchSpec& a, const Gemm& g, uint64_t seed) {
  auto o = std::make_unique<MixpeOperands>();
  o->v = variant_of(a);
  const int64_t M = static_cast<int64_t>(g.M), K = static_cast<int64_t>(g.K), N = static_cast<int64_t>(g.N);
  o->K = K;
  const num::RealMatrix ar = num::gaussian_matrix(M, K, mix64(seed));
  o->a_int.resize(ar.v.size());
  o->a_h.resize(ar.v.size());
  for (size_t i = 0; i < ar.v.size(); ++i) {
    o->a_int[i] = static_cast<int32_t>(std::clamp(std::lround(ar.v[i] * 32.0), -128L, 127L));
    const double h = num::round_to_fp16(ar.v[i]);
    o->a_h[i] = static_cast<uint16_t>(num::fp16_bits(std::fabs(h)) | (h < 0 ? 0x8000u : 0u));
  }
  const num::IntFormat wf = weight_format(g);
  const std::string scheme_name = "int" + std::to_string(wf.bits) + (wf.is_signed ? "_sym" : "_asym");
  const num::QuantScheme scheme = *num::make_scheme(scheme_name);
  num::QuantConfig cfg;
  cfg.scale = num::ScaleFormat::kFp16;
  cfg.granularity = g.group_size ? num::Granularity::kPerGroup : num::Granularity::kPerChannel;
  cfg.group_size = g.group_size ? static_cast<int64_t>(g.group_size) : K;
  o->w = nm::mixpe_weights_from_quant(num::quantize(num::gaussian_matrix(K, N, mix64(seed + 1)), scheme, cfg), scheme);
  return o;
}

// Cosimulation stimulus: every code, zero point and activation value equally likely to sit at
// its extremes. Codes uniform over the B-bit range, a quarter of them at its ends; zero points
// per group from {-(2^B - 1), 0, 2^B - 1} or uniform in that range; FP16 scales of random sign
// and any finite exponent (subnormal to 65504); INT8 activations uniform with -128 and 127 a
// quarter of the time; FP16 activations of random sign, subnormal up to 2^8 (sums stay finite).
std::unique_ptr<MixpeOperands> make_stress_operands(const ArchSpec& a, const Gemm& g, uint64_t seed) {
  auto o = std::make_unique<MixpeOperands>();
  o->v = variant_of(a);
  const int64_t M = static_cast<int64_t>(g.M), K = static_cast<int64_t>(g.K), N = static_cast<int64_t>(g.N);
  o->K = K;
  uint64_t st = seed;
  auto next = [&](uint64_t bound) {
    st = mix64(st + 0x9E3779B97F4A7C15ull);
    return static_cast<int64_t>(st % bound);
  };
  o->a_int.resize(static_cast<size_t>(M * K));
  o->a_h.resize(static_cast<size_t>(M * K));
  for (size_t i = 0; i < o->a_int.size(); ++i) {
    o->a_int[i] = next(4) == 0 ? (next(2) ? 127 : -128) : static_cast<int32_t>(next(256)) - 128;
    const uint16_t e = static_cast<uint16_t>(next(24));  // biased exponent 0..23: |a| < 2^9
    o->a_h[i] = static_cast<uint16_t>((next(2) << 15) | (e << 10) | next(1024));
  }
  const num::IntFormat wf = weight_format(g);
  nm::MixpeWeights& w = o->w;
  w.k = K;
  w.n = N;
  w.bits = wf.bits;
  w.is_signed = wf.is_signed;
  w.group_size = g.group_size ? static_cast<int64_t>(g.group_size) : K;
  const int64_t lo = wf.is_signed ? -(int64_t{1} << (wf.bits - 1)) : 0, span = int64_t{1} << wf.bits;
  w.q.resize(static_cast<size_t>(K * N));
  for (auto& q : w.q) q = static_cast<int32_t>(next(4) == 0 ? (next(2) ? lo + span - 1 : lo) : lo + next(static_cast<uint64_t>(span)));
  const int64_t zmax = span - 1;
  w.zero.resize(static_cast<size_t>(w.groups() * N));
  w.scale.resize(w.zero.size());
  for (size_t i = 0; i < w.zero.size(); ++i) {
    const int64_t pick = next(5);
    w.zero[i] = static_cast<int32_t>(pick == 0 ? -zmax : pick == 1 ? 0 : pick == 2 ? zmax : next(static_cast<uint64_t>(2 * zmax + 1)) - zmax);
    w.scale[i] = static_cast<uint16_t>((next(2) << 15) | (next(31) << 10) | next(1024));
  }
  w.validate();
  return o;
}

// Output SQNR against FP64 with unquantised weights on an 8 x 8 output sample with the
// record's K, weight type and grouping (seeded by those only), as the BitMoD engine reports it.
double sampled_sqnr(const ArchSpec& a, const Gemm& g, uint64_t seed) {
  Gemm s = g;
  s.M = s.N = 8;
  const uint64_t k = mix64(seed ^ mix64(g.K * 1315423911u + g.group_size) ^ std::hash<std::string>{}(g.weight_dtype));
  const auto ops = make_operands(a, s, k);
  const int64_t K = static_cast<int64_t>(g.K);
  const auto out = nm::gemm_mixpe(ops->v, 8, ops->a_int, ops->a_h, ops->w);
  // The exact inputs: activations as the PE sees them, weights before quantisation.
  num::RealMatrix A(8, K);
  for (int64_t i = 0; i < 8 * K; ++i)
    A.v[static_cast<size_t>(i)] = ops->v == nm::MixpeVariant::kW4A8
                                      ? ops->a_int[static_cast<size_t>(i)]
                                      : num::fp32_from_bits(num::fp16_to_fp32_bits(ops->a_h[static_cast<size_t>(i)]));
  const num::RealMatrix W = num::gaussian_matrix(K, 8, mix64(k + 1));
  std::vector<double> y(out.size());
  for (size_t i = 0; i < out.size(); ++i) y[i] = num::fp32_from_bits(out[i]);
  return num::sqnr_db(num::gemm_f64(A, W).v, y);
}

}  // namespace

void check_mixpe_gemm(const ArchSpec& a, const Gemm& g, const std::string& src) {
  const bool int_act = variant_of(a) == nm::MixpeVariant::kW4A8;
  if (g.act_dtype != (int_act ? "int8" : "fp16"))
    throw TraceError(where(src, g.line, "act_dtype",
                           "'" + g.act_dtype + "' on the MixPE " + a.mixpe.variant + " PE, which takes " +
                               (int_act ? "int8" : "fp16") + " activations"));
  num::IntFormat f;
  if (!num::parse_int_format(g.weight_dtype, &f) || f.bits > a.mixpe.weight_bits)
    throw TraceError(where(src, g.line, "weight_dtype",
                           "'" + g.weight_dtype + "' on the MixPE " + a.mixpe.variant + " PE, which takes integer weights of at most " +
                               std::to_string(a.mixpe.weight_bits) + " bits (int<b> symmetric, uint<b> with zero points; mixpe.weight_bits)"));
}

systolic::Schedule map_mixpe(const ArchSpec& a, const Gemm& g) {
  systolic::Schedule s = map_gemm(systolic_view(a, g), g);
  if (variant_of(a) == nm::MixpeVariant::kFp16xInt8) {
    // Each PE dequantises the code it multiplies: the top edge carries (q, z, s) packed; the
    // filter buffer holds the codes (docs/mixpe-pe.md, "Baselines").
    s.array.pe = systolic::PeKind::kDequantFma;
    s.top_elem_bits = s.array.bw;
    s.array.bw = 2 * s.array.bw + 17;
  } else {
    s.array.pe = systolic::PeKind::kShiftAdd;
  }
  return s;
}

namespace {

// The per-column dequantisation unit (docs/mixpe-pe.md): for each output (i, j) and group g,
// y <- y + s_g (P - z_g A), P the array's group partial sum and A the row adder's group sum of
// row i's activations. Runs as the controller's combiner; `Mode` picks who computes y: the
// C++ step function, the Verilated unit (rtl engine) or both, compared (cosim).
class DequantJoin {
 public:
  enum class Mode { kModel, kRtl, kBoth };
  /// First difference between the model and the RTL unit (kBoth).
  struct Mismatch {
    bool found = false;
    int64_t i = 0, j = 0, group = 0, col = 0, row = 0;
    uint32_t expected = 0, actual = 0;
  };

  DequantJoin(const MixpeOperands& ops, int64_t M) : ops_(ops) {
    const int64_t K = ops.K, G = ops.w.group_size, NG = ops.w.groups();
    rowsum_.assign(static_cast<size_t>(M * NG), 0);
    for (int64_t i = 0; i < M; ++i)
      for (int64_t gi = 0; gi < NG; ++gi) {
        int64_t acc = 0;
        uint32_t accf = 0;
        for (int64_t k = gi * G; k < std::min(K, (gi + 1) * G); ++k) {
          acc += ops.a_int[static_cast<size_t>(i * K + k)];
          accf = nm::row_add_fp16(accf, ops.a_h[static_cast<size_t>(i * K + k)]);
        }
        // The W4A8 row adder is 32 bits wide, like the accumulators.
        rowsum_[static_cast<size_t>(i * NG + gi)] =
            ops.v == nm::MixpeVariant::kW4A8 ? static_cast<int64_t>(static_cast<int32_t>(acc)) : static_cast<int64_t>(accf);
      }
  }

  /// Installs the unit as `ctl`'s combiner. `rtl` is required for kRtl and kBoth.
  /// `corrupt_at` (test hook, kBoth): flip bit 0 of the RTL unit's result number corrupt_at.
  void attach(systolic::Controller& ctl, Mode mode, rtl::RtlDequantUnit* rtl, int64_t corrupt_at = -1) {
    ctl.set_combiner([this, mode, rtl, corrupt_at](int64_t prev, int64_t part, int64_t i, int64_t j,
                                                   const systolic::Fold& f) {
      const int64_t gi = f.k0 / ops_.w.group_size;
      const size_t wi = static_cast<size_t>(gi * ops_.w.n + j);
      const int64_t A = rowsum_[static_cast<size_t>(i * ops_.w.groups() + gi)];
      const uint32_t y = static_cast<uint32_t>(prev);
      const int32_t z = ops_.w.zero[wi];
      const uint16_t sc = ops_.w.scale[wi];
      uint32_t out = 0;
      if (mode != Mode::kRtl)
        out = ops_.v == nm::MixpeVariant::kW4A8
                  ? nm::dequant_int(y, part, A, z, sc)
                  : nm::dequant_fp(y, static_cast<uint32_t>(part), static_cast<uint32_t>(A), z, sc);
      if (mode != Mode::kModel) {
        uint32_t r = rtl->eval(y, part, A, z, sc);
        if (static_cast<int64_t>(joins_) == corrupt_at) r ^= 1;
        if (mode == Mode::kRtl) out = r;
        else if (r != out && !mismatch_.found)
          mismatch_ = Mismatch{true, i, j, gi, j - f.q0, i - f.p0, out, r};
      }
      ++joins_;
      return static_cast<int64_t>(static_cast<int32_t>(out));
    });
  }
  const Mismatch& mismatch() const { return mismatch_; }
  uint64_t joins() const { return joins_; }

 private:
  const MixpeOperands& ops_;
  std::vector<int64_t> rowsum_;  ///< M x groups: A (integer, or FP32 bits)
  Mismatch mismatch_;
  uint64_t joins_ = 0;
};

std::unique_ptr<rtl::RtlDequantUnit> rtl_dequant_for(const ArchSpec& a, const MixpeOperands& ops) {
  auto u = rtl::make_rtl_dequant(ops.v == nm::MixpeVariant::kW4A16, ops.w.bits);
  if (!u)
    throw ConfigError(where(a.source, 0, "", "no Verilated MixPE dequantisation unit for " + std::to_string(ops.w.bits) +
                                                 "-bit weights; built: " + rtl::describe_rtl_dequant_units() +
                                                 "add the width to TPESIM_MIXPE_DEQUANT_BITS (rtl/mixpe.cmake) and rebuild"));
  return u;
}

void check_outputs(const Gemm& g, const MixpeOperands& ops, const num::IntMatrix& out) {
  const int64_t M = out.rows, N = out.cols;
  const auto ref = nm::gemm_mixpe(ops.v, M, ops.a_int, ops.a_h, ops.w);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      if (static_cast<uint32_t>(out.at(i, j)) != ref[static_cast<size_t>(i * N + j)])
        throw InternalError("mixpe engine: " + g.name + ": output (" + std::to_string(i) + ", " + std::to_string(j) +
                            ") is " + std::to_string(num::fp32_from_bits(static_cast<uint32_t>(out.at(i, j)))) +
                            ", num::mixpe::gemm_mixpe gives " +
                            std::to_string(num::fp32_from_bits(ref[static_cast<size_t>(i * N + j)])));
}

}  // namespace

GemmRun run_mixpe_gemm(const ArchSpec& a, const Gemm& g, const RunOptions& opt, uint64_t seed) {
  const ArchSpec sv = systolic_view(a, g);
  const systolic::Schedule s = map_mixpe(a, g);
  const bool verify = opt.engine != "fast" && g.M * g.N * g.K <= opt.verify_limit;
  GemmRun r;
  r.activity = opt.activity;
  if (opt.engine == "fast") {
    const HashOperands dummy(seed, sv.act, sv.weight);  // timing does not read values
    systolic::Controller ctl(s, buffer_params(a), dram_params(a), dummy, nullptr);
    r.array = ctl.run_fast();
    r.ctl = ctl.stats();
  } else if (opt.engine == "cycle" || opt.engine == "rtl") {
    const bool use_rtl = opt.engine == "rtl";
    const auto ops = make_operands(a, g, seed);
    num::IntMatrix out(static_cast<int64_t>(g.M), static_cast<int64_t>(g.N));
    systolic::Controller ctl(s, buffer_params(a), dram_params(a), *ops, verify ? &out : nullptr);
    // MixPE joins group partial sums in the dequantisation unit; FP16xINT8 has one fold over K.
    std::unique_ptr<DequantJoin> join;
    std::unique_ptr<rtl::RtlDequantUnit> unit;
    if (ops->v != nm::MixpeVariant::kFp16xInt8) {
      join = std::make_unique<DequantJoin>(*ops, static_cast<int64_t>(g.M));
      if (use_rtl) unit = rtl_dequant_for(a, *ops);
      join->attach(ctl, use_rtl ? DequantJoin::Mode::kRtl : DequantJoin::Mode::kModel, unit.get());
    }
    r.array = use_rtl ? run_rtl_model(ctl, s.array, a, g.name) : run_systemc_model(ctl, s.array);
    r.ctl = ctl.stats();
    if (verify) {
      check_outputs(g, *ops, out);
      r.verified = true;
    }
  } else {
    throw ConfigError("--engine: unknown engine '" + opt.engine + "' (known: fast, cycle, rtl)");
  }
  r.folds = s.folds.size();
  for (const auto& f : s.folds) r.fold_wavefronts += static_cast<uint64_t>(s.wavefronts(f));
  r.sqnr_db = sampled_sqnr(a, g, opt.seed);
  return r;
}

nm::MixpeWeights mixpe_stress_weights(const ArchSpec& a, const Gemm& g, uint64_t seed) {
  return make_stress_operands(a, g, seed)->w;
}

LockstepResult run_mixpe_lockstep(const ArchSpec& a, const Gemm& g, uint64_t seed, const LockstepOptions& opt) {
  const systolic::Schedule s = map_mixpe(a, g);
  auto rtl = rtl::make_rtl_array(s.array);
  if (!rtl)
    throw ConfigError(where(a.source, 0, "",
                            "no RTL variant was built for this MixPE array (" + std::to_string(a.rows) + "x" +
                                std::to_string(a.cols) + ", " + a.mixpe.variant + ", weights " + g.weight_dtype +
                                "); built variants:\n" + rtl::describe_rtl_variants() +
                                "add one to TPESIM_RTL_VARIANTS (rtl/CMakeLists.txt) and rebuild"));
  const auto ops = make_stress_operands(a, g, seed);
  num::IntMatrix out(static_cast<int64_t>(g.M), static_cast<int64_t>(g.N));
  systolic::Controller ctl(s, buffer_params(a), dram_params(a), *ops, &out);
  std::unique_ptr<DequantJoin> join;
  std::unique_ptr<rtl::RtlDequantUnit> unit;
  LockstepOptions lo = opt;
  if (ops->v != nm::MixpeVariant::kFp16xInt8) {
    join = std::make_unique<DequantJoin>(*ops, static_cast<int64_t>(g.M));
    unit = rtl_dequant_for(a, *ops);
    join->attach(ctl, DequantJoin::Mode::kBoth, unit.get(), opt.corrupt_dequant_at);
    // The dequantisation units' results are compared as the outputs they join arrive.
    const DequantJoin* jn = join.get();
    lo.after_collect = [jn](uint64_t, LockstepResult* res) {
      const DequantJoin::Mismatch& m = jn->mismatch();
      res->dequant_joins = jn->joins();
      if (!m.found) return true;
      res->column = static_cast<int>(m.col);
      res->pe_row = static_cast<int>(m.row);
      res->signal = "dequant.y_out[" + std::to_string(m.col) + "] (output (" + std::to_string(m.i) + ", " +
                    std::to_string(m.j) + "), group " + std::to_string(m.group) + ")";
      res->expected = m.expected;
      res->actual = m.actual;
      return false;
    };
  }
  LockstepResult r = run_lockstep(ctl, s.array, *rtl, lo);
  // Both sides produced the same values: they must also be MixPE's (num::mixpe::gemm_mixpe).
  if (r.match) check_outputs(g, *ops, out);
  return r;
}

LayerResult make_mixpe_layer_result(const ArchSpec& a, const Gemm& g, const GemmRun& r) {
  const ArchSpec sv = systolic_view(a, g);
  LayerResult L = make_layer_result(sv, g, r);
  L.sqnr_db = r.sqnr_db;
  const uint64_t n = g.count;
  const uint64_t macs = r.array.macs * n;
  // Compute cycles split (docs/mixpe-pe.md, "Dequantisation waits"): the controller issues at
  // most one wavefront per cycle, and a cycle either issues, waits for the output port (the
  // column's output register, which feeds the dequantisation unit), stalls for memory or does
  // none of these (array fill and drain, fold boundaries). So wavefronts and port waits are
  // disjoint parts of compute = total - stall, and the rest is fill and drain.
  const uint64_t compute = r.ctl.end_cycle - r.ctl.stall_total();
  if (r.ctl.wavefronts + r.ctl.port_wait > compute)
    throw InternalError("mixpe engine: " + g.name + ": " + std::to_string(r.ctl.wavefronts) + " wavefront cycles + " +
                        std::to_string(r.ctl.port_wait) + " output-port waits exceed the " + std::to_string(compute) +
                        " compute cycles");
  L.cycles.breakdown = {{"stream", r.ctl.wavefronts * n},
                        {"dequant_wait", r.ctl.port_wait * n},
                        {"fill_drain", (compute - r.ctl.wavefronts - r.ctl.port_wait) * n}};
  uint64_t parts = 0;
  for (const auto& [name, c] : L.cycles.breakdown) parts += c;
  if (parts != L.cycles.compute)
    throw InternalError("mixpe engine: " + g.name + ": cycle breakdown sums to " + std::to_string(parts) +
                        ", compute is " + std::to_string(L.cycles.compute));
  // Rename the MAC action to the PE that performed it.
  for (auto it = L.actions.begin(); it != L.actions.end();)
    it = it->first.rfind("mac.", 0) == 0 ? L.actions.erase(it) : std::next(it);
  const std::string wname = g.weight_dtype;
  const uint64_t M = g.M, N = g.N, K = g.K;
  const uint64_t groups = g.group_size ? (K + g.group_size - 1) / g.group_size : 1;
  switch (variant_of(a)) {
    case nm::MixpeVariant::kW4A8:
      L.actions["mixpe.shift_add_mac.int8x" + wname] = macs;
      L.actions["mixpe.row_adds.int"] = M * K * n;
      L.actions["mixpe.dequant_ops.int"] = M * N * groups * n;
      break;
    case nm::MixpeVariant::kW4A16:
      L.actions["mixpe.shift_add_mac.fp16x" + wname] = macs;
      L.actions["mixpe.row_adds.fp32"] = M * K * n;
      L.actions["mixpe.dequant_ops.fp"] = M * N * groups * n;
      break;
    default:
      L.actions["mac.fp16xfp16"] = macs;
      // Every PE dequantises the weight of each MAC it performs (the dequantise-then-FMA PE).
      L.actions["dequant.weight_ops"] = macs;
      break;
  }
  return L;
}

}  // namespace tpesim
