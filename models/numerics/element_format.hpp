// Element formats of low-precision tensors: integers (two's complement, symmetric,
// unsigned, asymmetric with a zero point), generic small floats (any exponent/mantissa
// width, bias and use of spare codes), the named instances (FP3, FP4 E2M1, FP6 E2M3/E3M2,
// FP8 E4M3/E5M2 (OCP), FP16, BF16, E8M0) and BitMoD's extended FP3/FP4 (Chen et al., HPCA
// 2025, Sec. III), plus BitMoD's bit-serial term decomposition (Sec. IV). Plain C++, no SystemC.
//
// Every format is a finite table code -> value; tests enumerate every code. Formats are
// immutable after construction; all const member functions are thread-safe.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tpesim::num {

/// A format's code <-> value mapping. Codes are the low bits() bits of a uint32_t (higher
/// bits must be zero). At most 16 bits, so the whole code table can be enumerated.
class ElementFormat {
 public:
  virtual ~ElementFormat() = default;
  /// Canonical name, e.g. "int4", "int4_sym", "uint4", "int4_asym(zp=7)", "fp4_e2m1",
  /// "fp4_e2m1+5" (extended); make_format(name()) rebuilds the format.
  virtual std::string name() const = 0;
  /// Bits per code.
  virtual int bits() const = 0;
  /// The value of a code: finite, +-infinity, or NaN for a NaN code. Both zero codes of a
  /// sign-magnitude format decode to +0.0. Throws std::invalid_argument if !valid_code(code).
  virtual double decode(uint32_t code) const = 0;
  /// True if the code is a valid code of this format (e.g. false for the most negative code
  /// of a symmetric integer format).
  virtual bool valid_code(uint32_t code) const { return code < (1u << bits()); }
  /// Round to nearest: the valid code whose finite value is nearest to x; on a tie, the code
  /// whose value has the smaller magnitude (ties toward zero; an exact tie between +v and -v,
  /// possible only in a format without zero, goes to +v); values beyond the largest finite
  /// value (including +-infinity) saturate to it. When several codes share a value (+0 and
  /// -0, or an extended special equal to a basic value) the smallest code is returned, so 0
  /// encodes to the +0 code. NaN input is an error (std::invalid_argument).
  /// Cost: one binary search in a table built once per format object (on first use, shared
  /// by copies).
  virtual uint32_t encode(double x) const;
  /// Sorted distinct finite values (the quantisation grid).
  std::vector<double> grid() const;
  /// Largest finite magnitude.
  double max_abs() const;

 protected:
  ElementFormat() = default;
  // Copies share the (immutable, lazily built) code table; no public copy through the base
  // (prevents slicing). No move operations are declared, so moves copy.
  ElementFormat(const ElementFormat&) = default;
  ElementFormat& operator=(const ElementFormat&) = default;

 private:
  /// The encode table: sorted distinct finite values, the code of each (smallest code of
  /// that value) and the midpoints between neighbours.
  struct Table {
    std::vector<double> values;
    std::vector<uint32_t> codes;
    std::vector<double> mids;  ///< mids[i] = (values[i] + values[i+1]) / 2
  };
  /// Built on first use under `mu`; published through `table` (acquire/release).
  struct TableCache {
    std::mutex mu;
    std::atomic<const Table*> table{nullptr};
    std::unique_ptr<const Table> owned;
  };
  const Table& table() const;
  std::shared_ptr<TableCache> cache_ = std::make_shared<TableCache>();
};

/// Integer kinds.
enum class IntKind {
  kTwosComplement,  ///< [-2^(b-1), 2^(b-1)-1]
  kSymmetric,       ///< [-(2^(b-1)-1), 2^(b-1)-1]; the most negative code is invalid
  kUnsigned,        ///< [0, 2^b-1]
  kAsymmetric,      ///< code - zero_point, codes [0, 2^b-1]
};

/// An integer element format, 2..16 bits (else std::invalid_argument). zero_point must be in
/// [0, 2^b-1] for kAsymmetric and 0 for the other kinds (else std::invalid_argument).
/// Names: "int4" (two's complement), "int4_sym", "uint4", "int4_asym(zp=7)".
class IntElement : public ElementFormat {
 public:
  IntElement(int bits, IntKind kind, int zero_point = 0);
  std::string name() const override;
  int bits() const override { return bits_; }
  double decode(uint32_t code) const override;
  bool valid_code(uint32_t code) const override;
  IntKind kind() const { return kind_; }
  int zero_point() const { return zp_; }
  /// Smallest and largest value.
  int min_value() const;
  int max_value() const;

 private:
  int bits_;
  IntKind kind_;
  int zp_;
};

/// What a small float does with its spare codes.
enum class FloatSpecials {
  kNone,     ///< every code is a finite number (FP3, FP4 E2M1, FP6)
  kIeee,     ///< all-ones exponent: infinity (mantissa 0) or NaN (FP16, BF16, FP8 E5M2)
  kNanOnly,  ///< only the all-ones code (both signs) is NaN, no infinity (OCP FP8 E4M3)
};

/// A sign-magnitude float: 1 sign bit (if signed), exp_bits, man_bits; value
/// (-1)^s * 2^(e - bias) * 1.m for e > 0, (-1)^s * 2^(1 - bias) * 0.m for e == 0 (subnormal).
/// Code layout (MSB to LSB): sign, exponent, mantissa.
struct FloatSpec {
  int exp_bits = 2;
  int man_bits = 1;
  int bias = 1;
  FloatSpecials specials = FloatSpecials::kNone;
  bool has_sign = true;
};

/// A float element format. Requires exp_bits >= 1, man_bits >= 0 and at most 16 bits in all
/// (else std::invalid_argument).
class FloatElement : public ElementFormat {
 public:
  FloatElement(std::string name, FloatSpec spec);
  std::string name() const override { return name_; }
  int bits() const override { return spec_.exp_bits + spec_.man_bits + (spec_.has_sign ? 1 : 0); }
  double decode(uint32_t code) const override;
  const FloatSpec& spec() const { return spec_; }

 private:
  std::string name_;
  FloatSpec spec_;
};

/// E8M0 (the MX formats' shared scale): 8 exponent bits, no sign, no mantissa, value
/// 2^(code - 127); code 0xFF is NaN. encode() rounds to the nearest value in linear distance
/// like every format (x <= 2^-127, including 0 and negatives, gives code 0).
class E8M0Element : public ElementFormat {
 public:
  E8M0Element() = default;
  std::string name() const override { return "e8m0"; }
  int bits() const override { return 8; }
  double decode(uint32_t code) const override;
};

/// The named formats.
FloatElement fp3();       ///< 3-bit float E2M0, bias 1: {0, +-1, +-2, +-4}
FloatElement fp4_e2m1();  ///< {0, +-0.5, +-1, +-1.5, +-2, +-3, +-4, +-6}
FloatElement fp6_e2m3();  ///< OCP: bias 1, max 7.5, no inf/NaN
FloatElement fp6_e3m2();  ///< OCP: bias 3, max 28, no inf/NaN
FloatElement fp8_e4m3();  ///< OCP: bias 7, max 448, S.1111.111 = NaN
FloatElement fp8_e5m2();  ///< OCP: bias 15, IEEE specials, max 57344
FloatElement fp16();      ///< IEEE binary16
FloatElement bf16();      ///< bfloat16

/// BitMoD's extended FP3/FP4: the basic format with its negative-zero code (sign 1, all
/// other bits 0) decoding to `special` instead. The special takes part in encode() like any
/// other value. Requires a signed base and a finite special (else std::invalid_argument).
/// Name: the base name followed by the special with an explicit sign, in the shortest
/// decimal form that reads back exactly: "fp4_e2m1+5", "fp4_e2m1-8", "fp3+3", "fp3-6",
/// "fp3+2.5".
class ExtendedFloat : public ElementFormat {
 public:
  ExtendedFloat(FloatElement base, double special);
  std::string name() const override;
  int bits() const override { return base_.bits(); }
  double decode(uint32_t code) const override;
  bool valid_code(uint32_t code) const override { return base_.valid_code(code); }
  double special() const { return special_; }
  uint32_t special_code() const { return 1u << (base_.bits() - 1); }
  const FloatElement& base() const { return base_; }

 private:
  FloatElement base_;
  double special_;
};

/// The per-group candidate special values (a programmable 4-entry table in hardware).
/// BitMoD defaults: FP3 {+3, -3, +6, -6} (extra resolution / extra asymmetry);
/// FP4 {+5, -5, +8, -8}.
struct SpecialTable {
  double values[4];
};
SpecialTable bitmod_fp3_specials();
SpecialTable bitmod_fp4_specials();

/// Looks a format up by name: int2..int16, int2_sym..int16_sym, uint2..uint16,
/// intN_asym(zp=Z), fp3, fp4_e2m1, fp6_e2m3, fp6_e3m2, fp8_e4m3, fp8_e5m2, fp16, bf16, e8m0,
/// and extended floats "<signed named float><signed special>" such as "fp3+3", "fp4_e2m1-8".
/// Null if unknown or malformed.
std::unique_ptr<ElementFormat> make_format(const std::string& name);

/// One bit-serial term of BitMoD's unified representation:
/// value = sign * 2^exp * mantissa * 2^significance, with sign in {-1, +1}, mantissa in
/// {0, 1} (one bit per cycle), exp the per-term exponent and significance the term's weight.
/// Term i of a code is processed in cycle i; its significance is fixed by its position
/// (2i for integers, -i for floats), so a shifter needs exp + significance. A term with
/// mantissa 0 is a bubble cycle that adds nothing (its sign and exp carry no meaning).
struct Term {
  int sign = 1;
  int exp = 0;
  int mantissa = 1;
  int significance = 0;
  double value() const;
};

/// The terms of a code in BitMoD's representation. Every code of a format gives the same
/// number of terms, bitserial_term_count(f) (the cycles per weight), including zero-valued
/// terms, so a zero weight still occupies its cycles:
///  - integers: radix-4 Booth on the value as a W-bit two's complement number, W the
///    narrowest width holding every value of the format, rounded up to even: ceil(W/2) terms,
///    digit d_i in {-2..2} at significance 2i: sign = d_i < 0 ? -1 : +1,
///    exp = |d_i| == 2 ? 1 : 0, mantissa = d_i != 0. int8 (and int8_sym): 4 terms; int6: 3;
///    int4: 2; int3: 2; uint4 (W = 5): 3; int4_asym(zp=7) (values -7..8, W = 5): 3.
///  - basic floats with no spare codes (FloatSpecials::kNone) and man_bits <= 1 (FP3, FP4
///    E2M1): 1 + man_bits terms (FP3: 1, FP4: 2). With E the unbiased exponent
///    (e - bias, or 1 - bias for e == 0) and s the sign bit: term 0 is the leading (hidden)
///    bit {sign s, exp E, mantissa e != 0, significance 0}; term 1 the mantissa bit
///    {sign s, exp E, mantissa m, significance -1}. E.g. FP4 3.0 = 1.1b * 2^1 ->
///    {+,1,1,0} + {+,1,1,-1}; 0.5 (subnormal) -> {+,0,0,0} + {+,0,1,-1}.
///  - ExtendedFloat on such a base: always 2 terms. Other codes as in the base, padded with
///    {s, E, 0, -1} for FP3. The special |v| = 2^a + 2^b (a > b) gives {sg, a, 1, 0} +
///    {sg, b + 1, 1, -1}; |v| = 2^a gives {sg, a, 1, 0} + {sg, a, 0, -1}; otherwise
///    |v| = 2^a - 2^b gives {sg, a, 1, 0} + {-sg, b + 1, 1, -1} (sg the special's sign).
///    So +5 -> 4 + 1, -3 -> -(2 + 1), +6 -> 4 + 2, -8 -> -8, +7 -> 8 - 1. A special of 0
///    gives two zero terms.
/// The terms always sum exactly to decode(code). Throws std::invalid_argument for formats
/// without a term decomposition (other floats such as FP6/FP8/FP16/BF16, E8M0), for an
/// invalid or non-finite code, or for a special that needs more than two terms (e.g. 11).
std::vector<Term> bitserial_terms(const ElementFormat& f, uint32_t code);

/// The number of terms bitserial_terms() gives for every code of f (cycles per weight).
/// Throws std::invalid_argument like bitserial_terms().
int bitserial_term_count(const ElementFormat& f);

}  // namespace tpesim::num
