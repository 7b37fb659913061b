// Operand values for simulated GEMMs. Traces carry shapes, not tensors, so runs use
// deterministic pseudo-random values drawn uniformly from each operand's format, computed on
// demand from (seed, matrix, row, column): no matrix is stored, and the same seed gives the
// same values in every engine.
#pragma once
#include <cstdint>

#include "models/numerics/int_format.hpp"
#include "models/numerics/reference_gemm.hpp"
#include "models/systolic/schedule.hpp"

namespace tpesim {

class HashOperands : public systolic::Operands {
 public:
  /// fp16: draw finite FP16 codes (any sign, exponent and mantissa; no inf/NaN) instead, for
  /// A and B, or for A only with fp16_a_only (the FP16 x INT PE).
  HashOperands(uint64_t seed, num::IntFormat a_fmt, num::IntFormat b_fmt, bool fp16 = false,
               bool fp16_a_only = false)
      : seed_(seed), af_(a_fmt), bf_(b_fmt), fp16_(fp16), fp16_a_only_(fp16_a_only) {}
  int64_t a(int64_t m, int64_t k) const override { return draw(0, m, k, af_); }
  int64_t b(int64_t k, int64_t n) const override { return draw(1, k, n, bf_); }
  /// The whole A (M x K) or B (K x N) as matrices, for the reference GEMM.
  num::IntMatrix matrix_a(int64_t M, int64_t K) const;
  num::IntMatrix matrix_b(int64_t K, int64_t N) const;

 private:
  int64_t draw(uint64_t which, int64_t i, int64_t j, const num::IntFormat& f) const;
  uint64_t seed_;
  num::IntFormat af_, bf_;
  bool fp16_ = false;
  bool fp16_a_only_ = false;
};

/// Operands held in matrices (tests, user-supplied data).
class MatrixOperands : public systolic::Operands {
 public:
  MatrixOperands(const num::IntMatrix& a, const num::IntMatrix& b) : a_(a), b_(b) {}
  int64_t a(int64_t m, int64_t k) const override { return a_.at(m, k); }
  int64_t b(int64_t k, int64_t n) const override { return b_.at(k, n); }

 private:
  const num::IntMatrix& a_;
  const num::IntMatrix& b_;
};

/// SplitMix64 finaliser: a well-mixed 64-bit hash.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace tpesim
