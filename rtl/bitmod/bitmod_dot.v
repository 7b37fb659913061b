`timescale 1ns/1ps
// bitmod_dot: stages 1 and 2 of the BitMoD PE (docs/bitmod-pe.md; C++:
// num::bitmod::exp_match, align_round, bitserial_dot), combinational. LANES FP16
// activations times one bit-serial term each:
//  - exponent match: product exponent max(e, 1) + term exp per lane (biased by 15), maximum
//    over the lanes whose product is nonzero (term mantissa 1 and activation mantissa != 0);
//  - 1-bit x 11-bit multiply, alignment by max - pe into 11 + G bits, rounded to nearest even
//    on the magnitude (round bit and sticky of the bits shifted out), sign applied;
//  - exact adder tree: T = sum of the lanes (two's complement), returned as sign + magnitude;
//  - the tree's scale exponent max_exp + sig - 10 - G (x = T * 2^x_exp).
// FP16 infinity/NaN activations are not supported (the exponent 31 is used as is).
module bitmod_dot #(
    parameter integer LANES = 4,   // lanes
    parameter integer G     = 3,   // guard bits below the activation mantissa's LSB
    parameter integer TEW   = 2,   // term exponent width (unsigned)
    parameter integer SW    = 4,   // significance width (two's complement)
    parameter integer XW    = 12   // signed exponent width of x_exp
) (
    input  wire [LANES*16-1:0]         acts,   // FP16 activation codes, lane i in [16i +: 16]
    input  wire [LANES-1:0]            t_neg,  // term sign per lane (1: negative)
    input  wire [LANES*TEW-1:0]        t_exp,  // term exponent per lane
    input  wire [LANES-1:0]            t_man,  // term mantissa bit per lane
    input  wire [SW-1:0]               t_sig,  // significance, shared by the lanes
    output wire                        x_neg,  // tree output: sign
    output wire [10+G+$clog2(LANES):0] x_mag,  //   magnitude (11 + G + ceil(log2 LANES) bits)
    output wire signed [XW-1:0]        x_exp   //   exponent of x_mag's bit 0
);
  localparam integer TW  = 11 + G + $clog2(LANES);  // tree magnitude width
  localparam integer GW  = 11 + G;               // aligned lane magnitude width
  localparam integer PEW = (TEW > 5 ? TEW : 5) + 1;  // biased product exponent width
  localparam integer DW  = $clog2(GW + 2);       // saturated shift width (0..GW+1)
  localparam [31:0] GW1  = GW + 1;
  localparam [31:0] XOFF = 15 + 10 + G;          // max_exp = pe - 15; x_exp = max_exp + sig - 10 - G

  wire [LANES-1:0]       zero;  // lane product is zero
  wire [LANES*PEW-1:0]   pe;    // biased product exponent per lane
  wire [LANES*11-1:0]    ma;    // activation mantissa (hidden bit included) per lane

  genvar i;
  generate
    for (i = 0; i < LANES; i = i + 1) begin : g_em
      wire [4:0] e  = acts[16*i+10 +: 5];
      wire [4:0] e1 = (e == 5'd0) ? 5'd1 : e;
      assign ma[11*i +: 11]   = {e != 5'd0, acts[16*i +: 10]};
      assign zero[i]          = ~t_man[i] | (ma[11*i +: 11] == 11'd0);
      assign pe[PEW*i +: PEW] = {{(PEW - 5){1'b0}}, e1} + {{(PEW - TEW){1'b0}}, t_exp[TEW*i +: TEW]};
    end
  endgenerate

  // Maximum over the nonzero lanes (every product exponent is >= 1, so 0 means none).
  reg [PEW-1:0] max_pe;
  integer k;
  always @* begin
    max_pe = {PEW{1'b0}};
    for (k = 0; k < LANES; k = k + 1)
      if (!zero[k] && pe[PEW*k +: PEW] > max_pe) max_pe = pe[PEW*k +: PEW];
  end

  // Per lane: aligned, rounded, signed magnitude; summed exactly.
  wire [LANES*(TW+1)-1:0] lane_val;  // two's complement lane values
  generate
    for (i = 0; i < LANES; i = i + 1) begin : g_lane
      wire [PEW-1:0]  d    = max_pe - pe[PEW*i +: PEW];
      wire [DW-1:0]   dsh  = (d > GW1[PEW-1:0]) ? GW1[DW-1:0] : d[DW-1:0];
      // {ma, G zeros} is the aligned value for d = 0; the GW + 1 bits below catch the round
      // bit and the sticky bits of any saturated shift.
      wire [2*GW:0]   ext  = {ma[11*i +: 11], {G{1'b0}}, {(GW + 1){1'b0}}} >> dsh;
      wire [GW-1:0]   kept = ext[2*GW:GW+1];
      wire            rb   = ext[GW];
      wire            stk  = |ext[GW-1:0];
      wire [GW-1:0]   mag  = kept + {{(GW - 1){1'b0}}, rb & (stk | kept[0])};
      wire [TW:0]     magx = {{(TW + 1 - GW){1'b0}}, mag};
      assign lane_val[(TW+1)*i +: TW+1] =
          zero[i] ? {(TW + 1){1'b0}} : ((acts[16*i+15] ^ t_neg[i]) ? -magx : magx);
    end
  endgenerate
  reg [TW:0] tsum;  // exact tree sum, two's complement
  always @* begin
    tsum = {(TW + 1){1'b0}};
    for (k = 0; k < LANES; k = k + 1) tsum = tsum + lane_val[(TW+1)*k +: TW+1];
  end

  assign x_neg = tsum[TW];
  wire [TW:0] tabs = x_neg ? -tsum : tsum;
  assign x_mag = tabs[TW-1:0];
  assign x_exp = $signed({{(XW - PEW){1'b0}}, max_pe}) + {{(XW - SW){t_sig[SW-1]}}, t_sig}
                 - $signed(XOFF[XW-1:0]);
  wire unused_ok = &{1'b0, tabs[TW], 1'b0};
endmodule
