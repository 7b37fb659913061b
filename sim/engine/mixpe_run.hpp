// The MixPE engine (engine: mixpe, docs/mixpe-pe.md): the spine's output-stationary systolic
// array with MixPE's PE (W4A8: INT8 x INTb shift-and-add, W4A16: FP16 x INTb shift-and-add)
// and a dequantisation unit per column that joins each group's partial sums (os_k_fold =
// the trace's group size), or the FP16xINT8 baseline (every PE dequantises its weight code,
// then an FP16 MAC over all of K). Timing is the systolic engine's (docs/timing.md).
#pragma once
#include <cstdint>
#include <string>

#include "models/numerics/mixpe.hpp"
#include "sim/config/arch.hpp"
#include "sim/engine/run.hpp"
#include "sim/engine/sc_bench.hpp"
#include "sim/report/result.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {

/// Checks the record's data types for the arch's variant. Throws TraceError "file:line: column: ...".
void check_mixpe_gemm(const ArchSpec& a, const Gemm& g, const std::string& trace_source);

/// The systolic schedule of one record on the MixPE array.
systolic::Schedule map_mixpe(const ArchSpec& a, const Gemm& g);

/// Simulates one instance (fast, cycle); the cycle engine checks every output against
/// num::mixpe::gemm_mixpe. Throws InternalError on a difference.
GemmRun run_mixpe_gemm(const ArchSpec& a, const Gemm& g, const RunOptions& opt, uint64_t seed);

/// Cosimulation of one record (`tpesim cosim` on a MixPE arch): the Verilated array variant
/// of the record's PE and the SystemC array model in lockstep (every output port, every
/// cycle), and for W4A8/W4A16 the Verilated dequantisation unit beside num::mixpe's on every
/// group result; operands from a stress generator (codes, zero points, scales and
/// activations at their extremes). Matching outputs are also checked against
/// num::mixpe::gemm_mixpe (InternalError). ConfigError if no RTL variant fits.
LockstepResult run_mixpe_lockstep(const ArchSpec& a, const Gemm& g, uint64_t seed, const LockstepOptions& opt);
/// The weights (codes, zero points, scales) run_mixpe_lockstep uses for a record and seed.
num::mixpe::MixpeWeights mixpe_stress_weights(const ArchSpec& a, const Gemm& g, uint64_t seed);

/// Report row (counts multiplied by g.count), with MixPE's actions.
LayerResult make_mixpe_layer_result(const ArchSpec& a, const Gemm& g, const GemmRun& r);

}  // namespace tpesim
