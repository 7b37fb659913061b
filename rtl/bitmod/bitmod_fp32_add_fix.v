`timescale 1ns/1ps
// bitmod_fp32_add_fix: stage 5 of the BitMoD PE, the column accumulator's addition
// (docs/bitmod-pe.md; C++: num::bitmod::column_add with out_format FP32):
//   r = RNE_fp32(a + (-1)^x_neg * x_mag * 2^x_exp),
// the exact sum rounded once. a is an FP32 code (finite; infinity and NaN are not supported:
// the column accumulator cannot reach them with FP16 activations); an exact zero gives +0, a
// nonzero result below the smallest subnormal a zero of its sign, a result above the largest
// finite value infinity.
module bitmod_fp32_add_fix #(
    parameter integer MW = 22,  // width of x_mag, <= 24 (a dequantised partial sum)
    parameter integer XW = 12   // signed exponent width
) (
    input  wire [31:0]          a,      // FP32 code
    input  wire                 x_neg,  // x: sign
    input  wire [MW-1:0]        x_mag,  //    magnitude
    input  wire signed [XW-1:0] x_exp,  //    exponent of x_mag's bit 0
    output wire [31:0]          r       // FP32 code of the rounded sum
);
  localparam integer NW = 24;
  localparam [31:0] LSB0 = 1 - 127 - 23;  // lsb exponent of exponent fields 0 and 1

  wire [7:0]           a_ef  = a[30:23];
  wire [7:0]           a_ef1 = (a_ef == 8'd0) ? 8'd1 : a_ef;
  wire signed [XW-1:0] a_lsb = $signed(LSB0[XW-1:0]) - 1 + $signed({{(XW - 8){1'b0}}, a_ef1});
  wire [NW-1:0]        a_m   = {a_ef != 8'd0, a[22:0]};
  wire [NW-1:0]        b_m;
  generate
    if (MW < NW) begin : g_pad
      assign b_m = {{(NW - MW){1'b0}}, x_mag};
    end else begin : g_nopad
      assign b_m = x_mag;
    end
  endgenerate

  wire [NW-1:0]        siga, sigb;
  wire signed [XW-1:0] topa, topb;
  wire                 za, zb;
  bitmod_norm #(.W(NW), .XW(XW)) u_na (.m(a_m), .lsb(a_lsb), .sig(siga), .top(topa), .zero(za));
  bitmod_norm #(.W(NW), .XW(XW)) u_nb (.m(b_m), .lsb(x_exp), .sig(sigb), .top(topb), .zero(zb));

  wire                 s;
  wire [NW+3:0]        sum;
  wire signed [XW-1:0] sum_lsb;
  bitmod_fadd_core #(.NW(NW), .XW(XW)) u_add (
      .sa(a[31]), .siga(siga), .topa(topa), .za(za),
      .sb(x_neg), .sigb(sigb), .topb(topb), .zb(zb),
      .s(s), .sum(sum), .lsb(sum_lsb));

  wire       r_sign;
  wire [7:0] r_exp;
  wire [23:0] r_man;
  wire       r_ovf;
  bitmod_round_pack #(.W(NW + 4), .P(24), .E(8), .BIAS(127), .SAT(0), .SIGNED_UF(1), .XW(XW)) u_rnd (
      .sign(s), .m(sum), .lsb(sum_lsb),
      .r_sign(r_sign), .r_exp(r_exp), .r_man(r_man), .r_ovf(r_ovf));
  // The leading bit is implicit in the code (r_exp == 0 iff r_man[23] == 0).
  assign r = {r_sign, r_exp, r_man[22:0]};
  wire unused_ok = &{1'b0, r_man[23], r_ovf, 1'b0};
endmodule
