// Benchmark (not a test): quantisation error of the standard weight formats on synthetic
// Gaussian, Laplace and outlier-channel matrices, printed as markdown tables (measured on every
// run, nothing is hard-coded). docs/numerics.md quotes its output.
// Usage: tpesim_bench_quant [K N SEED]   (default 4096 1024 1)
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "models/numerics/metrics.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"

using namespace tpesim::num;

namespace {

std::string db(double v) {
  if (v == std::numeric_limits<double>::infinity()) return "inf";
  return fmt::format("{:.2f}", v);
}

struct Input {
  std::string title;
  RealMatrix w;
};

}  // namespace

int main(int argc, char** argv) {
  int64_t K = 4096, N = 1024;
  uint64_t seed = 1;
  if (argc == 4) {
    K = std::atoll(argv[1]);
    N = std::atoll(argv[2]);
    seed = std::strtoull(argv[3], nullptr, 10);
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: tpesim_bench_quant [K N SEED]\n");
    return 2;
  }
  if (K <= 0 || N <= 0 || K % 128 != 0) {
    std::fprintf(stderr, "tpesim_bench_quant: K and N must be positive and K a multiple of 128\n");
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Input> inputs = {{"Gaussian", gaussian_matrix(K, N, seed)},
                                     {"Laplace", laplace_matrix(K, N, seed)},
                                     {"Outliers", outlier_matrix(K, N, seed)}};

  std::printf(
      "Weights W [K x N] = %lld x %lld, seed %llu; groups of 128 along K (MX-FP4: its "
      "fixed 32), FP16 scales (MX-FP4: E8M0). Outliers: Gaussian with 1%% of the rows "
      "(input channels) x20. MSE in units of the body's variance (1).\n\n",
      static_cast<long long>(K), static_cast<long long>(N), static_cast<unsigned long long>(seed));
  std::printf("| format | group | scale | metadata bits/weight |");
  for (const Input& in : inputs)
    std::printf(" %s MSE | %s SQNR (dB) |", in.title.c_str(), in.title.c_str());
  std::printf("\n| --- | --- | --- | --- |");
  for (size_t i = 0; i < inputs.size(); ++i) std::printf(" --- | --- |");
  std::printf("\n");
  QuantConfig cfg;
  cfg.granularity = Granularity::kPerGroup;
  cfg.group_size = 128;
  cfg.scale = ScaleFormat::kFp16;
  for (const std::string& name : standard_schemes()) {
    const QuantScheme s = *make_scheme(name);
    std::string row;
    std::string group, scale;
    double meta = 0;
    for (const Input& in : inputs) {
      const QuantResult r = quantize(in.w, s, cfg);
      const ErrorStats e = compare(in.w, r.dequant);
      row += fmt::format(" {:.4e} | {} |", e.mse, db(e.sqnr_db));
      group = std::to_string(r.config.group_size);
      scale = to_string(r.config.scale);
      meta = r.metadata_bits_per_weight;
    }
    std::printf("| %s | %s | %s | %.4f |%s\n", name.c_str(), group.c_str(), scale.c_str(), meta,
                row.c_str());
  }

  // Granularity on the outlier matrix.
  const RealMatrix& wo = inputs[2].w;
  std::printf("\nGranularity on the outlier matrix (FP16 scales):\n\n");
  std::printf(
      "| format | per-tensor SQNR (dB) | per-channel SQNR (dB) | group 128 SQNR (dB) | "
      "group 32 SQNR (dB) |\n| --- | --- | --- | --- | --- |\n");
  for (const char* name : {"int4_sym", "int4_asym", "fp4_e2m1", "bitmod_fp4"}) {
    const QuantScheme s = *make_scheme(name);
    std::string row;
    for (int variant = 0; variant < 4; ++variant) {
      QuantConfig c;
      c.scale = ScaleFormat::kFp16;
      c.granularity = variant == 0   ? Granularity::kPerTensor
                      : variant == 1 ? Granularity::kPerChannel
                                     : Granularity::kPerGroup;
      c.group_size = variant == 3 ? 32 : 128;
      row += " " + db(compare(wo, quantize(wo, s, c).dequant).sqnr_db) + " |";
    }
    std::printf("| %s |%s\n", name, row.c_str());
  }

  // Scale formats, group 128, on the Gaussian matrix.
  const RealMatrix& wg = inputs[0].w;
  std::printf(
      "\nScale formats at group 128 on the Gaussian matrix (SQNR dB / metadata "
      "bits per weight):\n\n");
  std::printf(
      "| format | exact | fp16 | int8 (second-level) | e8m0 |\n| --- | --- | --- | --- | "
      "--- |\n");
  for (const char* name : {"int4_sym", "int4_asym", "fp4_e2m1", "bitmod_fp4", "bitmod_fp3"}) {
    const QuantScheme s = *make_scheme(name);
    std::string row;
    for (ScaleFormat f :
         {ScaleFormat::kExact, ScaleFormat::kFp16, ScaleFormat::kInt8, ScaleFormat::kE8M0}) {
      QuantConfig c;
      c.group_size = 128;
      c.scale = f;
      const QuantResult r = quantize(wg, s, c);
      row += fmt::format(" {} / {:.4f} |", db(compare(wg, r.dequant).sqnr_db),
                         r.metadata_bits_per_weight);
    }
    std::printf("| %s |%s\n", name, row.c_str());
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "tpesim_bench_quant: %.1f s\n", secs);
  return 0;
}
