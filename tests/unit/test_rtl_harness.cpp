// The Verilated systolic arrays driven through the C++ harness (rtl/harness/rtl_array.hpp),
// checked against hand-derived schedules of docs/systolic-array.md.
//
// Step numbering: step t is the t-th call of step() after reset() (t = cycle() before the
// call). Its inputs are "cycle t" inputs and the outputs it returns are the registers after
// the edge ending cycle t.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rtl/harness/rtl_array.hpp"

namespace {

using tpesim::rtl::make_rtl_array;
using tpesim::rtl::RtlArray;
using tpesim::systolic::ArrayInputs;
using tpesim::systolic::ArrayOutputs;
using tpesim::systolic::ArrayParams;

ArrayParams params(bool stationary, int rows, int cols, int aw, bool as, int bw, bool bs, int acc, bool sat) {
  ArrayParams p;
  p.stationary = stationary;
  p.rows = rows;
  p.cols = cols;
  p.aw = aw;
  p.a_signed = as;
  p.bw = bw;
  p.b_signed = bs;
  p.acc = acc;
  p.sat = sat;
  return p;
}

std::unique_ptr<RtlArray> make_or_fail(const ArrayParams& p) {
  auto a = make_rtl_array(p);
  if (!a) ADD_FAILURE() << "variant not built; available:\n" << tpesim::rtl::describe_rtl_variants();
  return a;
}

// Expected outputs for a step: all invalid / zero except the listed (column, value) pairs.
ArrayOutputs expect(int cols, std::vector<std::pair<int, int64_t>> valid = {}) {
  ArrayOutputs o(cols);
  for (auto [c, v] : valid) {
    o.o_valid[c] = 1;
    o.o_data[c] = v;
  }
  return o;
}

// ---------------------------------------------------------------------------------------
// Output-stationary: C = A (MxK) * B (KxN) with PE (r, c) owning C[r][c].
// Wavefront k (column k of A, row k of B) has issue(k) = base + k. Row r's element enters
// at issue(k) + r and column c's at issue(k) + c (feeder skew). PE (r, c) sees A[r][k] after
// c hops and B[k][c] after r hops, both at cycle issue(k) + r + c, so it accumulates there;
// with a_last on k = K-1 it emits at cycle base + K-1 + r + c, and the column output
// register shows the sum in the outputs of that step.
// ---------------------------------------------------------------------------------------
void os_inputs(int t, int base, const std::vector<std::vector<int64_t>>& A,
               const std::vector<std::vector<int64_t>>& B, ArrayInputs* in) {
  const int M = static_cast<int>(A.size()), K = static_cast<int>(B.size());
  const int N = static_cast<int>(B[0].size());
  for (int r = 0; r < M; ++r) {
    const int k = t - base - r;
    if (k < 0 || k >= K) continue;
    in->a_valid[r] = 1;
    in->a_data[r] = A[r][k];
    in->a_first[r] = k == 0;
    in->a_last[r] = k == K - 1;
  }
  for (int c = 0; c < N; ++c) {
    const int k = t - base - c;
    if (k < 0 || k >= K) continue;
    in->b_valid[c] = 1;
    in->b_data[c] = B[k][c];
  }
}

TEST(RtlHarness, OsTwoFoldsOf2x2x3On4x4) {
  auto arr = make_or_fail(params(false, 4, 4, 8, true, 8, true, 32, false));
  ASSERT_TRUE(arr);
  EXPECT_STREQ(arr->variant(), "os4x4_s8s8_a32");
  EXPECT_EQ(arr->cycle(), 0u);
  // Fold 1 (base 0): C1 = A1 * B1.
  const std::vector<std::vector<int64_t>> A1 = {{1, -2, 3}, {4, 5, -6}};
  const std::vector<std::vector<int64_t>> B1 = {{7, 8}, {-9, 10}, {11, -12}};
  // C1 = [[7+18+33, 8-20-36], [28-45-66, 32+50+72]] = [[58, -48], [-83, 154]]
  // Fold 2 (base 3, right after fold 1's last wavefront; a_first restarts the accumulators):
  const std::vector<std::vector<int64_t>> A2 = {{-128, 127, 0}, {127, 127, 127}};
  const std::vector<std::vector<int64_t>> B2 = {{-128, 1}, {127, 2}, {5, -128}};
  // C2 = [[16384+16129+0, -128+254+0], [-16256+16129+635, 127+254-16256]]
  //    = [[32513, 126], [508, -15875]]
  // Emit cycles: fold base + (K-1) + r + c = base + 2 + r + c.
  //   fold 1: C[0][0] @2, C[1][0] @3, C[0][1] @3, C[1][1] @4
  //   fold 2: C[0][0] @5, C[1][0] @6, C[0][1] @6, C[1][1] @7
  std::vector<ArrayOutputs> want(10, expect(4));
  want[2] = expect(4, {{0, 58}});
  want[3] = expect(4, {{0, -83}, {1, -48}});
  want[4] = expect(4, {{1, 154}});
  want[5] = expect(4, {{0, 32513}});
  want[6] = expect(4, {{0, 508}, {1, 126}});
  want[7] = expect(4, {{1, -15875}});

  ArrayInputs in(4, 4);
  ArrayOutputs out;
  for (int t = 0; t < 10; ++t) {
    in.clear();
    os_inputs(t, 0, A1, B1, &in);
    os_inputs(t, 3, A2, B2, &in);
    ASSERT_EQ(arr->cycle(), static_cast<uint64_t>(t));
    arr->step(in, &out);
    EXPECT_EQ(out, want[t]) << "step " << t << ": got " << out << " want " << want[t];
  }
  EXPECT_EQ(arr->cycle(), 10u);

  // reset() clears everything: a fold without a_first would otherwise keep C2's value.
  arr->reset();
  EXPECT_EQ(arr->cycle(), 0u);
  in.clear();
  in.a_valid[0] = 1;
  in.a_data[0] = 3;
  in.a_last[0] = 1;  // no a_first: adds to the (reset) accumulator 0
  in.b_valid[0] = 1;
  in.b_data[0] = -5;
  arr->step(in, &out);  // PE (0,0) emits at cycle 0
  EXPECT_EQ(out, expect(4, {{0, -15}})) << out;
}

TEST(RtlHarness, OsWrapsModulo2PowAcc) {
  // PE (0,0) accumulates (-128)*(-128) = 2^14, 2^17 + 1 times: 2^31 + 2^14, which wraps in
  // 32 bits to -2^31 + 2^14. Emitted at cycle 2^17 (the last wavefront).
  auto arr = make_or_fail(params(false, 4, 4, 8, true, 8, true, 32, false));
  ASSERT_TRUE(arr);
  const int last = 1 << 17;
  ArrayInputs in(4, 4);
  ArrayOutputs out;
  in.a_valid[0] = 1;
  in.a_data[0] = -128;
  in.b_valid[0] = 1;
  in.b_data[0] = -128;
  for (int t = 0; t <= last; ++t) {
    in.a_first[0] = t == 0;
    in.a_last[0] = t == last;
    arr->step(in, &out);
    if (t < last) ASSERT_EQ(out.o_valid[0], 0) << t;
  }
  EXPECT_EQ(out, expect(4, {{0, -2147483648LL + 16384}})) << out;
}

TEST(RtlHarness, OsSaturatesAfterEveryAdd) {
  // os1x4_s16u3_a20sat: a is signed 16-bit, b unsigned 3-bit (7 must not read as -1),
  // ACC = 20: range [-524288, 524287]. One row, so PE (0,c) gets wavefront k at k + c;
  // K = 4 with a_last on k = 3, so column c's result appears at step 3 + c.
  auto arr = make_or_fail(params(false, 1, 4, 16, true, 3, false, 20, true));
  ASSERT_TRUE(arr);
  EXPECT_STREQ(arr->variant(), "os1x4_s16u3_a20sat");
  const std::vector<int64_t> a = {-32768, -32768, -32768, 32767};
  const std::vector<std::vector<int64_t>> b = {{7, 7, 7, 7}, {1, 1, 1, 1}, {7, 0, 0, 7}};
  // col 0: -229376, -458752, -688128 -> clamp -524288, then +229369 = -294919
  //        (exact, unclamped, would be -458759: saturation happens after every add)
  // col 1: -32768*3 + 32767 = -65537
  // col 2: -229376 + 229369 = -7
  // col 3: b never valid: no MAC, no emit.
  ArrayInputs in(1, 4);
  ArrayOutputs out;
  std::vector<ArrayOutputs> want(8, expect(4));
  want[3] = expect(4, {{0, -294919}});
  want[4] = expect(4, {{1, -65537}});
  want[5] = expect(4, {{2, -7}});
  for (int t = 0; t < 8; ++t) {
    in.clear();
    if (t < 4) {
      in.a_valid[0] = 1;
      in.a_data[0] = a[t];
      in.a_first[0] = t == 0;
      in.a_last[0] = t == 3;
    }
    for (int c = 0; c < 3; ++c) {
      const int k = t - c;
      if (k < 0 || k >= 4) continue;
      in.b_valid[c] = 1;
      in.b_data[c] = b[c][k];
    }
    arr->step(in, &out);
    EXPECT_EQ(out, want[t]) << "step " << t << ": got " << out << " want " << want[t];
  }

  // Positive side: 32767*7 three times = 688107 -> clamp 524287 on the third add.
  arr->reset();
  for (int t = 0; t < 4; ++t) {
    in.clear();
    if (t < 3) {
      in.a_valid[0] = 1;
      in.a_data[0] = 32767;
      in.a_first[0] = t == 0;
      in.a_last[0] = t == 2;
      in.b_valid[0] = 1;
      in.b_data[0] = 7;
    }
    arr->step(in, &out);
    EXPECT_EQ(out, t == 2 ? expect(4, {{0, 524287}}) : expect(4)) << "step " << t << ": " << out;
  }
}

// ---------------------------------------------------------------------------------------
// Stationary (ws): out[m][c] = sum_k A[m][k] * W[k][c], PE (r, c) holding W[r][c].
// Loading: w_shift on steps s = 0..R-1 with b_data = W[R-1-s] and b_valid = 1 (the
// stationary valid bit travels with the value); row 0 takes b_data and each row takes the
// row above, so after R shifts row r holds the value pushed at step R-1-r, i.e. W[r].
// Streaming: wavefront m has issue(m); row r's element A[m][r] enters at issue(m) + r and
// reaches PE (r, c) at issue(m) + r + c, together with the partial sum from PE (r-1, c)
// (registered at issue(m) + r - 1 + c). The bottom PE (R-1, c) registers the full sum at
// the edge ending cycle issue(m) + R-1 + c, and o_data/o_valid show p_reg of PE (R-1, c)
// directly: the result is in the outputs of step issue(m) + R - 1 + c.
// Partial-sum valid starts as PE (0,c)'s MAC (left valid and stationary valid), so o_valid
// follows the same timing. Invalid steps show p_reg = the passed-through 0.
// ---------------------------------------------------------------------------------------
void st_shift(int s, int bank, const std::vector<std::vector<int64_t>>& W, ArrayInputs* in) {
  const int R = static_cast<int>(W.size());
  in->w_shift = true;
  in->w_bank = bank;
  for (size_t c = 0; c < W[0].size(); ++c) {
    in->b_valid[c] = 1;
    in->b_data[c] = W[R - 1 - s][c];
  }
}

void st_stream(int t, int issue, int bank, const std::vector<int64_t>& a_row, ArrayInputs* in) {
  for (size_t r = 0; r < a_row.size(); ++r) {
    if (t != issue + static_cast<int>(r)) continue;
    in->a_valid[r] = 1;
    in->a_data[r] = a_row[r];
    in->a_bank[r] = static_cast<uint8_t>(bank);
  }
}

TEST(RtlHarness, StationaryTileAndDoubleBuffer4x4) {
  auto arr = make_or_fail(params(true, 4, 4, 8, true, 8, true, 32, false));
  ASSERT_TRUE(arr);
  EXPECT_STREQ(arr->variant(), "st4x4_s8s8_a32");
  const std::vector<std::vector<int64_t>> W = {
      {1, 2, 3, 4}, {-1, 0, 5, -128}, {7, -7, 1, 127}, {2, 3, -4, 0}};
  const std::vector<std::vector<int64_t>> W1 = {  // bank 1, for the 4th wavefront
      {10, 0, 0, 0}, {0, 10, 0, 0}, {0, 0, 10, 0}, {0, 0, 0, -1}};
  const std::vector<std::vector<int64_t>> A = {{1, 1, 1, 1}, {-2, 3, 0, 5}, {127, -128, 1, 2}};
  const std::vector<int64_t> A3 = {3, 4, 5, 6};  // uses bank 1
  // out[m][c] = sum_k A[m][k] W[k][c]:
  //   m=0: [1-1+7+2, 2+0-7+3, 3+5+1-4, 4-128+127+0] = [9, -2, 5, 3]
  //   m=1: [-2-3+0+10, -4+0+0+15, -6+15+0-20, -8-384+0+0] = [5, 11, -11, -392]
  //   m=2: [127+128+7+4, 254+0-7+6, 381-640+1-8, 508+16384+127+0] = [266, 253, -266, 17019]
  //   m=3 (bank 1): [30, 40, 50, -6]
  // Schedule: bank 0 shifts on steps 0..3; wavefronts m = 0..2 issue at 4, 5, 6 with bank 0
  // while bank 1 shifts on steps 4..7 (w_bank = 1 does not disturb bank 0); wavefront 3
  // issues at 8 with bank 1 (loaded by the edge ending step 7).
  // Output steps: issue(m) + 3 + c -> m=0: 7+c, m=1: 8+c, m=2: 9+c, m=3: 11+c.
  const std::vector<std::vector<int64_t>> out_m = {
      {9, -2, 5, 3}, {5, 11, -11, -392}, {266, 253, -266, 17019}, {30, 40, 50, -6}};
  const int issue[4] = {4, 5, 6, 8};
  const int T = 16;
  std::vector<ArrayOutputs> want(T, expect(4));
  for (int m = 0; m < 4; ++m)
    for (int c = 0; c < 4; ++c) {
      auto& w = want[issue[m] + 3 + c];
      w.o_valid[c] = 1;
      w.o_data[c] = out_m[m][c];
    }

  ArrayInputs in(4, 4);
  ArrayOutputs out;
  for (int t = 0; t < T; ++t) {
    in.clear();
    if (t < 4) st_shift(t, 0, W, &in);
    if (t >= 4 && t < 8) st_shift(t - 4, 1, W1, &in);
    for (int m = 0; m < 3; ++m) st_stream(t, issue[m], 0, A[m], &in);
    st_stream(t, issue[3], 1, A3, &in);
    arr->step(in, &out);
    EXPECT_EQ(out, want[t]) << "step " << t << ": got " << out << " want " << want[t];
  }
}

TEST(RtlHarness, StationaryShiftAndUseSameCycleSeesOldValue) {
  // 4x4, column 0 only matters. Load W = all 1 in bank 0 (steps 0..3). At step 4 the
  // wavefront's row 0 element enters PE (0,0) while bank 0 shifts in 100s: PE (0,0) still
  // multiplies by the old 1. Rows 1..3 enter at 5, 6, 7 and by then see the new values:
  // after shift at step 4 row 1 holds row 0's old 1, row 2 and 3 hold 1 as well (all 1s),
  // so only the row-0 product at step 4 distinguishes old (1) from new (100).
  // A = {2, 0, 0, 0}: out[0] = 2 * 1 = 2 (the new value would give 200), at step 4+3+0 = 7.
  auto arr = make_or_fail(params(true, 4, 4, 8, true, 8, true, 32, false));
  ASSERT_TRUE(arr);
  ArrayInputs in(4, 4);
  ArrayOutputs out;
  for (int t = 0; t < 8; ++t) {
    in.clear();
    if (t <= 4) {
      in.w_shift = true;
      for (int c = 0; c < 4; ++c) {
        in.b_valid[c] = 1;
        in.b_data[c] = t < 4 ? 1 : 100;
      }
    }
    if (t >= 4) {
      in.a_valid[t - 4] = 1;
      in.a_data[t - 4] = t == 4 ? 2 : 0;
    }
    arr->step(in, &out);
  }
  EXPECT_EQ(out.o_valid[0], 1);
  EXPECT_EQ(out.o_data[0], 2);
}

TEST(RtlHarness, StationaryInvalidValuesPassThroughAndSilenceColumns) {
  // 4x4. Bank 0 loaded on steps 0..3 (pushing W rows 3, 2, 1, 0) with b_valid = 0 for the
  // whole of row 3 and for column 3 everywhere; the data shifted in with them (99, 50) is
  // junk that must never be multiplied. One wavefront A = {1, 2, 3, 4} issues at 4.
  //   columns 0..2: rows 0..2 MAC, row 3 passes the partial sum through (no 4*99):
  //     col0 = 1*1 + 2*4 + 3*7 = 30, col1 = 2 + 10 + 24 = 36, col2 = 3 + 12 + 27 = 42,
  //     at steps 4 + 3 + c = 7, 8, 9.
  //   column 3: row 0 does no MAC, so it starts no partial sum: o_valid[3] stays 0 and
  //     o_data[3] stays 0 (the passed-through 0) on every step.
  auto arr = make_or_fail(params(true, 4, 4, 8, true, 8, true, 32, false));
  ASSERT_TRUE(arr);
  const std::vector<std::vector<int64_t>> W = {
      {1, 2, 3, 50}, {4, 5, 6, 50}, {7, 8, 9, 50}, {99, 99, 99, 99}};
  const std::vector<int64_t> A = {1, 2, 3, 4};
  const std::vector<int64_t> want = {30, 36, 42};
  ArrayInputs in(4, 4);
  ArrayOutputs out;
  for (int t = 0; t < 12; ++t) {
    in.clear();
    if (t < 4) {
      st_shift(t, 0, W, &in);
      const int row = 3 - t;  // the W row pushed now
      for (int c = 0; c < 4; ++c) in.b_valid[c] = row != 3 && c != 3;
    }
    st_stream(t, 4, 0, A, &in);
    arr->step(in, &out);
    for (int c = 0; c < 4; ++c) {
      const bool v = c < 3 && t == 7 + c;
      EXPECT_EQ(out.o_valid[c], v ? 1 : 0) << "step " << t << " col " << c;
      EXPECT_EQ(out.o_data[c], v ? want[c] : 0) << "step " << t << " col " << c;
    }
  }
}

TEST(RtlHarness, StationaryUnsignedAndSignedOperands) {
  // st5x3_u4s6_a14sat: a unsigned 4-bit (15 must not read as -1), w signed 6-bit
  // (-32 encodes as 100000). One wavefront at issue 5 after 5 shifts; output at
  // 5 + 4 + c. Note: with 5 reduction rows starting from 0, |sum| <= 5*15*32 = 2400 <
  // 2^13, so this variant can never reach its saturation limits; saturation is checked on
  // os1x4_s16u3_a20sat instead.
  auto arr = make_or_fail(params(true, 5, 3, 4, false, 6, true, 14, true));
  ASSERT_TRUE(arr);
  const std::vector<std::vector<int64_t>> W = {
      {-32, 31, -1}, {-32, 31, 1}, {-32, 31, 0}, {-32, -32, 5}, {-32, 1, -7}};
  const std::vector<int64_t> a = {15, 15, 15, 15, 8};
  // out = [-32*60 - 256, 31*45 - 480 + 8, -15 + 15 + 0 + 75 - 56] = [-2176, 923, 19]
  const std::vector<int64_t> want = {-2176, 923, 19};
  ArrayInputs in(5, 3);
  ArrayOutputs out;
  for (int t = 0; t < 12; ++t) {
    in.clear();
    if (t < 5) st_shift(t, 0, W, &in);
    st_stream(t, 5, 0, a, &in);
    arr->step(in, &out);
    for (int c = 0; c < 3; ++c) {
      const bool v = t == 9 + c;
      EXPECT_EQ(out.o_valid[c], v ? 1 : 0) << "step " << t << " col " << c;
      EXPECT_EQ(out.o_data[c], v ? want[c] : 0) << "step " << t << " col " << c;
    }
  }
}

TEST(RtlHarness, UnknownParamsGiveNullptr) {
  EXPECT_EQ(make_rtl_array(params(false, 7, 9, 8, true, 8, true, 32, false)), nullptr);
  EXPECT_EQ(make_rtl_array(params(true, 4, 4, 8, true, 8, true, 32, true)), nullptr);  // sat differs
  const auto vars = tpesim::rtl::rtl_variants();
  EXPECT_GE(vars.size(), 1u);
  for (const auto& [name, p] : vars) {
    auto a = make_rtl_array(p);
    ASSERT_TRUE(a) << name;
    EXPECT_EQ(a->variant(), name);
    EXPECT_EQ(a->params(), p);
  }
}

TEST(RtlHarness, InstancesAreIndependentAndStepChecksSizes) {
  const auto p = params(false, 4, 4, 8, true, 8, true, 32, false);
  auto x = make_or_fail(p), y = make_or_fail(p);
  ASSERT_TRUE(x && y);
  ArrayInputs in(4, 4);
  ArrayOutputs ox, oy;
  in.a_valid[0] = in.a_first[0] = in.a_last[0] = in.b_valid[0] = 1;
  in.a_data[0] = 6;
  in.b_data[0] = 7;
  x->step(in, &ox);
  in.clear();
  y->step(in, &oy);
  EXPECT_EQ(ox, expect(4, {{0, 42}}));
  EXPECT_EQ(oy, expect(4));
  EXPECT_EQ(x->cycle(), 1u);
  EXPECT_EQ(y->cycle(), 1u);
  ArrayInputs bad(3, 4);
  EXPECT_THROW(x->step(bad, &ox), std::invalid_argument);
}

TEST(RtlHarness, WritesVcd) {
  auto arr = make_or_fail(params(false, 4, 4, 8, true, 8, true, 32, false));
  ASSERT_TRUE(arr);
  const std::string path = ::testing::TempDir() + "tpesim_rtl_harness_test.vcd";
  ArrayInputs in(4, 4);
  ArrayOutputs out;
  for (int round = 0; round < 2; ++round) {  // re-opening after close works
    arr->open_trace(path);
    for (int t = 0; t < 5; ++t) arr->step(in, &out);
    arr->close_trace();
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    const std::string vcd = ss.str();
    EXPECT_NE(vcd.find("$enddefinitions"), std::string::npos);
    EXPECT_NE(vcd.find(" a_data "), std::string::npos);
    EXPECT_NE(vcd.find(" acc "), std::string::npos);  // PE internals are traced too
    EXPECT_NE(vcd.find("$timescale"), std::string::npos);
  }
  std::remove(path.c_str());
}

}  // namespace
