`timescale 1ns/1ps
// mixpe_mac_int: the MixPE W4A8 PE's multiply-accumulate step (docs/mixpe-pe.md, "The
// shift-and-add product" and "MixPE W4A8" step 1), combinational:
//   acc_out = acc_in + q * a   (ACC-bit two's complement, wrapping)
// with the product formed WITHOUT a multiplier: one term a << i per set bit i of q's B-bit
// pattern, the sign bit (bit B-1) of a signed code entering as -(a << (B-1)). The terms are
// summed exactly in 8 + B + 1 bits (|q * a| <= 2^(B+7)) and sign-extended to ACC bits.
// Bit-exact reference: acc_in + num::mixpe::shift_add_int(q, B, Q_SIGNED, a), wrapped to ACC
// bits. Latency 0 (the accumulator register belongs to the array around the PE).
module mixpe_mac_int #(
    parameter integer B        = 4,  // weight code width, 2..8
    parameter integer Q_SIGNED = 1,  // 1: q is two's complement; 0: unsigned 0..2^B-1
    parameter integer ACC      = 32  // accumulator width, >= B + 9
) (
    input  wire [ACC-1:0] acc_in,   // accumulator in, two's complement
    input  wire [B-1:0]   q,        // weight code (B-bit pattern)
    input  wire [7:0]     a,        // INT8 activation, two's complement
    output wire [ACC-1:0] acc_out   // acc_in + q * a, wrapped to ACC bits
);
  localparam integer PW = B + 9;  // exact product width (two's complement)

  // a sign-extended to the product width.
  wire [PW-1:0] a_ext = {{(PW - 8) {a[7]}}, a};

  // Shift-and-add: prod = sum over set bits i of +(a << i); the sign bit's term is subtracted.
  reg [PW-1:0] prod;  // exactly q * a
  integer i;
  always @* begin
    prod = {PW{1'b0}};
    for (i = 0; i < B; i = i + 1)
      if (q[i]) begin
        if (Q_SIGNED != 0 && i == B - 1) prod = prod - (a_ext << i);
        else prod = prod + (a_ext << i);
      end
  end

  assign acc_out = acc_in + {{(ACC - PW) {prod[PW-1]}}, prod};
endmodule
