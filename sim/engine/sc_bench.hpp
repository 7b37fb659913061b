// The process-wide SystemC test bench. SystemC elaborates once per process, so one bench
// holds every SystemC module tpesim uses (the cycle engine's system and the cosimulation
// bench); each run reconfigures them, starts the kernel and returns at sc_pause().
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <vector>

#include "models/bitmod/controller.hpp"
#include "models/bitmod/pe_core.hpp"
#include "models/systolic/array_core.hpp"
#include "models/systolic/controller.hpp"
#include "rtl/harness/bitmod_rtl.hpp"
#include "rtl/harness/rtl_array.hpp"

namespace tpesim {

/// Called now and then with the cycles simulated so far (progress display).
using CycleCallback = std::function<void(uint64_t cycles)>;

/// Runs the controller and the SystemC array model until every output is collected.
/// Returns the array's action counts. Throws what the controller throws (rethrown here).
systolic::ArrayCounters run_systemc_model(systolic::Controller& ctl, const systolic::ArrayParams& p,
                                          const CycleCallback& cb = {});

/// Runs the SystemC BitMoD PE (models/bitmod/pe_sc.hpp) on a stream of term cycles through
/// its ports (ready/valid), until it presents an output. Returns the output and the number of
/// clock edges from the one that consumed the first input to the one that produced the output,
/// inclusive.
struct BitmodPeRun {
  double out = 0;
  uint64_t cycles = 0;
};
BitmodPeRun run_systemc_bitmod_pe(const std::vector<bitmod::PeInput>& stream);

/// The BitMoD cycle engine: the controller and the SystemC BitMoD array (BitmodArraySc,
/// clocked by the kernel) until every output is collected. Returns the statistics with the
/// array's own action counts.
bitmod::BitmodStats run_systemc_bitmod(bitmod::BitmodController& ctl, const bitmod::ArrayShape& shape,
                                       const num::bitmod::BitmodPeParams& pe);

/// Outcome of one lockstep run.
struct LockstepResult {
  bool match = true;
  uint64_t cycles = 0;           ///< cycles compared
  uint64_t outputs = 0;          ///< valid outputs compared
  uint64_t dequant_joins = 0;    ///< MixPE: dequantisation-unit results compared
  // First mismatch (when !match):
  uint64_t cycle = 0;            ///< cycle of the edge whose outputs differ
  int column = -1;               ///< column of the first differing output
  int pe_row = -1;               ///< row of the PE that produced the expected value
  std::string signal;            ///< "o_valid[c]" or "o_data[c]"
  int64_t expected = 0;          ///< SystemC model's value
  int64_t actual = 0;            ///< RTL's value
};

struct LockstepOptions {
  std::string wave_path;          ///< VCD of the RTL around [trace_from, stop]; empty = none
  uint64_t trace_from = 0;        ///< first cycle traced
  int64_t corrupt_at_cycle = -1;  ///< test hook: flip bit 0 of RTL o_data[0] at this cycle
  int64_t corrupt_dequant_at = -1;  ///< test hook (MixPE): flip bit 0 of the RTL dequantisation unit's n-th result
  CycleCallback progress;
  /// Called after the outputs of cycle t were collected; returns false (having filled the
  /// mismatch fields of `res`) to stop at a mismatch found outside the array (MixPE's
  /// dequantisation units).
  std::function<bool(uint64_t t, LockstepResult* res)> after_collect;
};

/// The BitMoD lockstep: the controller's offers go onto one signal read by the SystemC array
/// module (bitmod::BitmodArray) and the Verilated RTL (as a SystemC module); a scoreboard
/// compares their output signals, `in_ready` and every PE's out_valid and output bits, on
/// every cycle; stops at the first mismatch (column = PE column, pe_row = PE row, signal e.g.
/// "out_bits[2][1]").
LockstepResult run_bitmod_lockstep(bitmod::BitmodController& ctl, const bitmod::ArrayShape& shape,
                                   rtl::RtlBitmodArray& rtl, const LockstepOptions& opt);

/// Drives the SystemC array model and the Verilated RTL from the same controller, in
/// lockstep, comparing every output port on every cycle; stops at the first mismatch.
LockstepResult run_lockstep(systolic::Controller& ctl, const systolic::ArrayParams& p,
                            rtl::RtlArray& rtl, const LockstepOptions& opt);

}  // namespace tpesim
