// Port-level interface of the BitMoD PE array (docs/bitmod-array.md, "Ports"), shared by the
// C++ array core (array_core.hpp), its SystemC wrapper and the Verilated RTL (rtl/bitmod), so
// the three can be driven by one feeder and compared cycle by cycle.
//
// Every cycle the feeder at the array's edge offers (or not) one quad step: for every PE
// column a quad of weight codes with its group's data type and markers, for every PE row the
// quad's activations (FP16 codes). The offer is taken when `in_ready` is high in that cycle;
// otherwise the feeder offers the same step again. The array delays the offer by one register
// per tile hop (column side by the tile column index, row side by the tile row index), so
// every tile runs the same schedule, (i + j) cycles after tile (0, 0).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/numerics/element_format.hpp"

namespace tpesim::bitmod {

/// Weight data types the hardware term generator decodes (3-bit `fmt` port).
enum class WeightFmt : uint8_t {
  kInt8 = 0,  ///< two's complement, radix-4 Booth, 4 terms
  kInt6 = 1,  ///< two's complement, Booth, 3 terms
  kInt4 = 2,  ///< two's complement, Booth, 2 terms
  kFp4 = 3,   ///< FP4 E2M1, 2 terms
  kFp3 = 4,   ///< FP3 (E2M0), 1 term
  kFp4X = 5,  ///< BitMoD extended FP4: code 0b1000 is the special selected by `sel` {+5,-5,+8,-8}
  kFp3X = 6,  ///< BitMoD extended FP3: code 0b100 is the special selected by `sel` {+3,-3,+6,-6}
};

/// The hardware data type of a numerics-library format: `fmt` and, for the extended types,
/// the 2-bit selector `sel` into the paper's special-value tables. Throws
/// std::invalid_argument for a format the term generator does not decode (e.g. fp4+7,
/// int5, fp8), naming it.
struct HwWeightType {
  WeightFmt fmt = WeightFmt::kInt8;
  uint8_t sel = 0;
};
HwWeightType hw_weight_type(const num::ElementFormat& f);
/// Terms per weight of a hardware type (4, 3, 2, 2, 1, 2, 2).
int hw_terms(WeightFmt f);
/// The numerics-library format of a hardware type ("int8", ..., "fp4_e2m1-8"); shared,
/// built once. Throws std::invalid_argument for an invalid fmt or sel.
std::shared_ptr<const num::ElementFormat> hw_format(WeightFmt f, uint8_t sel);

/// What the feeder offers one PE column in a cycle.
struct ColumnOffer {
  WeightFmt fmt = WeightFmt::kInt8;
  uint8_t sel = 0;
  uint8_t lanes_used = 4;               ///< 1..lanes; missing lanes act as zero weights
  std::array<uint8_t, 8> codes{};       ///< weight codes, lane i in codes[i]
  bool group_last = false;              ///< the quad ends a group
  uint8_t scale_q = 0;                  ///< the group's integer scale (used with group_last)
  bool output_last = false;             ///< the group is the output's last
  uint16_t channel_scale = 0x3c00;      ///< FP16 code of the column's second-level scale
  bool operator==(const ColumnOffer& o) const {
    return fmt == o.fmt && sel == o.sel && lanes_used == o.lanes_used && codes == o.codes &&
           group_last == o.group_last && scale_q == o.scale_q && output_last == o.output_last &&
           channel_scale == o.channel_scale;
  }
};

/// One cycle of the array's inputs.
struct BitmodArrayIn {
  bool valid = false;                            ///< a quad step is offered
  std::vector<ColumnOffer> cols;                 ///< C entries
  std::vector<std::array<uint16_t, 8>> acts;     ///< R entries: FP16 codes, lane i in [i]
  BitmodArrayIn() = default;
  BitmodArrayIn(int rows, int cols) : cols(static_cast<size_t>(cols)), acts(static_cast<size_t>(rows)) {}
  bool operator==(const BitmodArrayIn& o) const { return valid == o.valid && cols == o.cols && acts == o.acts; }
};

/// One cycle of the array's outputs (after the rising edge).
struct BitmodArrayOut {
  bool in_ready = false;            ///< an offer in the coming cycle is taken
  std::vector<uint8_t> out_valid;   ///< R*C, row-major: PE (r, c) presents an output
  std::vector<uint32_t> out_bits;   ///< R*C: the output's bits (out_format; FP32 by default)
  BitmodArrayOut() = default;
  BitmodArrayOut(int rows, int cols)
      : out_valid(static_cast<size_t>(rows * cols)), out_bits(static_cast<size_t>(rows * cols)) {}
  bool operator==(const BitmodArrayOut& o) const {
    return in_ready == o.in_ready && out_valid == o.out_valid && out_bits == o.out_bits;
  }
};

}  // namespace tpesim::bitmod
