`timescale 1ns/1ps
// bitmod_fadd_core: the exact-enough sum of two normalised signed operands, for rounding by
// bitmod_round_pack. Each operand is (-1)^s * sig * 2^(top - (NW - 1)) with sig's MSB set
// (or sig = 0 for zero). The operand of larger magnitude is kept whole, three bits below its
// LSB are added, and the other operand is aligned into that window with the bits shifted
// out jammed into the window's LSB (sticky). The jam bit lies below the round bit of any
// rounding to P <= NW bits (even after a one-bit cancellation), so rounding the window sum
// gives the same result as rounding the exact sum; a shift of at most 1 (the only case with
// a large cancellation) loses no bits. Result: (-1)^s * sum * 2^lsb, sum >= 0.
module bitmod_fadd_core #(
    parameter integer NW = 16,  // significand width of both operands
    parameter integer XW = 12   // signed exponent width
) (
    input  wire                 sa,    // operand a: sign
    input  wire [NW-1:0]        siga,  //   normalised significand (0 for zero)
    input  wire signed [XW-1:0] topa,  //   exponent of siga's MSB
    input  wire                 za,    //   a is zero
    input  wire                 sb,    // operand b, likewise
    input  wire [NW-1:0]        sigb,
    input  wire signed [XW-1:0] topb,
    input  wire                 zb,
    output wire                 s,     // sign of the sum
    output wire [NW+3:0]        sum,   // magnitude of the sum (window units)
    output wire signed [XW-1:0] lsb    // exponent of sum's bit 0
);
  localparam integer DW = $clog2(NW + 4);  // shift amount width (0..NW+3)
  localparam [31:0] NW3 = NW + 3;
  localparam [31:0] NW2 = NW + 2;

  wire a_big = zb | (~za & ((topa > topb) | ((topa == topb) & (siga >= sigb))));
  wire [NW-1:0]        sig_big = a_big ? siga : sigb;
  wire [NW-1:0]        sig_sml = a_big ? sigb : siga;
  wire signed [XW-1:0] top_big = a_big ? topa : topb;
  wire signed [XW-1:0] top_sml = a_big ? topb : topa;

  // Alignment shift, saturated at NW + 3 (everything below the window: sticky only). A
  // zero small operand has sig 0, so its (meaningless) exponent does not matter.
  wire signed [XW-1:0] d    = top_big - top_sml;
  wire                 dmax = (d > $signed(NW3[XW-1:0])) | (d < $signed({XW{1'b0}}));
  wire [DW-1:0]        dsh  = dmax ? NW3[DW-1:0] : d[DW-1:0];

  wire [2*NW+5:0] wext   = {sig_sml, 3'b000, {(NW + 3){1'b0}}} >> dsh;
  wire [NW+2:0]   kept   = wext[2*NW+5:NW+3];
  wire            sticky = |wext[NW+2:0];
  wire [NW+3:0]   sml_w  = {1'b0, kept[NW+2:1], kept[0] | sticky};
  wire [NW+3:0]   big_w  = {1'b0, sig_big, 3'b000};

  assign sum = (sa ^ sb) ? big_w - sml_w : big_w + sml_w;
  assign s   = a_big ? sa : sb;
  assign lsb = top_big - $signed(NW2[XW-1:0]);
endmodule
