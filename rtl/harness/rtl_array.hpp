// Drives a Verilated systolic_array (rtl/systolic/, docs/systolic-array.md) directly from
// C++, one clock edge per step, with the same decoded port values as the C++ array model.
// The variants (parameter sets) are chosen at build time: CMake cache list
// TPESIM_RTL_VARIANTS in rtl/CMakeLists.txt.
//
// Timing: step() applies `in` to the input ports while clk is low, raises clk (the edge
// that ends the cycle in which `in` was presented) and returns the output ports after that
// edge. cycle() counts the edges since the last reset(); the edge of the first step() after
// reset() ends cycle 0. Each edge takes 1 ns of VerilatedContext time: the inputs change
// (clk falls) half a ns before the edge, and the n-th edge of an instance (counting reset
// edges; the constructor resets) is at n ns. Time keeps increasing across resets.
//
// This header does not include Verilator or SystemC headers.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/systolic/array_io.hpp"

namespace tpesim::rtl {

class RtlArray {
 public:
  virtual ~RtlArray() = default;
  /// The parameters this variant was built with.
  virtual const systolic::ArrayParams& params() const = 0;
  /// Variant name, e.g. "st16x16_s8s8_a32".
  virtual const char* variant() const = 0;
  /// rst=1 (all other inputs 0) for one clock edge, then rst=0; cycle() back to 0.
  virtual void reset() = 0;
  /// Applies `in` to the input ports, clocks one rising edge (clk 0 -> eval -> 1 -> eval),
  /// then reads the outputs into *out (resized to the column count if needed).
  /// Data values are encoded into AW/BW bits (two's-complement low bits); o_data is
  /// decoded from ACC-bit two's complement. Throws std::invalid_argument if a vector
  /// of `in` does not have rows()/cols() entries.
  virtual void step(const systolic::ArrayInputs& in, systolic::ArrayOutputs* out) = 0;
  /// Starts writing a VCD of all RTL signals (1 ns per cycle, timescale 1ns/1ps).
  /// An open trace is closed first. Throws std::runtime_error if the file can't be opened.
  virtual void open_trace(const std::string& vcd_path) = 0;
  /// Flushes and closes the VCD, if one is open.
  virtual void close_trace() = 0;
  /// Edges since reset.
  virtual uint64_t cycle() const = 0;
};

/// The Verilated variant whose parameters equal p, or nullptr if none was built.
std::unique_ptr<RtlArray> make_rtl_array(const systolic::ArrayParams& p);

/// All variants built into this binary (name and params), for error messages and docs.
std::vector<std::pair<std::string, systolic::ArrayParams>> rtl_variants();

/// One line per variant, "name: DF=.. RxC AW.. ..", for error messages.
std::string describe_rtl_variants();

}  // namespace tpesim::rtl
