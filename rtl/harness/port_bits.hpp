// Bit-field access to Verilated port storage, independent of the port's C++ type:
// CData/SData/IData/QData (ports up to 64 bits) or VlWide<N> (wider ports, 32-bit words).
// Used by the RTL harness to pack per-row/per-column values into flattened vectors.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include <verilated.h>

namespace tpesim::rtl::bits {

/// Mask of the low `width` bits, width in 0..64.
constexpr uint64_t mask(int width) { return width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1; }

/// Two's-complement low `width` bits of v (the encoding of a value into a port field).
constexpr uint64_t encode(int64_t v, int width) { return static_cast<uint64_t>(v) & mask(width); }

/// Sign-extends the `width`-bit two's-complement value in the low bits of v (width 1..64).
constexpr int64_t sign_extend(uint64_t v, int width) {
  if (width >= 64) return static_cast<int64_t>(v);
  const uint64_t sign = uint64_t{1} << (width - 1);
  v &= mask(width);
  // (v ^ sign) - sign, computed without signed overflow.
  return static_cast<int64_t>(v ^ sign) - static_cast<int64_t>(sign);
}

// ---- scalar ports (up to 64 bits) ----

template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
inline void clear(T& port) {
  port = 0;
}

/// ORs the already-masked `v` into bits [lsb, lsb+width) of a cleared port.
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
inline void put(T& port, int lsb, int /*width*/, uint64_t v) {
  port = static_cast<T>(port | static_cast<T>(v << lsb));
}

/// Bits [lsb, lsb+width) of a port, zero-extended.
template <class T, std::enable_if_t<std::is_integral_v<T>, int> = 0>
inline uint64_t get(const T& port, int lsb, int width) {
  return (static_cast<uint64_t>(port) >> lsb) & mask(width);
}

// ---- wide ports (VlWide<N>, N 32-bit words, bit i in word i/32) ----

template <std::size_t N>
inline void clear(VlWide<N>& port) {
  for (std::size_t i = 0; i < N; ++i) port.at(i) = 0;
}

template <std::size_t N>
inline void put(VlWide<N>& port, int lsb, int width, uint64_t v) {
  std::size_t word = static_cast<std::size_t>(lsb) / 32;
  const int off = lsb % 32;
  port.at(word) |= static_cast<EData>(v << off);
  for (int done = 32 - off; done < width; done += 32) port.at(++word) |= static_cast<EData>(v >> done);
}

template <std::size_t N>
inline uint64_t get(const VlWide<N>& port, int lsb, int width) {
  std::size_t word = static_cast<std::size_t>(lsb) / 32;
  const int off = lsb % 32;
  uint64_t v = static_cast<uint64_t>(port.at(word)) >> off;
  for (int got = 32 - off; got < width; got += 32) v |= static_cast<uint64_t>(port.at(++word)) << got;
  return v & mask(width);
}

}  // namespace tpesim::rtl::bits
