// Benchmark (not a test): the BitMoD engine's speed. The cycle engine (SystemC model, every
// PE clocked, outputs checked against the oracle) and the fast engine on Llama-2-7B layer
// shapes cut to 4 tokens and 128 output channels, then the fast engine's host time for the
// whole Llama-2-7B prefill of 256 tokens (workloads/llama2-7b-prefill-256-bitmod-fp4.csv).
// Usage: tpesim_bench_bitmod [ARCH.yaml]   (default: models/presets/bitmod_prefill32x32.yaml)
#include <chrono>
#include <cstdio>
#include <string>

#include "sim/config/arch.hpp"
#include "sim/engine/bitmod_run.hpp"
#include "sim/engine/run.hpp"
#include "sim/workload/workload.hpp"

using namespace tpesim;

namespace {
double seconds(const std::chrono::steady_clock::time_point& t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  const std::string root = TPESIM_SOURCE_DIR;
  const ArchSpec arch = load_arch(argc > 1 ? argv[1] : root + "/models/presets/bitmod_prefill32x32.yaml");
  const Workload prefill = load_trace(root + "/workloads/llama2-7b-prefill-256-bitmod-fp4.csv");
  std::printf("arch %s: %dx%d BitMoD PEs\n\n", arch.name.c_str(), arch.rows, arch.cols);
  std::printf("| layer (4 tokens, N <= 128) | MACs | cycles | cycle engine cycles/s | cycle engine PE-cycles/s | fast engine MACs/s | speed-up |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (Gemm g : prefill.gemms) {
    if (g.name != "q_proj" && g.name != "down_proj" && g.name != "attn_qk") continue;
    g.M = 4;
    g.N = std::min<uint64_t>(g.N, 128);
    RunOptions cyc, fast;
    cyc.engine = "cycle";
    fast.engine = "fast";
    auto t0 = std::chrono::steady_clock::now();
    const BitmodGemmRun rc = run_bitmod_gemm(arch, g, cyc, 1);
    const double tc = seconds(t0);
    t0 = std::chrono::steady_clock::now();
    int reps = 0;
    do {
      run_bitmod_gemm(arch, g, fast, 1);
      ++reps;
    } while (seconds(t0) < 0.2);
    const double tf = seconds(t0) / reps;
    const double macs = static_cast<double>(g.M * g.N * g.K);
    const double cyc_n = static_cast<double>(rc.st.cycles.total);
    std::printf("| %s %llux%llux%llu | %.3g | %.0f | %.3g | %.3g | %.3g | %.0fx |\n", g.name.c_str(),
                static_cast<unsigned long long>(g.M), static_cast<unsigned long long>(g.N),
                static_cast<unsigned long long>(g.K), macs, cyc_n, cyc_n / tc,
                cyc_n * arch.rows * arch.cols / tc, macs / tf, tc / tf);
  }
  RunOptions fast;
  fast.engine = "fast";
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run_workload(arch, prefill, fast);
  std::printf("\nwhole %s (%zu records, %.4g MACs, %llu simulated cycles): %.3f s host time (fast engine)\n",
              prefill.name.c_str(), prefill.gemms.size(), static_cast<double>(r.totals.macs),
              static_cast<unsigned long long>(r.totals.cycles.total), seconds(t0));
  return 0;
}
