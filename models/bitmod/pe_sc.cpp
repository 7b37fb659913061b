#include "models/bitmod/pe_sc.hpp"

namespace tpesim::bitmod {

void sc_trace(sc_core::sc_trace_file* tf, const PeInput& v, const std::string& name) {
  sc_core::sc_trace(tf, v.valid, name + ".valid");
  sc_core::sc_trace(tf, v.group_last, name + ".group_last");
  sc_core::sc_trace(tf, v.output_last, name + ".output_last");
}

void sc_trace(sc_core::sc_trace_file* tf, const PeOutput& v, const std::string& name) {
  sc_core::sc_trace(tf, v.out_valid, name + ".out_valid");
  sc_core::sc_trace(tf, v.out, name + ".out");
}

BitmodPe::BitmodPe(sc_core::sc_module_name name, const num::bitmod::BitmodPeParams& p)
    : sc_core::sc_module(name), core_(p) {
  SC_METHOD(on_clock);
  sensitive << clk.pos();
  dont_initialize();
}

void BitmodPe::on_clock() {
  if (rst.read()) {
    core_.reset();
    buf_ = PeOutput{};
  } else {
    core_.step(in.read(), &buf_);
  }
  out.write(buf_);
  ready.write(core_.ready());
}

}  // namespace tpesim::bitmod
