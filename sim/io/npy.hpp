// Reading NumPy .npy files (format versions 1.0 and 2.0) of little-endian float16, float32 or
// float64 values in C order, 1-D or 2-D, so users can quantise their own weights.
// Format: magic "\x93NUMPY", major and minor version bytes, the header length (uint16 LE in
// 1.0, uint32 LE in 2.0), an ASCII Python dict literal {'descr': '<f4', 'fortran_order':
// False, 'shape': (K, N), } padded with spaces and a newline, then the raw values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "models/numerics/metrics.hpp"

namespace tpesim {

/// An array read from a .npy file.
struct NpyArray {
  std::string dtype;           ///< "<f2", "<f4" or "<f8"
  std::vector<int64_t> shape;  ///< as stored: one or two dimensions
  num::RealMatrix data;        ///< 2-D (K, N): K x N; 1-D (n,): n x 1 (one column)
};

/// Reads a .npy file. Throws UserError ("FILE: what is wrong") for: a missing or unreadable
/// file, bad magic, a format version other than 1.0/2.0, a header that cannot be parsed,
/// an unsupported dtype (named, e.g. '<i4' (int32)), a big-endian dtype, Fortran order,
/// 0-D or 3-D+ shapes, truncated data, and bytes after the data.
NpyArray read_npy(const std::string& path);

/// IEEE binary16 bits -> double (exact; infinities and NaN kept).
double half_to_double(uint16_t bits);

}  // namespace tpesim
