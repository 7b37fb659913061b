`timescale 1ns/1ps
// bitmod_delay: a D-stage register delay line (D = 0: a wire), synchronous reset to zero.
module bitmod_delay #(
    parameter integer W = 1,  // width
    parameter integer D = 1   // stages, >= 0
) (
    input  wire         clk,  // clock, rising edge
    input  wire         rst,  // synchronous active-high reset
    input  wire [W-1:0] d,    // input
    output wire [W-1:0] q     // d delayed by D cycles
);
  generate
    if (D == 0) begin : g_wire
      assign q = d;
      wire unused_ok = &{1'b0, clk, rst, 1'b0};
    end else begin : g_regs
      reg  [D*W-1:0]     sr;            // stage k in [kW +: W], the oldest at the top
      wire [(D+1)*W-1:0] sh = {sr, d};  // shifted by one stage
      always @(posedge clk) begin
        if (rst) sr <= {(D * W){1'b0}};
        else     sr <= sh[D*W-1:0];
      end
      assign q = sr[D*W-1 -: W];
      wire unused_ok = &{1'b0, sh[(D+1)*W-1:D*W], 1'b0};
    end
  endgenerate
endmodule
