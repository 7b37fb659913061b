// Deterministic random GEMM shapes for equality suites: dimensions of 1, primes, array
// multiples and their neighbours (+-1), and uniform sizes up to 4x the array.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/workload/workload.hpp"

namespace tpesim {

/// n shapes for an R x C array, reproducible from `seed`. Names are "s<i>".
std::vector<Gemm> fidelity_shapes(int rows, int cols, int n, uint64_t seed);

}  // namespace tpesim
