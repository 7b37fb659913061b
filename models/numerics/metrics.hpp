// Error metrics of quantised tensors and GEMM outputs against FP64 references: mean squared
// error, signal-to-quantisation-noise ratio (SQNR), and the FP64 GEMM they are measured on.
// Plain C++, no SystemC.
#pragma once
#include <cstdint>
#include <vector>

#include "models/numerics/reference_gemm_fp.hpp"

namespace tpesim::num {

// RealMatrix (a dense row-major matrix of doubles) is defined in reference_gemm_fp.hpp. For a
// weight matrix B of a GEMM C = A x B, rows = K (the reduction dimension), cols = N.

/// MSE, SQNR and largest absolute error of an approximation against a reference.
struct ErrorStats {
  double mse = 0;          ///< mean of (ref - approx)^2
  double sqnr_db = 0;      ///< 10 log10(sum ref^2 / sum (ref - approx)^2); +inf if exact
  double max_abs_err = 0;  ///< max |ref - approx|
};

/// Mean squared error: sum (ref[i] - approx[i])^2 / n. Sizes must match and be non-zero
/// (else std::invalid_argument).
double mse(const std::vector<double>& ref, const std::vector<double>& approx);

/// SQNR in dB: 10 log10(signal power / noise power) with signal = sum ref[i]^2 and
/// noise = sum (ref[i] - approx[i])^2. +infinity when the noise is zero (also for an all-zero
/// reference approximated exactly), -infinity when the signal is zero and the noise is not.
/// Sizes must match and be non-zero (else std::invalid_argument).
double sqnr_db(const std::vector<double>& ref, const std::vector<double>& approx);

/// All three metrics in one pass.
ErrorStats compare(const std::vector<double>& ref, const std::vector<double>& approx);
/// Matrix forms: shapes must match (else std::invalid_argument).
ErrorStats compare(const RealMatrix& ref, const RealMatrix& approx);

/// C = A x B in FP64: C[m][n] = sum over k in ascending order of A[m][k] * B[k][n], each
/// product and sum rounded to double (deterministic: a fixed summation order). A.cols must
/// equal B.rows (else std::invalid_argument).
RealMatrix gemm_f64(const RealMatrix& a, const RealMatrix& b);

}  // namespace tpesim::num
