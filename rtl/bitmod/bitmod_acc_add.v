`timescale 1ns/1ps
// bitmod_acc_add: stage 3 of the BitMoD PE (docs/bitmod-pe.md, "group accumulation";
// C++: num::bitmod::acc_add). acc + x computed exactly and rounded once to the group
// accumulator format: P = MAN - 1 significant bits, exponent field E bits with bias BIAS, no
// infinity (the all-ones exponent is finite), gradual underflow, saturation, +0 for zero.
//   acc = (-1)^acc_sign * acc_man * 2^(max(acc_exp, 1) - BIAS - (P - 1))
//   x   = (-1)^x_neg * x_mag * 2^x_exp   (the adder-tree output and its scale exponent)
module bitmod_acc_add #(
    parameter integer E    = 6,   // exponent field width
    parameter integer MAN  = 15,  // signed mantissa width: sign + P magnitude bits
    parameter integer BIAS = 31,  // exponent bias
    parameter integer TW   = 16,  // width of the tree output's magnitude
    parameter integer XW   = 12   // signed exponent width
) (
    input  wire                 acc_sign,  // accumulator: sign
    input  wire [E-1:0]         acc_exp,   //   exponent field
    input  wire [MAN-2:0]       acc_man,   //   P-bit magnitude (leading bit explicit)
    input  wire                 x_neg,     // tree output: sign
    input  wire [TW-1:0]        x_mag,     //   magnitude
    input  wire signed [XW-1:0] x_exp,     //   exponent of x_mag's bit 0
    output wire                 r_sign,    // rounded sum, same format as acc
    output wire [E-1:0]         r_exp,
    output wire [MAN-2:0]       r_man,
    output wire                 r_ovf      // saturated
);
  localparam integer P  = MAN - 1;
  localparam integer NW = (TW > P) ? TW : P;   // operand width inside the adder
  localparam [31:0] LSB0 = 1 - BIAS - (P - 1);  // lsb exponent for exponent field 0 or 1

  // Accumulator operand: lsb exponent max(acc_exp, 1) - BIAS - (P - 1).
  wire [E-1:0] ef1 = (acc_exp == {E{1'b0}}) ? {{(E - 1){1'b0}}, 1'b1} : acc_exp;
  wire signed [XW-1:0] a_lsb = $signed(LSB0[XW-1:0]) - 1 +
                               $signed({{(XW - E){1'b0}}, ef1});
  wire [NW-1:0] a_ze;
  wire [NW-1:0] b_ze;
  generate
    if (NW > P) begin : g_pad_a
      assign a_ze = {{(NW - P){1'b0}}, acc_man};
    end else begin : g_nopad_a
      assign a_ze = acc_man;
    end
    if (NW > TW) begin : g_pad_b
      assign b_ze = {{(NW - TW){1'b0}}, x_mag};
    end else begin : g_nopad_b
      assign b_ze = x_mag;
    end
  endgenerate

  wire [NW-1:0]        siga, sigb;
  wire signed [XW-1:0] topa, topb;
  wire                 za, zb;
  bitmod_norm #(.W(NW), .XW(XW)) u_na (.m(a_ze), .lsb(a_lsb), .sig(siga), .top(topa), .zero(za));
  bitmod_norm #(.W(NW), .XW(XW)) u_nb (.m(b_ze), .lsb(x_exp), .sig(sigb), .top(topb), .zero(zb));

  wire                 s;
  wire [NW+3:0]        sum;
  wire signed [XW-1:0] sum_lsb;
  bitmod_fadd_core #(.NW(NW), .XW(XW)) u_add (
      .sa(acc_sign), .siga(siga), .topa(topa), .za(za),
      .sb(x_neg), .sigb(sigb), .topb(topb), .zb(zb),
      .s(s), .sum(sum), .lsb(sum_lsb));

  bitmod_round_pack #(.W(NW + 4), .P(P), .E(E), .BIAS(BIAS), .SAT(1), .SIGNED_UF(0), .XW(XW)) u_rnd (
      .sign(s), .m(sum), .lsb(sum_lsb),
      .r_sign(r_sign), .r_exp(r_exp), .r_man(r_man), .r_ovf(r_ovf));
endmodule
