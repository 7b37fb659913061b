#include "models/numerics/int_format.hpp"

namespace tpesim::num {

int64_t IntFormat::decode(uint64_t code) const {
  const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  code &= mask;
  if (is_signed && bits < 64 && (code >> (bits - 1)) & 1) return static_cast<int64_t>(code | ~mask);
  return static_cast<int64_t>(code);
}

uint64_t IntFormat::encode(int64_t v) const {
  const uint64_t mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
  return static_cast<uint64_t>(v) & mask;
}

std::string IntFormat::name() const { return (is_signed ? "int" : "uint") + std::to_string(bits); }

bool parse_int_format(const std::string& s, IntFormat* out) {
  bool sign = true;
  std::string rest;
  if (s.rfind("uint", 0) == 0) {
    sign = false;
    rest = s.substr(4);
  } else if (s.rfind("int", 0) == 0) {
    rest = s.substr(3);
  } else {
    return false;
  }
  if (rest.empty() || rest.size() > 2) return false;
  for (char ch : rest)
    if (ch < '0' || ch > '9') return false;
  const int b = std::stoi(rest);
  if (b < 2 || b > 16) return false;
  out->bits = b;
  out->is_signed = sign;
  return true;
}

int64_t AccFormat::fit(__int128 v) const {
  const __int128 lo = -(static_cast<__int128>(1) << (bits - 1));
  const __int128 hi = (static_cast<__int128>(1) << (bits - 1)) - 1;
  if (overflow == Overflow::kSaturate) {
    if (v < lo) return static_cast<int64_t>(lo);
    if (v > hi) return static_cast<int64_t>(hi);
    return static_cast<int64_t>(v);
  }
  const unsigned __int128 m = (static_cast<unsigned __int128>(1) << bits) - 1;
  unsigned __int128 u = static_cast<unsigned __int128>(v) & m;
  if (u >> (bits - 1)) u |= ~m;  // sign-extend
  return static_cast<int64_t>(static_cast<__int128>(u));
}

int64_t AccFormat::add_slow(int64_t acc, int64_t p) const {
  return fit(static_cast<__int128>(acc) + static_cast<__int128>(p));
}

}  // namespace tpesim::num
