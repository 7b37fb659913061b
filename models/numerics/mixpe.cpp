#include "models/numerics/mixpe.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "models/numerics/fp_mac.hpp"
#include "models/numerics/quant.hpp"

namespace tpesim::num::mixpe {

const char* to_string(MixpeVariant v) {
  switch (v) {
    case MixpeVariant::kW4A8: return "w4a8";
    case MixpeVariant::kW4A16: return "w4a16";
    default: return "fp16xint8";
  }
}

namespace {

float bits_to_float(uint32_t b) { return fp32_from_bits(b); }
uint32_t float_to_bits(float f) { return fp32_to_bits(f); }

double fp16_value(uint16_t h) { return bits_to_float(fp16_to_fp32_bits(h)); }

bool fp16_negative(uint16_t h) { return (h >> 15) != 0; }

void check_finite_fp16(uint16_t h, const char* what) {
  if (((h >> 10) & 0x1F) == 0x1F) throw std::invalid_argument(std::string("MixPE: ") + what + " is not a finite FP16 value");
}

}  // namespace

void MixpeWeights::validate() const {
  auto fail = [](const std::string& s) { throw std::invalid_argument("MixpeWeights: " + s); };
  if (k <= 0 || n <= 0 || group_size <= 0) fail("k, n and group_size must be positive");
  if (bits < 2 || bits > 8) fail("bits must be 2..8");
  if (q.size() != static_cast<size_t>(k * n)) fail("q must hold K x N values");
  const size_t gn = static_cast<size_t>(groups() * n);
  if (scale.size() != gn || zero.size() != gn) fail("scale and zero must hold groups x N values");
  const int32_t lo = is_signed ? -(1 << (bits - 1)) : 0, hi = is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
  for (int32_t v : q)
    if (v < lo || v > hi) fail("code " + std::to_string(v) + " outside the " + std::to_string(bits) + "-bit range");
  for (int32_t z : zero)
    if (z <= -(1 << bits) || z >= (1 << bits)) fail("zero point " + std::to_string(z) + " out of range");
  for (uint16_t s : scale) check_finite_fp16(s, "a scale");
}

int64_t shift_add_int(int32_t q, int bits, bool is_signed, int32_t a) {
  const uint32_t pattern = static_cast<uint32_t>(q) & ((1u << bits) - 1u);
  int64_t sum = 0;
  for (int i = 0; i < bits; ++i) {
    if (!((pattern >> i) & 1u)) continue;
    const int64_t term = static_cast<int64_t>(a) * (int64_t{1} << i);
    sum += (is_signed && i == bits - 1) ? -term : term;
  }
  return sum;
}

uint32_t fp32_fma_exact(uint32_t x, const Dyadic& yz, bool yz_zero_negative) {
  const float xf = bits_to_float(x);
  if (std::isnan(xf)) return kFp32CanonicalNaN;
  if (std::isinf(xf)) return x;  // a finite product cannot cancel an infinity
  const Dyadic sum = Dyadic::from_double(xf) + yz;
  if (sum.is_zero()) {
    // IEEE: an exact zero sum is +0 under round-to-nearest unless both addends are -0.
    const bool x_neg_zero = xf == 0.0f && std::signbit(xf);
    return (x_neg_zero && yz.is_zero() && yz_zero_negative) ? 0x80000000u : 0u;
  }
  return float_to_bits(static_cast<float>(round_to_float(sum, FloatFormat::fp32(), RoundMode::kNearestEven)));
}

uint32_t mac_w4a16(uint32_t acc, int32_t q, uint16_t a) {
  check_finite_fp16(a, "an activation");
  const Dyadic prod = Dyadic::from_double(fp16_value(a)) * Dyadic::from_int(q);
  return fp32_fma_exact(acc, prod, fp16_negative(a) != (q < 0));
}

uint32_t row_add_fp16(uint32_t sum, uint16_t a) {
  check_finite_fp16(a, "an activation");
  return fp32_add(sum, fp16_to_fp32_bits(a));
}

uint32_t dequant_int(uint32_t y, int64_t P, int64_t A, int32_t z, uint16_t s) {
  check_finite_fp16(s, "a scale");
  const int64_t D = P - static_cast<int64_t>(z) * A;
  const Dyadic prod = Dyadic::from_double(fp16_value(s)) * Dyadic::from_int(D);
  return fp32_fma_exact(y, prod, fp16_negative(s) != (D < 0));
}

uint32_t dequant_fp(uint32_t y, uint32_t P, uint32_t A, int32_t z, uint16_t s) {
  check_finite_fp16(s, "a scale");
  // D = RNE(P + (-z) * A): the integer -z (0 is +0) times A.
  const float af = bits_to_float(A);
  const Dyadic za = Dyadic::from_double(af) * Dyadic::from_int(-static_cast<int64_t>(z));
  const uint32_t D = fp32_fma_exact(P, za, std::signbit(af) != (-static_cast<int64_t>(z) < 0));
  const float df = bits_to_float(D);
  if (std::isnan(df) || std::isinf(df)) return fp32_add(y, D);  // not reachable in range
  const Dyadic prod = Dyadic::from_double(fp16_value(s)) * Dyadic::from_double(df);
  return fp32_fma_exact(y, prod, fp16_negative(s) != std::signbit(df));
}

uint16_t dequant_weight_fp16(int32_t q, int32_t z, uint16_t s) {
  check_finite_fp16(s, "a scale");
  const int64_t d = static_cast<int64_t>(q) - z;
  const Dyadic v = Dyadic::from_double(fp16_value(s)) * Dyadic::from_int(d);
  const bool neg = fp16_negative(s) != (d < 0);
  if (v.is_zero()) return neg ? 0x8000 : 0x0000;
  double r = round_to_float(v, FloatFormat::fp16(), RoundMode::kNearestEven);
  if (std::isinf(r) || std::fabs(r) > 65504.0) r = r < 0 ? -65504.0 : 65504.0;  // saturate
  if (r == 0.0) return neg ? 0x8000 : 0x0000;  // underflow to a signed zero
  return static_cast<uint16_t>(fp16_bits(std::fabs(r)) | (r < 0 ? 0x8000u : 0u));
}

std::vector<uint32_t> gemm_mixpe(MixpeVariant v, int64_t m, const std::vector<int32_t>& a_int,
                                 const std::vector<uint16_t>& a_fp16, const MixpeWeights& w) {
  w.validate();
  const int64_t K = w.k, N = w.n, G = w.group_size;
  if (v == MixpeVariant::kW4A8) {
    if (a_int.size() != static_cast<size_t>(m * K)) throw std::invalid_argument("gemm_mixpe: a_int must be M x K");
    for (int32_t x : a_int)
      if (x < -128 || x > 127) throw std::invalid_argument("gemm_mixpe: W4A8 activations must be INT8");
  } else if (a_fp16.size() != static_cast<size_t>(m * K)) {
    throw std::invalid_argument("gemm_mixpe: a_fp16 must be M x K");
  }
  std::vector<uint32_t> out(static_cast<size_t>(m * N), 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < N; ++j) {
      uint32_t y = 0;
      for (int64_t g = 0; g < w.groups(); ++g) {
        const int64_t k0 = g * G, k1 = std::min(K, k0 + G);
        const size_t gi = static_cast<size_t>(g * N + j);
        if (v == MixpeVariant::kW4A8) {
          int64_t P = 0, A = 0;
          for (int64_t k = k0; k < k1; ++k) {
            const int32_t a = a_int[static_cast<size_t>(i * K + k)];
            P += shift_add_int(w.q[static_cast<size_t>(k * N + j)], w.bits, w.is_signed, a);
            A += a;
          }
          P = static_cast<int32_t>(static_cast<uint32_t>(P));  // 32-bit registers (cannot wrap in range)
          A = static_cast<int32_t>(static_cast<uint32_t>(A));
          y = dequant_int(y, P, A, w.zero[gi], w.scale[gi]);
        } else if (v == MixpeVariant::kW4A16) {
          uint32_t P = 0, A = 0;
          for (int64_t k = k0; k < k1; ++k) {
            const uint16_t a = a_fp16[static_cast<size_t>(i * K + k)];
            P = mac_w4a16(P, w.q[static_cast<size_t>(k * N + j)], a);
            A = row_add_fp16(A, a);
          }
          y = dequant_fp(y, P, A, w.zero[gi], w.scale[gi]);
        } else {
          for (int64_t k = k0; k < k1; ++k) {
            const uint16_t wk = dequant_weight_fp16(w.q[static_cast<size_t>(k * N + j)], w.zero[gi], w.scale[gi]);
            y = fp_mac_fp16_fp32(y, a_fp16[static_cast<size_t>(i * K + k)], wk);
          }
        }
      }
      out[static_cast<size_t>(i * N + j)] = y;
    }
  return out;
}

MixpeWeights mixpe_weights_from_quant(const QuantResult& r, const QuantScheme& scheme) {
  auto fail = [&](const std::string& s) { throw std::invalid_argument("mixpe_weights_from_quant: " + s); };
  if (r.config.scale != ScaleFormat::kFp16) fail("scales must be FP16 (ScaleFormat::kFp16)");
  if (r.config.granularity == Granularity::kPerTensor) fail("per-tensor scales are not supported");
  if (scheme.candidates.size() != 1) fail("scheme '" + scheme.name + "' is a mixture");
  const auto* f = dynamic_cast<const IntElement*>(scheme.candidates[0].get());
  if (!f) fail("scheme '" + scheme.name + "' is not an integer format");
  MixpeWeights w;
  w.k = r.rows;
  w.n = r.cols;
  w.group_size = r.group_rows;
  w.bits = f->bits();
  w.is_signed = !scheme.asymmetric;
  if (w.bits < 2 || w.bits > 8) fail("codes must have 2..8 bits");
  w.q.resize(r.codes.size());
  for (size_t i = 0; i < r.codes.size(); ++i)
    w.q[i] = scheme.asymmetric ? static_cast<int32_t>(r.codes[i]) : static_cast<int32_t>(f->decode(r.codes[i]));
  // Group g of column c is scales[g * N + c] (group rows are the slow index).
  w.scale.resize(r.scale_codes.size());
  for (size_t i = 0; i < r.scale_codes.size(); ++i) w.scale[i] = static_cast<uint16_t>(r.scale_codes[i]);
  w.zero.assign(r.zero_points.begin(), r.zero_points.end());
  if (w.zero.empty()) w.zero.assign(w.scale.size(), 0);
  w.validate();
  return w;
}

GroupedWeights to_grouped(const MixpeWeights& w) {
  GroupedWeights g;
  g.k = w.k;
  g.n = w.n;
  g.group_size = w.group_size;
  g.q.assign(w.q.begin(), w.q.end());
  for (uint16_t s : w.scale) g.scale.push_back(fp16_value(s));
  g.zero.assign(w.zero.begin(), w.zero.end());
  return g;
}

}  // namespace tpesim::num::mixpe
