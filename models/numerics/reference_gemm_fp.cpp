#include "models/numerics/reference_gemm_fp.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "models/numerics/element_format.hpp"
#include "models/numerics/quant.hpp"

namespace tpesim::num {

// ---------------------------------------------------------------------------------------------
// BigInt
// ---------------------------------------------------------------------------------------------
namespace detail {

void LimbVec::assign(size_t n, uint64_t v) {
  if (n <= kInline) {
    std::fill(small_, small_ + n, v);
  } else {
    heap_.assign(n, v);
  }
  n_ = n;
}

void LimbVec::push_back(uint64_t v) {
  if (n_ < kInline) {
    small_[n_++] = v;
    return;
  }
  if (n_ == kInline) heap_.assign(small_, small_ + kInline);
  heap_.push_back(v);
  ++n_;
}

void LimbVec::pop_back() {
  if (n_ == kInline + 1) {
    std::copy(heap_.begin(), heap_.begin() + kInline, small_);
    heap_.clear();
  } else if (n_ > kInline) {
    heap_.pop_back();
  }
  --n_;
}

bool LimbVec::operator==(const LimbVec& o) const {
  return n_ == o.n_ && std::equal(data(), data() + n_, o.data());
}

}  // namespace detail

namespace {

using u128 = unsigned __int128;
using Limbs = detail::LimbVec;

int cmp_mag(const Limbs& a, const Limbs& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

Limbs add_mag(const Limbs& a, const Limbs& b) {
  const Limbs& x = a.size() >= b.size() ? a : b;
  const Limbs& y = a.size() >= b.size() ? b : a;
  Limbs r(x.size() + 1, 0);
  uint64_t carry = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const u128 s = static_cast<u128>(x[i]) + (i < y.size() ? y[i] : 0) + carry;
    r[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  r[x.size()] = carry;
  return r;
}

// a - b for |a| >= |b|.
Limbs sub_mag(const Limbs& a, const Limbs& b) {
  Limbs r(a.size(), 0);
  uint64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const uint64_t bi = i < b.size() ? b[i] : 0;
    const u128 sub = static_cast<u128>(bi) + borrow;
    r[i] = static_cast<uint64_t>(static_cast<u128>(a[i]) - sub);
    borrow = static_cast<u128>(a[i]) < sub ? 1 : 0;
  }
  return r;
}

// Divides the magnitude in place by d, returns the remainder.
uint64_t divmod_small(Limbs* a, uint64_t d) {
  u128 rem = 0;
  for (size_t i = a->size(); i-- > 0;) {
    const u128 cur = (rem << 64) | (*a)[i];
    (*a)[i] = static_cast<uint64_t>(cur / d);
    rem = cur % d;
  }
  while (!a->empty() && a->back() == 0) a->pop_back();
  return static_cast<uint64_t>(rem);
}

}  // namespace

BigInt::BigInt(int64_t v) {
  if (v == 0) return;
  neg_ = v < 0;
  mag_.push_back(neg_ ? ~static_cast<uint64_t>(v) + 1 : static_cast<uint64_t>(v));
}

BigInt BigInt::from_i128(__int128 v) {
  BigInt r;
  if (v == 0) return r;
  r.neg_ = v < 0;
  const u128 m = r.neg_ ? ~static_cast<u128>(v) + 1 : static_cast<u128>(v);
  r.mag_.push_back(static_cast<uint64_t>(m));
  r.mag_.push_back(static_cast<uint64_t>(m >> 64));
  r.trim();
  return r;
}

BigInt BigInt::from_limbs(const std::vector<uint64_t>& magnitude, bool negative) {
  BigInt r;
  for (uint64_t l : magnitude) r.mag_.push_back(l);
  r.neg_ = negative;
  r.trim();
  return r;
}

void BigInt::trim() {
  while (!mag_.empty() && mag_.back() == 0) mag_.pop_back();
  if (mag_.empty()) neg_ = false;
}

int64_t BigInt::bit_length() const {
  if (mag_.empty()) return 0;
  return static_cast<int64_t>(mag_.size() - 1) * 64 + (64 - __builtin_clzll(mag_.back()));
}

bool BigInt::bit(int64_t i) const {
  if (i < 0) return false;
  const auto limb = static_cast<size_t>(i / 64);
  return limb < mag_.size() && ((mag_[limb] >> (i % 64)) & 1) != 0;
}

bool BigInt::low_bits_nonzero(int64_t n) const {
  if (n <= 0) return false;
  const auto full = static_cast<size_t>(n / 64);
  for (size_t i = 0; i < std::min(full, mag_.size()); ++i)
    if (mag_[i] != 0) return true;
  const int rest = static_cast<int>(n % 64);
  if (rest == 0 || full >= mag_.size()) return false;
  return (mag_[full] & ((uint64_t{1} << rest) - 1)) != 0;
}

int64_t BigInt::trailing_zeros() const {
  for (size_t i = 0; i < mag_.size(); ++i)
    if (mag_[i] != 0) return static_cast<int64_t>(i) * 64 + __builtin_ctzll(mag_[i]);
  return 0;
}

BigInt BigInt::operator-() const {
  BigInt r = *this;
  if (!r.is_zero()) r.neg_ = !r.neg_;
  return r;
}

BigInt BigInt::operator+(const BigInt& o) const {
  if (o.is_zero()) return *this;
  if (is_zero()) return o;
  BigInt r;
  if (neg_ == o.neg_) {
    r.mag_ = add_mag(mag_, o.mag_);
    r.neg_ = neg_;
  } else {
    const int c = cmp_mag(mag_, o.mag_);
    if (c == 0) return r;
    r.mag_ = c > 0 ? sub_mag(mag_, o.mag_) : sub_mag(o.mag_, mag_);
    r.neg_ = c > 0 ? neg_ : o.neg_;
  }
  r.trim();
  return r;
}

BigInt BigInt::operator-(const BigInt& o) const { return *this + (-o); }

BigInt BigInt::operator*(const BigInt& o) const {
  BigInt r;
  if (is_zero() || o.is_zero()) return r;
  r.mag_.assign(mag_.size() + o.mag_.size(), 0);
  for (size_t i = 0; i < mag_.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < o.mag_.size(); ++j) {
      const u128 cur = static_cast<u128>(mag_[i]) * o.mag_[j] + r.mag_[i + j] + carry;
      r.mag_[i + j] = static_cast<uint64_t>(cur);
      carry = static_cast<uint64_t>(cur >> 64);
    }
    r.mag_[i + o.mag_.size()] = carry;
  }
  r.neg_ = neg_ != o.neg_;
  r.trim();
  return r;
}

BigInt BigInt::shl(int64_t n) const {
  if (n < 0) throw std::invalid_argument("BigInt::shl: negative shift");
  if (is_zero() || n == 0) return *this;
  const auto limbs = static_cast<size_t>(n / 64);
  const int bits = static_cast<int>(n % 64);
  BigInt r;
  r.neg_ = neg_;
  r.mag_.assign(mag_.size() + limbs + 1, 0);
  for (size_t i = 0; i < mag_.size(); ++i) {
    r.mag_[i + limbs] |= mag_[i] << bits;
    if (bits != 0) r.mag_[i + limbs + 1] |= mag_[i] >> (64 - bits);
  }
  r.trim();
  return r;
}

BigInt BigInt::shr_trunc(int64_t n) const {
  if (n < 0) throw std::invalid_argument("BigInt::shr_trunc: negative shift");
  if (n == 0) return *this;
  const auto limbs = static_cast<size_t>(n / 64);
  const int bits = static_cast<int>(n % 64);
  BigInt r;
  if (limbs >= mag_.size()) return r;
  r.neg_ = neg_;
  r.mag_.assign(mag_.size() - limbs, 0);
  for (size_t i = 0; i < r.mag_.size(); ++i) {
    r.mag_[i] = mag_[i + limbs] >> bits;
    if (bits != 0 && i + limbs + 1 < mag_.size()) r.mag_[i] |= mag_[i + limbs + 1] << (64 - bits);
  }
  r.trim();
  return r;
}

int BigInt::compare(const BigInt& o) const {
  if (sign() != o.sign()) return sign() < o.sign() ? -1 : 1;
  const int c = cmp_mag(mag_, o.mag_);
  return neg_ ? -c : c;
}

bool BigInt::fits_i64() const {
  if (mag_.size() > 1) return false;
  if (mag_.empty()) return true;
  return neg_ ? mag_[0] <= (uint64_t{1} << 63) : mag_[0] < (uint64_t{1} << 63);
}

int64_t BigInt::to_i64() const {
  if (!fits_i64()) throw std::overflow_error("BigInt::to_i64: value exceeds int64");
  if (mag_.empty()) return 0;
  return neg_ ? static_cast<int64_t>(~mag_[0] + 1) : static_cast<int64_t>(mag_[0]);
}

std::string BigInt::to_string() const {
  if (is_zero()) return "0";
  constexpr uint64_t kChunk = 10000000000000000000ull;  // 10^19
  Limbs m = mag_;
  std::vector<uint64_t> parts;
  while (!m.empty()) parts.push_back(divmod_small(&m, kChunk));
  std::string s = neg_ ? "-" : "";
  s += std::to_string(parts.back());
  for (size_t i = parts.size() - 1; i-- > 0;) {
    const std::string p = std::to_string(parts[i]);
    s += std::string(19 - p.size(), '0') + p;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Dyadic
// ---------------------------------------------------------------------------------------------
Dyadic::Dyadic(BigInt mantissa, int64_t exponent) : m_(std::move(mantissa)), e_(exponent) {
  if (m_.is_zero()) {
    e_ = 0;
    return;
  }
  const int64_t tz = m_.trailing_zeros();
  if (tz > 0) {
    m_ = m_.shr_trunc(tz);
    e_ += tz;
  }
}

Dyadic Dyadic::from_double(double x) {
  if (!std::isfinite(x)) throw std::invalid_argument("Dyadic::from_double: value is not finite");
  if (x == 0) return {};
  int ex = 0;
  const double fr = std::frexp(x, &ex);  // x = fr * 2^ex, 0.5 <= |fr| < 1, fr has <= 53 bits
  const auto m = static_cast<int64_t>(std::ldexp(fr, 53));
  return Dyadic(BigInt(m), static_cast<int64_t>(ex) - 53);
}

Dyadic Dyadic::operator+(const Dyadic& o) const {
  if (o.is_zero()) return *this;
  if (is_zero()) return o;
  const int64_t lo = std::min(e_, o.e_);
  // Fast path: both mantissas fit 64 bits and the aligned sum fits 127 bits.
  if (m_.limb_count() == 1 && o.m_.limb_count() == 1) {
    const int64_t da = e_ - lo, db = o.e_ - lo;
    if (da <= 62 && db <= 62) {
      // |a|, |b| < 2^126, so a + b cannot overflow 128 bits.
      __int128 a = static_cast<__int128>(m_.limb(0)) << da;
      __int128 b = static_cast<__int128>(o.m_.limb(0)) << db;
      if (m_.negative()) a = -a;
      if (o.m_.negative()) b = -b;
      return Dyadic(BigInt::from_i128(a + b), lo);
    }
  }
  return Dyadic(m_.shl(e_ - lo) + o.m_.shl(o.e_ - lo), lo);
}

Dyadic Dyadic::operator*(const Dyadic& o) const {
  if (is_zero() || o.is_zero()) return {};
  return Dyadic(m_ * o.m_, e_ + o.e_);  // odd * odd is odd: already canonical
}

int Dyadic::compare(const Dyadic& o) const { return (*this - o).sign(); }

__int128 Dyadic::to_i128() const {
  if (!is_integer())
    throw std::invalid_argument("Dyadic::to_i128: " + to_string() + " is not an integer");
  if (m_.is_zero()) return 0;
  if (m_.bit_length() + e_ > 126)
    throw std::overflow_error("Dyadic::to_i128: value exceeds 126 bits");
  const BigInt v = m_.shl(e_);
  u128 mag = 0;
  for (size_t i = v.limb_count(); i-- > 0;) mag = (mag << 64) | v.limb(i);
  const auto s = static_cast<__int128>(mag);
  return v.negative() ? -s : s;
}

double Dyadic::to_double() const {
  return round_to_float(*this, FloatFormat::fp64(), RoundMode::kNearestEven);
}

std::string Dyadic::to_string() const {
  if (m_.is_zero()) return "0";
  if (e_ >= 0) return m_.shl(e_).to_string();
  // m * 2^e = m * 5^-e / 10^-e: the digits of |m| * 5^-e with -e of them after the point.
  const int64_t n = -e_;
  BigInt p(1);
  const BigInt five13(1220703125);  // 5^13 fits 31 bits
  int64_t left = n;
  for (; left >= 13; left -= 13) p = p * five13;
  for (; left > 0; --left) p = p * BigInt(5);
  std::string d = ((m_.negative() ? -m_ : m_) * p).to_string();
  if (static_cast<int64_t>(d.size()) <= n)
    d = std::string(static_cast<size_t>(n + 1 - d.size()), '0') + d;
  d.insert(d.size() - static_cast<size_t>(n), ".");
  return (m_.negative() ? "-" : "") + d;
}

std::string Dyadic::to_dyadic_string() const {
  if (is_zero()) return "0";
  return m_.to_string() + "*2^" + std::to_string(e_);
}

// ---------------------------------------------------------------------------------------------
// Float formats and rounding
// ---------------------------------------------------------------------------------------------
double FloatFormat::max_finite() const {
  return std::ldexp(static_cast<double>((uint64_t{1} << (man_bits + 1)) - 1), emax() - man_bits);
}

double FloatFormat::min_normal() const { return std::ldexp(1.0, emin()); }

double FloatFormat::min_subnormal() const {
  return subnormals ? std::ldexp(1.0, emin() - man_bits) : min_normal();
}

void FloatFormat::validate() const {
  if (exp_bits < 1 || exp_bits > 11)
    throw std::invalid_argument("FloatFormat " + name() + ": exp_bits must be 1..11");
  if (man_bits < 0 || man_bits > 52)
    throw std::invalid_argument("FloatFormat " + name() + ": man_bits must be 0..52");
  if (emax() < emin())
    throw std::invalid_argument("FloatFormat " + name() + ": no normal exponent");
  if (emax() > 1023 || emin() - man_bits < -1074)
    throw std::invalid_argument("FloatFormat " + name() + ": values are not all doubles");
}

bool FloatFormat::contains(double x) const {
  if (!std::isfinite(x)) return false;
  return round_to_float(x, *this, RoundMode::kTowardZero) == x;
}

std::string FloatFormat::name() const {
  std::string s = "fp(e" + std::to_string(exp_bits) + ",m" + std::to_string(man_bits);
  if (exp_bits >= 1 && exp_bits <= 30 && bias != (1 << (exp_bits - 1)) - 1)
    s += ",bias=" + std::to_string(bias);
  if (!ieee_specials) s += ",nospecials";
  if (!subnormals) s += ",ftz";
  if (overflow == FloatOverflow::kSaturate) s += ",sat";
  return s + ")";
}

namespace {

// round_to_float for a validated format.
double round_unchecked(const Dyadic& x, const FloatFormat& f, RoundMode mode) {
  if (x.is_zero()) return 0.0;
  const bool neg = x.sign() < 0;
  const BigInt& m = x.mantissa();  // odd; |x| = |m| * 2^e
  const int64_t e = x.exponent();
  const int64_t ex = x.log2_floor();
  const int mb = f.man_bits;
  // Quantum: the weight of the last mantissa bit of the result (fixed at emin - M for
  // subnormals; with flush-to-zero the exponent is unbounded below).
  const int64_t q = (f.subnormals ? std::max<int64_t>(ex, f.emin()) : ex) - mb;
  uint64_t r = 0;  // |x| / 2^q rounded to an integer: at most 2^(M+1)
  if (e >= q) {
    // Exact: |m| has at most M + 1 - (e - q) bits.
    r = m.limb(0) << (e - q);
  } else {
    const int64_t d = q - e;
    const BigInt t = m.shr_trunc(d);
    r = t.is_zero() ? 0 : t.limb(0);
    const bool half = m.bit(d - 1);
    const bool sticky = m.low_bits_nonzero(d - 1);
    bool up = false;
    switch (mode) {
      case RoundMode::kNearestEven:
        up = half && (sticky || (r & 1) != 0);
        break;
      case RoundMode::kNearestAway:
        up = half;
        break;
      case RoundMode::kTowardZero:
        up = false;
        break;
    }
    r += up ? 1 : 0;
  }
  const double sgn = neg ? -1.0 : 1.0;
  if (r == 0) return sgn * 0.0;
  const int64_t top = q + (64 - __builtin_clzll(r)) - 1;  // floor(log2) of the rounded value
  if (top > f.emax()) {
    const bool to_inf =
        f.ieee_specials && f.overflow == FloatOverflow::kInfinity && mode != RoundMode::kTowardZero;
    return sgn * (to_inf ? HUGE_VAL : f.max_finite());
  }
  if (!f.subnormals && top < f.emin()) return sgn * 0.0;
  return sgn * std::ldexp(static_cast<double>(r), static_cast<int>(q));
}

}  // namespace

double round_to_float(const Dyadic& x, const FloatFormat& f, RoundMode mode) {
  f.validate();
  return round_unchecked(x, f, mode);
}

double round_to_float(double x, const FloatFormat& f, RoundMode mode) {
  f.validate();
  if (!std::isfinite(x)) return x;
  if (x == 0) return x;
  return round_unchecked(Dyadic::from_double(x), f, mode);
}

// ---------------------------------------------------------------------------------------------
// Matrices and weights
// ---------------------------------------------------------------------------------------------
RealMatrix DyadicMatrix::to_double() const {
  RealMatrix r(rows, cols);
  for (size_t i = 0; i < v.size(); ++i) r.v[i] = v[i].to_double();
  return r;
}

void check_activations(const RealMatrix& a, ActType t) {
  if (a.v.size() != static_cast<size_t>(a.rows * a.cols))
    throw std::invalid_argument("check_activations: matrix size does not match rows x cols");
  for (int64_t r = 0; r < a.rows; ++r)
    for (int64_t c = 0; c < a.cols; ++c) {
      const double x = a.at(r, c);
      bool ok = std::isfinite(x);
      switch (t) {
        case ActType::kInt8:
          ok = ok && x == std::nearbyint(x) && x >= -128 && x <= 127;
          break;
        case ActType::kInt16:
          ok = ok && x == std::nearbyint(x) && x >= -32768 && x <= 32767;
          break;
        case ActType::kFp16:
          ok = ok && FloatFormat::fp16().contains(x);
          break;
        case ActType::kBf16:
          ok = ok && FloatFormat::bf16().contains(x);
          break;
        case ActType::kAny:
          break;
      }
      if (!ok)
        throw std::invalid_argument(
            "check_activations: a(" + std::to_string(r) + ", " + std::to_string(c) +
            ") = " + Dyadic::from_double(std::isfinite(x) ? x : 0.0).to_string() +
            (std::isfinite(x) ? "" : " (not finite)") + " is not a value of the activation type");
    }
}

void GroupedWeights::validate() const {
  if (k < 0 || n < 0) throw std::invalid_argument("GroupedWeights: negative dimension");
  if (group_size <= 0) throw std::invalid_argument("GroupedWeights: group_size must be positive");
  const auto gn = static_cast<size_t>(groups() * n);
  if (q.size() != static_cast<size_t>(k * n))
    throw std::invalid_argument("GroupedWeights: q has " + std::to_string(q.size()) +
                                " entries, K x N = " + std::to_string(k * n));
  if (scale.size() != gn)
    throw std::invalid_argument("GroupedWeights: scale has " + std::to_string(scale.size()) +
                                " entries, groups x N = " + std::to_string(gn));
  if (!zero.empty() && zero.size() != gn)
    throw std::invalid_argument("GroupedWeights: zero has " + std::to_string(zero.size()) +
                                " entries, groups x N = " + std::to_string(gn));
  for (const std::vector<double>* vec : {&q, &scale, &zero})
    for (double x : *vec)
      if (!std::isfinite(x)) throw std::invalid_argument("GroupedWeights: a value is not finite");
}

GroupedWeights GroupedWeights::from_codes(const ElementFormat& fmt, int64_t k, int64_t n,
                                          const std::vector<uint32_t>& codes, int64_t group_size,
                                          std::vector<double> scale, std::vector<double> zero) {
  const int64_t groups = group_size > 0 ? (k + group_size - 1) / group_size : 0;
  return from_codes(std::vector<const ElementFormat*>(static_cast<size_t>(groups * n), &fmt), k, n,
                    codes, group_size, std::move(scale), std::move(zero));
}

GroupedWeights GroupedWeights::from_codes(const std::vector<const ElementFormat*>& formats,
                                          int64_t k, int64_t n, const std::vector<uint32_t>& codes,
                                          int64_t group_size, std::vector<double> scale,
                                          std::vector<double> zero) {
  GroupedWeights w;
  w.k = k;
  w.n = n;
  w.group_size = group_size;
  w.scale = std::move(scale);
  w.zero = std::move(zero);
  if (group_size <= 0) throw std::invalid_argument("GroupedWeights: group_size must be positive");
  if (codes.size() != static_cast<size_t>(k * n))
    throw std::invalid_argument("GroupedWeights::from_codes: codes has " +
                                std::to_string(codes.size()) +
                                " entries, K x N = " + std::to_string(k * n));
  if (formats.size() != static_cast<size_t>(w.groups() * n))
    throw std::invalid_argument("GroupedWeights::from_codes: formats must have groups x N entries");
  w.q.resize(codes.size());
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c) {
      const ElementFormat* f = formats[static_cast<size_t>(kk / group_size * n + c)];
      if (f == nullptr) throw std::invalid_argument("GroupedWeights::from_codes: null format");
      const uint32_t code = codes[static_cast<size_t>(kk * n + c)];
      const double v = f->valid_code(code) ? f->decode(code) : NAN;
      if (!std::isfinite(v))
        throw std::invalid_argument("GroupedWeights::from_codes: code " + std::to_string(code) +
                                    " at (" + std::to_string(kk) + ", " + std::to_string(c) +
                                    ") is not a finite value of " + f->name());
      w.q[static_cast<size_t>(kk * n + c)] = v;
    }
  w.validate();
  return w;
}

GroupedWeights GroupedWeights::from_quant(const QuantResult& r, const QuantScheme& scheme) {
  if (r.group_rows <= 0) throw std::invalid_argument("GroupedWeights::from_quant: no groups");
  const int64_t groups = (r.rows + r.group_rows - 1) / r.group_rows;
  std::vector<const ElementFormat*> formats(static_cast<size_t>(groups * r.cols));
  std::vector<double> scale(formats.size()), zero(formats.size());
  bool any_zero = false;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < r.cols; ++c) {
      const auto gi = static_cast<size_t>(r.group_of(g * r.group_rows, c));
      const auto i = static_cast<size_t>(g * r.cols + c);
      const size_t sel = gi < r.selectors.size() ? r.selectors[gi] : 0;
      if (gi >= r.scales.size() || sel >= scheme.candidates.size())
        throw std::invalid_argument("GroupedWeights::from_quant: result and scheme disagree");
      formats[i] = scheme.candidates[sel].get();
      scale[i] = r.scales[gi];
      zero[i] = gi < r.zero_points.size() ? r.zero_points[gi] : 0;
      any_zero = any_zero || zero[i] != 0;
    }
  return from_codes(formats, r.rows, r.cols, r.codes, r.group_rows, std::move(scale),
                    any_zero ? std::move(zero) : std::vector<double>{});
}

// ---------------------------------------------------------------------------------------------
// Exact GEMM
// ---------------------------------------------------------------------------------------------
namespace {

void check_shapes(const char* who, const RealMatrix& a, const GroupedWeights& w) {
  w.validate();
  if (a.v.size() != static_cast<size_t>(a.rows * a.cols))
    throw std::invalid_argument(std::string(who) + ": activation size does not match rows x cols");
  if (a.cols != w.k)
    throw std::invalid_argument(std::string(who) + ": inner dimensions differ (A has " +
                                std::to_string(a.cols) + " columns, B has " + std::to_string(w.k) +
                                " rows)");
  for (double x : a.v)
    if (!std::isfinite(x))
      throw std::invalid_argument(std::string(who) + ": an activation is not finite");
}

std::vector<Dyadic> to_exact(const std::vector<double>& v) {
  std::vector<Dyadic> r;
  r.reserve(v.size());
  for (double x : v) r.push_back(Dyadic::from_double(x));
  return r;
}

}  // namespace

DyadicMatrix gemm_quant_exact(const RealMatrix& a, const GroupedWeights& w) {
  check_shapes("gemm_quant_exact", a, w);
  const std::vector<Dyadic> ax = to_exact(a.v);
  // (q - z) per weight, and the scales.
  std::vector<Dyadic> wz(w.q.size());
  for (int64_t kk = 0; kk < w.k; ++kk)
    for (int64_t c = 0; c < w.n; ++c)
      wz[static_cast<size_t>(kk * w.n + c)] =
          Dyadic::from_double(w.q_at(kk, c)) - Dyadic::from_double(w.zero_at(kk / w.group_size, c));
  const std::vector<Dyadic> sx = to_exact(w.scale);
  DyadicMatrix c(a.rows, w.n);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < w.n; ++j) {
      Dyadic total;
      for (int64_t g = 0; g < w.groups(); ++g) {
        Dyadic part;  // sum over the group of a * (q - z), then one multiplication by the scale
        const int64_t k1 = std::min(w.k, (g + 1) * w.group_size);
        for (int64_t kk = g * w.group_size; kk < k1; ++kk)
          part += ax[static_cast<size_t>(i * a.cols + kk)] * wz[static_cast<size_t>(kk * w.n + j)];
        total += part * sx[static_cast<size_t>(g * w.n + j)];
      }
      c.at(i, j) = total;
    }
  return c;
}

RealMatrix gemm_quant_exact_double(const RealMatrix& a, const GroupedWeights& w) {
  return gemm_quant_exact(a, w).to_double();
}

// ---------------------------------------------------------------------------------------------
// Accumulator oracle
// ---------------------------------------------------------------------------------------------
std::string AccSpec::name() const {
  if (kind == Kind::kInt)
    return "int" + std::to_string(int_format.bits) +
           (int_format.overflow == Overflow::kWrap ? "(wrap)" : "(sat)");
  const char* r = round == RoundMode::kNearestEven  ? "rne"
                  : round == RoundMode::kTowardZero ? "rtz"
                                                    : "rna";
  return float_format.name() + "/" + r;
}

namespace {

// A value in flight: exact when finite, with the IEEE sign bit (which matters only for zeros);
// a non-finite value (an accumulator that overflowed to inf, or NaN) is carried as a double.
struct Exact {
  Dyadic x;            ///< the value if finite
  bool neg = false;    ///< sign bit
  bool finite = true;  ///< false: `special` holds +-inf or NaN
  double special = 0;  ///< the non-finite value

  static Exact of(double d) {
    Exact e;
    e.neg = std::signbit(d);
    if (std::isfinite(d)) {
      e.x = Dyadic::from_double(d);
    } else {
      e.finite = false;
      e.special = d;
    }
    return e;
  }
  static Exact of(const Dyadic& d) {
    Exact e;
    e.x = d;
    e.neg = d.sign() < 0;
    return e;
  }
  double as_double() const { return finite ? x.to_double() : special; }  // for non-finite math
  Exact operator-() const {
    Exact e = *this;
    e.neg = !e.neg;
    e.x = -e.x;
    e.special = -e.special;
    return e;
  }
};

// IEEE product: exact if both are finite; sign is the xor of the signs.
Exact mul(const Exact& a, const Exact& b) {
  if (!a.finite || !b.finite) return Exact::of(a.as_double() * b.as_double());
  Exact e;
  e.x = a.x * b.x;
  e.neg = a.neg != b.neg;
  return e;
}

// IEEE difference of finite values, exact: a zero result is -0 only for (-0) - (+0).
Exact sub(const Exact& a, const Exact& b) {
  Exact e;
  e.x = a.x - b.x;
  e.neg = e.x.is_zero() ? (a.neg && !b.neg) : e.x.sign() < 0;
  return e;
}

// An accumulator's register: an integer, or a double holding a value of the float format
// (or +-inf / NaN).
struct AccValue {
  int64_t i = 0;
  double f = 0.0;
};

class Accumulator {
 public:
  explicit Accumulator(const AccSpec& s) : s_(s) {}
  bool is_int() const { return s_.kind == AccSpec::Kind::kInt; }

  // The register's value as an exact term.
  Exact value(const AccValue& v) const {
    return is_int() ? Exact::of(Dyadic::from_int(v.i)) : Exact::of(v.f);
  }

  // A term brought into the accumulator's format before it is added: a float rounds it once;
  // an integer takes it as it is (it must be an integer: integer products are exact).
  Exact round(const Exact& t) const {
    if (is_int()) {
      check_int(t);
      return t;
    }
    if (!t.finite) return t;
    if (t.x.is_zero()) return t;
    return Exact::of(round_unchecked(t.x, s_.float_format, s_.round));
  }

  // acc + t computed exactly and rounded once (float), or wrapped/saturated (integer).
  AccValue add(const AccValue& acc, const Exact& t) const {
    AccValue r;
    if (is_int()) {
      check_int(t);
      r.i = s_.int_format.fit(static_cast<__int128>(acc.i) + t.x.to_i128());
      return r;
    }
    if (!std::isfinite(acc.f) || !t.finite) {
      r.f = acc.f + t.as_double();  // IEEE: inf + finite = inf, inf - inf = NaN, NaN stays
      return r;
    }
    const Dyadic sum = Dyadic::from_double(acc.f) + t.x;
    if (sum.is_zero()) {
      r.f = std::signbit(acc.f) && t.neg ? -0.0 : 0.0;  // exact zero: +0 unless (-0) + (-0)
      return r;
    }
    r.f = round_unchecked(sum, s_.float_format, s_.round);
    return r;
  }

 private:
  void check_int(const Exact& t) const {
    if (!t.finite || !t.x.is_integer())
      throw std::invalid_argument(
          "gemm_quant_accumulate: integer accumulator " + s_.name() + " would receive " +
          (t.finite ? "the non-integer value " + t.x.to_string() : std::string("inf/NaN")));
  }
  AccSpec s_;
};

// sum over k in [k0, k1) of term(k), in chunks of `chunk` (see HwGemmConfig::k_chunk).
template <typename Term>
AccValue sum_chunked(const Accumulator& acc, int64_t k0, int64_t k1, int64_t chunk, bool fused,
                     const Term& term) {
  AccValue total;
  for (int64_t c0 = k0; c0 < k1;) {
    const int64_t c1 = chunk >= k1 - c0 ? k1 : c0 + chunk;
    AccValue part;
    for (int64_t kk = c0; kk < c1; ++kk) {
      const Exact t = term(kk);
      part = acc.add(part, fused ? t : acc.round(t));
    }
    total = acc.add(total, acc.value(part));
    c0 = c1;
  }
  return total;
}

void check_spec(const AccSpec& s) {
  if (s.kind == AccSpec::Kind::kFloat) {
    s.float_format.validate();
  } else if (s.int_format.bits < 8 || s.int_format.bits > 64) {
    throw std::invalid_argument("gemm_quant_accumulate: integer accumulator bits must be 8..64");
  }
}

std::vector<AccValue> accumulate(const RealMatrix& a, const GroupedWeights& w,
                                 const HwGemmConfig& cfg) {
  check_shapes("gemm_quant_accumulate", a, w);
  if (cfg.k_chunk <= 0)
    throw std::invalid_argument("gemm_quant_accumulate: k_chunk must be positive");
  check_spec(cfg.acc);
  if (cfg.dequant == Dequant::kPerGroup) check_spec(cfg.group_acc);
  const Accumulator out(cfg.acc), grp(cfg.group_acc);

  std::vector<Exact> ax(a.v.size());
  for (size_t i = 0; i < a.v.size(); ++i) ax[i] = Exact::of(a.v[i]);
  std::vector<Exact> sx(w.scale.size()), zx(w.scale.size());
  for (size_t i = 0; i < w.scale.size(); ++i) {
    sx[i] = Exact::of(w.scale[i]);
    zx[i] = Exact::of(w.zero.empty() ? 0.0 : w.zero[i]);
  }
  // Per weight: q, q - z and s * (q - z), all exact.
  const size_t kn = w.q.size();
  std::vector<Exact> qx(kn), qz(kn), sqz(kn);
  for (int64_t kk = 0; kk < w.k; ++kk)
    for (int64_t c = 0; c < w.n; ++c) {
      const auto i = static_cast<size_t>(kk * w.n + c);
      const auto g = static_cast<size_t>(kk / w.group_size * w.n + c);
      qx[i] = Exact::of(w.q[i]);
      qz[i] = sub(qx[i], zx[g]);
      sqz[i] = mul(sx[g], qz[i]);
    }

  std::vector<AccValue> res(static_cast<size_t>(a.rows * w.n));
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < w.n; ++j) {
      const Exact* arow = &ax[static_cast<size_t>(i * a.cols)];
      auto at = [&](int64_t kk) { return static_cast<size_t>(kk * w.n + j); };
      AccValue total;
      if (cfg.dequant == Dequant::kPerElement) {
        total = sum_chunked(out, 0, w.k, cfg.k_chunk, cfg.fused_products,
                            [&](int64_t kk) { return mul(arow[kk], sqz[at(kk)]); });
      } else {
        for (int64_t g = 0; g < w.groups(); ++g) {
          const int64_t k0 = g * w.group_size, k1 = std::min(w.k, k0 + w.group_size);
          const auto gi = static_cast<size_t>(g * w.n + j);
          AccValue partial;
          if (cfg.zero_point == ZeroPointMode::kInTerm) {
            partial = sum_chunked(grp, k0, k1, cfg.k_chunk, cfg.fused_products,
                                  [&](int64_t kk) { return mul(arow[kk], qz[at(kk)]); });
          } else {
            const AccValue p = sum_chunked(grp, k0, k1, cfg.k_chunk, cfg.fused_products,
                                           [&](int64_t kk) { return mul(arow[kk], qx[at(kk)]); });
            const AccValue s = sum_chunked(grp, k0, k1, cfg.k_chunk, cfg.fused_products,
                                           [&](int64_t kk) { return arow[kk]; });
            const Exact zs = mul(zx[gi], grp.value(s));
            partial = grp.add(p, -(cfg.fused_products ? zs : grp.round(zs)));
          }
          const Exact d = mul(grp.value(partial), sx[gi]);
          total = out.add(total, cfg.fused_scale ? d : out.round(d));
        }
      }
      res[static_cast<size_t>(i * w.n + j)] = total;
    }
  return res;
}

}  // namespace

RealMatrix gemm_quant_accumulate(const RealMatrix& a, const GroupedWeights& w,
                                 const HwGemmConfig& cfg) {
  const std::vector<AccValue> r = accumulate(a, w, cfg);
  RealMatrix c(a.rows, w.n);
  const bool is_int = cfg.acc.kind == AccSpec::Kind::kInt;
  for (size_t i = 0; i < r.size(); ++i) {
    if (is_int && (r[i].i > (int64_t{1} << 53) || r[i].i < -(int64_t{1} << 53)))
      throw std::overflow_error(
          "gemm_quant_accumulate: integer result exceeds 2^53 (use gemm_quant_accumulate_int)");
    c.v[i] = is_int ? static_cast<double>(r[i].i) : r[i].f;
  }
  return c;
}

IntMatrix gemm_quant_accumulate_int(const RealMatrix& a, const GroupedWeights& w,
                                    const HwGemmConfig& cfg) {
  if (cfg.acc.kind != AccSpec::Kind::kInt)
    throw std::invalid_argument(
        "gemm_quant_accumulate_int: the output accumulator is not an integer");
  const std::vector<AccValue> r = accumulate(a, w, cfg);
  IntMatrix c(a.rows, w.n);
  for (size_t i = 0; i < r.size(); ++i) c.v[i] = r[i].i;
  return c;
}

}  // namespace tpesim::num
