#include "models/numerics/reference_gemm.hpp"

#include <stdexcept>

namespace tpesim::num {

IntMatrix gemm_exact(const IntMatrix& a, const IntMatrix& b) {
  if (a.cols != b.rows) throw std::invalid_argument("gemm_exact: inner dimensions differ");
  IntMatrix c(a.rows, b.cols);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) {
      __int128 s = 0;
      for (int64_t k = 0; k < a.cols; ++k) s += static_cast<__int128>(a.at(i, k)) * b.at(k, j);
      if (s > INT64_MAX || s < INT64_MIN) throw std::overflow_error("gemm_exact: result exceeds int64");
      c.at(i, j) = static_cast<int64_t>(s);
    }
  return c;
}

IntMatrix gemm_accumulate(const IntMatrix& a, const IntMatrix& b, const AccFormat& acc,
                          int64_t k_chunk) {
  if (a.cols != b.rows) throw std::invalid_argument("gemm_accumulate: inner dimensions differ");
  if (k_chunk <= 0) throw std::invalid_argument("gemm_accumulate: k_chunk must be positive");
  IntMatrix c(a.rows, b.cols);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) {
      int64_t total = 0;
      for (int64_t k0 = 0; k0 < a.cols; k0 += k_chunk) {
        int64_t part = 0;
        const int64_t k1 = std::min(a.cols, k0 + k_chunk);
        for (int64_t k = k0; k < k1; ++k) part = acc.add(part, a.at(i, k) * b.at(k, j));
        total = k0 == 0 ? part : acc.add(total, part);
      }
      c.at(i, j) = total;
    }
  return c;
}

}  // namespace tpesim::num
