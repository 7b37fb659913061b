// int_add: W-bit two's-complement adder with the full (W+1)-bit sum, s = a + b.
// Reference circuit of tools/tech/ihp_calibrate.py (op int_add, bits W).
module int_add #(
    parameter integer W = 8
) (
    input  wire signed [W-1:0] a,
    input  wire signed [W-1:0] b,
    output wire signed [W:0]   s
);
  assign s = a + b;
endmodule
