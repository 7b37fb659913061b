`timescale 1ns/1ps
// bitmod_round_pack: rounds an exact value (-1)^sign * m * 2^lsb once to a binary float of P
// significant bits, to nearest, ties to even, with gradual underflow (the quantum is fixed
// at 2^(EMIN - (P - 1)) below 2^EMIN) and an overflow rule (docs/bitmod-pe.md, stages 3
// and 5; the C++ reference is round_into_acc / round_to_float). m need not be normalised.
// Outputs the exponent field and the P-bit significand including its leading bit
// (man[P-1] = 1 iff field >= 1).
//  - SAT = 1: no infinity; the all-ones field is finite and a larger result saturates to
//    field all ones, man all ones (the group accumulator). SAT = 0: IEEE; a result above the
//    largest finite value is infinity (field all ones, man 0).
//  - An exact zero gives +0. A nonzero value that rounds to zero gives a zero with its sign
//    if SIGNED_UF = 1 (round_to_float), +0 if SIGNED_UF = 0 (the group accumulator).
module bitmod_round_pack #(
    parameter integer W         = 20,    // magnitude width, >= P + 2
    parameter integer P         = 14,    // significant bits of the result
    parameter integer E         = 6,     // exponent field width
    parameter integer BIAS      = 31,    // exponent bias
    parameter integer SAT       = 1,     // overflow: 1 saturate, 0 infinity (IEEE)
    parameter integer SIGNED_UF = 0,     // underflow to zero keeps the sign
    parameter integer XW        = 12     // signed exponent width of lsb and internals
) (
    input  wire                 sign,    // sign of the value
    input  wire [W-1:0]         m,       // magnitude
    input  wire signed [XW-1:0] lsb,     // exponent of m's bit 0
    output wire                 r_sign,  // result sign
    output wire [E-1:0]         r_exp,   // result exponent field
    output wire [P-1:0]         r_man,   // result significand, leading bit included
    output wire                 r_ovf    // the result overflowed (saturated or infinite)
);
  localparam integer CW = $clog2(W + 1);
  localparam integer RW = $clog2(W + 1);                  // right-shift amount width
  localparam [31:0] WM1 = W - 1;
  localparam [31:0] EMIN = 1 - BIAS;
  localparam [31:0] BIAS32 = BIAS;
  localparam [31:0] W32 = W;
  localparam [31:0] FMAX = (1 << E) - 1 - (SAT != 0 ? 0 : 1);  // largest finite field
  localparam signed [XW-1:0] ZERO_X = {XW{1'b0}};

  wire signed [XW-1:0] emin_x = $signed(EMIN[XW-1:0]);
  wire signed [XW-1:0] w_x    = $signed(W32[XW-1:0]);

  wire [CW-1:0] lz;
  bitmod_lzc #(.W(W)) u_lzc (.x(m), .n(lz));
  wire signed [XW-1:0] lz_x = $signed({{(XW - CW){1'b0}}, lz});

  // Exponent of the leading one, and how far below the normal range it lies.
  wire signed [XW-1:0] t     = lsb + $signed(WM1[XW-1:0]) - lz_x;
  wire signed [XW-1:0] under = emin_x - t;
  wire                 sub   = under > ZERO_X;
  // Left shift that puts the bit of exponent max(t, EMIN) at position W-1; negative: the
  // whole magnitude lies below 2^EMIN's bit position, shift right and collect a sticky bit.
  wire signed [XW-1:0] ls    = sub ? lz_x - under : lz_x;
  wire                 right = ls < ZERO_X;
  wire signed [XW-1:0] nls   = ZERO_X - ls;
  wire [RW-1:0]        rsh   = (nls > w_x) ? W32[RW-1:0] : nls[RW-1:0];
  wire [2*W-1:0]       rext  = {m, {W{1'b0}}} >> rsh;
  wire [W-1:0]         nl    = m << ls[CW-1:0];
  wire [W-1:0]         n     = right ? rext[2*W-1:W] : nl;
  wire                 rstk  = right & (|rext[W-1:0]);

  // Round to nearest even at bit W-P.
  wire [P-1:0] man  = n[W-1:W-P];
  wire         rb   = n[W-P-1];
  wire         stk  = (|n[W-P-2:0]) | rstk;
  wire         up   = rb & (stk | man[0]);
  wire [P:0]   manr = {1'b0, man} + {{P{1'b0}}, up};
  wire         cy   = manr[P];
  wire [P-1:0] manf = cy ? manr[P:1] : manr[P-1:0];

  wire signed [XW-1:0] tmax  = sub ? emin_x : t;
  wire signed [XW-1:0] fld   = tmax + $signed(BIAS32[XW-1:0]) + $signed({{(XW - 1){1'b0}}, cy});
  wire                 norm  = manf[P-1];
  wire                 zero  = ~|manf;
  wire                 ovf   = norm & (fld > $signed(FMAX[XW-1:0]));

  assign r_ovf  = ovf;
  assign r_sign = zero ? (SIGNED_UF != 0 && m != {W{1'b0}} ? sign : 1'b0) : sign;
  assign r_exp  = ovf ? {E{1'b1}} : (norm ? fld[E-1:0] : {E{1'b0}});
  assign r_man  = ovf ? (SAT != 0 ? {P{1'b1}} : {P{1'b0}}) : manf;
endmodule
