#include "models/numerics/synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tpesim::num {

double det_log(double x) {
  if (!(x > 0) || !std::isfinite(x))
    throw std::invalid_argument("det_log: argument must be finite and > 0");
  int e = 0;
  double m = std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1), exact
  if (m < 0.70710678118654752440) {
    m *= 2;  // exact
    --e;
  }
  // ln m = 2 atanh(t) = 2 t (1 + t^2/3 + t^4/5 + ... + t^22/23), |t| <= 0.1716,
  // t^2 <= 0.0295: the first omitted term, t^24/25, is below 2^-55 relative.
  const double t = (m - 1) / (m + 1);  // m - 1 is exact (Sterbenz)
  const double t2 = t * t;
  double p = 1.0 / 23;
  for (int k = 10; k >= 0; --k) p = p * t2 + 1.0 / (2 * k + 1);
  const double ln_m = 2 * t * p;
  // ln 2 split (fdlibm): kLn2Hi has 32 significant bits, so e * kLn2Hi is exact.
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double de = e;
  return de * kLn2Hi + (ln_m + de * kLn2Lo);
}

double Rng::uniform() { return static_cast<double>(eng_() >> 11) * 0x1.0p-53; }

double Rng::uniform_open() {
  // (2j + 1) < 2^53 is exact in a double.
  return static_cast<double>(((eng_() >> 12) << 1) | 1u) * 0x1.0p-53;
}

uint64_t Rng::below(uint64_t n) {
  if (n == 0) throw std::invalid_argument("Rng::below: n must be >= 1");
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: reject the short first stretch
  for (;;) {
    const uint64_t r = eng_();
    if (r >= threshold) return r % n;
  }
}

double Rng::gaussian() {
  if (have_spare_) {
    have_spare_ = false;
    return spare_;
  }
  for (;;) {
    const double u = 2 * uniform() - 1;
    const double v = 2 * uniform() - 1;
    const double s = u * u + v * v;
    if (s >= 1 || s == 0) continue;
    const double f = std::sqrt(-2 * det_log(s) / s);
    spare_ = v * f;
    have_spare_ = true;
    return u * f;
  }
}

double Rng::laplace() {
  const double u = uniform_open();
  if (u < 0.5) return det_log(2 * u);
  return -det_log(2 * (1 - u));  // 1 - u is exact for u >= 1/2
}

namespace {

void check_shape(int64_t rows, int64_t cols) {
  if (rows <= 0 || cols <= 0)
    throw std::invalid_argument("synthetic matrix: shape must be positive, got " +
                                std::to_string(rows) + "x" + std::to_string(cols));
}

}  // namespace

RealMatrix gaussian_matrix(int64_t rows, int64_t cols, uint64_t seed, double stddev) {
  check_shape(rows, cols);
  Rng rng(seed);
  RealMatrix m(rows, cols);
  for (double& x : m.v) x = stddev * rng.gaussian();
  return m;
}

RealMatrix laplace_matrix(int64_t rows, int64_t cols, uint64_t seed, double stddev) {
  check_shape(rows, cols);
  Rng rng(seed);
  const double b = stddev / std::sqrt(2.0);
  RealMatrix m(rows, cols);
  for (double& x : m.v) x = b * rng.laplace();
  return m;
}

RealMatrix outlier_matrix(int64_t rows, int64_t cols, uint64_t seed, const OutlierSpec& spec,
                          double stddev, std::vector<int64_t>* outlier_rows) {
  check_shape(rows, cols);
  if (!(spec.row_fraction >= 0 && spec.row_fraction <= 1))
    throw std::invalid_argument("outlier_matrix: row_fraction must be in [0, 1]");
  Rng rng(seed);
  RealMatrix m(rows, cols);
  for (double& x : m.v) x = stddev * rng.gaussian();
  int64_t count = 0;
  if (spec.row_fraction > 0)
    count = std::max<int64_t>(1, std::llround(spec.row_fraction * static_cast<double>(rows)));
  std::vector<int64_t> idx(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) idx[static_cast<size_t>(i)] = i;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t j = i + static_cast<int64_t>(rng.below(static_cast<uint64_t>(rows - i)));
    std::swap(idx[static_cast<size_t>(i)], idx[static_cast<size_t>(j)]);
  }
  std::vector<int64_t> chosen(idx.begin(), idx.begin() + count);
  std::sort(chosen.begin(), chosen.end());
  for (int64_t r : chosen)
    for (int64_t c = 0; c < cols; ++c) m.at(r, c) *= spec.factor;
  if (outlier_rows) *outlier_rows = chosen;
  return m;
}

std::vector<std::string> synthetic_kinds() { return {"gaussian", "laplace", "outliers"}; }

RealMatrix synthetic_matrix(const std::string& kind, int64_t rows, int64_t cols, uint64_t seed) {
  if (kind == "gaussian") return gaussian_matrix(rows, cols, seed);
  if (kind == "laplace") return laplace_matrix(rows, cols, seed);
  if (kind == "outliers") return outlier_matrix(rows, cols, seed);
  throw std::invalid_argument("unknown synthetic kind '" + kind +
                              "' (expected gaussian, laplace or outliers)");
}

}  // namespace tpesim::num
