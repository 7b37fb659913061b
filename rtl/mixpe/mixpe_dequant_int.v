`timescale 1ns/1ps
// mixpe_dequant_int: the MixPE W4A8 dequantisation unit (docs/mixpe-pe.md, "MixPE W4A8"
// step 3), combinational:
//   y_out = RNE_fp32(y_in + s * (P - z * A))
// P (the group's partial sum of q * a) and A (the row sum of a) are ACC-bit two's complement,
// z the group's zero point (B + 1 bits, two's complement, in [-2^B + 1, 2^B - 1]), s the FP16
// group scale. D = P - z * A is an exact integer (|D| < 2^(ACC+B)), s * D an exact product of
// at most 11 + ACC + B bits, and the sum is rounded ONCE (a fused multiply-add,
// mixpe_fp32_add_exact). A zero product (D = 0 or s = +-0) has the sign sign(s) xor (D < 0);
// an exactly zero sum is +0 unless y_in and the product are both -0 (IEEE).
// Bit-exact reference: num::mixpe::dequant_int (which rejects infinite and NaN scales; here
// they follow IEEE: inf * 0 = NaN). Latency 0 (one group result per cycle; the unit is
// shared by a column of PEs and used once per group, so it may be pipelined freely).
module mixpe_dequant_int #(
    parameter integer B   = 4,  // weight code width, 2..8 (zero point: B + 1 bits)
    parameter integer ACC = 32  // width of P and A, 16..48
) (
    input  wire [31:0]    y_in,   // output accumulator, FP32 bits
    input  wire [ACC-1:0] p,      // P: sum of q * a over the group, two's complement
    input  wire [ACC-1:0] a_sum,  // A: sum of a over the group, two's complement
    input  wire [B:0]     z,      // zero point, two's complement
    input  wire [15:0]    s,      // group scale, FP16 bits
    output wire [31:0]    y_out   // RNE_fp32(y_in + s * (P - z * A)), FP32 bits
);
  localparam integer ZW = B + 1;        // zero point width
  localparam integer XW = ACC + ZW + 1; // width of D (two's complement; exact)
  localparam integer DW = ACC + B;      // width of |D|
  localparam integer W  = 11 + DW;      // width of |s * D|

  // ---- D = P - z * A, exact ----
  wire signed [ACC+ZW-1:0] za = $signed(a_sum) * $signed(z);
  wire [XW-1:0] d  = {{(ZW + 1) {p[ACC-1]}}, p} - {za[ACC+ZW-1], za};
  wire          d_neg = d[XW-1];
  wire [XW-1:0] d_abs = d_neg ? ({XW{1'b0}} - d) : d;
  wire          d_zero = (d == {XW{1'b0}});

  // ---- the scale ----
  wire        s_e0  = (s[14:10] == 5'd0);
  wire        s_e1  = (s[14:10] == 5'h1F);
  wire        s_m0  = (s[9:0] == 10'd0);
  wire [10:0] s_sig = {~s_e0, s[9:0]};
  // lsb exponent max(E, 1) - 25, biased by 512: max(E, 1) + 487.
  wire [10:0] s_lsb = {6'd0, s[14:11], s[10] | s_e0} + 11'd487;

  // ---- s * D, exact ----
  wire [W-1:0] prod = {{DW{1'b0}}, s_sig} * {11'd0, d_abs[DW-1:0]};
  wire         p_nan = s_e1 & (~s_m0 | d_zero);
  wire         p_inf = s_e1 & s_m0 & ~d_zero;

  mixpe_fp32_add_exact #(.W(W)) u_add (
      .x(y_in), .y_neg(s[15] ^ d_neg), .y_sig(prod), .y_lsb(s_lsb),
      .y_zero((s_e0 & s_m0) | d_zero), .y_inf(p_inf), .y_nan(p_nan), .sum(y_out));

  // |D| < 2^DW: the top bits of d_abs are zero (documented width, not logic).
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = &{1'b0, d_abs[XW-1:DW]};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
