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
  std::vector<uint16_t> w_h;  ///< fp16xint8: the dequantised FP16 weights (the top edge's dequantiser)
  int64_t a(int64_t m, int64_t k) const override {
    const size_t i = static_cast<size_t>(m * K + k);
    return v == nm::MixpeVariant::kW4A8 ? a_int[i] : a_h[i];
  }
  int64_t b(int64_t k, int64_t n) const override {
    const size_t i = static_cast<size_t>(k * w.n + n);
    return v == nm::MixpeVariant::kFp16xInt8 ? w_h[i] : w.q[i];
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
  if (o->v == nm::MixpeVariant::kFp16xInt8) {
    o->w_h.resize(o->w.q.size());
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n) {
        const size_t gi = static_cast<size_t>((k / o->w.group_size) * N + n);
        o->w_h[static_cast<size_t>(k * N + n)] =
            nm::dequant_weight_fp16(o->w.q[static_cast<size_t>(k * N + n)], o->w.zero[gi], o->w.scale[gi]);
      }
  }
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
  if (variant_of(a) == nm::MixpeVariant::kFp16xInt8) s.array.bw = 16;  // FP16 weights after the edge dequantiser
  return s;
}

GemmRun run_mixpe_gemm(const ArchSpec& a, const Gemm& g, const RunOptions& opt, uint64_t seed) {
  const ArchSpec sv = systolic_view(a, g);
  const systolic::Schedule s = map_mixpe(a, g);
  const bool verify = opt.engine != "fast" && g.M * g.N * g.K <= opt.verify_limit;
  GemmRun r;
  if (opt.engine == "fast") {
    const HashOperands dummy(seed, sv.act, sv.weight);  // timing does not read values
    systolic::Controller ctl(s, buffer_params(a), dram_params(a), dummy, nullptr);
    r.array = ctl.run_fast();
    r.ctl = ctl.stats();
  } else if (opt.engine == "cycle") {
    const auto ops = make_operands(a, g, seed);
    const int64_t M = static_cast<int64_t>(g.M), N = static_cast<int64_t>(g.N), K = static_cast<int64_t>(g.K);
    num::IntMatrix out(M, N);
    systolic::Controller ctl(s, buffer_params(a), dram_params(a), *ops, verify ? &out : nullptr);
    const nm::MixpeVariant v = ops->v;
    if (v != nm::MixpeVariant::kFp16xInt8) {
      // The dequantisation unit: per output and group, y <- y + s (P - z A) (docs/mixpe-pe.md),
      // with the row adder's group sums A.
      const int64_t G = ops->w.group_size, NG = ops->w.groups();
      std::vector<int64_t> rowsum(static_cast<size_t>(M * NG), 0);
      for (int64_t i = 0; i < M; ++i)
        for (int64_t gi = 0; gi < NG; ++gi) {
          int64_t acc = 0;
          uint32_t accf = 0;
          for (int64_t k = gi * G; k < std::min(K, (gi + 1) * G); ++k) {
            acc += ops->a_int[static_cast<size_t>(i * K + k)];
            accf = nm::row_add_fp16(accf, ops->a_h[static_cast<size_t>(i * K + k)]);
          }
          rowsum[static_cast<size_t>(i * NG + gi)] = v == nm::MixpeVariant::kW4A8 ? acc : static_cast<int64_t>(accf);
        }
      // The combiner runs inside the simulation, after this block: it owns the row sums.
      const MixpeOperands* op = ops.get();
      ctl.set_combiner([op, v, G, NG, N, rowsum = std::move(rowsum)](int64_t prev, int64_t part, int64_t i, int64_t j,
                                                                      const systolic::Fold& f) {
        const int64_t gi = f.k0 / G;
        const size_t wi = static_cast<size_t>(gi * N + j);
        const int64_t A = rowsum[static_cast<size_t>(i * NG + gi)];
        const uint32_t y = static_cast<uint32_t>(prev);
        const uint32_t r2 = v == nm::MixpeVariant::kW4A8
                                ? nm::dequant_int(y, part, A, op->w.zero[wi], op->w.scale[wi])
                                : nm::dequant_fp(y, static_cast<uint32_t>(part), static_cast<uint32_t>(A), op->w.zero[wi],
                                                 op->w.scale[wi]);
        return static_cast<int64_t>(static_cast<int32_t>(r2));
      });
    }
    r.array = run_systemc_model(ctl, s.array);
    r.ctl = ctl.stats();
    if (verify) {
      const auto ref = nm::gemm_mixpe(v, M, ops->a_int, ops->a_h, ops->w);
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j)
          if (static_cast<uint32_t>(out.at(i, j)) != ref[static_cast<size_t>(i * N + j)])
            throw InternalError("mixpe engine: " + g.name + ": output (" + std::to_string(i) + ", " +
                                std::to_string(j) + ") is " + std::to_string(num::fp32_from_bits(static_cast<uint32_t>(out.at(i, j)))) +
                                ", num::mixpe::gemm_mixpe gives " +
                                std::to_string(num::fp32_from_bits(ref[static_cast<size_t>(i * N + j)])));
      r.verified = true;
    }
  } else {
    throw ConfigError("--engine: the MixPE engine runs on the fast and cycle engines (its array RTL is not built yet)");
  }
  r.folds = s.folds.size();
  for (const auto& f : s.folds) r.fold_wavefronts += static_cast<uint64_t>(s.wavefronts(f));
  r.sqnr_db = sampled_sqnr(a, g, opt.seed);
  return r;
}

LayerResult make_mixpe_layer_result(const ArchSpec& a, const Gemm& g, const GemmRun& r) {
  const ArchSpec sv = systolic_view(a, g);
  LayerResult L = make_layer_result(sv, g, r);
  L.sqnr_db = r.sqnr_db;
  const uint64_t n = g.count;
  const uint64_t macs = r.array.macs * n;
  // Rename the MAC action to the PE that performed it.
  for (auto it = L.actions.begin(); it != L.actions.end();)
    it = it->first.rfind("mac.", 0) == 0 ? L.actions.erase(it) : std::next(it);
  const std::string wname = g.weight_dtype;
  const uint64_t M = g.M, N = g.N, K = g.K;
  const uint64_t groups = g.group_size ? (K + g.group_size - 1) / g.group_size : 1;
  const uint64_t m_tiles = (M + static_cast<uint64_t>(a.rows) - 1) / static_cast<uint64_t>(a.rows);
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
      // Each weight is dequantised at the top edge every time it enters the array (once per m-tile).
      L.actions["dequant.weight_ops"] = K * N * m_tiles * n;
      break;
  }
  return L;
}

}  // namespace tpesim
