#include "sim/engine/operands.hpp"

namespace tpesim {

int64_t HashOperands::draw(uint64_t which, int64_t i, int64_t j, const num::IntFormat& f) const {
  const uint64_t h = mix64(seed_ ^ mix64((which << 62) ^ (static_cast<uint64_t>(i) << 31) ^
                                         static_cast<uint64_t>(j)));
  if (fp16_ || (fp16_a_only_ && which == 0)) {
    const uint64_t code = h & 0xffff;
    return ((code >> 10) & 0x1f) == 0x1f ? static_cast<int64_t>(code & 0x83ff) : static_cast<int64_t>(code);
  }
  const uint64_t span = static_cast<uint64_t>(f.max() - f.min()) + 1;
  return f.min() + static_cast<int64_t>(h % span);
}

num::IntMatrix HashOperands::matrix_a(int64_t M, int64_t K) const {
  num::IntMatrix m(M, K);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t k = 0; k < K; ++k) m.at(i, k) = a(i, k);
  return m;
}

num::IntMatrix HashOperands::matrix_b(int64_t K, int64_t N) const {
  num::IntMatrix m(K, N);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) m.at(k, n) = b(k, n);
  return m;
}

}  // namespace tpesim
