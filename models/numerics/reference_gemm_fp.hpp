// Oracles for quantised GEMM: C = A x dequant(B) with activations A (INT8, INT16, FP16, BF16)
// and weights B given as element-format codes with per-group scales and zero points along K.
//  - The exact oracle computes sum_k a_mk * s_g(k),n * (q_kn - z_g(k),n) with no rounding at
//    all (every operand is a dyadic rational m * 2^e, and so is every sum and product) and
//    rounds the exact sum once, to nearest-even, when a double is asked for.
//  - The accumulator oracle reproduces a hardware datapath bit for bit: accumulator format
//    (N-bit integer, or a float of E exponent / M mantissa bits), rounding mode, summation
//    order, and where dequantisation happens (per element, or once per group after the
//    partial sum as MixPE, Zhang et al. 2024, and BitMoD, Chen et al., HPCA 2025, do).
// Every rounding is taken from the exact value directly (never through double first).
// docs/numerics.md, section "Reference GEMM", lists each rounding point. Plain C++, no SystemC.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/numerics/int_format.hpp"
#include "models/numerics/reference_gemm.hpp"

namespace tpesim::num {

class ElementFormat;
struct QuantResult;
struct QuantScheme;

namespace detail {
/// Limbs of a BigInt magnitude: up to kInline limbs live inside the object (no allocation for
/// values below 2^256, the common case), more on the heap.
class LimbVec {
 public:
  LimbVec() = default;
  LimbVec(size_t n, uint64_t v) { assign(n, v); }
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const uint64_t* data() const { return n_ <= kInline ? small_ : heap_.data(); }
  uint64_t* data() { return n_ <= kInline ? small_ : heap_.data(); }
  uint64_t operator[](size_t i) const { return data()[i]; }
  uint64_t& operator[](size_t i) { return data()[i]; }
  uint64_t back() const { return data()[n_ - 1]; }
  void assign(size_t n, uint64_t v);
  void push_back(uint64_t v);
  void pop_back();
  bool operator==(const LimbVec& o) const;

 private:
  static constexpr size_t kInline = 4;
  size_t n_ = 0;                  ///< number of limbs
  uint64_t small_[kInline] = {};  ///< the limbs while n_ <= kInline
  std::vector<uint64_t> heap_;    ///< all the limbs while n_ > kInline
};
}  // namespace detail

/// An arbitrary-precision signed integer (sign and magnitude; the magnitude grows as needed,
/// so no operation overflows). Only what exact dyadic arithmetic needs.
class BigInt {
 public:
  BigInt() = default;
  BigInt(int64_t v);  // NOLINT(google-explicit-constructor): integers convert implicitly
  static BigInt from_i128(__int128 v);
  /// |x| as 64-bit limbs, least significant first, no zero high limb (empty for zero).
  static BigInt from_limbs(const std::vector<uint64_t>& magnitude, bool negative);

  bool is_zero() const { return mag_.empty(); }
  bool negative() const { return neg_; }
  /// -1, 0 or +1.
  int sign() const { return is_zero() ? 0 : (neg_ ? -1 : 1); }
  /// Number of bits of |x| (0 for zero).
  int64_t bit_length() const;
  /// Bit i of |x|.
  bool bit(int64_t i) const;
  /// True if any of bits [0, n) of |x| is set.
  bool low_bits_nonzero(int64_t n) const;
  /// Number of trailing zero bits of |x| (0 for zero).
  int64_t trailing_zeros() const;
  /// |x| as 64-bit limbs, least significant first (empty for zero).
  std::vector<uint64_t> magnitude() const { return {mag_.data(), mag_.data() + mag_.size()}; }
  size_t limb_count() const { return mag_.size(); }
  /// Limb i of |x| (i < limb_count()).
  uint64_t limb(size_t i) const { return mag_[i]; }

  BigInt operator-() const;
  BigInt operator+(const BigInt& o) const;
  BigInt operator-(const BigInt& o) const;
  BigInt operator*(const BigInt& o) const;
  /// x * 2^n (n >= 0).
  BigInt shl(int64_t n) const;
  /// sign(x) * floor(|x| / 2^n) (n >= 0): truncation toward zero.
  BigInt shr_trunc(int64_t n) const;
  /// -1, 0, +1 as x <, ==, > o.
  int compare(const BigInt& o) const;
  bool operator==(const BigInt& o) const { return neg_ == o.neg_ && mag_ == o.mag_; }
  bool operator!=(const BigInt& o) const { return !(*this == o); }
  bool fits_i64() const;
  /// The value (throws std::overflow_error if it does not fit).
  int64_t to_i64() const;
  /// Exact decimal, e.g. "-1152921504606846977".
  std::string to_string() const;

 private:
  void trim();
  bool neg_ = false;     ///< sign (false for zero)
  detail::LimbVec mag_;  ///< |x|, little-endian limbs, no zero high limb
};

/// An exact dyadic rational m * 2^e, kept canonical (m odd, or m == 0 with e == 0), so two
/// equal values have equal fields. Every finite double, FP16, BF16 and small-float value is one.
class Dyadic {
 public:
  Dyadic() = default;  ///< zero
  Dyadic(BigInt mantissa, int64_t exponent);
  static Dyadic from_int(int64_t v) { return Dyadic(BigInt(v), 0); }
  /// The exact value of a finite double (throws std::invalid_argument for inf/NaN; -0 -> 0).
  static Dyadic from_double(double x);

  const BigInt& mantissa() const { return m_; }
  int64_t exponent() const { return e_; }
  bool is_zero() const { return m_.is_zero(); }
  int sign() const { return m_.sign(); }
  bool is_integer() const { return e_ >= 0 || m_.is_zero(); }
  /// floor(log2 |x|) (x != 0).
  int64_t log2_floor() const { return e_ + m_.bit_length() - 1; }

  Dyadic operator-() const { return Dyadic(-m_, e_); }
  Dyadic operator+(const Dyadic& o) const;
  Dyadic operator-(const Dyadic& o) const { return *this + (-o); }
  Dyadic operator*(const Dyadic& o) const;
  Dyadic& operator+=(const Dyadic& o) { return *this = *this + o; }
  int compare(const Dyadic& o) const;
  bool operator==(const Dyadic& o) const { return m_ == o.m_ && e_ == o.e_; }
  bool operator!=(const Dyadic& o) const { return !(*this == o); }
  bool operator<(const Dyadic& o) const { return compare(o) < 0; }

  /// The integer value (throws std::invalid_argument if not an integer, std::overflow_error
  /// if beyond 128 bits).
  __int128 to_i128() const;
  /// The exact value rounded once to double, to nearest, ties to even (may be +-inf).
  double to_double() const;
  /// Exact decimal expansion (finite, since the denominator is a power of two), e.g. "-0.375".
  std::string to_string() const;
  /// "m*2^e" with m and e in decimal, e.g. "-3*2^-3"; "0" for zero.
  std::string to_dyadic_string() const;

 private:
  BigInt m_;       ///< odd, or zero
  int64_t e_ = 0;  ///< binary exponent (0 when m_ is zero)
};

/// How a value between two representable ones is rounded.
enum class RoundMode {
  kNearestEven,  ///< to nearest; ties to the value with an even last mantissa bit (IEEE default)
  kTowardZero,   ///< truncate the magnitude
  kNearestAway,  ///< to nearest; ties away from zero
};

/// What a float does with a value beyond its largest finite magnitude.
enum class FloatOverflow {
  kInfinity,  ///< IEEE: to +-inf (under round-toward-zero: to +-max finite, as IEEE says)
  kSaturate,  ///< to +-max finite in every rounding mode
};

/// A binary floating-point format used for rounding (accumulators, products, conversions):
/// 1 sign bit, exp_bits, man_bits; value 2^(E - bias) * 1.m for exponent field E >= 1 and
/// 2^(1 - bias) * 0.m for E == 0 (subnormal). Every value must also be a double
/// (exp_bits <= 11, man_bits <= 52, range inside double's): validate() checks it.
struct FloatFormat {
  int exp_bits = 8;   ///< exponent field width (1..11)
  int man_bits = 23;  ///< stored mantissa bits (0..52); precision is man_bits + 1
  int bias = 127;     ///< exponent bias
  /// True: the all-ones exponent field is infinity/NaN (IEEE). False: it holds finite values
  /// too (no infinity exists; overflow always saturates).
  bool ieee_specials = true;
  /// False: flush to zero — a result whose rounded magnitude is below 2^emin() becomes a zero
  /// of the value's sign (rounding is then to man_bits + 1 significant bits at any exponent).
  bool subnormals = true;
  FloatOverflow overflow = FloatOverflow::kInfinity;  ///< overflow rule (ieee_specials only)

  FloatFormat() = default;
  /// IEEE-style format with bias 2^(exp_bits-1) - 1.
  FloatFormat(int exp, int man) : exp_bits(exp), man_bits(man), bias((1 << (exp - 1)) - 1) {}
  FloatFormat(int exp, int man, int b) : exp_bits(exp), man_bits(man), bias(b) {}

  static FloatFormat fp64() { return {11, 52}; }
  static FloatFormat fp32() { return {8, 23}; }
  static FloatFormat fp16() { return {5, 10}; }
  static FloatFormat bf16() { return {8, 7}; }
  /// BitMoD's accumulator: 6-bit exponent, 15-bit mantissa (IEEE-style, bias 31).
  static FloatFormat e6m15() { return {6, 15}; }

  /// Largest / smallest unbiased exponent of a normal value.
  int emax() const { return (1 << exp_bits) - (ieee_specials ? 2 : 1) - bias; }
  int emin() const { return 1 - bias; }
  double max_finite() const;
  double min_normal() const;
  double min_subnormal() const;
  /// Throws std::invalid_argument if the format is malformed or not a subset of double.
  void validate() const;
  /// True if x is a finite value of the format (with subnormals == false: 0 or normal).
  bool contains(double x) const;
  /// "fp(e5,m10)" plus ",bias=B" if not IEEE-style, ",nospecials", ",ftz", ",sat" as set.
  std::string name() const;
};

/// x rounded to f in the given mode, computed from the exact value (no intermediate rounding).
/// The result is a value of f (so a double exactly), or +-inf. A nonzero x that rounds to zero
/// gives a zero of x's sign; x == 0 gives +0.
double round_to_float(const Dyadic& x, const FloatFormat& f, RoundMode mode);
/// Convenience: round_to_float(Dyadic::from_double(x), ...); inf/NaN pass through.
double round_to_float(double x, const FloatFormat& f, RoundMode mode);

/// A dense row-major matrix of doubles (each entry is used as its exact value). Shared by the
/// numerics library (metrics.hpp, quant.hpp use it): for a weight matrix B of C = A x B,
/// rows = K and cols = N.
struct RealMatrix {
  int64_t rows = 0;       ///< number of rows
  int64_t cols = 0;       ///< number of columns
  std::vector<double> v;  ///< rows * cols values, row-major
  RealMatrix() = default;
  RealMatrix(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c), 0.0) {}
  double& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
  double at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
  int64_t size() const { return rows * cols; }
  bool operator==(const RealMatrix& o) const {
    return rows == o.rows && cols == o.cols && v == o.v;
  }
};

/// A dense row-major matrix of exact values.
struct DyadicMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<Dyadic> v;
  DyadicMatrix() = default;
  DyadicMatrix(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c)) {}
  Dyadic& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
  const Dyadic& at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
  /// Every entry rounded once to double (nearest-even).
  RealMatrix to_double() const;
};

/// Activation element types.
enum class ActType { kInt8, kInt16, kFp16, kBf16, kAny };
/// Throws std::invalid_argument naming the first entry of `a` that is not a value of type t
/// (kAny: any finite double).
void check_activations(const RealMatrix& a, ActType t);

/// Quantised weights B[K x N] with per-group dequantisation along K: the real weight is
/// scale(g, n) * (q(k, n) - zero(g, n)) with g = k / group_size (the last group may be short).
struct GroupedWeights {
  int64_t k = 0, n = 0;
  int64_t group_size = 0;     ///< > 0; group_size >= k: one group (per-channel)
  std::vector<double> q;      ///< K x N row-major: decoded weight values (finite)
  std::vector<double> scale;  ///< groups() x N row-major (finite; FP16/E8M0/any double)
  std::vector<double> zero;   ///< groups() x N row-major zero points; empty: all 0

  int64_t groups() const { return group_size > 0 ? (k + group_size - 1) / group_size : 0; }
  double q_at(int64_t kk, int64_t nn) const { return q[static_cast<size_t>(kk * n + nn)]; }
  double scale_at(int64_t g, int64_t nn) const { return scale[static_cast<size_t>(g * n + nn)]; }
  double zero_at(int64_t g, int64_t nn) const {
    return zero.empty() ? 0.0 : zero[static_cast<size_t>(g * n + nn)];
  }
  /// Throws std::invalid_argument if sizes disagree or a value is not finite.
  void validate() const;

  /// Decodes K x N codes of one format (a NaN or invalid code is std::invalid_argument).
  static GroupedWeights from_codes(const ElementFormat& fmt, int64_t k, int64_t n,
                                   const std::vector<uint32_t>& codes, int64_t group_size,
                                   std::vector<double> scale, std::vector<double> zero = {});
  /// Per-group formats (BitMoD's per-group type selection): formats[g * n + col] decodes the
  /// codes of group g, column col.
  static GroupedWeights from_codes(const std::vector<const ElementFormat*>& formats, int64_t k,
                                   int64_t n, const std::vector<uint32_t>& codes,
                                   int64_t group_size, std::vector<double> scale,
                                   std::vector<double> zero = {});
  /// The weights quantize() produced (models/numerics/quant.hpp): codes decoded by each
  /// group's selected candidate, stored scales s', zero points (asymmetric schemes).
  static GroupedWeights from_quant(const QuantResult& r, const QuantScheme& scheme);
};

/// The exact C[m][n] = sum_k a(m,k) * scale(g,n) * (q(k,n) - zero(g,n)), no rounding anywhere.
DyadicMatrix gemm_quant_exact(const RealMatrix& a, const GroupedWeights& w);
/// gemm_quant_exact, each entry rounded once to double (nearest-even): "exact sum, rounded once".
RealMatrix gemm_quant_exact_double(const RealMatrix& a, const GroupedWeights& w);

/// One hardware accumulator: an integer of AccFormat, or a float of FloatFormat with a rounding
/// mode.
struct AccSpec {
  enum class Kind { kInt, kFloat };
  Kind kind = Kind::kFloat;
  AccFormat int_format;                            ///< used if kind == kInt
  FloatFormat float_format = FloatFormat::fp32();  ///< used if kind == kFloat
  RoundMode round = RoundMode::kNearestEven;       ///< used if kind == kFloat

  static AccSpec integer(AccFormat f) {
    AccSpec s;
    s.kind = Kind::kInt;
    s.int_format = f;
    return s;
  }
  static AccSpec floating(FloatFormat f, RoundMode r = RoundMode::kNearestEven) {
    AccSpec s;
    s.float_format = f;
    s.round = r;
    return s;
  }
  std::string name() const;
};

/// Where the group scale (and zero point) is applied.
enum class Dequant {
  kPerElement,  ///< every product a * s * (q - z) enters the output accumulator
  kPerGroup,    ///< partial sum over a group in the group accumulator, then * s, then added
};

/// How a per-group partial sum handles the zero point (kPerGroup only).
enum class ZeroPointMode {
  kInTerm,       ///< partial = sum_k a_k * (q_k - z)
  kSeparateSum,  ///< partial = sum_k a_k * q_k - z * sum_k a_k (two running sums)
};

/// The datapath the accumulator oracle reproduces, for each output (m, n). R_out / R_grp round
/// an exact value once into the output / group accumulator (float: round_to_float with its
/// mode; integer: no rounding, the value must be an integer, then AccFormat::fit wraps or
/// saturates the sum). Every accumulator starts at +0; "sum" below is the chunked order of
/// k_chunk, each addition being acc = R(acc + x) computed exactly.
///  kPerElement: x_k = a_k * s_g * (q_k - z_g) exact; sum of R_out(x_k) (fused: of x_k).
///  kPerGroup, per group g ascending:
///    kInTerm:      partial = sum in the group accumulator of R_grp(a_k * (q_k - z_g));
///    kSeparateSum: P = sum of R_grp(a_k * q_k), S = sum of R_grp(a_k),
///                  partial = R_grp(P - R_grp(z_g * S))   (fused: R_grp(P - z_g * S));
///    (fused_products: the exact products enter the sums instead of R_grp(...));
///    total = R_out(total + R_out(partial * s_g))   (fused_scale: R_out(total + partial * s_g)).
/// The result is the final accumulator value, not rounded further. See docs/numerics.md,
/// "Reference GEMM", for zeros, infinities and NaN.
struct HwGemmConfig {
  AccSpec acc = AccSpec::floating(FloatFormat::fp32());  ///< output accumulator
  Dequant dequant = Dequant::kPerElement;
  AccSpec group_acc = AccSpec::floating(FloatFormat::fp32());  ///< partial sums (kPerGroup)
  ZeroPointMode zero_point = ZeroPointMode::kInTerm;           ///< kPerGroup only (else ignored)
  /// False: each product is rounded to the accumulator format before it is added. True: the
  /// exact product enters the adder (fused multiply-add: one rounding per addition). Applies
  /// to the products of both dequantisation modes and to z * S.
  bool fused_products = false;
  /// kPerGroup: false rounds partial * scale to the output format before adding it; true
  /// adds the exact partial * scale (fused).
  bool fused_scale = false;
  /// Summation order: k is split into consecutive chunks of k_chunk (per group, for
  /// kPerGroup); each chunk is summed from zero in ascending k and the chunk sums are added in
  /// ascending order into a running total (as gemm_accumulate). k_chunk >= K: sequential.
  int64_t k_chunk = INT64_MAX;
};

/// What the hardware datapath described by cfg computes (float results exactly; an integer
/// output accumulator's value must fit in 53 bits, else std::overflow_error: use
/// gemm_quant_accumulate_int). Throws std::invalid_argument if an integer accumulator would
/// receive a non-integer value (e.g. a fractional scale).
RealMatrix gemm_quant_accumulate(const RealMatrix& a, const GroupedWeights& w,
                                 const HwGemmConfig& cfg);
/// The same with an integer output accumulator (cfg.acc.kind == kInt), returned as integers.
IntMatrix gemm_quant_accumulate_int(const RealMatrix& a, const GroupedWeights& w,
                                    const HwGemmConfig& cfg);

}  // namespace tpesim::num
