// Oracles for integer GEMM: the exact mathematical result, and the result a hardware
// accumulator of a given width and overflow rule produces when it sums in a given order.
#pragma once
#include <cstdint>
#include <vector>

#include "models/numerics/int_format.hpp"

namespace tpesim::num {

/// A dense row-major integer matrix (values already decoded).
struct IntMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> v;
  IntMatrix() = default;
  IntMatrix(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c), 0) {}
  int64_t& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
  int64_t at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
  bool operator==(const IntMatrix& o) const { return rows == o.rows && cols == o.cols && v == o.v; }
};

/// Exact C = A x B in 128-bit arithmetic, returned as int64 (throws if a value would not fit).
IntMatrix gemm_exact(const IntMatrix& a, const IntMatrix& b);

/// The result of a hardware accumulator: for each output, the reduction index k is split
/// into consecutive chunks of `k_chunk` (k_chunk >= K: one chunk). Each chunk is summed from
/// zero in ascending k, acc = acc.add(acc, a*b) after every product; the chunk sums are
/// then added in ascending chunk order into a running total with the same rule.
/// With Overflow::kWrap the result equals gemm_exact modulo 2^bits for any k_chunk.
IntMatrix gemm_accumulate(const IntMatrix& a, const IntMatrix& b, const AccFormat& acc,
                          int64_t k_chunk);

}  // namespace tpesim::num
