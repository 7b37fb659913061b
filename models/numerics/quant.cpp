#include "models/numerics/quant.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace tpesim::num {

// ---- FP16 rounding of scales ----

double round_to_fp16(double x) {
  if (std::isnan(x)) return x;
  const double a = std::fabs(x);
  if (a == 0) return x;
  // 65520 = 65504 + half an ulp: the tie rounds to even, i.e. up to 2^16 = overflow.
  if (a >= 65520.0) return std::copysign(std::numeric_limits<double>::infinity(), x);
  const int e = std::ilogb(a);
  const double quantum = e < -14 ? 0x1.0p-24 : std::ldexp(1.0, e - 10);
  const double r = std::nearbyint(a / quantum) * quantum;  // default mode: ties to even
  return std::copysign(r, x);
}

double round_up_fp16(double x) {
  if (!(x >= 0) || !std::isfinite(x))
    throw std::invalid_argument("round_up_fp16: argument must be finite and >= 0");
  double r = round_to_fp16(x);
  if (r < x) {
    if (r >= 65504.0) return std::numeric_limits<double>::infinity();
    r += r < 0x1.0p-14 ? 0x1.0p-24 : std::ldexp(1.0, std::ilogb(r) - 10);
  }
  return r;
}

uint32_t fp16_bits(double v) {
  const uint32_t sign = std::signbit(v) ? 0x8000u : 0u;
  const double a = std::fabs(v);
  if (std::isinf(a)) return sign | 0x7C00u;
  if (a == 0) return sign;
  if (a < 0x1.0p-14) return sign | static_cast<uint32_t>(a / 0x1.0p-24);
  const int e = std::ilogb(a);
  const uint32_t man = static_cast<uint32_t>(a / std::ldexp(1.0, e - 10)) - 1024u;
  return sign | (static_cast<uint32_t>(e + 15) << 10) | man;
}

// ---- names ----

const char* to_string(ScaleFormat s) {
  switch (s) {
    case ScaleFormat::kExact:
      return "exact";
    case ScaleFormat::kFp16:
      return "fp16";
    case ScaleFormat::kInt8:
      return "int8";
    case ScaleFormat::kE8M0:
      return "e8m0";
  }
  return "?";
}

bool parse_scale_format(const std::string& s, ScaleFormat* out) {
  for (ScaleFormat f :
       {ScaleFormat::kExact, ScaleFormat::kFp16, ScaleFormat::kInt8, ScaleFormat::kE8M0})
    if (s == to_string(f)) {
      *out = f;
      return true;
    }
  return false;
}

int scale_bits(ScaleFormat s) {
  switch (s) {
    case ScaleFormat::kExact:
      return 64;
    case ScaleFormat::kFp16:
      return 16;
    case ScaleFormat::kInt8:
      return 8;
    case ScaleFormat::kE8M0:
      return 8;
  }
  return 0;
}

// ---- schemes ----

QuantScheme single_format(std::shared_ptr<const ElementFormat> f) {
  QuantScheme s;
  s.name = f->name();
  s.candidates.push_back(std::move(f));
  return s;
}

QuantScheme asymmetric_int(int bits) {
  if (bits < 2 || bits > 16)
    throw std::invalid_argument("asymmetric_int: bits must be 2..16, got " + std::to_string(bits));
  QuantScheme s;
  s.name = "int" + std::to_string(bits) + "_asym";
  s.candidates.push_back(std::make_shared<IntElement>(bits, IntKind::kUnsigned));
  s.asymmetric = true;
  return s;
}

QuantScheme bitmod_mixture(const FloatElement& base, const SpecialTable& table,
                           const std::string& name) {
  QuantScheme s;
  s.name = name;
  for (double sp : table.values) {
    s.candidates.push_back(std::make_shared<ExtendedFloat>(base, sp));
    s.specials.push_back(sp);
  }
  return s;
}

QuantScheme plain_mixture(std::vector<std::shared_ptr<const ElementFormat>> candidates,
                          const std::string& name) {
  QuantScheme s;
  s.name = name;
  s.candidates = std::move(candidates);
  return s;
}

QuantScheme mxfp4() {
  QuantScheme s = single_format(std::make_shared<FloatElement>(fp4_e2m1()));
  s.name = "mxfp4";
  s.fixed_group = 32;
  s.fixed_scale = ScaleFormat::kE8M0;
  return s;
}

std::optional<QuantScheme> make_scheme(const std::string& name) {
  if (name == "bitmod_fp4") return bitmod_mixture(fp4_e2m1(), bitmod_fp4_specials(), name);
  if (name == "bitmod_fp3") return bitmod_mixture(fp3(), bitmod_fp3_specials(), name);
  if (name == "mxfp4") return mxfp4();
  const std::string suffix = "_asym";
  if (name.size() > 3 + suffix.size() && name.compare(0, 3, "int") == 0 &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    const std::string digits = name.substr(3, name.size() - 3 - suffix.size());
    if (digits.size() <= 2 && std::all_of(digits.begin(), digits.end(), [](char ch) {
          return std::isdigit(static_cast<unsigned char>(ch)) != 0;
        })) {
      const int b = std::stoi(digits);
      if (b >= 2 && b <= 16 && std::to_string(b) == digits) return asymmetric_int(b);
    }
    return std::nullopt;
  }
  std::unique_ptr<ElementFormat> f = make_format(name);
  if (!f) return std::nullopt;
  return single_format(std::shared_ptr<const ElementFormat>(std::move(f)));
}

std::vector<std::string> standard_schemes() {
  return {"int4_sym", "int4_asym", "int3_sym",   "int3_asym", "fp4_e2m1",
          "fp3",      "mxfp4",     "bitmod_fp4", "bitmod_fp3"};
}

// ---- quantisation ----

namespace {

int selector_bits(size_t candidates) {
  int b = 0;
  while ((size_t{1} << b) < candidates) ++b;
  return b;
}

QuantConfig effective_config(const QuantScheme& scheme, const QuantConfig& cfg) {
  QuantConfig c = cfg;
  if (scheme.fixed_group > 0) {
    c.granularity = Granularity::kPerGroup;
    c.group_size = scheme.fixed_group;
  }
  if (scheme.fixed_scale) c.scale = *scheme.fixed_scale;
  return c;
}

/// A candidate prepared for quantisation.
struct Prepared {
  const ElementFormat* f = nullptr;
  double gmin = 0, gmax = 0;  ///< smallest and largest grid value
  std::vector<double> value;  ///< decode(code) for every valid code
  uint32_t zero_code = 0;     ///< encode(0)
  int bits = 0;
};

Prepared prepare(const ElementFormat& f) {
  Prepared p;
  p.f = &f;
  p.bits = f.bits();
  const std::vector<double> g = f.grid();
  if (g.empty()) throw std::invalid_argument("quantize: format " + f.name() + " has no values");
  p.gmin = g.front();
  p.gmax = g.back();
  p.value.assign(size_t{1} << p.bits, 0.0);
  for (uint32_t c = 0; c < (1u << p.bits); ++c)
    if (f.valid_code(c)) p.value[c] = f.decode(c);
  p.zero_code = f.encode(0.0);
  return p;
}

/// The exact scale s of a group with extremes [wmin, wmax] for a candidate (banner rules).
double exact_scale(const Prepared& p, bool asymmetric, double wmin, double wmax) {
  if (asymmetric) {
    const double lo = std::min(wmin, 0.0), hi = std::max(wmax, 0.0);
    return (hi - lo) / static_cast<double>((1u << p.bits) - 1);
  }
  double s = 0;
  if (wmax > 0 && p.gmax > 0) s = std::max(s, wmax / p.gmax);
  if (wmin < 0 && p.gmin < 0) s = std::max(s, wmin / p.gmin);
  return s;
}

struct Stored {
  double scale = 0;
  uint32_t code = 0;
};

/// The stored scale of an exact scale s (S: the channel's scale-of-scales for kInt8).
Stored store_scale(double s, ScaleFormat fmt, double channel_s) {
  Stored r;
  switch (fmt) {
    case ScaleFormat::kExact:
      r.scale = s;
      break;
    case ScaleFormat::kFp16:
      r.scale = round_to_fp16(s);
      if (std::isinf(r.scale))
        throw std::invalid_argument("quantize: scale " + std::to_string(s) +
                                    " exceeds the FP16 range (65504)");
      r.code = fp16_bits(r.scale);
      break;
    case ScaleFormat::kInt8: {
      if (channel_s == 0) break;
      const double q = std::min(255.0, std::max(0.0, std::round(s / channel_s)));
      r.scale = q * channel_s;
      r.code = static_cast<uint32_t>(q);
      break;
    }
    case ScaleFormat::kE8M0: {
      int p = -127;
      if (s > 0) {
        int e = 0;
        const double m = std::frexp(s, &e);  // s = m 2^e, m in [0.5, 1)
        p = (m == 0.5) ? e - 1 : e;          // smallest 2^p >= s
        if (p > 127)
          throw std::invalid_argument("quantize: scale " + std::to_string(s) +
                                      " exceeds the E8M0 range (2^127)");
        p = std::max(p, -127);
      }
      r.scale = std::ldexp(1.0, p);
      r.code = static_cast<uint32_t>(p + 127);
      break;
    }
  }
  return r;
}

/// Nearest integer, ties toward zero (ElementFormat::encode's rule on an integer grid).
double round_ties_to_zero(double y) {
  const double t = std::trunc(y);
  const double f = y - t;
  if (f > 0.5) return t + 1;
  if (f < -0.5) return t - 1;
  return t;
}

}  // namespace

double metadata_bits_per_weight(const QuantScheme& scheme, const QuantConfig& cfg_in, int64_t rows,
                                int64_t cols) {
  const QuantConfig cfg = effective_config(scheme, cfg_in);
  double per_group = scale_bits(cfg.scale) + selector_bits(scheme.candidates.size());
  if (scheme.asymmetric && !scheme.candidates.empty()) per_group += scheme.candidates[0]->bits();
  const double k = static_cast<double>(rows), n = static_cast<double>(cols);
  double group_elems = 0, channel_elems = 0;
  switch (cfg.granularity) {
    case Granularity::kPerTensor:
      group_elems = channel_elems = k * n;
      break;
    case Granularity::kPerChannel:
      group_elems = channel_elems = k;
      break;
    case Granularity::kPerGroup:
      group_elems = static_cast<double>(cfg.group_size);
      channel_elems = k;
      break;
  }
  double bits = per_group / group_elems;
  if (cfg.scale == ScaleFormat::kInt8) bits += 16.0 / channel_elems;
  return bits;
}

QuantResult quantize(const RealMatrix& w, const QuantScheme& scheme, const QuantConfig& cfg_in) {
  const QuantConfig cfg = effective_config(scheme, cfg_in);
  const int64_t K = w.rows, N = w.cols;
  if (K <= 0 || N <= 0 || static_cast<int64_t>(w.v.size()) != K * N)
    throw std::invalid_argument("quantize: empty or inconsistent matrix (" + std::to_string(K) +
                                "x" + std::to_string(N) + ")");
  if (scheme.candidates.empty())
    throw std::invalid_argument("quantize: scheme '" + scheme.name + "' has no candidates");
  if (scheme.candidates.size() > 256)
    throw std::invalid_argument("quantize: at most 256 candidates");
  for (int64_t i = 0; i < K * N; ++i)
    if (!std::isfinite(w.v[static_cast<size_t>(i)]))
      throw std::invalid_argument("quantize: weight at row " + std::to_string(i / N) + ", column " +
                                  std::to_string(i % N) + " is not finite");

  QuantResult r;
  r.scheme = scheme.name;
  r.config = cfg;
  r.rows = K;
  r.cols = N;
  switch (cfg.granularity) {
    case Granularity::kPerTensor:
      r.group_rows = K;
      r.group_cols = 1;
      break;
    case Granularity::kPerChannel:
      r.group_rows = K;
      r.group_cols = N;
      break;
    case Granularity::kPerGroup:
      if (cfg.group_size < 1 || K % cfg.group_size != 0)
        throw std::invalid_argument("quantize: group size " + std::to_string(cfg.group_size) +
                                    " does not divide K = " + std::to_string(K));
      r.group_rows = cfg.group_size;
      r.group_cols = N;
      break;
  }
  const bool per_tensor = cfg.granularity == Granularity::kPerTensor;
  const int64_t groups_along_k = K / r.group_rows;
  const int64_t num_groups = groups_along_k * r.group_cols;
  const size_t nc = scheme.candidates.size();

  std::vector<Prepared> cand;
  for (const auto& f : scheme.candidates) {
    cand.push_back(prepare(*f));
    if (scheme.asymmetric) {
      const auto* ie = dynamic_cast<const IntElement*>(f.get());
      if (nc != 1 || !ie || ie->kind() != IntKind::kUnsigned)
        throw std::invalid_argument(
            "quantize: an asymmetric scheme needs exactly one unsigned integer candidate");
    }
  }

  // Column-major copy: a group is then one contiguous run (per-tensor: the whole copy).
  std::vector<double> wt(static_cast<size_t>(K * N));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      wt[static_cast<size_t>(n * K + k)] = w.v[static_cast<size_t>(k * N + n)];
  // Group g covers wt[begin, begin + len).
  auto group_begin = [&](int64_t g) -> int64_t {
    if (per_tensor) return 0;
    const int64_t gk = g / r.group_cols, n = g % r.group_cols;
    return n * K + gk * r.group_rows;
  };
  const int64_t group_len = per_tensor ? K * N : r.group_rows;
  // Channel of a group (for kInt8 second-level scales).
  auto channel_of = [&](int64_t g) -> int64_t { return per_tensor ? 0 : g % r.group_cols; };

  // Pass 1: extremes and exact scales of every group and candidate.
  std::vector<double> gmin(static_cast<size_t>(num_groups)), gmax(static_cast<size_t>(num_groups));
  std::vector<double> exact(static_cast<size_t>(num_groups) * nc);
  for (int64_t g = 0; g < num_groups; ++g) {
    const double* p = &wt[static_cast<size_t>(group_begin(g))];
    double lo = p[0], hi = p[0];
    for (int64_t i = 1; i < group_len; ++i) {
      lo = std::min(lo, p[i]);
      hi = std::max(hi, p[i]);
    }
    gmin[static_cast<size_t>(g)] = lo;
    gmax[static_cast<size_t>(g)] = hi;
    for (size_t c = 0; c < nc; ++c)
      exact[static_cast<size_t>(g) * nc + c] = exact_scale(cand[c], scheme.asymmetric, lo, hi);
  }
  // Second-level scales: S = max exact scale in the channel / 255, rounded up to FP16.
  std::vector<double> channel_s;
  if (cfg.scale == ScaleFormat::kInt8) {
    channel_s.assign(static_cast<size_t>(per_tensor ? 1 : N), 0.0);
    for (int64_t g = 0; g < num_groups; ++g)
      for (size_t c = 0; c < nc; ++c) {
        double& s = channel_s[static_cast<size_t>(channel_of(g))];
        s = std::max(s, exact[static_cast<size_t>(g) * nc + c]);
      }
    for (double& s : channel_s) {
      s = round_up_fp16(s / 255.0);
      if (std::isinf(s))
        throw std::invalid_argument("quantize: second-level scale exceeds the FP16 range (65504)");
    }
  }

  r.dequant = RealMatrix(K, N);
  r.codes.assign(static_cast<size_t>(K * N), 0);
  r.scales.assign(static_cast<size_t>(num_groups), 0.0);
  r.scale_codes.assign(static_cast<size_t>(num_groups), 0);
  r.zero_points.assign(static_cast<size_t>(num_groups), 0);
  r.selectors.assign(static_cast<size_t>(num_groups), 0);
  r.selection_counts.assign(nc, 0);
  r.channel_scales = channel_s;

  // Pass 2: quantise every group with every candidate, keep the best.
  std::vector<uint32_t> cur_codes(static_cast<size_t>(group_len)),
      best_codes(static_cast<size_t>(group_len));
  std::vector<double> cur_vals(static_cast<size_t>(group_len)),
      best_vals(static_cast<size_t>(group_len));
  for (int64_t g = 0; g < num_groups; ++g) {
    const double* p = &wt[static_cast<size_t>(group_begin(g))];
    const double S = channel_s.empty() ? 0.0 : channel_s[static_cast<size_t>(channel_of(g))];
    double best_err = std::numeric_limits<double>::infinity();
    Stored best_scale;
    int32_t best_zp = 0;
    size_t best_c = 0;
    for (size_t c = 0; c < nc; ++c) {
      const Prepared& pc = cand[c];
      const Stored st = store_scale(exact[static_cast<size_t>(g) * nc + c], cfg.scale, S);
      const double s = st.scale;
      int32_t zp = 0;
      double err = 0;
      if (scheme.asymmetric) {
        const int64_t qmax = (int64_t{1} << pc.bits) - 1;
        if (s > 0) {
          const double lo = std::min(gmin[static_cast<size_t>(g)], 0.0);
          zp = static_cast<int32_t>(
              std::min<double>(static_cast<double>(qmax), std::max(0.0, std::round(-lo / s))));
        }
        const double vlo = -zp, vhi = static_cast<double>(qmax - zp);
        for (int64_t i = 0; i < group_len; ++i) {
          const double v = s > 0 ? std::min(vhi, std::max(vlo, round_ties_to_zero(p[i] / s))) : 0;
          cur_codes[static_cast<size_t>(i)] = static_cast<uint32_t>(v + zp);
          const double dq = v * s;
          cur_vals[static_cast<size_t>(i)] = dq;
          const double e = p[i] - dq;
          err += e * e;
        }
      } else {
        for (int64_t i = 0; i < group_len; ++i) {
          const uint32_t code = s > 0 ? pc.f->encode(p[i] / s) : pc.zero_code;
          cur_codes[static_cast<size_t>(i)] = code;
          const double dq = pc.value[code] * s;
          cur_vals[static_cast<size_t>(i)] = dq;
          const double e = p[i] - dq;
          err += e * e;
        }
      }
      if (err < best_err) {
        best_err = err;
        best_scale = st;
        best_zp = zp;
        best_c = c;
        cur_codes.swap(best_codes);
        cur_vals.swap(best_vals);
      }
    }
    r.scales[static_cast<size_t>(g)] = best_scale.scale;
    r.scale_codes[static_cast<size_t>(g)] = best_scale.code;
    r.zero_points[static_cast<size_t>(g)] = best_zp;
    r.selectors[static_cast<size_t>(g)] = static_cast<uint8_t>(best_c);
    ++r.selection_counts[best_c];
    // Back to row-major: wt index b + i is column (b + i) / K, row (b + i) % K.
    const int64_t b = group_begin(g);
    int64_t n = b / K, k = b % K;
    for (int64_t i = 0; i < group_len; ++i) {
      const size_t dst = static_cast<size_t>(k * N + n);
      r.codes[dst] = best_codes[static_cast<size_t>(i)];
      r.dequant.v[dst] = best_vals[static_cast<size_t>(i)];
      if (++k == K) {
        k = 0;
        ++n;
      }
    }
  }
  r.metadata_bits_per_weight = metadata_bits_per_weight(scheme, cfg, K, N);
  return r;
}

GroupedWeights to_grouped_weights(const QuantResult& r, const QuantScheme& scheme) {
  GroupedWeights gw;
  gw.k = r.rows;
  gw.n = r.cols;
  gw.group_size = r.group_rows;
  const int64_t groups_along_k = r.rows / r.group_rows;
  gw.q.resize(static_cast<size_t>(r.rows * r.cols));
  for (int64_t k = 0; k < r.rows; ++k)
    for (int64_t n = 0; n < r.cols; ++n) {
      const size_t i = static_cast<size_t>(k * r.cols + n);
      const size_t g = static_cast<size_t>(r.group_of(k, n));
      gw.q[i] = scheme.asymmetric ? static_cast<double>(r.codes[i])
                                  : scheme.candidates.at(r.selectors[g])->decode(r.codes[i]);
    }
  gw.scale.resize(static_cast<size_t>(groups_along_k * r.cols));
  if (scheme.asymmetric) gw.zero.resize(gw.scale.size());
  for (int64_t gk = 0; gk < groups_along_k; ++gk)
    for (int64_t n = 0; n < r.cols; ++n) {
      const size_t i = static_cast<size_t>(gk * r.cols + n);
      const size_t g = static_cast<size_t>(r.group_of(gk * r.group_rows, n));
      gw.scale[i] = r.scales[g];
      if (scheme.asymmetric) gw.zero[i] = r.zero_points[g];
    }
  return gw;
}

}  // namespace tpesim::num
