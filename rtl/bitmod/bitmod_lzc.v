`timescale 1ns/1ps
// bitmod_lzc: leading-zero count of a W-bit vector (W when the vector is zero). A priority
// chain; W is at most a few tens of bits in the BitMoD PE (docs/bitmod-pe.md).
module bitmod_lzc #(
    parameter integer W = 16  // input width, 1..255
) (
    input  wire [W-1:0]           x,  // the vector
    output reg  [$clog2(W+1)-1:0] n   // leading zeros (W if x == 0)
);
  integer i;
  always @* begin
    n = W[$clog2(W+1)-1:0];
    for (i = 0; i < W; i = i + 1)
      if (x[i]) n = W[$clog2(W+1)-1:0] - 1'b1 - i[$clog2(W+1)-1:0];
  end
endmodule
