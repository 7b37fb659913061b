// Seeded synthetic weight matrices for quantisation studies: Gaussian, Laplace, and LLM-like
// matrices with outlier input channels. Plain C++, no SystemC.
//
// Reproducibility: the only random source is std::mt19937_64 (its output sequence is fixed
// by the C++ standard); every distribution is implemented here with IEEE basic operations
// (+ - * / and sqrt, all correctly rounded) and a logarithm of our own (det_log), never
// std::normal_distribution & co. (whose algorithms differ between standard libraries) nor
// libm's log/sin/cos (whose last bit may differ between C libraries). So a seed gives the
// same bytes on every conforming platform, provided the compiler does not contract a*b+c
// into a fused multiply-add (GCC and Clang do not on x86-64 without -march flags that
// enable FMA; build with -ffp-contract=off elsewhere).
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "models/numerics/metrics.hpp"

namespace tpesim::num {

/// Natural logarithm computed with IEEE basic operations only (reproducible everywhere):
/// x = m * 2^e with m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m-1)/(m+1)) by its odd series
/// (12 terms), plus e * ln 2 in two parts. Within 2 ulp of the true value. Requires a
/// finite x > 0 (else std::invalid_argument).
double det_log(double x);

/// A seeded random source with distributions of our own (see the banner).
class Rng {
 public:
  explicit Rng(uint64_t seed) : eng_(seed) {}
  /// The next raw 64-bit output of mt19937_64.
  uint64_t next_u64() { return eng_(); }
  /// Uniform in [0, 1): the top 53 bits of one output, times 2^-53.
  double uniform();
  /// Uniform in (0, 1), symmetric about 1/2: (2j + 1) * 2^-53 with j the top 52 bits.
  double uniform_open();
  /// Uniform integer in [0, n) (n >= 1) by rejection, no modulo bias.
  uint64_t below(uint64_t n);
  /// Standard normal N(0, 1) by Marsaglia's polar method: draws pairs (u, v) uniform in
  /// [-1, 1)^2 until 0 < s = u^2 + v^2 < 1, returns u * sqrt(-2 ln s / s) and keeps
  /// v * sqrt(-2 ln s / s) for the next call.
  double gaussian();
  /// Laplace with location 0 and scale 1 (variance 2) by the inverse CDF: u in (0, 1),
  /// x = ln(2u) for u < 1/2, else -ln(2(1 - u)).
  double laplace();

 private:
  std::mt19937_64 eng_;      ///< the only source of randomness
  bool have_spare_ = false;  ///< a second polar-method value is waiting
  double spare_ = 0;         ///< that value
};

/// rows x cols i.i.d. N(0, stddev^2), filled in row-major order from Rng(seed).
RealMatrix gaussian_matrix(int64_t rows, int64_t cols, uint64_t seed, double stddev = 1.0);

/// rows x cols i.i.d. Laplace with standard deviation `stddev` (scale b = stddev / sqrt(2)),
/// filled in row-major order from Rng(seed). Heavier tails than the Gaussian (kurtosis 6).
RealMatrix laplace_matrix(int64_t rows, int64_t cols, uint64_t seed, double stddev = 1.0);

/// Outlier input channels of an LLM-like weight matrix.
struct OutlierSpec {
  double row_fraction = 0.01;  ///< fraction of rows (input channels, along K) that are outliers
  double factor = 20.0;        ///< those rows are multiplied by this
};

/// An LLM-like weight matrix W [K x N]: a Gaussian body (as gaussian_matrix(rows, cols,
/// seed, stddev)) in which max(1, round(row_fraction * rows)) distinct rows, drawn after the
/// body from the same Rng by a partial Fisher-Yates shuffle, are scaled by `factor`.
/// Models the few input channels of large-magnitude weights seen in LLMs (which line up with
/// the activation outlier channels of Dettmers et al., "LLM.int8()", 2022): every column has
/// a few huge values at the same K positions, which hurts per-channel scales and helps
/// per-group ones. With row_fraction 0 there are no outliers. The outlier rows, ascending,
/// are stored in *outlier_rows if given.
RealMatrix outlier_matrix(int64_t rows, int64_t cols, uint64_t seed, const OutlierSpec& spec = {},
                          double stddev = 1.0, std::vector<int64_t>* outlier_rows = nullptr);

/// By name: "gaussian", "laplace" or "outliers" (default OutlierSpec), stddev 1.
/// std::invalid_argument for another name or a non-positive shape.
RealMatrix synthetic_matrix(const std::string& kind, int64_t rows, int64_t cols, uint64_t seed);

/// The names synthetic_matrix() accepts.
std::vector<std::string> synthetic_kinds();

}  // namespace tpesim::num
