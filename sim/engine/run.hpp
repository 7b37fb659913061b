// Runs a workload on an architecture with one of the engines and builds the report data.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "models/systolic/array_core.hpp"
#include "models/systolic/controller.hpp"
#include "sim/config/arch.hpp"
#include "sim/report/result.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {

struct RunOptions {
  std::string engine = "fast";    ///< "fast" (closed form), "cycle" (SystemC model), "rtl" (Verilated RTL)
  uint64_t seed = 1;              ///< operand values (HashOperands)
  /// BitMoD engine: directory of <layer name>.npy weight matrices (K x N, float), required
  /// for every static record when set; empty = synthetic weights.
  std::string weights_dir;
  uint64_t verify_limit = 1ull << 28;  ///< check outputs against the oracle up to M*N*K
  bool progress = false;          ///< progress line on stderr
  /// Activity-aware energy (docs/energy-area.md): report register bit toggles (cycle and rtl
  /// engines of the systolic and MixPE arrays) and price registers and MACs by them.
  bool activity = false;
};

/// What one engine run of one GEMM instance produced.
struct GemmRun {
  systolic::ControllerStats ctl;
  systolic::ArrayCounters array;
  bool verified = false;  ///< outputs compared with the reference GEMM (and equal)
  uint64_t folds = 0;
  uint64_t fold_wavefronts = 0;  ///< sum over folds of streamed wavefronts
  std::optional<double> sqnr_db;  ///< engines with quantised weights (MixPE): sampled output SQNR
  bool activity = false;          ///< array.*_toggles are counted and go into the report
};

/// The RTL engine's loop: the Verilated array variant for `p` (ConfigError naming the arch
/// file and the built variants if none) driven by the controller until done, with the C++
/// array core beside it for the action counts; InternalError if their outputs ever differ.
systolic::ArrayCounters run_rtl_model(systolic::Controller& ctl, const systolic::ArrayParams& p, const ArchSpec& arch,
                                      const std::string& gemm_name);

/// Simulates one GEMM instance. Throws InternalError if outputs differ from the oracle.
GemmRun run_gemm(const ArchSpec& arch, const Gemm& g, const RunOptions& opt, uint64_t layer_seed);

/// Turns one GEMM run into a report row (counts multiplied by g.count).
LayerResult make_layer_result(const ArchSpec& arch, const Gemm& g, const GemmRun& r);

/// Runs every GEMM of the workload.
RunResult run_workload(const ArchSpec& arch, const Workload& w, const RunOptions& opt);

}  // namespace tpesim
