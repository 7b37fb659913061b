`timescale 1ns/1ps
// systolic_pe_st: one stationary-operand PE (DF = 1, used for both ws and is)
// of the systolic array (docs/systolic-array.md, "Stationary PE"). Holds two
// banks of the stationary operand, loaded by shifting down the column; streams
// the left operand (with valid and bank select) to the right; and adds
// a_in * w[a_in_bank] to the partial sum coming from above, registering the
// result for the PE below.
module systolic_pe_st #(
    parameter integer AW       = 8,   // left operand width, bits
    parameter integer A_SIGNED = 1,   // left operand is two's complement
    parameter integer BW       = 8,   // stationary operand width, bits
    parameter integer B_SIGNED = 1,   // stationary operand is two's complement
    parameter integer ACC      = 32,  // partial-sum width, bits
    parameter integer SAT      = 0    // 0 = wrap, 1 = saturate
) (
    input  wire           clk,        // clock, rising edge
    input  wire           rst,        // synchronous active-high reset
    input  wire [AW-1:0]  a_in,       // left input data (PE to the left, or row input)
    input  wire           a_in_v,     // left input valid
    input  wire           a_in_b,     // left input: stationary bank it multiplies
    input  wire           w_shift,    // shift bank w_bank of the stationary chain down
    input  wire           w_bank,     // bank loaded by w_shift, also selects w_out
    input  wire [BW-1:0]  w_in,       // stationary value from above (bank w_bank), or b_data
    input  wire [ACC-1:0] p_in,       // partial sum from above (0 in row 0)
    input  wire           p_in_v,     // partial-sum valid from above (a_in_v in row 0)
    output reg  [AW-1:0]  a_reg,      // registered left data, to the PE on the right
    output reg            a_v,        // registered left valid
    output reg            a_b,        // registered left bank select
    output wire [BW-1:0]  w_out,      // w[w_bank], the stationary input of the PE below
    output reg  [ACC-1:0] p_reg,      // registered partial sum, to the PE below
    output reg            p_v         // registered partial-sum valid
);
  reg [BW-1:0] w0;  // stationary operand, bank 0
  reg [BW-1:0] w1;  // stationary operand, bank 1

  wire [BW-1:0] w_use = a_in_b ? w1 : w0;  // bank used by this cycle's operand (pre-edge value)
  wire [ACC-1:0] sum;                      // add(p_in, a_in * w_use)

  systolic_mac #(
      .AW(AW), .A_SIGNED(A_SIGNED), .BW(BW), .B_SIGNED(B_SIGNED), .ACC(ACC), .SAT(SAT)
  ) u_mac (
      .p_in(p_in), .a(a_in), .b(w_use), .sum(sum)
  );

  assign w_out = w_bank ? w1 : w0;

  always @(posedge clk) begin
    if (rst) begin
      a_reg <= {AW{1'b0}};
      a_v   <= 1'b0;
      a_b   <= 1'b0;
      w0    <= {BW{1'b0}};
      w1    <= {BW{1'b0}};
      p_reg <= {ACC{1'b0}};
      p_v   <= 1'b0;
    end else begin
      a_reg <= a_in;
      a_v   <= a_in_v;
      a_b   <= a_in_b;
      if (w_shift && !w_bank) w0 <= w_in;
      if (w_shift && w_bank) w1 <= w_in;
      p_reg <= a_in_v ? sum : p_in;
      p_v   <= p_in_v;
    end
  end
endmodule
