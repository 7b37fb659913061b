`timescale 1ns/1ps
// area_units.v: area-only tops for `tpesim area` (docs/energy-area.md, "Area"): the MixPE
// row adders with the register that holds each row's running group sum A_g
// (docs/mixpe-pe.md, step 2 of W4A8 and W4A16). The simulator computes A_g in C++
// (sim/engine/mixpe_run.cpp); these modules exist only so that synthesis can price one row
// adder, and are not simulated or cosimulated. `first` starts a group's sum.

// W4A8: A <- A + a over INT8 activations, ACC-bit two's complement (wrapping).
module tpesim_area_row_add_int #(
    parameter integer ACC = 32  // row-sum width, bits
) (
    input  wire           clk,    // clock, rising edge
    input  wire           rst,    // synchronous active-high reset
    input  wire           valid,  // an activation of the row arrives
    input  wire           first,  // it is the group's first: the sum restarts
    input  wire [7:0]     a,      // INT8 activation
    output reg  [ACC-1:0] sum     // running group sum
);
  wire [ACC-1:0] base = first ? {ACC{1'b0}} : sum;
  always @(posedge clk) begin
    if (rst) sum <= {ACC{1'b0}};
    else if (valid) sum <= base + {{(ACC - 8){a[7]}}, a};
  end
endmodule

// W4A16: A <- RNE_fp32(A + a) over FP16 activations (mixpe_row_add_fp), FP32 register.
module tpesim_area_row_add_fp (
    input  wire        clk,    // clock, rising edge
    input  wire        rst,    // synchronous active-high reset
    input  wire        valid,  // an activation of the row arrives
    input  wire        first,  // it is the group's first: the sum restarts at +0
    input  wire [15:0] a,      // FP16 activation
    output reg  [31:0] sum     // running group sum, FP32 bits
);
  wire [31:0] next;
  mixpe_row_add_fp u_add (.sum_in(first ? 32'd0 : sum), .a(a), .sum_out(next));
  always @(posedge clk) begin
    if (rst) sum <= 32'd0;
    else if (valid) sum <= next;
  end
endmodule
