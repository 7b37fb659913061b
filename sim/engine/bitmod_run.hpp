// The BitMoD engine (engine: bitmod): maps a trace record onto the BitMoD array
// (models/bitmod), runs it on the fast engine (closed form), the cycle engine (the SystemC
// model) or the RTL, and turns the result into a report row with the cycle breakdown, the
// analytical estimate and the sampled SQNR. docs/bitmod-array.md.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "models/bitmod/controller.hpp"
#include "sim/config/arch.hpp"
#include "sim/report/result.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {

struct RunOptions;

/// A trace weight type on the BitMoD array.
struct BitmodDtype {
  std::string scheme;  ///< numerics quantisation scheme (num::make_scheme)
  int terms = 2;       ///< terms per weight
  int bits = 4;        ///< bits per code
  int selector_bits = 0;  ///< per-group data-type selector (mixtures)
};
/// Known: int8, int6, int4, fp4_e2m1, fp3, bitmod_fp4, bitmod_fp3 (nullopt otherwise).
std::optional<BitmodDtype> bitmod_dtype(const std::string& weight_dtype);

/// Checks that the engine can run the record (fp16 activations, a known weight type).
/// Throws TraceError "file:line: column: ...".
void check_bitmod_gemm(const ArchSpec& a, const Gemm& g, const std::string& trace_source);

/// The plan of one record (throws ConfigError naming buffers.<name>.size when a buffer is too small).
bitmod::BitmodPlan bitmod_plan(const ArchSpec& a, const Gemm& g);

struct BitmodGemmRun {
  bitmod::BitmodStats st;
  bitmod::BitmodPlan plan;
  bool verified = false;           ///< outputs compared with num::bitmod::gemm_bitmod (and equal)
  std::optional<double> sqnr_db;   ///< sampled output SQNR vs FP64 with unquantised weights
};

/// Simulates one instance of g. Throws InternalError if outputs differ from the oracle.
BitmodGemmRun run_bitmod_gemm(const ArchSpec& a, const Gemm& g, const RunOptions& opt, uint64_t seed);

/// Report row (counts multiplied by g.count).
LayerResult make_bitmod_layer_result(const ArchSpec& a, const Gemm& g, const BitmodGemmRun& r);

/// The operands the cycle and RTL engines compute with (synthetic, seeded): FP16
/// activations ~ N(0, 1) and Gaussian weights (or real_w, K x N) quantised with the record's
/// scheme and INT8 group scales.
bitmod::BitmodOperands bitmod_operands(const Gemm& g, const BitmodDtype& d, uint64_t seed,
                                       const num::RealMatrix* real_w = nullptr);

/// The layer's weights from `dir`/<name>.npy (K x N), for static records when dir is set;
/// nullopt otherwise. Throws UserError naming the file (missing, wrong shape, non-finite).
std::optional<num::RealMatrix> layer_weights(const Gemm& g, const std::string& dir);

}  // namespace tpesim
