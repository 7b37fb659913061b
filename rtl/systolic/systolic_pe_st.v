`timescale 1ns/1ps
// systolic_pe_st: one stationary-operand PE (DF = 1, used for both ws and is)
// of the systolic array (docs/systolic-array.md, "Stationary PE"). Holds two
// banks of the stationary operand, each with a valid bit, loaded by shifting
// down the column; streams the left operand (with valid and bank select) to the
// right; and, when the left value is valid and its bank's stationary value is
// valid, adds a_in * w[a_in_b] to the partial sum coming from above, registering
// the result for the PE below (otherwise the partial sum passes through).
module systolic_pe_st #(
    parameter integer AW       = 8,   // left operand width, bits
    parameter integer A_SIGNED = 1,   // left operand is two's complement
    parameter integer BW       = 8,   // stationary operand width, bits
    parameter integer B_SIGNED = 1,   // stationary operand is two's complement
    parameter integer ACC      = 32,  // partial-sum width, bits
    parameter integer SAT      = 0,   // 0 = wrap, 1 = saturate
    parameter integer PE       = 0,   // PE kind: 0 multiply, 1 FP16 activations, 2 int shift-add, 3 dequant-FMA (systolic_mac)
    parameter integer TOP_ROW  = 0    // 1 for row 0: the PE starts partial sums (p_v <= mac)
) (
    input  wire           clk,        // clock, rising edge
    input  wire           rst,        // synchronous active-high reset
    input  wire [AW-1:0]  a_in,       // left input data (PE to the left, or row input)
    input  wire           a_in_v,     // left input valid
    input  wire           a_in_b,     // left input: stationary bank it multiplies
    input  wire           w_shift,    // shift bank w_bank of the stationary chain down
    input  wire           w_bank,     // bank loaded by w_shift, also selects w_out/wv_out
    input  wire [BW-1:0]  w_in,       // stationary value from above (bank w_bank), or b_data
    input  wire           wv_in,      // its valid bit (bank w_bank), or b_valid
    input  wire [ACC-1:0] p_in,       // partial sum from above (0 in row 0)
    input  wire           p_in_v,     // partial-sum valid from above (0 in row 0, unused there)
    output reg  [AW-1:0]  a_reg,      // registered left data, to the PE on the right
    output reg            a_v,        // registered left valid
    output reg            a_b,        // registered left bank select
    output wire [BW-1:0]  w_out,      // w[w_bank], the stationary input of the PE below
    output wire           wv_out,     // wv[w_bank], its valid bit
    output reg  [ACC-1:0] p_reg,      // registered partial sum, to the PE below
    output reg            p_v         // registered partial-sum valid
);
  reg [BW-1:0] w0;   // stationary operand, bank 0
  reg [BW-1:0] w1;   // stationary operand, bank 1
  reg          wv0;  // bank 0 holds a valid value
  reg          wv1;  // bank 1 holds a valid value

  // Values before this edge: a shift and a use in the same cycle see the old value.
  wire [BW-1:0] w_use = a_in_b ? w1 : w0;        // stationary operand of this cycle's value
  wire          mac   = a_in_v & (a_in_b ? wv1 : wv0);  // multiply-accumulate this cycle
  wire [ACC-1:0] sum;                            // add(p_in, a_in * w_use)

  systolic_mac #(
      .AW(AW), .A_SIGNED(A_SIGNED), .BW(BW), .B_SIGNED(B_SIGNED), .ACC(ACC), .SAT(SAT), .PE(PE)
  ) u_mac (
      .p_in(p_in), .a(a_in), .b(w_use), .sum(sum)
  );

  assign w_out  = w_bank ? w1 : w0;
  assign wv_out = w_bank ? wv1 : wv0;

  // Row 0 starts a partial sum exactly when it multiplies; lower rows forward p_in_v.
  wire p_v_next = (TOP_ROW != 0) ? mac : p_in_v;  // next partial-sum valid

  always @(posedge clk) begin
    if (rst) begin
      a_reg <= {AW{1'b0}};
      a_v   <= 1'b0;
      a_b   <= 1'b0;
      w0    <= {BW{1'b0}};
      w1    <= {BW{1'b0}};
      wv0   <= 1'b0;
      wv1   <= 1'b0;
      p_reg <= {ACC{1'b0}};
      p_v   <= 1'b0;
    end else begin
      a_reg <= a_in;
      a_v   <= a_in_v;
      a_b   <= a_in_b;
      if (w_shift && !w_bank) begin
        w0  <= w_in;
        wv0 <= wv_in;
      end
      if (w_shift && w_bank) begin
        w1  <= w_in;
        wv1 <= wv_in;
      end
      p_reg <= mac ? sum : p_in;
      p_v   <= p_v_next;
    end
  end
endmodule
