// Benchmark (not a test): simulated PE-cycles per host second of the SystemC cycle model and
// of the Verilated RTL, on a 16x16 array (ws and os), ample memory. Usage: tpesim_bench [M N K]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "rtl/harness/rtl_array.hpp"
#include "sim/engine/mapper.hpp"
#include "sim/engine/operands.hpp"
#include "sim/engine/sc_bench.hpp"

using namespace tpesim;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void bench(Dataflow df, const Gemm& g) {
  ArchSpec a;
  a.dataflow = df;
  for (BufferSpec* b : {&a.ifmap, &a.filter, &a.ofmap}) b->size_bytes = 64ull << 20;
  const systolic::Schedule s = map_gemm(a, g);
  const HashOperands ops(1, a.act, a.weight);
  const double pes = static_cast<double>(a.rows) * a.cols;

  systolic::Controller c1(s, buffer_params(a), dram_params(a), ops, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  run_systemc_model(c1, s.array);
  const double t_model = seconds_since(t0);
  const double cycles = static_cast<double>(c1.stats().end_cycle);

  auto rtl = rtl::make_rtl_array(s.array);
  if (!rtl) {
    std::printf("no RTL variant for %s\n", to_string(df));
    return;
  }
  systolic::Controller c2(s, buffer_params(a), dram_params(a), ops, nullptr);
  systolic::ArrayInputs in(a.rows, a.cols);
  systolic::ArrayOutputs out(a.cols);
  rtl->reset();
  t0 = std::chrono::steady_clock::now();
  for (uint64_t t = 0; !c2.done(); ++t) {
    c2.drive(t, &in);
    rtl->step(in, &out);
    c2.collect(t, out);
  }
  const double t_rtl = seconds_since(t0);
  std::printf("%-3s %dx%d  GEMM %llux%llux%llu  %.0f cycles\n", to_string(df), a.rows, a.cols,
              static_cast<unsigned long long>(g.M), static_cast<unsigned long long>(g.N),
              static_cast<unsigned long long>(g.K), cycles);
  std::printf("    SystemC model : %8.3f s  %10.0f cycles/s  %12.0f PE-cycles/s\n", t_model,
              cycles / t_model, cycles * pes / t_model);
  std::printf("    Verilated RTL : %8.3f s  %10.0f cycles/s  %12.0f PE-cycles/s  (controller included)\n",
              t_rtl, cycles / t_rtl, cycles * pes / t_rtl);
}

}  // namespace

int main(int argc, char** argv) {
  Gemm g;
  g.name = "bench";
  g.M = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 512;
  g.N = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256;
  g.K = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 256;
  bench(Dataflow::kWS, g);
  bench(Dataflow::kOS, g);
  return 0;
}
