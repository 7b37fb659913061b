// VerilatedClock<Model>: owns one Verilated --cc model in its own VerilatedContext, clocks it
// one cycle at a time (inputs settle in the low phase, then the rising edge; 1 ns per cycle
// at the model's `timescale`) and writes an optional VCD. The array harnesses
// (rtl_array_impl.hpp, rtl/bitmod/bitmod_rtl_impl.hpp) drive their ports through it.
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <verilated.h>
#include <verilated_vcd_c.h>

namespace tpesim::rtl {

template <class Model>
class VerilatedClock {
 public:
  VerilatedClock() : ctx_(std::make_unique<VerilatedContext>()) {
    model_ = std::make_unique<Model>(ctx_.get(), "TOP");
    // The model sets the context's precision from `timescale (1ns/1ps): ticks per ns.
    const int prec = ctx_->timeprecision();  // e.g. -12
    ticks_per_ns_ = prec < -9 ? static_cast<uint64_t>(std::llround(std::pow(10.0, -9 - prec))) : 1;
  }
  ~VerilatedClock() {
    close_trace();
    model_->final();
  }
  VerilatedClock(const VerilatedClock&) = delete;
  VerilatedClock& operator=(const VerilatedClock&) = delete;

  Model& model() { return *model_; }
  /// Rising edges since the last reset_cycles().
  uint64_t cycle() const { return cycle_; }
  void reset_cycles() { cycle_ = 0; }

  /// One cycle: low phase (inputs settle), then the rising edge, 1 ns in total.
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

  /// Starts a VCD of all signals (an open one is closed first); `who` names the harness in
  /// the error if the file can't be opened (std::runtime_error).
  void open_trace(const std::string& vcd_path, const char* who) {
    close_trace();
    ctx_->traceEverOn(true);
    auto tfp = std::make_unique<VerilatedVcdC>();
    model_->trace(tfp.get(), 99);  // all levels
    tfp->open(vcd_path.c_str());
    if (!tfp->isOpen()) throw std::runtime_error(std::string(who) + ": cannot open VCD '" + vcd_path + "'");
    tfp_ = std::move(tfp);
    tfp_->dump(ctx_->time());  // the current state, so the trace starts with known values
  }

  void close_trace() {
    if (!tfp_) return;
    tfp_->close();
    tfp_.reset();
  }

 private:
  std::unique_ptr<VerilatedContext> ctx_;  // one context per instance: instances are independent
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedVcdC> tfp_;  // open trace, if any
  uint64_t ticks_per_ns_ = 1000;
  uint64_t cycle_ = 0;
};

}  // namespace tpesim::rtl
