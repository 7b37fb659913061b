// The NumPy .npy reader (sim/io/npy.hpp) on fixtures written by NumPy (tests/data/npy, see
// README.txt there) and on malformed files.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "models/numerics/element_format.hpp"
#include "sim/common/error.hpp"
#include "sim/io/npy.hpp"

namespace tpesim {
namespace {

const std::string kDir = std::string(TPESIM_TEST_DATA) + "/npy/";

/// The UserError message of reading `file` (fails the test if it reads).
std::string error_of(const std::string& file) {
  try {
    read_npy(kDir + file);
  } catch (const UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << file << " was read without error";
  return "";
}

TEST(Npy, Float32TwoD) {
  const NpyArray a = read_npy(kDir + "f4_2x3.npy");
  EXPECT_EQ(a.dtype, "<f4");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data.rows, 2);
  EXPECT_EQ(a.data.cols, 3);
  EXPECT_EQ(a.data.v, (std::vector<double>{-1, -0.5, 0, 0.5, 1, 1.5}));
}

TEST(Npy, Float64) {
  const NpyArray a = read_npy(kDir + "f8_3x2.npy");
  EXPECT_EQ(a.dtype, "<f8");
  EXPECT_EQ(a.data.rows, 3);
  EXPECT_EQ(a.data.at(0, 0), 1.0 / 3);
  EXPECT_EQ(a.data.at(0, 1), -2.5);
  EXPECT_EQ(a.data.at(1, 0), 1e-300);
  EXPECT_EQ(a.data.at(1, 1), 7.0);
  EXPECT_EQ(a.data.at(2, 0), 0.0);
  EXPECT_TRUE(std::signbit(a.data.at(2, 1)));
}

TEST(Npy, Float16) {
  const NpyArray a = read_npy(kDir + "f2_2x3.npy");
  EXPECT_EQ(a.dtype, "<f2");
  EXPECT_EQ(a.data.v,
            (std::vector<double>{1, -2, 0.0999755859375, 65504, std::ldexp(1.0, -24), 0.0}));
  EXPECT_TRUE(std::signbit(a.data.v[5]));
}

TEST(Npy, OneDIsOneColumn) {
  const NpyArray a = read_npy(kDir + "f4_1d.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(a.data.rows, 4);
  EXPECT_EQ(a.data.cols, 1);
  EXPECT_EQ(a.data.v, (std::vector<double>{1.5, -0.25, 3, 8}));
}

TEST(Npy, Version2) {
  const NpyArray a = read_npy(kDir + "f8_v2.npy");
  EXPECT_EQ(a.data.v, (std::vector<double>{1, 2, 3, 4}));
}

TEST(Npy, HalfToDoubleMatchesTheFp16FormatForEveryCode) {
  const num::FloatElement h = num::fp16();
  for (uint32_t c = 0; c < 0x10000; ++c) {
    const double mine = half_to_double(static_cast<uint16_t>(c)), ref = h.decode(c);
    if (std::isnan(ref))
      EXPECT_TRUE(std::isnan(mine)) << c;
    else
      EXPECT_EQ(mine, ref) << c;  // -0 == +0
  }
}

TEST(Npy, ErrorsNameTheFileAndTheProblem) {
  auto expect_error = [](const std::string& file, const std::string& part) {
    const std::string e = error_of(file);
    EXPECT_NE(e.find(file), std::string::npos) << e;
    EXPECT_NE(e.find(part), std::string::npos) << "expected '" << part << "' in: " << e;
  };
  expect_error("nope.npy", "cannot open");
  expect_error("bad_magic.npy", "bad magic");
  expect_error("version3.npy", "unsupported .npy format version 3.0");
  expect_error("truncated.npy",
               "truncated data: shape (2, 3) of '<f4' needs 24 bytes, the file has 20");
  expect_error("bad_header.npy", "header not parseable");
  expect_error("trailing.npy", "4 bytes after the array data");
  expect_error("f4_fortran.npy", "Fortran-order");
  expect_error("f4_bigendian.npy", "big-endian dtype '>f4' (float32)");
  expect_error("f4_3d.npy", "3-D array (shape (2, 2, 2))");
  expect_error("i4_2x2.npy", "unsupported dtype '<i4' (int32)");
}

}  // namespace
}  // namespace tpesim
