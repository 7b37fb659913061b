// Cosimulation: the Verilated RTL against the SystemC model, in lockstep, GEMM by GEMM.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/arch.hpp"
#include "sim/engine/sc_bench.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {

struct CosimOptions {
  uint64_t seed = 1;              ///< operand values
  std::string wave_path;          ///< where to write the RTL waveform window on a mismatch
  uint64_t wave_window = 64;      ///< cycles traced before the mismatch
  int64_t corrupt_at_cycle = -1;  ///< test hook (see LockstepOptions)
  int64_t corrupt_dequant_at = -1;  ///< test hook (see LockstepOptions)
  bool progress = false;
};

struct CosimReport {
  bool pass = true;
  uint64_t gemms = 0;    ///< GEMMs compared (up to and including a failing one)
  uint64_t cycles = 0;   ///< cycles compared
  uint64_t outputs = 0;  ///< valid outputs compared
  uint64_t dequant_joins = 0;  ///< MixPE: dequantisation-unit results compared
  double seconds = 0;    ///< host time of the lockstep runs
  std::string failing_gemm;     ///< name of the GEMM that mismatched
  LockstepResult mismatch;      ///< first mismatch
  bool wave_written = false;
};

/// Random GEMM shapes for an array: dimensions of 1, just below, at and above multiples of
/// the array size, and uniform ones up to 3x the array; deterministic for a seed.
std::vector<Gemm> random_gemms(const ArchSpec& arch, int n, uint64_t seed);

/// Runs each GEMM in lockstep. Throws ConfigError if no RTL variant matches the arch.
CosimReport cosimulate(const ArchSpec& arch, const std::vector<Gemm>& gemms, const CosimOptions& opt);

/// One-paragraph human summary (pass line or mismatch details).
std::string describe(const CosimReport& r, const ArchSpec& arch);

}  // namespace tpesim
