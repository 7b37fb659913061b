// BitMoD array compute model: the closed form (bitmod_array_cycles) equals the cycle model on
// random shapes, tile configurations, group sizes and data types (fixed seeds), and the
// outputs stay bit-exact against the oracle.
#include <gtest/gtest.h>

#include <random>

#include "models/bitmod/array_core.hpp"
#include "models/numerics/quant.hpp"
#include "models/numerics/synthetic.hpp"

namespace tpesim::bitmod {
namespace {

TEST(FidelityBitmod, ClosedFormEqualsCycleModelOnRandomShapes) {
  std::mt19937_64 rng(2025);
  auto pick = [&](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  const char* schemes[] = {"bitmod_fp4", "bitmod_fp3", "fp3", "int8_sym", "int4_sym"};
  const num::bitmod::BitmodPeParams p;
  int runs = 0;
  for (int it = 0; it < 40; ++it) {
    const ArrayShape shape{static_cast<int>(1 + pick(3)), static_cast<int>(1 + pick(3)),
                           static_cast<int>(1 + pick(3)), static_cast<int>(1 + pick(3))};
    const int64_t G = int64_t{4} << pick(4);  // 4, 8, 16, 32
    const int64_t K = G * (1 + pick(3));
    const int64_t M = 1 + pick(2 * shape.rows() + 1), N = 1 + pick(2 * shape.cols() + 1);
    const char* sname = schemes[pick(5)];
    const num::QuantScheme s = *num::make_scheme(sname);
    const num::QuantResult r = num::quantize(num::gaussian_matrix(K, N, 100 + it), s,
                                             num::QuantConfig{num::Granularity::kPerGroup, G, num::ScaleFormat::kInt8});
    const num::bitmod::BitmodWeights w = num::bitmod::bitmod_weights_from_quant(r, s);
    std::vector<uint16_t> a(static_cast<size_t>(M * K));
    for (auto& c : a) c = static_cast<uint16_t>(((rng() & 1) << 15) | ((8 + rng() % 14) << 10) | (rng() & 0x3ff));
    const ArrayRun run = run_bitmod_array(shape, a, M, w, p);
    std::vector<int64_t> gc;
    for (int64_t g = 0; g < w.groups(); ++g) gc.push_back(num::bitmod::group_term_cycles(*w.formats[static_cast<size_t>(g * w.n)], G, p));
    ASSERT_EQ(static_cast<int64_t>(run.cycles), bitmod_array_cycles(shape, M, N, gc, p))
        << sname << " M=" << M << " N=" << N << " K=" << K << " G=" << G << " tiles " << shape.tiles_r << "x"
        << shape.tiles_c << " of " << shape.tile_rows << "x" << shape.tile_cols;
    ASSERT_EQ(run.out.v, num::bitmod::gemm_bitmod(a, M, w, p).v) << sname;
    ++runs;
  }
  EXPECT_EQ(runs, 40);
}

}  // namespace
}  // namespace tpesim::bitmod
