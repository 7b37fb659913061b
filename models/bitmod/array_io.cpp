#include "models/bitmod/array_io.hpp"

#include <array>
#include <stdexcept>
#include <string>

namespace tpesim::bitmod {

HwWeightType hw_weight_type(const num::ElementFormat& f) {
  const std::string n = f.name();
  auto is = [&](std::initializer_list<const char*> names) {
    for (const char* s : names)
      if (n == s) return true;
    return false;
  };
  if (is({"int8", "int8_sym"})) return {WeightFmt::kInt8, 0};
  if (is({"int6", "int6_sym"})) return {WeightFmt::kInt6, 0};
  if (is({"int4", "int4_sym"})) return {WeightFmt::kInt4, 0};
  if (n == "fp4_e2m1") return {WeightFmt::kFp4, 0};
  if (n == "fp3") return {WeightFmt::kFp3, 0};
  // The paper's special-value tables, in selector order (num::bitmod_fp4_specials()).
  const char* fp4x[] = {"fp4_e2m1+5", "fp4_e2m1-5", "fp4_e2m1+8", "fp4_e2m1-8"};
  const char* fp3x[] = {"fp3+3", "fp3-3", "fp3+6", "fp3-6"};
  for (uint8_t s = 0; s < 4; ++s) {
    if (n == fp4x[s]) return {WeightFmt::kFp4X, s};
    if (n == fp3x[s]) return {WeightFmt::kFp3X, s};
  }
  throw std::invalid_argument("BitMoD term generator: no hardware data type for weight format '" + n +
                              "' (supported: int8, int6, int4, fp4_e2m1, fp3 and the extended "
                              "fp4_e2m1{+5,-5,+8,-8}, fp3{+3,-3,+6,-6})");
}

int hw_terms(WeightFmt f) {
  switch (f) {
    case WeightFmt::kInt8: return 4;
    case WeightFmt::kInt6: return 3;
    case WeightFmt::kFp3: return 1;
    default: return 2;
  }
}

std::shared_ptr<const num::ElementFormat> hw_format(WeightFmt f, uint8_t sel) {
  static const char* names[7][4] = {{"int8"}, {"int6"}, {"int4"}, {"fp4_e2m1"}, {"fp3"},
                                    {"fp4_e2m1+5", "fp4_e2m1-5", "fp4_e2m1+8", "fp4_e2m1-8"},
                                    {"fp3+3", "fp3-3", "fp3+6", "fp3-6"}};
  static const auto table = [] {
    std::array<std::array<std::shared_ptr<const num::ElementFormat>, 4>, 7> t;
    for (size_t i = 0; i < 7; ++i)
      for (size_t s = 0; s < 4; ++s)
        if (names[i][s]) t[i][s] = num::make_format(names[i][s]);
    return t;
  }();
  const auto i = static_cast<size_t>(f);
  const bool ext = f == WeightFmt::kFp4X || f == WeightFmt::kFp3X;
  if (i >= 7 || sel >= 4 || (!ext && sel != 0))
    throw std::invalid_argument("BitMoD term generator: invalid data type fmt=" + std::to_string(i) +
                                " sel=" + std::to_string(sel));
  return table[i][sel];
}

}  // namespace tpesim::bitmod
