`timescale 1ns/1ps
// systolic_pe_os: one output-stationary PE (DF = 0) of the systolic array
// (docs/systolic-array.md, "Output-stationary PE"). Forwards the left operand
// (with valid/first/last) to the right and the top operand (with valid) down,
// one register each, and accumulates a_in * b_in in place. When the left input
// is marked last, the PE emits the new sum to its column output register
// (which lives in systolic_array) in the same cycle.
module systolic_pe_os #(
    parameter integer AW       = 8,   // left operand width, bits
    parameter integer A_SIGNED = 1,   // left operand is two's complement
    parameter integer BW       = 8,   // top operand width, bits
    parameter integer B_SIGNED = 1,   // top operand is two's complement
    parameter integer ACC      = 32,  // accumulator width, bits
    parameter integer SAT      = 0,   // 0 = wrap, 1 = saturate
    parameter integer PE       = 0   // PE kind: 0 multiply, 1 FP16 activations, 2 int shift-add, 3 dequant-FMA (systolic_mac)
) (
    input  wire           clk,     // clock, rising edge
    input  wire           rst,     // synchronous active-high reset
    input  wire [AW-1:0]  a_in,    // left input data (PE to the left, or row input)
    input  wire           a_in_v,  // left input valid
    input  wire           a_in_f,  // left input: first wavefront of a fold
    input  wire           a_in_l,  // left input: last wavefront of a fold
    input  wire [BW-1:0]  b_in,    // top input data (PE above, or column input)
    input  wire           b_in_v,  // top input valid
    output reg  [AW-1:0]  a_reg,   // registered left data, to the PE on the right
    output reg            a_v,     // registered left valid
    output reg            a_f,     // registered left first flag
    output reg            a_l,     // registered left last flag
    output reg  [BW-1:0]  b_reg,   // registered top data, to the PE below
    output reg            b_v,     // registered top valid
    output wire           emit,    // this PE delivers `sum` to its column this cycle
    output wire [ACC-1:0] sum      // add(first ? 0 : acc, a_in * b_in)
);
  reg [ACC-1:0] acc;  // the accumulator (output-stationary partial sum)

  wire mac = a_in_v & b_in_v;                           // both operands valid: accumulate
  wire [ACC-1:0] base = a_in_f ? {ACC{1'b0}} : acc;     // first wavefront restarts at 0

  systolic_mac #(
      .AW(AW), .A_SIGNED(A_SIGNED), .BW(BW), .B_SIGNED(B_SIGNED), .ACC(ACC), .SAT(SAT), .PE(PE)
  ) u_mac (
      .p_in(base), .a(a_in), .b(b_in), .sum(sum)
  );

  assign emit = mac & a_in_l;

  always @(posedge clk) begin
    if (rst) begin
      a_reg <= {AW{1'b0}};
      a_v   <= 1'b0;
      a_f   <= 1'b0;
      a_l   <= 1'b0;
      b_reg <= {BW{1'b0}};
      b_v   <= 1'b0;
      acc   <= {ACC{1'b0}};
    end else begin
      a_reg <= a_in;
      a_v   <= a_in_v;
      a_f   <= a_in_f;
      a_l   <= a_in_l;
      b_reg <= b_in;
      b_v   <= b_in_v;
      if (mac) acc <= sum;
    end
  end
endmodule
