// Benchmark (not a test): simulated MACs per host second of the fast engine and the SystemC
// cycle engine on the same Llama-2-7B layers (at 16 tokens, so the cycle engine finishes),
// and the fast engine's time for the whole Llama-2-7B prefill of 2048 tokens.
// Usage: tpesim_bench_engines [ARCH.yaml]   (default: models/presets/ws32.yaml)
#include <chrono>
#include <cstdio>
#include <string>

#include "sim/config/arch.hpp"
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
  const ArchSpec arch = load_arch(argc > 1 ? argv[1] : root + "/models/presets/ws32.yaml");
  const Workload prefill = load_trace(root + "/workloads/llama2-7b-prefill-2048.csv");

  std::printf("arch %s: %dx%d %s\n\n", arch.name.c_str(), arch.rows, arch.cols, to_string(arch.dataflow));
  std::printf("| layer (16 tokens) | MACs | cycles | cycle engine MACs/s | fast engine MACs/s | speed-up |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  for (Gemm g : prefill.gemms) {
    if (g.name != "q_proj" && g.name != "attn_qk" && g.name != "attn_pv" && g.name != "gate_proj")
      continue;
    g.M = 16;
    if (g.name == "attn_qk") g.N = 16;
    if (g.name == "attn_pv") g.K = 16;
    RunOptions cyc, fast;
    cyc.engine = "cycle";
    cyc.verify_limit = 0;
    fast.engine = "fast";
    auto t0 = std::chrono::steady_clock::now();
    const GemmRun rc = run_gemm(arch, g, cyc, 1);
    const double tc = seconds(t0);
    t0 = std::chrono::steady_clock::now();
    int reps = 0;
    GemmRun rf;
    do {  // repeat the fast run for a measurable time
      rf = run_gemm(arch, g, fast, 1);
      ++reps;
    } while (seconds(t0) < 0.2);
    const double tf = seconds(t0) / reps;
    if (rf.ctl.end_cycle != rc.ctl.end_cycle) std::printf("MISMATCH in %s\n", g.name.c_str());
    const double macs = static_cast<double>(g.M * g.N * g.K);
    std::printf("| %s %llux%llux%llu | %.3g | %llu | %.3g | %.3g | %.0fx |\n", g.name.c_str(),
                static_cast<unsigned long long>(g.M), static_cast<unsigned long long>(g.N),
                static_cast<unsigned long long>(g.K), macs,
                static_cast<unsigned long long>(rc.ctl.end_cycle), macs / tc, macs / tf, tc / tf);
  }

  RunOptions fast;
  fast.engine = "fast";
  const auto t0 = std::chrono::steady_clock::now();
  const RunResult r = run_workload(arch, prefill, fast);
  const double t = seconds(t0);
  std::printf("\nLlama-2-7B prefill, 2048 tokens, all %zu records (%llu GEMMs, %.3g MACs): fast engine "
              "%.3f s host time, %llu simulated cycles, %.3g MACs/s\n",
              prefill.gemms.size(), static_cast<unsigned long long>(r.totals.count),
              static_cast<double>(r.totals.macs), t,
              static_cast<unsigned long long>(r.totals.cycles.total), static_cast<double>(r.totals.macs) / t);
  return 0;
}
