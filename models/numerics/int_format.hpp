// Integer number formats used by the PEs: width, signedness, and the accumulator's
// overflow rule. Plain C++ (no SystemC), shared by every model and the oracles.
#pragma once
#include <cstdint>
#include <string>

namespace tpesim::num {

/// A two's-complement (signed) or unsigned integer of `bits` bits (2..64).
struct IntFormat {
  int bits = 8;           ///< width in bits
  bool is_signed = true;  ///< two's complement if true

  int64_t min() const { return is_signed ? -(int64_t{1} << (bits - 1)) : 0; }
  int64_t max() const {
    return is_signed ? (int64_t{1} << (bits - 1)) - 1
                     : (bits >= 63 ? INT64_MAX : (int64_t{1} << bits) - 1);
  }
  /// True if v is representable.
  bool contains(int64_t v) const { return v >= min() && v <= max(); }
  /// Interprets the low `bits` bits of `code` as a value of this format.
  int64_t decode(uint64_t code) const;
  /// The `bits`-bit code of v (v must be representable).
  uint64_t encode(int64_t v) const;
  /// "int8", "uint4", ...
  std::string name() const;
  bool operator==(const IntFormat& o) const { return bits == o.bits && is_signed == o.is_signed; }
};

/// Parses "int2".."int16", "uint2".."uint16" (returns false if not an integer format name).
bool parse_int_format(const std::string& s, IntFormat* out);

/// What an accumulator does when a sum leaves its range.
enum class Overflow { kWrap, kSaturate };

/// A signed two's-complement accumulator of `bits` bits (8..64) with an overflow rule.
struct AccFormat {
  int bits = 32;
  Overflow overflow = Overflow::kWrap;
  /// acc + p computed exactly, then wrapped modulo 2^bits or clamped to the range.
  /// `acc` must be representable; `p` is any product of two <=16-bit operands.
  int64_t add(int64_t acc, int64_t p) const {
    if (bits >= 63) return add_slow(acc, p);
    const int sh = 64 - bits;
    // Both operands fit in 62 bits here (acc <= 62 bits; products of <=16-bit operands), so
    // the int64 sum cannot overflow.
    const int64_t v = acc + p;
    if (overflow == Overflow::kWrap)
      return static_cast<int64_t>(static_cast<uint64_t>(v) << sh) >> sh;
    const int64_t hi = (int64_t{1} << (bits - 1)) - 1, lo = -hi - 1;
    return v > hi ? hi : (v < lo ? lo : v);
  }
  /// add() through 128-bit arithmetic (any widths).
  int64_t add_slow(int64_t acc, int64_t p) const;
  /// Wraps or clamps an exact value into the accumulator's range.
  int64_t fit(__int128 v) const;
};

}  // namespace tpesim::num
