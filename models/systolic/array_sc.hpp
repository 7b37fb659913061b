// SystemC wrappers of the systolic array (docs/systolic-array.md): the array as an
// SC_MODULE with one input and one output port carrying whole per-cycle bundles, and a
// single PE as a 1x1 array. Both clock the plain C++ ArrayCore in one SC_METHOD, so the
// SystemC kernel sees one process per array, not one signal per wire.
#pragma once
#include <systemc>

#include <memory>
#include <string>

#include "models/systolic/array_core.hpp"
#include "models/systolic/array_io.hpp"

namespace tpesim::systolic {

/// Traces the valid bits and data of a bundle (for sc_signal<ArrayInputs>).
void sc_trace(sc_core::sc_trace_file* tf, const ArrayInputs& v, const std::string& name);
void sc_trace(sc_core::sc_trace_file* tf, const ArrayOutputs& v, const std::string& name);

/// R x C systolic array. On each rising clk edge: if rst, reset; else step the core with
/// `in` and write the result to `out`. The core can be replaced between runs (configure()),
/// which lets one elaborated model serve arrays of different shapes in one process.
SC_MODULE(SystolicArray) {
  SC_HAS_PROCESS(SystolicArray);
  sc_core::sc_in<bool> clk;                ///< clock
  sc_core::sc_in<bool> rst;                ///< synchronous reset, active high
  sc_core::sc_in<ArrayInputs> in;          ///< edge inputs of this cycle
  sc_core::sc_out<ArrayOutputs> out;       ///< bottom-edge outputs after the edge

  SystolicArray(sc_core::sc_module_name name, const ArrayParams& p);
  /// Replaces the core by a fresh one with parameters p (registers zero).
  void configure(const ArrayParams& p);
  ArrayCore& core() { return *core_; }

 private:
  void on_clock();
  std::unique_ptr<ArrayCore> core_;  ///< the cycle model
  ArrayOutputs out_buf_;             ///< scratch for the next output value
};

/// One processing element: exactly a 1 x 1 array (same ports and contract).
SC_MODULE(SystolicPe) {
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;
  sc_core::sc_in<ArrayInputs> in;
  sc_core::sc_out<ArrayOutputs> out;
  SystolicPe(sc_core::sc_module_name name, ArrayParams p);

 private:
  SystolicArray array_;
};

}  // namespace tpesim::systolic
