// reg_bits: W register bits loaded on every rising clock edge, q <= d (no enable, no reset).
// Reference circuit of tools/tech/ihp_calibrate.py (ops reg_write and reg_clock, per bit):
// driven with new random data each cycle (reg_write) or with constant data (reg_clock).
module reg_bits #(
    parameter integer W = 8
) (
    input  wire         clk,
    input  wire [W-1:0] d,
    output reg  [W-1:0] q
);
  always @(posedge clk) q <= d;
endmodule
