`timescale 1ns/1ps
// systolic_mac: the combinational multiply-add shared by both PE kinds
// (docs/systolic-array.md, "Parameters"). Computes add(p_in, a * b), where the
// product is exact (each operand sign- or zero-extended by A_SIGNED/B_SIGNED)
// and add() is the exact sum of the ACC-bit two's-complement addend and the
// product, then either wrapped to the low ACC bits (SAT=0) or clamped to
// [-2^(ACC-1), 2^(ACC-1)-1] (SAT=1).
module systolic_mac #(
    parameter integer AW       = 8,   // width of operand a, bits
    parameter integer A_SIGNED = 1,   // a is two's complement (1) or unsigned (0)
    parameter integer BW       = 8,   // width of operand b, bits
    parameter integer B_SIGNED = 1,   // b is two's complement (1) or unsigned (0)
    parameter integer ACC      = 32,  // addend / result width, bits
    parameter integer SAT      = 0,   // 0 = wrap modulo 2^ACC, 1 = saturate
    parameter integer FP       = 0    // 1: a, b are FP16, p_in/sum FP32 (AW=BW=16, ACC=32)
) (
    input  wire [ACC-1:0] p_in,  // addend, ACC-bit two's complement
    input  wire [AW-1:0]  a,     // left operand
    input  wire [BW-1:0]  b,     // top / stationary operand
    output wire [ACC-1:0] sum    // add(p_in, a * b), ACC-bit two's complement
);
  generate
    if (FP != 0) begin : g_fp
      // FP16 x FP16 -> FP32 multiply-add, one rounding (docs/numerics.md, "FP16 x FP16 MAC").
      fp16_fp32_mac u_fp (.acc(p_in[31:0]), .a(a[15:0]), .b(b[15:0]), .sum(sum[31:0]));
    end else begin : g_int
    // An (AW+BW+1)-bit two's-complement value holds every exact product of any
    // signedness mix (unsigned*unsigned < 2^(AW+BW) is the widest case).
    localparam integer PW = AW + BW + 1;
    // One bit wider than both terms: the exact sum never overflows.
    localparam integer SW = ((ACC > PW) ? ACC : PW) + 1;

    wire a_ext = (A_SIGNED != 0) ? a[AW-1] : 1'b0;  // extension bit of a
    wire b_ext = (B_SIGNED != 0) ? b[BW-1] : 1'b0;  // extension bit of b
    wire [PW-1:0] a_x = {{(PW - AW){a_ext}}, a};    // a extended to PW bits
    wire [PW-1:0] b_x = {{(PW - BW){b_ext}}, b};    // b extended to PW bits
    // The low PW bits of the PW x PW product are the exact two's-complement product.
    wire [PW-1:0] prod = a_x * b_x;

    /* verilator lint_off UNUSEDSIGNAL */
    // Exact sum; with SAT=0 only the low ACC bits are kept (intentional truncation).
    wire [SW-1:0] s = {{(SW - ACC){p_in[ACC-1]}}, p_in} + {{(SW - PW){prod[PW-1]}}, prod};
    /* verilator lint_on UNUSEDSIGNAL */

      if (SAT != 0) begin : g_sat
        // In range iff bits [SW-1:ACC-1] are all copies of the sign bit.
        wire ovf = (s[SW-1:ACC-1] != {(SW - ACC + 1){s[SW-1]}});
        assign sum = !ovf ? s[ACC-1:0]
                   : s[SW-1] ? {1'b1, {(ACC - 1){1'b0}}}   // below range: -2^(ACC-1)
                             : {1'b0, {(ACC - 1){1'b1}}};  // above range: 2^(ACC-1)-1
      end else begin : g_wrap
        assign sum = s[ACC-1:0];
      end
    end
  endgenerate
endmodule
