#include "models/systolic/array_io.hpp"

#include <algorithm>

namespace tpesim::systolic {

void ArrayInputs::clear() {
  std::fill(a_valid.begin(), a_valid.end(), 0);
  std::fill(a_first.begin(), a_first.end(), 0);
  std::fill(a_last.begin(), a_last.end(), 0);
  std::fill(a_bank.begin(), a_bank.end(), 0);
  std::fill(a_data.begin(), a_data.end(), 0);
  std::fill(b_valid.begin(), b_valid.end(), 0);
  std::fill(b_data.begin(), b_data.end(), 0);
  w_shift = false;
  w_bank = 0;
}

bool ArrayInputs::operator==(const ArrayInputs& o) const {
  return a_valid == o.a_valid && a_first == o.a_first && a_last == o.a_last &&
         a_bank == o.a_bank && a_data == o.a_data && b_valid == o.b_valid &&
         b_data == o.b_data && w_shift == o.w_shift && w_bank == o.w_bank;
}

std::ostream& operator<<(std::ostream& os, const ArrayInputs& in) {
  os << "a=[";
  for (size_t r = 0; r < in.a_data.size(); ++r)
    os << (r ? " " : "") << (in.a_valid[r] ? std::to_string(in.a_data[r]) : "-");
  os << "] b=[";
  for (size_t c = 0; c < in.b_data.size(); ++c)
    os << (c ? " " : "") << (in.b_valid[c] ? std::to_string(in.b_data[c]) : "-");
  return os << "] w_shift=" << in.w_shift << " w_bank=" << in.w_bank;
}

std::ostream& operator<<(std::ostream& os, const ArrayOutputs& out) {
  os << "o=[";
  for (size_t c = 0; c < out.o_data.size(); ++c)
    os << (c ? " " : "") << (out.o_valid[c] ? std::to_string(out.o_data[c]) : "-");
  return os << "]";
}

}  // namespace tpesim::systolic
