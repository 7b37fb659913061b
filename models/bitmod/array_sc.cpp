#include "models/bitmod/array_sc.hpp"

namespace tpesim::bitmod {

std::ostream& operator<<(std::ostream& os, const BitmodArrayIn& v) {
  return os << "BitmodArrayIn{valid=" << v.valid << " cols=" << v.cols.size() << " rows=" << v.acts.size() << "}";
}

std::ostream& operator<<(std::ostream& os, const BitmodArrayOut& v) {
  return os << "BitmodArrayOut{in_ready=" << v.in_ready << " pes=" << v.out_valid.size() << "}";
}

void sc_trace(sc_core::sc_trace_file* tf, const BitmodArrayIn& v, const std::string& name) {
  sc_core::sc_trace(tf, v.valid, name + ".valid");
}

void sc_trace(sc_core::sc_trace_file* tf, const BitmodArrayOut& v, const std::string& name) {
  sc_core::sc_trace(tf, v.in_ready, name + ".in_ready");
  for (size_t k = 0; k < v.out_valid.size(); ++k) {
    sc_core::sc_trace(tf, v.out_valid[k], name + ".out_valid_" + std::to_string(k));
    sc_core::sc_trace(tf, v.out_bits[k], name + ".out_bits_" + std::to_string(k));
  }
}

BitmodArray::BitmodArray(sc_core::sc_module_name name, const ArrayShape& shape,
                         const num::bitmod::BitmodPeParams& p)
    : sc_core::sc_module(name) {
  configure(shape, p);
  SC_METHOD(on_clock);
  sensitive << clk.pos();
  dont_initialize();
}

void BitmodArray::configure(const ArrayShape& shape, const num::bitmod::BitmodPeParams& p) {
  core_ = std::make_unique<BitmodArrayCore>(shape, p);
  buf_ = BitmodArrayOut(shape.rows(), shape.cols());
  buf_.in_ready = core_->in_ready();
}

void BitmodArray::on_clock() {
  const ArrayShape& s = core_->shape();
  if (rst.read()) {
    core_->reset();
    buf_ = BitmodArrayOut(s.rows(), s.cols());
    buf_.in_ready = core_->in_ready();
  } else if (in.read().cols.size() == static_cast<size_t>(s.cols()) &&
             in.read().acts.size() == static_cast<size_t>(s.rows())) {
    core_->step(in.read(), &buf_);
  }
  out.write(buf_);
}

}  // namespace tpesim::bitmod
