// BitMoD PE arithmetic (Chen et al., HPCA 2025, Sec. IV); specification in docs/bitmod-pe.md.
#include "models/numerics/bitmod_pe.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

namespace tpesim::num::bitmod {

namespace {

using u128 = unsigned __int128;

int bit_length(u128 x) {
  int n = 0;
  while (x != 0) {
    ++n;
    x >>= 1;
  }
  return n;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("BitmodPeParams: " + what);
}

/// The largest exponent field of the accumulator (all ones: finite, no specials).
int acc_field_max(const BitmodPeParams& p) { return (1 << p.acc_exp_bits) - 1; }

/// Rounds (-1)^neg * n * 2^e (exact, n < 2^127) into the accumulator.
AccReg round_into_acc(bool neg, u128 n, int e, const BitmodPeParams& p, bool* overflow) {
  if (overflow) *overflow = false;
  AccReg r;
  if (n == 0) return r;  // +0
  const int P = p.acc_precision();
  const int emin = 1 - p.acc_bias;
  const int t = e + bit_length(n) - 1;  // exponent of the leading bit
  int q = std::max(t, emin) - (P - 1);  // exponent of the result's LSB (quantum)
  u128 m;
  if (q <= e) {
    m = n << (e - q);  // exact; m < 2^P
  } else {
    const int sh = q - e;
    if (sh >= 128) {
      m = 0;  // n < 2^127 <= half a quantum: rounds to zero
    } else {
      m = n >> sh;
      const u128 rem = n - (m << sh);
      const u128 half = static_cast<u128>(1) << (sh - 1);
      if (rem > half || (rem == half && (m & 1) != 0)) ++m;  // nearest, ties to even
    }
  }
  if (m == (static_cast<u128>(1) << P)) {  // rounding carried out of P bits
    m >>= 1;
    ++q;
  }
  if (m == 0) return r;  // underflow to +0
  int field = (m >> (P - 1)) != 0 ? q + (P - 1) + p.acc_bias : 0;
  if (field > acc_field_max(p)) {  // saturate
    if (overflow) *overflow = true;
    field = acc_field_max(p);
    m = (static_cast<u128>(1) << P) - 1;
  }
  r.sign = neg;
  r.exp_field = field;
  r.man = static_cast<uint64_t>(m);
  return r;
}

/// A signed operand (-1)^neg * mag * 2^e for the exact accumulator addition.
struct Operand {
  bool neg;
  uint64_t mag;
  int e;
};

/// Exact a + b (mags < 2^64) as (neg, n, e) with n < 2^127, up to a sticky proxy: when the
/// smaller operand lies entirely more than 64 binades below the larger one's leading bit it is
/// replaced by one unit 66 binades below that bit, which rounds identically at any precision
/// <= 60 bits (it is below half a quantum and nonzero with the right sign).
void exact_add(Operand a, Operand b, bool* neg, u128* n, int* e) {
  if (a.mag == 0) std::swap(a, b);
  if (b.mag == 0) {
    *neg = a.neg;
    *n = a.mag;
    *e = a.e;
    return;
  }
  const int top_a = a.e + bit_length(a.mag);
  const int top_b = b.e + bit_length(b.mag);
  if (top_a < top_b) std::swap(a, b);  // a has the higher leading bit
  const int top_hi = std::max(top_a, top_b);
  if (top_hi - std::min(top_a, top_b) > 64) {
    b.mag = 1;
    b.e = top_hi - 66;
  }
  const int ec = std::min(a.e, b.e);
  const u128 x = static_cast<u128>(a.mag) << (a.e - ec);
  const u128 y = static_cast<u128>(b.mag) << (b.e - ec);
  *e = ec;
  if (a.neg == b.neg) {
    *neg = a.neg;
    *n = x + y;
  } else if (x >= y) {
    *neg = a.neg;
    *n = x - y;
  } else {
    *neg = b.neg;
    *n = y - x;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------

FloatFormat BitmodPeParams::acc_float_format() const {
  FloatFormat f(acc_exp_bits, acc_man_bits - 2, acc_bias);
  f.ieee_specials = false;
  f.subnormals = true;
  f.overflow = FloatOverflow::kSaturate;
  return f;
}

void BitmodPeParams::validate() const {
  require(lanes >= 1 && lanes <= 8, "lanes must be 1..8, got " + std::to_string(lanes));
  require(guard_bits >= 0 && guard_bits <= 40,
          "guard_bits must be 0..40, got " + std::to_string(guard_bits));
  require(acc_exp_bits >= 2 && acc_exp_bits <= 11,
          "acc_exp_bits must be 2..11, got " + std::to_string(acc_exp_bits));
  require(acc_man_bits >= 3 && acc_man_bits <= 41,
          "acc_man_bits must be 3..41, got " + std::to_string(acc_man_bits));
  require(scale_bits >= 1 && scale_bits <= 16,
          "scale_bits must be 1..16, got " + std::to_string(scale_bits));
  require(column_add_cycles >= 0, "column_add_cycles must be >= 0");
  out_format.validate();
  acc_float_format().validate();
}

ActOperand unpack_fp16(uint16_t code) {
  const int e = (code >> 10) & 0x1F;
  if (e == 0x1F) throw std::invalid_argument("bitmod PE: FP16 infinity/NaN activation");
  ActOperand a;
  a.sign = (code >> 15) != 0;
  a.exp = std::max(e, 1) - 15;
  a.man = (e != 0 ? 0x400u : 0u) | (code & 0x3FFu);
  return a;
}

ExpMatch exp_match(const ActOperand* acts, const Term* terms, int lanes) {
  ExpMatch m;
  int pe[8];
  for (int i = 0; i < lanes; ++i) {
    m.zero[i] = terms[i].mantissa == 0 || acts[i].man == 0;
    m.neg[i] = acts[i].sign != (terms[i].sign < 0);
    pe[i] = acts[i].exp + terms[i].exp;
    if (!m.zero[i]) {
      m.max_exp = m.any ? std::max(m.max_exp, pe[i]) : pe[i];
      m.any = true;
    }
  }
  for (int i = 0; i < lanes; ++i) m.shift[i] = m.zero[i] ? 0 : m.max_exp - pe[i];
  return m;
}

uint64_t align_round(uint32_t product_man, int shift, int guard_bits) {
  const int sh = shift - guard_bits;  // net right shift of the integer product_man
  if (sh <= 0) return static_cast<uint64_t>(product_man) << (-sh);
  if (sh > 40) return 0;  // product_man < 2^11: far below half a unit
  const uint64_t x = product_man;
  const uint64_t kept = x >> sh;
  const uint64_t rem = x - (kept << sh);
  const uint64_t half = 1ull << (sh - 1);
  return kept + ((rem > half || (rem == half && (kept & 1))) ? 1 : 0);
}

TreeOut bitserial_dot(const ActOperand* acts, const Term* terms, const BitmodPeParams& p) {
  const ExpMatch m = exp_match(acts, terms, p.lanes);
  TreeOut out;
  for (int i = 1; i < p.lanes; ++i) {
    if (terms[i].significance != terms[0].significance)
      throw std::invalid_argument("bitserial_dot: lanes with different significance");
  }
  out.scale_exp = m.max_exp + terms[0].significance - 10 - p.guard_bits;
  for (int i = 0; i < p.lanes; ++i) {
    if (m.zero[i]) continue;
    const uint32_t prod = acts[i].man;  // 1-bit term mantissa (1 here) x 11-bit mantissa
    const int64_t a = static_cast<int64_t>(align_round(prod, m.shift[i], p.guard_bits));
    out.sum += m.neg[i] ? -a : a;
  }
  return out;
}

double acc_value(const AccReg& r, const BitmodPeParams& p) {
  const double v = std::ldexp(static_cast<double>(r.man), acc_lsb_exp(r, p));
  return r.sign ? -v : v;
}

int acc_lsb_exp(const AccReg& r, const BitmodPeParams& p) {
  return std::max(r.exp_field, 1) - p.acc_bias - (p.acc_precision() - 1);
}

AccReg acc_round(bool neg, uint64_t mag, int exp, const BitmodPeParams& p, bool* overflow) {
  return round_into_acc(neg, mag, exp, p, overflow);
}

AccReg acc_add(const AccReg& acc, const TreeOut& x, const BitmodPeParams& p, bool* overflow) {
  bool neg;
  u128 n;
  int e;
  const Operand a{acc.sign, acc.man, acc_lsb_exp(acc, p)};
  const uint64_t xm = static_cast<uint64_t>(x.sum < 0 ? -x.sum : x.sum);
  const Operand b{x.sum < 0, xm, x.scale_exp};
  exact_add(a, b, &neg, &n, &e);
  return round_into_acc(neg, n, e, p, overflow);
}

DequantOut dequant_serial(const AccReg& acc, uint32_t q, const BitmodPeParams& p) {
  if (q >> p.scale_bits)
    throw std::invalid_argument("dequant_serial: scale " + std::to_string(q) + " exceeds " +
                                std::to_string(p.scale_bits) + " bits");
  DequantOut d;
  d.sign = acc.sign;
  d.exp = acc_lsb_exp(acc, p);
  uint64_t r = 0;
  for (int b = p.scale_bits - 1; b >= 0; --b) r = (r << 1) + (((q >> b) & 1) ? acc.man : 0);
  d.man = r;
  if (d.man == 0) d.sign = false;
  return d;
}

double column_add(double out, const DequantOut& d, const BitmodPeParams& p) {
  const BigInt m(static_cast<int64_t>(d.man));
  const Dyadic x(d.sign ? -m : m, d.exp);
  return round_to_float(Dyadic::from_double(out) + x, p.out_format, RoundMode::kNearestEven);
}

double apply_channel_scale(double out, double channel_scale, const BitmodPeParams& p) {
  return round_to_float(Dyadic::from_double(out) * Dyadic::from_double(channel_scale), p.out_format,
                        RoundMode::kNearestEven);
}

// ---------------------------------------------------------------------------------------

void BitmodWeights::validate(const BitmodPeParams& p) const {
  auto fail = [](const std::string& s) { throw std::invalid_argument("BitmodWeights: " + s); };
  if (k <= 0 || n <= 0 || group_size <= 0) fail("k, n and group_size must be positive");
  const size_t gn = static_cast<size_t>(groups() * n);
  if (codes.size() != static_cast<size_t>(k * n)) fail("codes must hold K x N entries");
  if (formats.size() != gn || scale_q.size() != gn) fail("formats/scale_q must hold groups x N");
  if (channel_scale.size() != static_cast<size_t>(n)) fail("channel_scale must hold N entries");
  for (size_t i = 0; i < gn; ++i) {
    if (!formats[i]) fail("null format of group " + std::to_string(i));
    bitserial_term_count(*formats[i]);  // throws for formats without terms
    if (scale_q[i] >> p.scale_bits) fail("scale_q exceeds scale_bits at " + std::to_string(i));
  }
  for (int64_t c = 0; c < n; ++c) {
    const double s = channel_scale[static_cast<size_t>(c)];
    if (!std::isfinite(s) || round_to_fp16(s) != s)
      fail("channel_scale of column " + std::to_string(c) + " is not a finite FP16 value");
  }
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c) {
      const auto& f = *formats[static_cast<size_t>((kk / group_size) * n + c)];
      if (!f.valid_code(codes[static_cast<size_t>(kk * n + c)]))
        fail("invalid code at (" + std::to_string(kk) + ", " + std::to_string(c) + ")");
    }
}

GroupedWeights BitmodWeights::to_grouped() const {
  GroupedWeights g;
  g.k = k;
  g.n = n;
  g.group_size = group_size;
  g.q.resize(static_cast<size_t>(k * n));
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c) {
      const size_t i = static_cast<size_t>(kk * n + c);
      g.q[i] = formats[static_cast<size_t>((kk / group_size) * n + c)]->decode(codes[i]);
    }
  g.scale.resize(static_cast<size_t>(groups() * n));
  for (int64_t gg = 0; gg < groups(); ++gg)
    for (int64_t c = 0; c < n; ++c) {
      const size_t i = static_cast<size_t>(gg * n + c);
      g.scale[i] = static_cast<double>(scale_q[i]) * channel_scale[static_cast<size_t>(c)];
    }
  g.validate();
  return g;
}

BitmodWeights bitmod_weights_from_quant(const QuantResult& r, const QuantScheme& scheme) {
  if (r.config.scale != ScaleFormat::kInt8)
    throw std::invalid_argument("bitmod_weights_from_quant: needs ScaleFormat::kInt8");
  if (scheme.asymmetric)
    throw std::invalid_argument("bitmod_weights_from_quant: asymmetric schemes unsupported");
  if (r.config.granularity == Granularity::kPerTensor)
    throw std::invalid_argument("bitmod_weights_from_quant: per-tensor unsupported");
  BitmodWeights w;
  w.k = r.rows;
  w.n = r.cols;
  w.group_size = r.group_rows;
  w.codes = r.codes;
  const int64_t g = w.groups();
  w.formats.resize(static_cast<size_t>(g * w.n));
  w.scale_q.resize(static_cast<size_t>(g * w.n));
  for (int64_t gg = 0; gg < g; ++gg)
    for (int64_t c = 0; c < w.n; ++c) {
      const int64_t gi = r.group_of(gg * w.group_size, c);
      const size_t i = static_cast<size_t>(gg * w.n + c);
      w.formats[i] = scheme.candidates.at(r.selectors.at(static_cast<size_t>(gi)));
      w.scale_q[i] = r.scale_codes.at(static_cast<size_t>(gi));
    }
  w.channel_scale = r.channel_scales;
  return w;
}

// ---------------------------------------------------------------------------------------

namespace {

/// Terms of every code of a format, computed once per format object.
class TermCache {
 public:
  const std::vector<Term>& terms(const ElementFormat& f, uint32_t code) {
    auto it = cache_.find(&f);
    if (it == cache_.end()) {
      std::vector<std::vector<Term>> all(static_cast<size_t>(1) << f.bits());
      for (uint32_t c = 0; c < all.size(); ++c)
        if (f.valid_code(c)) all[c] = bitserial_terms(f, c);
      it = cache_.emplace(&f, std::move(all)).first;
    }
    return it->second[code];
  }

 private:
  std::map<const ElementFormat*, std::vector<std::vector<Term>>> cache_;
};

/// Stages 1-3 over one group of one output.
AccReg group_sum(const ActOperand* acts, const uint32_t* codes, int64_t len, int64_t stride,
                 const ElementFormat& fmt, const BitmodPeParams& p, TermCache& tc) {
  const int nt = bitserial_term_count(fmt);
  AccReg acc;
  const Term zero_term{1, 0, 0, 0};
  for (int64_t k0 = 0; k0 < len; k0 += p.lanes) {
    ActOperand a[8];
    const std::vector<Term>* w[8] = {};
    for (int i = 0; i < p.lanes; ++i) {
      if (k0 + i < len) {
        a[i] = acts[k0 + i];
        w[i] = &tc.terms(fmt, codes[(k0 + i) * stride]);
      }
    }
    for (int t = 0; t < nt; ++t) {
      Term terms[8];
      for (int i = 0; i < p.lanes; ++i) {
        if (w[i]) {
          terms[i] = (*w[i])[static_cast<size_t>(t)];
        } else {  // missing lane of a short group: zero activation, bubble term
          terms[i] = zero_term;
          terms[i].significance = (*w[0])[static_cast<size_t>(t)].significance;
        }
      }
      acc = acc_add(acc, bitserial_dot(a, terms, p), p);
    }
  }
  return acc;
}

RealMatrix gemm_impl(const std::vector<ActOperand>& acts, int64_t m, const BitmodWeights& w,
                     const BitmodPeParams& p) {
  p.validate();
  w.validate(p);
  TermCache tc;
  RealMatrix out(m, w.n);
  for (int64_t r = 0; r < m; ++r) {
    const ActOperand* arow = acts.data() + r * w.k;
    for (int64_t c = 0; c < w.n; ++c) {
      double total = 0.0;
      for (int64_t g = 0; g < w.groups(); ++g) {
        const int64_t k0 = g * w.group_size;
        const int64_t len = std::min(w.group_size, w.k - k0);
        const size_t gi = static_cast<size_t>(g * w.n + c);
        const AccReg part =
            group_sum(arow + k0, w.codes.data() + k0 * w.n + c, len, w.n, *w.formats[gi], p, tc);
        total = column_add(total, dequant_serial(part, w.scale_q[gi], p), p);
      }
      out.at(r, c) = apply_channel_scale(total, w.channel_scale[static_cast<size_t>(c)], p);
    }
  }
  return out;
}

}  // namespace

AccReg group_partial_sum(const std::vector<ActOperand>& acts, const std::vector<uint32_t>& codes,
                         const ElementFormat& fmt, const BitmodPeParams& p) {
  if (acts.size() != codes.size())
    throw std::invalid_argument("group_partial_sum: acts and codes differ in length");
  p.validate();
  TermCache tc;
  if (acts.empty()) return AccReg{};
  return group_sum(acts.data(), codes.data(), static_cast<int64_t>(acts.size()), 1, fmt, p, tc);
}

RealMatrix gemm_bitmod(const RealMatrix& a, const BitmodWeights& w, const BitmodPeParams& p) {
  if (a.cols != w.k) throw std::invalid_argument("gemm_bitmod: A has K != weights' K");
  check_activations(a, ActType::kFp16);
  std::vector<ActOperand> acts(a.v.size());
  for (size_t i = 0; i < a.v.size(); ++i)
    acts[i] = unpack_fp16(static_cast<uint16_t>(fp16_bits(a.v[i])));
  return gemm_impl(acts, a.rows, w, p);
}

RealMatrix gemm_bitmod(const std::vector<uint16_t>& a_codes, int64_t m, const BitmodWeights& w,
                       const BitmodPeParams& p) {
  if (a_codes.size() != static_cast<size_t>(m * w.k))
    throw std::invalid_argument("gemm_bitmod: activation codes must hold M x K entries");
  std::vector<ActOperand> acts(a_codes.size());
  for (size_t i = 0; i < a_codes.size(); ++i) acts[i] = unpack_fp16(a_codes[i]);
  return gemm_impl(acts, m, w, p);
}

// ---------------------------------------------------------------------------------------

int cycles_per_weight(const ElementFormat& f) { return bitserial_term_count(f); }

int64_t group_term_cycles(const ElementFormat& f, int64_t group_size, const BitmodPeParams& p) {
  return static_cast<int64_t>(cycles_per_weight(f)) * ((group_size + p.lanes - 1) / p.lanes);
}

int64_t pe_output_cycles(const std::vector<int64_t>& term_cycles, const BitmodPeParams& p) {
  int64_t start = 0;    // first term cycle of the current group
  int64_t deq_end = 0;  // cycle at which the dequantiser becomes free
  for (const int64_t tc : term_cycles) {
    const int64_t deq_start = std::max(start + tc, deq_end);
    deq_end = deq_start + p.scale_bits;
    start = deq_start;  // the partial sum moves into the dequantiser: next group may start
  }
  return deq_end + p.column_add_cycles;
}

}  // namespace tpesim::num::bitmod
