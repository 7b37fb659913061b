#include "models/systolic/array_sc.hpp"

namespace tpesim::systolic {

void sc_trace(sc_core::sc_trace_file* tf, const ArrayInputs& v, const std::string& name) {
  for (size_t r = 0; r < v.a_valid.size(); ++r) {
    sc_core::sc_trace(tf, v.a_valid[r], name + ".a_valid_" + std::to_string(r));
    sc_core::sc_trace(tf, v.a_data[r], name + ".a_data_" + std::to_string(r));
  }
  for (size_t c = 0; c < v.b_valid.size(); ++c) {
    sc_core::sc_trace(tf, v.b_valid[c], name + ".b_valid_" + std::to_string(c));
    sc_core::sc_trace(tf, v.b_data[c], name + ".b_data_" + std::to_string(c));
  }
  sc_core::sc_trace(tf, v.w_shift, name + ".w_shift");
}

void sc_trace(sc_core::sc_trace_file* tf, const ArrayOutputs& v, const std::string& name) {
  for (size_t c = 0; c < v.o_valid.size(); ++c) {
    sc_core::sc_trace(tf, v.o_valid[c], name + ".o_valid_" + std::to_string(c));
    sc_core::sc_trace(tf, v.o_data[c], name + ".o_data_" + std::to_string(c));
  }
}

SystolicArray::SystolicArray(sc_core::sc_module_name name, const ArrayParams& p)
    : sc_core::sc_module(name), core_(std::make_unique<ArrayCore>(p)), out_buf_(p.cols) {
  SC_METHOD(on_clock);
  sensitive << clk.pos();
  dont_initialize();
}

void SystolicArray::configure(const ArrayParams& p) {
  core_ = std::make_unique<ArrayCore>(p);
  out_buf_ = ArrayOutputs(p.cols);
}

void SystolicArray::on_clock() {
  if (rst.read()) {
    core_->reset();
    out_buf_ = ArrayOutputs(core_->params().cols);
  } else if (in.read().a_data.size() == static_cast<size_t>(core_->params().rows) &&
             in.read().b_data.size() == static_cast<size_t>(core_->params().cols)) {
    core_->step(in.read(), &out_buf_);
  }  // else: a bundle of another shape is still on the wire after configure(); stay idle
  out.write(out_buf_);
}

SystolicPe::SystolicPe(sc_core::sc_module_name name, ArrayParams p)
    : sc_core::sc_module(name), array_("array", [&] {
        p.rows = 1;
        p.cols = 1;
        return p;
      }()) {
  array_.clk(clk);
  array_.rst(rst);
  array_.in(in);
  array_.out(out);
}

}  // namespace tpesim::systolic
