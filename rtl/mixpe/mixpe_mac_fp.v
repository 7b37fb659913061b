`timescale 1ns/1ps
// mixpe_mac_fp: the MixPE W4A16 PE's multiply-accumulate step (docs/mixpe-pe.md, "The
// shift-and-add product" and "MixPE W4A16" step 1), combinational:
//   acc_out = RNE_fp32(acc_in + q * a)   a FP16, q a B-bit integer code, acc FP32
// The product is exact and formed WITHOUT a multiplier: for each set bit i of q's pattern the
// term a * 2^i (a's significand shifted by i, i.e. its exponent incremented by i; all terms
// share a's lsb exponent), the sign bit of a signed code entering negated; the signed sum
// of the terms (at most 11 + B significant bits) is then added to the accumulator and rounded
// once (mixpe_fp32_add_exact). A zero product has the sign sign(a) xor (q < 0), as the
// product of a and q converted to FP16 (so the unit equals fp_mac_fp16_fp32(acc, a, fp16(q))).
// Bit-exact reference: num::mixpe::mac_w4a16 (which rejects infinite and NaN activations;
// here they follow IEEE: inf * 0 = NaN, inf * q = inf). Latency 0.
module mixpe_mac_fp #(
    parameter integer B        = 4,  // weight code width, 2..8
    parameter integer Q_SIGNED = 1   // 1: q is two's complement; 0: unsigned 0..2^B-1
) (
    input  wire [31:0]  acc_in,  // accumulator, FP32 bits
    input  wire [B-1:0] q,       // weight code (B-bit pattern)
    input  wire [15:0]  a,       // activation, FP16 bits
    output wire [31:0]  acc_out  // RNE_fp32(acc_in + q * a), FP32 bits
);
  localparam integer SW = 11 + B;  // |sum of terms| < 2^(11+B)
  localparam integer TW = SW + 1;  // signed sum of terms

  // ---- FP16 operand ----
  wire        a_e0  = (a[14:10] == 5'd0);
  wire        a_e1  = (a[14:10] == 5'h1F);
  wire        a_m0  = (a[9:0] == 10'd0);
  wire [10:0] a_sig = a_e1 ? 11'd0 : {~a_e0, a[9:0]};
  // lsb exponent max(E, 1) - 25, biased by 512: max(E, 1) + 487.
  wire [10:0] a_lsb = {6'd0, a[14:11], a[10] | a_e0} + 11'd487;

  // ---- shift-and-add: t_sum = sum over set bits i of +(a_sig << i), the sign bit's term
  //      subtracted; q * a_sig in two's complement ----
  wire [TW-1:0] s_ext = {{(TW - 11) {1'b0}}, a_sig};
  reg  [TW-1:0] t_sum;
  integer i;
  always @* begin
    t_sum = {TW{1'b0}};
    for (i = 0; i < B; i = i + 1)
      if (q[i]) begin
        if (Q_SIGNED != 0 && i == B - 1) t_sum = t_sum - (s_ext << i);
        else t_sum = t_sum + (s_ext << i);
      end
  end
  wire [SW-1:0] p_mag = t_sum[TW-1] ? ({SW{1'b0}} - t_sum[SW-1:0]) : t_sum[SW-1:0];

  // ---- the product's class ----
  wire q_neg  = (Q_SIGNED != 0) & q[B-1];
  wire q_zero = (q == {B{1'b0}});
  wire a_zero = a_e0 & a_m0;
  wire p_nan  = (a_e1 & ~a_m0) | (a_e1 & q_zero);
  wire p_inf  = a_e1 & a_m0 & ~q_zero;

  mixpe_fp32_add_exact #(.W(SW)) u_add (
      .x(acc_in), .y_neg(a[15] ^ q_neg), .y_sig(p_mag), .y_lsb(a_lsb),
      .y_zero(a_zero | q_zero), .y_inf(p_inf), .y_nan(p_nan), .sum(acc_out));
endmodule
