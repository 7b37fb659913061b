// RtlBitmodArrayImpl<Model>: the RtlBitmodArray implementation for one Verilated
// bitmod_array class (a plain --cc model, prefix Vbma_<variant>). Instantiated once per
// variant by the sources rtl/bitmod.cmake generates; not for direct use by the simulator.
#pragma once
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>


#include "rtl/harness/bitmod_rtl.hpp"
#include "rtl/harness/port_bits.hpp"
#include "rtl/harness/verilated_clock.hpp"

namespace tpesim::rtl {

template <class Model>
class RtlBitmodArrayImpl final : public RtlBitmodArray {
 public:
  static constexpr int kLanes = 4;       ///< LANES of the RTL
  static constexpr int kLanesBits = 4;   ///< LUW: width of lanes_used
  static constexpr int kScaleBits = 8;   ///< SCALE_BITS

  RtlBitmodArrayImpl(const bitmod::ArrayShape& s, const char* name)
      : shape_(s), name_(name) {
    reset();
  }
  RtlBitmodArrayImpl(const RtlBitmodArrayImpl&) = delete;
  RtlBitmodArrayImpl& operator=(const RtlBitmodArrayImpl&) = delete;

  const bitmod::ArrayShape& shape() const override { return shape_; }
  const char* variant() const override { return name_; }
  uint64_t cycle() const override { return clock_.cycle(); }

  void reset() override {
    clear_inputs();
    clock_.model().rst = 1;
    clock_.tick();
    clock_.model().rst = 0;
    clock_.reset_cycles();
  }

  void step(const bitmod::BitmodArrayIn& in, bitmod::BitmodArrayOut* out) override {
    const int rows = shape_.rows(), cols = shape_.cols();
    if (static_cast<int>(in.cols.size()) != cols || static_cast<int>(in.acts.size()) != rows)
      throw std::invalid_argument("RtlBitmodArray::step: the input has " +
                                  std::to_string(in.acts.size()) + " rows and " +
                                  std::to_string(in.cols.size()) + " columns, expected " +
                                  std::to_string(rows) + " and " + std::to_string(cols));
    Model& m = clock_.model();
    clear_inputs();
    m.in_valid = in.valid ? 1 : 0;
    for (int c = 0; c < cols; ++c) {
      const bitmod::ColumnOffer& o = in.cols[static_cast<size_t>(c)];
      bits::put(m.col_fmt, c * 3, 3, static_cast<uint64_t>(o.fmt) & 7u);
      bits::put(m.col_sel, c * 2, 2, o.sel & 3u);
      bits::put(m.col_lanes, c * kLanesBits, kLanesBits, o.lanes_used & bits::mask(kLanesBits));
      for (int i = 0; i < kLanes; ++i)
        bits::put(m.col_codes, (c * kLanes + i) * 8, 8, o.codes[static_cast<size_t>(i)]);
      bits::put(m.col_group_last, c, 1, o.group_last ? 1 : 0);
      bits::put(m.col_scale_q, c * kScaleBits, kScaleBits, o.scale_q);
      bits::put(m.col_output_last, c, 1, o.output_last ? 1 : 0);
      bits::put(m.col_channel_scale, c * 16, 16, o.channel_scale);
    }
    for (int r = 0; r < rows; ++r)
      for (int i = 0; i < kLanes; ++i)
        bits::put(m.row_acts, (r * kLanes + i) * 16, 16, in.acts[static_cast<size_t>(r)][static_cast<size_t>(i)]);

    clock_.tick();

    if (!out) return;
    const auto n = static_cast<size_t>(rows * cols);
    if (out->out_valid.size() != n) out->out_valid.resize(n);
    if (out->out_bits.size() != n) out->out_bits.resize(n);
    out->in_ready = m.in_ready != 0;
    for (size_t k = 0; k < n; ++k) {
      out->out_valid[k] = static_cast<uint8_t>(bits::get(m.out_valid, static_cast<int>(k), 1));
      out->out_bits[k] = static_cast<uint32_t>(bits::get(m.out_bits, static_cast<int>(k) * 32, 32));
    }
  }

  void open_trace(const std::string& vcd_path) override { clock_.open_trace(vcd_path, "RtlBitmodArray"); }
  void close_trace() override { clock_.close_trace(); }

 private:
  void clear_inputs() {
    Model& m = clock_.model();
    m.in_valid = 0;
    bits::clear(m.col_fmt);
    bits::clear(m.col_sel);
    bits::clear(m.col_lanes);
    bits::clear(m.col_codes);
    bits::clear(m.col_group_last);
    bits::clear(m.col_scale_q);
    bits::clear(m.col_output_last);
    bits::clear(m.col_channel_scale);
    bits::clear(m.row_acts);
  }


  bitmod::ArrayShape shape_;
  const char* name_;
  VerilatedClock<Model> clock_;
};

}  // namespace tpesim::rtl
