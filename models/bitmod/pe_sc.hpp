// SystemC wrapper of the BitMoD PE (pe_core.hpp): one SC_METHOD per rising edge, ports carry
// whole per-cycle bundles; `ready` is the core's readiness for the coming cycle.
#pragma once
#include <systemc>

#include <string>

#include "models/bitmod/pe_core.hpp"

namespace tpesim::bitmod {

void sc_trace(sc_core::sc_trace_file* tf, const PeInput& v, const std::string& name);
void sc_trace(sc_core::sc_trace_file* tf, const PeOutput& v, const std::string& name);

SC_MODULE(BitmodPe) {
  SC_HAS_PROCESS(BitmodPe);
  sc_core::sc_in<bool> clk;         ///< clock
  sc_core::sc_in<bool> rst;         ///< synchronous reset, active high
  sc_core::sc_in<PeInput> in;       ///< term cycle offered this cycle
  sc_core::sc_out<bool> ready;      ///< the PE accepts `in` in the coming cycle
  sc_core::sc_out<PeOutput> out;    ///< finished output after the edge

  BitmodPe(sc_core::sc_module_name name, const num::bitmod::BitmodPeParams& p = {});
  PeCore& core() { return core_; }

 private:
  void on_clock();
  PeCore core_;
  PeOutput buf_;
};

}  // namespace tpesim::bitmod
