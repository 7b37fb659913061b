`timescale 1ns/1ps
// mixpe_row_add_fp: the MixPE W4A16 row adder (docs/mixpe-pe.md, "MixPE W4A16" step 2),
// combinational: sum_out = RNE_fp32(sum_in + a), a FP16 (converted exactly), one rounding.
// Bit-exact reference: num::mixpe::row_add_fp16 = fp32_add(sum, fp16_to_fp32(a)) (which
// rejects infinite and NaN activations; here they follow IEEE addition). Latency 0.
module mixpe_row_add_fp (
    input  wire [31:0] sum_in,  // running row sum, FP32 bits
    input  wire [15:0] a,       // activation, FP16 bits
    output wire [31:0] sum_out  // RNE_fp32(sum_in + a), FP32 bits
);
  wire        a_e0  = (a[14:10] == 5'd0);
  wire        a_e1  = (a[14:10] == 5'h1F);
  wire        a_m0  = (a[9:0] == 10'd0);
  wire [10:0] a_sig = a_e1 ? 11'd0 : {~a_e0, a[9:0]};
  // lsb exponent max(E, 1) - 25, biased by 512: max(E, 1) + 487.
  wire [10:0] a_lsb = {6'd0, a[14:11], a[10] | a_e0} + 11'd487;

  mixpe_fp32_add_exact #(.W(11)) u_add (
      .x(sum_in), .y_neg(a[15]), .y_sig(a_sig), .y_lsb(a_lsb),
      .y_zero(a_e0 & a_m0), .y_inf(a_e1 & a_m0), .y_nan(a_e1 & ~a_m0), .sum(sum_out));
endmodule
