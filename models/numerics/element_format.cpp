// Element formats: code tables, round-to-nearest encoding through a precomputed sorted grid,
// and BitMoD's bit-serial term decomposition (Chen et al., HPCA 2025, Sec. III-IV).
#include "models/numerics/element_format.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <utility>

namespace tpesim::num {

namespace {

constexpr int kMaxTableBits = 16;

[[noreturn]] void bad(const std::string& msg) { throw std::invalid_argument(msg); }

std::string code_str(uint32_t code) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", code);
  return buf;
}

/// Shortest decimal that reads back as exactly `v`, with an explicit sign ("+5", "-2.5").
std::string signed_shortest(double v) {
  if (v == 0) {
    v = 0.0;  // -0 prints as +0
  }
  char buf[40];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%+.*g", prec, v);
    if (std::strtod(buf, nullptr) == v) {
      break;
    }
  }
  return buf;
}

/// Parses a whole string as a non-negative decimal integer without sign or leading zeros.
bool parse_uint(const std::string& s, int max_digits, int* out) {
  if (s.empty() || static_cast<int>(s.size()) > max_digits) {
    return false;
  }
  if (s.size() > 1 && s[0] == '0') {
    return false;
  }
  int v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') {
      return false;
    }
    v = v * 10 + (ch - '0');
  }
  *out = v;
  return true;
}

/// The named float formats by name (the bases extended floats may be built on).
bool named_float(const std::string& name, FloatElement* out) {
  static const std::pair<const char*, FloatElement (*)()> kNamed[] = {
      {"fp3", fp3},           {"fp4_e2m1", fp4_e2m1}, {"fp6_e2m3", fp6_e2m3},
      {"fp6_e3m2", fp6_e3m2}, {"fp8_e4m3", fp8_e4m3}, {"fp8_e5m2", fp8_e5m2},
      {"fp16", fp16},         {"bf16", bf16},
  };
  for (const auto& [n, make] : kNamed) {
    if (name == n) {
      *out = make();
      return true;
    }
  }
  return false;
}

/// True if a > 0 is a power of two; then *p = log2(a).
bool power_of_two(double a, int* p) {
  int e = 0;
  const double f = std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1)
  if (f != 0.5) {
    return false;
  }
  *p = e - 1;
  return true;
}

/// Floats whose codes have a term decomposition: no spare codes and a 1- or 2-bit significand.
bool float_has_terms(const FloatSpec& s) {
  return s.specials == FloatSpecials::kNone && s.man_bits <= 1;
}

/// Terms of a basic float code (see the header): 1 + man_bits terms.
std::vector<Term> float_terms(const FloatSpec& s, uint32_t code) {
  const uint32_t m = s.man_bits ? code & 1u : 0u;
  const uint32_t e = (code >> s.man_bits) & ((1u << s.exp_bits) - 1);
  const int sign = (s.has_sign && ((code >> (s.exp_bits + s.man_bits)) & 1u)) ? -1 : 1;
  const int E = e == 0 ? 1 - s.bias : static_cast<int>(e) - s.bias;
  std::vector<Term> t;
  t.push_back(Term{sign, E, e != 0 ? 1 : 0, 0});
  if (s.man_bits == 1) {
    t.push_back(Term{sign, E, static_cast<int>(m), -1});
  }
  return t;
}

/// The two terms of an extended float's special value (see the header).
std::vector<Term> special_terms(double v, const std::string& fmt) {
  if (v == 0) {
    return {Term{1, 0, 0, 0}, Term{1, 0, 0, -1}};
  }
  const int sg = v < 0 ? -1 : 1;
  const double a = std::fabs(v);
  int p = 0;
  if (power_of_two(a, &p)) {
    return {Term{sg, p, 1, 0}, Term{sg, p, 0, -1}};
  }
  int e = 0;
  std::frexp(a, &e);
  p = e - 1;  // 2^p < a < 2^(p+1)
  int q = 0;
  if (power_of_two(a - std::ldexp(1.0, p), &q)) {
    return {Term{sg, p, 1, 0}, Term{sg, q + 1, 1, -1}};
  }
  if (power_of_two(std::ldexp(1.0, p + 1) - a, &q)) {
    return {Term{sg, p + 1, 1, 0}, Term{-sg, q + 1, 1, -1}};
  }
  bad("bitserial_terms: special value " + signed_shortest(v) + " of " + fmt +
      " is not a sum or difference of two powers of two");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ElementFormat

const ElementFormat::Table& ElementFormat::table() const {
  if (const Table* t = cache_->table.load(std::memory_order_acquire)) {
    return *t;
  }
  std::lock_guard<std::mutex> lock(cache_->mu);
  if (const Table* t = cache_->table.load(std::memory_order_relaxed)) {
    return *t;
  }

  const int b = bits();
  if (b < 1 || b > kMaxTableBits) {
    bad(name() + ": " + std::to_string(b) + " bits; code tables need 1.." +
        std::to_string(kMaxTableBits));
  }
  std::vector<std::pair<double, uint32_t>> vc;
  vc.reserve(size_t{1} << b);
  for (uint32_t c = 0; c < (1u << b); ++c) {
    if (!valid_code(c)) {
      continue;
    }
    const double v = decode(c);
    if (std::isfinite(v)) {
      vc.emplace_back(v == 0 ? 0.0 : v, c);
    }
  }
  if (vc.empty()) {
    bad(name() + ": no finite value");
  }
  // Codes are enumerated in increasing order and the sort is stable: among equal values the
  // first kept is the smallest code (+0 before -0).
  std::stable_sort(vc.begin(), vc.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  auto t = std::make_unique<Table>();
  for (const auto& [v, c] : vc) {
    if (!t->values.empty() && t->values.back() == v) {
      continue;
    }
    t->values.push_back(v);
    t->codes.push_back(c);
  }
  t->mids.reserve(t->values.size());
  for (size_t i = 0; i + 1 < t->values.size(); ++i) {
    t->mids.push_back(t->values[i] / 2 + t->values[i + 1] / 2);
  }
  cache_->owned = std::move(t);
  cache_->table.store(cache_->owned.get(), std::memory_order_release);
  return *cache_->owned;
}

uint32_t ElementFormat::encode(double x) const {
  if (std::isnan(x)) {
    bad(name() + ": encode(NaN)");
  }
  const Table& t = table();
  const size_t i = std::lower_bound(t.mids.begin(), t.mids.end(), x) - t.mids.begin();
  if (i == t.mids.size()) {
    return t.codes.back();  // above the last midpoint: saturate at max
  }
  if (t.mids[i] == x) {
    // Exact tie between values[i] and values[i + 1]: the smaller magnitude wins (+v on +-v).
    return std::fabs(t.values[i]) < std::fabs(t.values[i + 1]) ? t.codes[i] : t.codes[i + 1];
  }
  return t.codes[i];  // x < mids[i]: values[i] is nearest (below mids[0]: saturate at min)
}

std::vector<double> ElementFormat::grid() const { return table().values; }

double ElementFormat::max_abs() const {
  const Table& t = table();
  return std::max(std::fabs(t.values.front()), std::fabs(t.values.back()));
}

// ---------------------------------------------------------------------------------------------
// IntElement

IntElement::IntElement(int bits, IntKind kind, int zero_point)
    : bits_(bits), kind_(kind), zp_(zero_point) {
  if (bits < 2 || bits > 16) {
    bad("IntElement: " + std::to_string(bits) + " bits; need 2..16");
  }
  if (kind == IntKind::kAsymmetric) {
    if (zero_point < 0 || zero_point > (1 << bits) - 1) {
      bad("IntElement: zero point " + std::to_string(zero_point) + " outside the codes 0.." +
          std::to_string((1 << bits) - 1));
    }
  } else if (zero_point != 0) {
    bad("IntElement: a zero point (" + std::to_string(zero_point) + ") needs IntKind::kAsymmetric");
  }
}

std::string IntElement::name() const {
  const std::string b = std::to_string(bits_);
  switch (kind_) {
    case IntKind::kTwosComplement:
      return "int" + b;
    case IntKind::kSymmetric:
      return "int" + b + "_sym";
    case IntKind::kUnsigned:
      return "uint" + b;
    case IntKind::kAsymmetric:
      return "int" + b + "_asym(zp=" + std::to_string(zp_) + ")";
  }
  return "int?";
}

bool IntElement::valid_code(uint32_t code) const {
  if (code >= (1u << bits_)) {
    return false;
  }
  return !(kind_ == IntKind::kSymmetric && code == (1u << (bits_ - 1)));
}

double IntElement::decode(uint32_t code) const {
  if (!valid_code(code)) {
    bad(name() + ": invalid code " + code_str(code));
  }
  switch (kind_) {
    case IntKind::kTwosComplement:
    case IntKind::kSymmetric:
      return (code >> (bits_ - 1)) ? static_cast<double>(static_cast<int>(code) - (1 << bits_))
                                   : static_cast<double>(code);
    case IntKind::kUnsigned:
      return static_cast<double>(code);
    case IntKind::kAsymmetric:
      return static_cast<double>(static_cast<int>(code) - zp_);
  }
  return 0;
}

int IntElement::min_value() const {
  switch (kind_) {
    case IntKind::kTwosComplement:
      return -(1 << (bits_ - 1));
    case IntKind::kSymmetric:
      return -(1 << (bits_ - 1)) + 1;
    case IntKind::kUnsigned:
      return 0;
    case IntKind::kAsymmetric:
      return -zp_;
  }
  return 0;
}

int IntElement::max_value() const {
  switch (kind_) {
    case IntKind::kTwosComplement:
    case IntKind::kSymmetric:
      return (1 << (bits_ - 1)) - 1;
    case IntKind::kUnsigned:
      return (1 << bits_) - 1;
    case IntKind::kAsymmetric:
      return (1 << bits_) - 1 - zp_;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// FloatElement, E8M0Element, named formats

FloatElement::FloatElement(std::string name, FloatSpec spec) : name_(std::move(name)), spec_(spec) {
  if (spec.exp_bits < 1 || spec.man_bits < 0) {
    bad("FloatElement " + name_ + ": needs exp_bits >= 1 and man_bits >= 0");
  }
  if (spec.exp_bits + spec.man_bits + (spec.has_sign ? 1 : 0) > kMaxTableBits) {
    bad("FloatElement " + name_ + ": more than " + std::to_string(kMaxTableBits) + " bits");
  }
}

double FloatElement::decode(uint32_t code) const {
  if (!valid_code(code)) {
    bad(name_ + ": invalid code " + code_str(code));
  }
  const int M = spec_.man_bits, E = spec_.exp_bits;
  const uint32_t man_mask = (1u << M) - 1, exp_mask = (1u << E) - 1;
  const uint32_t m = code & man_mask;
  const uint32_t e = (code >> M) & exp_mask;
  const bool neg = spec_.has_sign && ((code >> (E + M)) & 1u);
  if (spec_.specials == FloatSpecials::kIeee && e == exp_mask) {
    if (m != 0) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (spec_.specials == FloatSpecials::kNanOnly && e == exp_mask && m == man_mask) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double mag =
      e == 0 ? std::ldexp(static_cast<double>(m), 1 - spec_.bias - M)
             : std::ldexp(static_cast<double>((1u << M) + m), static_cast<int>(e) - spec_.bias - M);
  if (mag == 0) {
    return 0.0;
  }
  return neg ? -mag : mag;
}

double E8M0Element::decode(uint32_t code) const {
  if (!valid_code(code)) {
    bad("e8m0: invalid code " + code_str(code));
  }
  if (code == 0xFF) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return std::ldexp(1.0, static_cast<int>(code) - 127);
}

FloatElement fp3() { return FloatElement("fp3", {2, 0, 1, FloatSpecials::kNone, true}); }
FloatElement fp4_e2m1() { return FloatElement("fp4_e2m1", {2, 1, 1, FloatSpecials::kNone, true}); }
FloatElement fp6_e2m3() { return FloatElement("fp6_e2m3", {2, 3, 1, FloatSpecials::kNone, true}); }
FloatElement fp6_e3m2() { return FloatElement("fp6_e3m2", {3, 2, 3, FloatSpecials::kNone, true}); }
FloatElement fp8_e4m3() {
  return FloatElement("fp8_e4m3", {4, 3, 7, FloatSpecials::kNanOnly, true});
}
FloatElement fp8_e5m2() { return FloatElement("fp8_e5m2", {5, 2, 15, FloatSpecials::kIeee, true}); }
FloatElement fp16() { return FloatElement("fp16", {5, 10, 15, FloatSpecials::kIeee, true}); }
FloatElement bf16() { return FloatElement("bf16", {8, 7, 127, FloatSpecials::kIeee, true}); }

// ---------------------------------------------------------------------------------------------
// ExtendedFloat

ExtendedFloat::ExtendedFloat(FloatElement base, double special)
    : base_(std::move(base)), special_(special == 0 ? 0.0 : special) {
  if (!base_.spec().has_sign) {
    bad("ExtendedFloat: base " + base_.name() + " has no sign bit, hence no negative zero");
  }
  if (!std::isfinite(special)) {
    bad("ExtendedFloat: special value must be finite");
  }
}

std::string ExtendedFloat::name() const { return base_.name() + signed_shortest(special_); }

double ExtendedFloat::decode(uint32_t code) const {
  if (!valid_code(code)) {
    bad(name() + ": invalid code " + code_str(code));
  }
  return code == special_code() ? special_ : base_.decode(code);
}

SpecialTable bitmod_fp3_specials() { return SpecialTable{{3.0, -3.0, 6.0, -6.0}}; }
SpecialTable bitmod_fp4_specials() { return SpecialTable{{5.0, -5.0, 8.0, -8.0}}; }

// ---------------------------------------------------------------------------------------------
// make_format

std::unique_ptr<ElementFormat> make_format(const std::string& name) {
  if (name == "e8m0") {
    return std::make_unique<E8M0Element>();
  }
  FloatElement f = fp3();
  if (named_float(name, &f)) {
    return std::make_unique<FloatElement>(f);
  }

  // Extended float: "<named float>[+-]<number>".
  const size_t sgn = name.find_first_of("+-");
  if (sgn != std::string::npos && sgn > 0) {
    if (!named_float(name.substr(0, sgn), &f) || !f.spec().has_sign) {
      return nullptr;
    }
    const std::string num = name.substr(sgn);
    if (num.size() < 2 || !(std::isdigit(static_cast<unsigned char>(num[1])) || num[1] == '.')) {
      return nullptr;
    }
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size() || !std::isfinite(v)) {
      return nullptr;
    }
    return std::make_unique<ExtendedFloat>(f, v);
  }

  // Integers: uintN, intN, intN_sym, intN_asym(zp=Z).
  int bits = 0;
  if (name.rfind("uint", 0) == 0) {
    if (!parse_uint(name.substr(4), 2, &bits) || bits < 2 || bits > 16) {
      return nullptr;
    }
    return std::make_unique<IntElement>(bits, IntKind::kUnsigned);
  }
  if (name.rfind("int", 0) != 0) {
    return nullptr;
  }
  const std::string rest = name.substr(3);
  const size_t us = rest.find('_');
  if (!parse_uint(rest.substr(0, us), 2, &bits) || bits < 2 || bits > 16) {
    return nullptr;
  }
  if (us == std::string::npos) {
    return std::make_unique<IntElement>(bits, IntKind::kTwosComplement);
  }
  const std::string kind = rest.substr(us);
  if (kind == "_sym") {
    return std::make_unique<IntElement>(bits, IntKind::kSymmetric);
  }
  const std::string pre = "_asym(zp=";
  if (kind.rfind(pre, 0) == 0 && kind.back() == ')') {
    int zp = 0;
    if (!parse_uint(kind.substr(pre.size(), kind.size() - pre.size() - 1), 5, &zp) ||
        zp > (1 << bits) - 1) {
      return nullptr;
    }
    return std::make_unique<IntElement>(bits, IntKind::kAsymmetric, zp);
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Bit-serial terms

double Term::value() const { return sign * mantissa * std::ldexp(1.0, exp + significance); }

namespace {

/// Booth width W (even) of an integer format: the narrowest two's complement holding all values.
int booth_width(const IntElement& f) {
  const int lo = f.min_value(), hi = f.max_value();
  int w = 1;
  while (lo < -(1 << (w - 1)) || hi > (1 << (w - 1)) - 1) {
    ++w;
  }
  return w + (w & 1);
}

std::vector<Term> booth_terms(int64_t v, int width) {
  std::vector<Term> t;
  t.reserve(width / 2);
  const uint64_t u = static_cast<uint64_t>(v);  // two's complement bits, sign-extended
  auto bit = [u](int i) { return i < 0 ? 0 : static_cast<int>((u >> i) & 1u); };
  for (int i = 0; i < width / 2; ++i) {
    const int d = -2 * bit(2 * i + 1) + bit(2 * i) + bit(2 * i - 1);
    t.push_back(Term{d < 0 ? -1 : 1, std::abs(d) == 2 ? 1 : 0, d != 0 ? 1 : 0, 2 * i});
  }
  return t;
}

}  // namespace

std::vector<Term> bitserial_terms(const ElementFormat& f, uint32_t code) {
  if (!f.valid_code(code)) {
    bad("bitserial_terms: invalid code " + code_str(code) + " of " + f.name());
  }
  if (const auto* i = dynamic_cast<const IntElement*>(&f)) {
    return booth_terms(static_cast<int64_t>(i->decode(code)), booth_width(*i));
  }
  if (const auto* fl = dynamic_cast<const FloatElement*>(&f)) {
    if (!float_has_terms(fl->spec())) {
      bad("bitserial_terms: " + f.name() + " has no bit-serial term decomposition");
    }
    return float_terms(fl->spec(), code);
  }
  if (const auto* x = dynamic_cast<const ExtendedFloat*>(&f)) {
    const FloatSpec& s = x->base().spec();
    if (!float_has_terms(s)) {
      bad("bitserial_terms: " + f.name() + " has no bit-serial term decomposition");
    }
    if (code == x->special_code()) {
      return special_terms(x->special(), f.name());
    }
    std::vector<Term> t = float_terms(s, code);
    if (t.size() == 1) {
      t.push_back(Term{t[0].sign, t[0].exp, 0, -1});
    }
    return t;
  }
  bad("bitserial_terms: " + f.name() + " has no bit-serial term decomposition");
}

int bitserial_term_count(const ElementFormat& f) {
  if (const auto* i = dynamic_cast<const IntElement*>(&f)) {
    return booth_width(*i) / 2;
  }
  if (const auto* fl = dynamic_cast<const FloatElement*>(&f)) {
    if (float_has_terms(fl->spec())) {
      return 1 + fl->spec().man_bits;
    }
  } else if (const auto* x = dynamic_cast<const ExtendedFloat*>(&f)) {
    if (float_has_terms(x->base().spec())) {
      return 2;
    }
  }
  bad("bitserial_term_count: " + f.name() + " has no bit-serial term decomposition");
}

}  // namespace tpesim::num
