// int_mul: W x W-bit two's-complement multiplier with the full 2W-bit product, p = a * b.
// Reference circuit of tools/tech/ihp_calibrate.py (op int_mul, bits W).
module int_mul #(
    parameter integer W = 8
) (
    input  wire signed [W-1:0]   a,
    input  wire signed [W-1:0]   b,
    output wire signed [2*W-1:0] p
);
  assign p = a * b;
endmodule
