// RtlArrayImpl<Model>: the RtlArray implementation for one Verilated systolic_array class
// (a plain --cc model, prefix Vsa_<variant>). Instantiated once per variant by the
// generated factory sources (see rtl/CMakeLists.txt); not for direct use by the simulator.
#pragma once
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>


#include "rtl/harness/port_bits.hpp"
#include "rtl/harness/verilated_clock.hpp"
#include "rtl/harness/rtl_array.hpp"
#include "rtl/harness/rtl_registry.hpp"

namespace tpesim::rtl {

namespace detail {

/// Throws std::invalid_argument naming `what` if v.size() != n.
template <class V>
inline void check_size(const V& v, int n, const char* what) {
  if (static_cast<int>(v.size()) != n)
    throw std::invalid_argument(std::string("RtlArray::step: ") + what + " has " +
                                std::to_string(v.size()) + " entries, expected " + std::to_string(n));
}

}  // namespace detail

template <class Model>
class RtlArrayImpl final : public RtlArray {
 public:
  RtlArrayImpl(const systolic::ArrayParams& p, const char* name)
      : params_(p), name_(name) {
    reset();
  }
  RtlArrayImpl(const RtlArrayImpl&) = delete;
  RtlArrayImpl& operator=(const RtlArrayImpl&) = delete;

  const systolic::ArrayParams& params() const override { return params_; }
  const char* variant() const override { return name_; }
  uint64_t cycle() const override { return clock_.cycle(); }

  void reset() override {
    Model& m = clock_.model();
    m.rst = 1;
    bits::clear(m.a_valid);
    bits::clear(m.a_data);
    bits::clear(m.a_first);
    bits::clear(m.a_last);
    bits::clear(m.a_bank);
    bits::clear(m.b_valid);
    bits::clear(m.b_data);
    m.w_shift = 0;
    m.w_bank = 0;
    clock_.tick();
    m.rst = 0;
    clock_.reset_cycles();
  }

  void step(const systolic::ArrayInputs& in, systolic::ArrayOutputs* out) override {
    const int rows = params_.rows, cols = params_.cols;
    detail::check_size(in.a_valid, rows, "a_valid");
    detail::check_size(in.a_data, rows, "a_data");
    detail::check_size(in.a_first, rows, "a_first");
    detail::check_size(in.a_last, rows, "a_last");
    detail::check_size(in.a_bank, rows, "a_bank");
    detail::check_size(in.b_valid, cols, "b_valid");
    detail::check_size(in.b_data, cols, "b_data");

    Model& m = clock_.model();
    m.rst = 0;
    bits::clear(m.a_valid);
    bits::clear(m.a_data);
    bits::clear(m.a_first);
    bits::clear(m.a_last);
    bits::clear(m.a_bank);
    for (int r = 0; r < rows; ++r) {
      bits::put(m.a_valid, r, 1, in.a_valid[r] ? 1 : 0);
      bits::put(m.a_first, r, 1, in.a_first[r] ? 1 : 0);
      bits::put(m.a_last, r, 1, in.a_last[r] ? 1 : 0);
      bits::put(m.a_bank, r, 1, in.a_bank[r] ? 1 : 0);
      bits::put(m.a_data, r * params_.aw, params_.aw, bits::encode(in.a_data[r], params_.aw));
    }
    bits::clear(m.b_valid);
    bits::clear(m.b_data);
    for (int c = 0; c < cols; ++c) {
      bits::put(m.b_valid, c, 1, in.b_valid[c] ? 1 : 0);
      bits::put(m.b_data, c * params_.bw, params_.bw, bits::encode(in.b_data[c], params_.bw));
    }
    m.w_shift = in.w_shift ? 1 : 0;
    m.w_bank = in.w_bank ? 1 : 0;

    clock_.tick();

    if (!out) return;
    if (static_cast<int>(out->o_valid.size()) != cols) out->o_valid.resize(cols);
    if (static_cast<int>(out->o_data.size()) != cols) out->o_data.resize(cols);
    for (int c = 0; c < cols; ++c) {
      out->o_valid[c] = static_cast<uint8_t>(bits::get(m.o_valid, c, 1));
      out->o_data[c] = bits::sign_extend(bits::get(m.o_data, c * params_.acc, params_.acc), params_.acc);
    }
  }

  void open_trace(const std::string& vcd_path) override { clock_.open_trace(vcd_path, "RtlArray"); }
  void close_trace() override { clock_.close_trace(); }

 private:
  systolic::ArrayParams params_;
  const char* name_;
  VerilatedClock<Model> clock_;
};

}  // namespace tpesim::rtl
