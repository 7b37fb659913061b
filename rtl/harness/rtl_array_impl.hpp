// RtlArrayImpl<Model>: the RtlArray implementation for one Verilated systolic_array class
// (a plain --cc model, prefix Vsa_<variant>). Instantiated once per variant by the
// generated factory sources (see rtl/CMakeLists.txt); not for direct use by the simulator.
#pragma once
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>

#include <verilated.h>
#include <verilated_vcd_c.h>

#include "rtl/harness/port_bits.hpp"
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
      : params_(p), name_(name), ctx_(std::make_unique<VerilatedContext>()) {
    model_ = std::make_unique<Model>(ctx_.get(), "TOP");
    // The model sets the context's precision from `timescale (1ns/1ps): ticks per ns.
    const int prec = ctx_->timeprecision();  // e.g. -12
    ticks_per_ns_ = prec < -9 ? static_cast<uint64_t>(std::llround(std::pow(10.0, -9 - prec))) : 1;
    reset();
  }
  ~RtlArrayImpl() override {
    close_trace();
    model_->final();
  }
  RtlArrayImpl(const RtlArrayImpl&) = delete;
  RtlArrayImpl& operator=(const RtlArrayImpl&) = delete;

  const systolic::ArrayParams& params() const override { return params_; }
  const char* variant() const override { return name_; }
  uint64_t cycle() const override { return cycle_; }

  void reset() override {
    Model& m = *model_;
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
    tick();
    m.rst = 0;
    cycle_ = 0;
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

    Model& m = *model_;
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

    tick();

    if (!out) return;
    if (static_cast<int>(out->o_valid.size()) != cols) out->o_valid.resize(cols);
    if (static_cast<int>(out->o_data.size()) != cols) out->o_data.resize(cols);
    for (int c = 0; c < cols; ++c) {
      out->o_valid[c] = static_cast<uint8_t>(bits::get(m.o_valid, c, 1));
      out->o_data[c] = bits::sign_extend(bits::get(m.o_data, c * params_.acc, params_.acc), params_.acc);
    }
  }

  void open_trace(const std::string& vcd_path) override {
    close_trace();
    ctx_->traceEverOn(true);
    auto tfp = std::make_unique<VerilatedVcdC>();
    model_->trace(tfp.get(), 99);  // all levels
    tfp->open(vcd_path.c_str());
    if (!tfp->isOpen()) throw std::runtime_error("RtlArray: cannot open VCD '" + vcd_path + "'");
    tfp_ = std::move(tfp);
    tfp_->dump(ctx_->time());  // the current state, so the trace starts with known values
  }

  void close_trace() override {
    if (!tfp_) return;
    tfp_->close();
    tfp_.reset();
  }

 private:
  // One cycle: low phase (inputs settle), then the rising edge, 1 ns in total.
  void tick() {
    Model& m = *model_;
    const uint64_t half = ticks_per_ns_ / 2;
    ctx_->timeInc(half);
    m.clk = 0;
    m.eval();
    if (tfp_) tfp_->dump(ctx_->time());
    ctx_->timeInc(ticks_per_ns_ - half);
    m.clk = 1;
    m.eval();
    if (tfp_) tfp_->dump(ctx_->time());
    ++cycle_;
  }

  systolic::ArrayParams params_;
  const char* name_;
  std::unique_ptr<VerilatedContext> ctx_;  // one context per instance: instances are independent
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedVcdC> tfp_;  // open trace, if any
  uint64_t ticks_per_ns_ = 1000;
  uint64_t cycle_ = 0;
};

}  // namespace tpesim::rtl
