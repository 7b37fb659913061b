#include "models/numerics/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace tpesim::num {

namespace {

void check_sizes(size_t a, size_t b) {
  if (a != b)
    throw std::invalid_argument("error metric: sizes differ (" + std::to_string(a) + " vs " +
                                std::to_string(b) + ")");
  if (a == 0) throw std::invalid_argument("error metric: empty tensors");
}

double sqnr_from(double signal, double noise) {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

}  // namespace

ErrorStats compare(const std::vector<double>& ref, const std::vector<double>& approx) {
  check_sizes(ref.size(), approx.size());
  double signal = 0, noise = 0, max_err = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double e = ref[i] - approx[i];
    signal += ref[i] * ref[i];
    noise += e * e;
    max_err = std::max(max_err, std::fabs(e));
  }
  ErrorStats s;
  s.mse = noise / static_cast<double>(ref.size());
  s.sqnr_db = sqnr_from(signal, noise);
  s.max_abs_err = max_err;
  return s;
}

ErrorStats compare(const RealMatrix& ref, const RealMatrix& approx) {
  if (ref.rows != approx.rows || ref.cols != approx.cols)
    throw std::invalid_argument("error metric: shapes differ (" + std::to_string(ref.rows) + "x" +
                                std::to_string(ref.cols) + " vs " + std::to_string(approx.rows) +
                                "x" + std::to_string(approx.cols) + ")");
  return compare(ref.v, approx.v);
}

double mse(const std::vector<double>& ref, const std::vector<double>& approx) {
  return compare(ref, approx).mse;
}

double sqnr_db(const std::vector<double>& ref, const std::vector<double>& approx) {
  return compare(ref, approx).sqnr_db;
}

RealMatrix gemm_f64(const RealMatrix& a, const RealMatrix& b) {
  if (a.cols != b.rows)
    throw std::invalid_argument("gemm_f64: A is " + std::to_string(a.rows) + "x" +
                                std::to_string(a.cols) + " but B is " + std::to_string(b.rows) +
                                "x" + std::to_string(b.cols));
  RealMatrix c(a.rows, b.cols);
  // i-k-j order: for a fixed (m, n) the products are still added in ascending k.
  for (int64_t m = 0; m < a.rows; ++m) {
    double* crow = &c.v[static_cast<size_t>(m * c.cols)];
    for (int64_t k = 0; k < a.cols; ++k) {
      const double x = a.at(m, k);
      const double* brow = &b.v[static_cast<size_t>(k * b.cols)];
      for (int64_t n = 0; n < b.cols; ++n) crow[n] += x * brow[n];
    }
  }
  return c;
}

}  // namespace tpesim::num
