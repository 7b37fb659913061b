// The Verilated MixPE dequantisation units (rtl/mixpe/mixpe_dequant_int.v, mixpe_dequant_fp.v),
// one model per weight-code width B in TPESIM_MIXPE_DEQUANT_BITS (rtl/mixpe.cmake). The MixPE
// cosimulation and RTL engine run them on every group partial sum the array delivers, beside
// (cosim) or instead of (rtl engine) num::mixpe::dequant_int / dequant_fp.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace tpesim::rtl {

class RtlDequantUnit {
 public:
  virtual ~RtlDequantUnit() = default;
  /// Evaluates the combinational unit: y_out = y_in + s (P - z A) with the unit's roundings
  /// (docs/mixpe-pe.md). Integer unit: p and a_sum are 32-bit two's complement; FP unit: FP32
  /// bits. y_in and the result are FP32 bits, s FP16 bits, z the zero point.
  virtual uint32_t eval(uint32_t y_in, int64_t p, int64_t a_sum, int32_t z, uint16_t s) = 0;
  /// The Verilated model's name, e.g. "mixpe_dequant_int B=4".
  virtual std::string name() const = 0;
};

/// The unit for B-bit codes (FP when `fp`), or nullptr if that width was not built.
std::unique_ptr<RtlDequantUnit> make_rtl_dequant(bool fp, int bits);

/// One line per built unit (for error messages).
std::string describe_rtl_dequant_units();

}  // namespace tpesim::rtl
