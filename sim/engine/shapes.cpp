#include "sim/engine/shapes.hpp"

#include <string>

#include "sim/engine/operands.hpp"

namespace tpesim {

std::vector<Gemm> fidelity_shapes(int rows, int cols, int n, uint64_t seed) {
  static const uint64_t kPrimes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61};
  uint64_t state = mix64(seed);
  auto next = [&](uint64_t bound) {
    state = mix64(state + 0x9e3779b97f4a7c15ULL);
    return state % bound;
  };
  auto dim = [&](uint64_t unit) -> uint64_t {
    switch (next(6)) {
      case 0: return 1;
      case 1: return kPrimes[next(sizeof(kPrimes) / sizeof(kPrimes[0]))];
      case 2: {
        const uint64_t m = unit * (1 + next(3));
        const uint64_t d = next(3);  // m-1, m, m+1
        return d == 0 ? (m > 1 ? m - 1 : 1) : (d == 1 ? m : m + 1);
      }
      default: return 1 + next(4 * unit + 3);
    }
  };
  std::vector<Gemm> out;
  for (int i = 0; i < n; ++i) {
    Gemm g;
    g.name = "s" + std::to_string(i);
    const uint64_t R = static_cast<uint64_t>(rows), C = static_cast<uint64_t>(cols);
    g.M = dim(R > C ? R : C);
    g.N = dim(C);
    g.K = dim(R);
    out.push_back(g);
  }
  return out;
}

}  // namespace tpesim
