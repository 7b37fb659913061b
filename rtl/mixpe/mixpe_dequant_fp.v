`timescale 1ns/1ps
// mixpe_dequant_fp: the MixPE W4A16 dequantisation unit (docs/mixpe-pe.md, "MixPE W4A16"
// step 3), combinational, two roundings:
//   D     = RNE_fp32(P + (-z) * A)    (= P - z * A; one rounding)
//   y_out = RNE_fp32(y_in + s * D)    (one rounding)
// P (the group's FP32 partial sum) and A (the FP32 row sum) are FP32, z the zero point
// (B + 1 bits, two's complement), s the FP16 group scale. Both products are exact ((-z) * A
// has at most 24 + B + 1 significant bits, s * D at most 35) and each sum is rounded once
// (mixpe_fp32_add_exact). Signed zeros as the C++ reference: the zero product (-z) * A has
// the sign sign(A) xor (-z < 0), i.e. for z = 0 the sign of A (the integer -z = 0 is +0), so
// (-0) - 0 * (+A) = +0; the zero product s * D has the sign sign(s) xor sign(D).
// An infinite or NaN D (P infinite or NaN, or P - z * A beyond FP32) gives
// y_out = RNE_fp32(y_in + D), the scale ignored, as the reference does.
// Bit-exact reference: num::mixpe::dequant_fp (which rejects an infinite or NaN A or s; here
// they follow IEEE: inf * 0 = NaN). Latency 0 (see mixpe_dequant_int: a pipeline register
// between the two roundings would give latency 1 at one group result per cycle).
module mixpe_dequant_fp #(
    parameter integer B = 4  // weight code width, 2..8 (zero point: B + 1 bits)
) (
    input  wire [31:0] y_in,   // output accumulator, FP32 bits
    input  wire [31:0] p,      // P: the group's partial sum, FP32 bits
    input  wire [31:0] a_sum,  // A: the group's row sum, FP32 bits
    input  wire [B:0]  z,      // zero point, two's complement
    input  wire [15:0] s,      // group scale, FP16 bits
    output wire [31:0] d,      // D = RNE_fp32(P - z * A), FP32 bits (for observation)
    output wire [31:0] y_out   // RNE_fp32(y_in + s * D), FP32 bits
);
  localparam integer ZW = B + 1;    // zero point width; |z| <= 2^B
  localparam integer W1 = 24 + ZW;  // width of |z * A|
  localparam integer W2 = 35;       // width of |s * D|

  // ---- stage 1: D = RNE(P + (-z) * A) ----
  wire          z_neg  = z[B];
  wire          z_zero = (z == {ZW{1'b0}});
  wire [ZW-1:0] z_abs  = z_neg ? ({ZW{1'b0}} - z) : z;
  wire          a_e0   = (a_sum[30:23] == 8'd0);
  wire          a_e1   = (a_sum[30:23] == 8'hFF);
  wire          a_m0   = (a_sum[22:0] == 23'd0);
  wire [23:0]   a_sig  = {~a_e0, a_sum[22:0]};
  // lsb exponent max(E, 1) - 150, biased by 512: max(E, 1) + 362.
  wire [10:0]   a_lsb  = {3'd0, a_sum[30:24], a_sum[23] | a_e0} + 11'd362;
  wire [W1-1:0] za     = {{ZW{1'b0}}, a_sig} * {{24{1'b0}}, z_abs};
  // -z < 0 exactly when z > 0.
  wire          p1_neg = a_sum[31] ^ (~z_neg & ~z_zero);
  mixpe_fp32_add_exact #(.W(W1)) u_add1 (
      .x(p), .y_neg(p1_neg), .y_sig(za), .y_lsb(a_lsb),
      .y_zero((a_e0 & a_m0) | z_zero), .y_inf(a_e1 & a_m0 & ~z_zero),
      .y_nan(a_e1 & (~a_m0 | z_zero)), .sum(d));

  // ---- stage 2: y_out = RNE(y_in + s * D) ----
  wire        d_e0  = (d[30:23] == 8'd0);
  wire        d_e1  = (d[30:23] == 8'hFF);
  wire        d_m0  = (d[22:0] == 23'd0);
  wire [23:0] d_sig = {~d_e0, d[22:0]};
  wire        s_e0  = (s[14:10] == 5'd0);
  wire        s_e1  = (s[14:10] == 5'h1F);
  wire        s_m0  = (s[9:0] == 10'd0);
  wire [10:0] s_sig = {~s_e0, s[9:0]};
  // lsb exponents: (max(Es, 1) - 25) + (max(Ed, 1) - 150), biased by 512.
  wire [10:0] p2_lsb = {6'd0, s[14:11], s[10] | s_e0} + {3'd0, d[30:24], d[23] | d_e0} + 11'd337;
  wire [W2-1:0] sd   = {11'd0, d_sig} * {24'd0, s_sig};
  wire        p2_zero = (s_e0 & s_m0) | (d_e0 & d_m0);
  // D infinite / NaN: D itself is added (the reference's fp32_add(y, D)).
  wire        p2_inf = d_e1 ? d_m0 : (s_e1 & s_m0 & ~p2_zero);
  wire        p2_nan = d_e1 ? ~d_m0 : (s_e1 & (~s_m0 | p2_zero));
  wire        p2_neg = d_e1 ? d[31] : (s[15] ^ d[31]);
  mixpe_fp32_add_exact #(.W(W2)) u_add2 (
      .x(y_in), .y_neg(p2_neg), .y_sig(sd), .y_lsb(p2_lsb),
      .y_zero(p2_zero & ~d_e1), .y_inf(p2_inf), .y_nan(p2_nan), .sum(y_out));
endmodule
