// SystemC wrapper of the BitMoD PE array (array_core.hpp, docs/bitmod-array.md "Ports"): one
// SC_MODULE whose ports carry the whole per-cycle bundles of array_io.hpp, clocking the C++
// BitmodArrayCore in one process (no signal per internal wire), for users' own test benches.
// The cycle engine and the cosimulation clock the same core (sim/engine/sc_bench.cpp).
#pragma once
#include <systemc>

#include <memory>
#include <ostream>
#include <string>

#include "models/bitmod/array_core.hpp"
#include "models/bitmod/array_io.hpp"

namespace tpesim::bitmod {

// What sc_signal<T> needs of the bundles.
std::ostream& operator<<(std::ostream& os, const BitmodArrayIn& v);
std::ostream& operator<<(std::ostream& os, const BitmodArrayOut& v);
void sc_trace(sc_core::sc_trace_file* tf, const BitmodArrayIn& v, const std::string& name);
void sc_trace(sc_core::sc_trace_file* tf, const BitmodArrayOut& v, const std::string& name);

/// On each rising clk edge: if rst, reset the core; else step it with `in` (a bundle of
/// another shape is ignored) and write the outputs (incl. in_ready for the next cycle).
SC_MODULE(BitmodArray) {
  SC_HAS_PROCESS(BitmodArray);
  sc_core::sc_in<bool> clk;
  sc_core::sc_in<bool> rst;               ///< synchronous reset, active high
  sc_core::sc_in<BitmodArrayIn> in;       ///< the feeder's offer of this cycle
  sc_core::sc_out<BitmodArrayOut> out;    ///< after the edge

  BitmodArray(sc_core::sc_module_name name, const ArrayShape& shape,
              const num::bitmod::BitmodPeParams& p = {});
  /// Replaces the core by a fresh one (registers zero).
  void configure(const ArrayShape& shape, const num::bitmod::BitmodPeParams& p = {});
  BitmodArrayCore& core() { return *core_; }

 private:
  void on_clock();
  std::unique_ptr<BitmodArrayCore> core_;
  BitmodArrayOut buf_;
};

}  // namespace tpesim::bitmod
