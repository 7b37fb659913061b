`timescale 1ns/1ps
// mixpe_fp32_add_exact: combinational sum = RNE_fp32(x + y), x an FP32 value and y an exact
// operand (-1)^y_neg * y_sig * 2^(y_lsb - 512) of up to W significant bits (an exact product
// from the MixPE PE or dequantisation unit, docs/mixpe-pe.md), rounded ONCE to FP32, to
// nearest, ties to even. IEEE-754 binary32 semantics as num::fp32_add / fp_mac_fp16_fp32
// (models/numerics/fp_mac.hpp): subnormals kept, x + (-x) = +0 (exact cancellation),
// (+-0) + (+-0) is -0 only if both are -0, a nonzero sum that rounds to zero keeps its sign,
// overflow gives +-inf, inf - inf gives NaN, every NaN result is the canonical 32'h7FC00000.
// y may lie outside FP32's range (tiny or huge products); only y_lsb in [ALIGN, 1400] is
// assumed (all MixPE operands have y_lsb in [339, 621]).
//
// Algorithm (the stages of fp16_fp32_mac.v, generalised to a W-bit operand and to operands
// below FP32's subnormal grid): exponents are those of each significand's least significant
// bit, biased by 512 (11 bits, unsigned). The operand X with the larger lsb exponent is
// shifted left by kx = min(d, ALIGN); the other, Y, right by d - kx with its dropped bits
// jammed into bit 0 (sticky). With ALIGN >= max(W, 24) + 2 the jam is exact for rounding:
// when bits are dropped, X >= 2^ALIGN and Y < 2^(ALIGN-1) in the frame, so the sum is
// >= 2^(ALIGN-1) and every kept bit and the round bit lie at frame positions >= 2; the true
// and jammed sums then lie strictly between the same two even frame values. A zero x enters
// with exponent 0 so that y is always X (y is exact in the frame).
module mixpe_fp32_add_exact #(
    parameter integer W = 24  // significand width of y, 2..64
) (
    input  wire [31:0]  x,       // FP32 bits
    input  wire         y_neg,   // sign of y (also of a zero or infinite y)
    input  wire [W-1:0] y_sig,   // |y| / 2^(y_lsb - 512); nonzero unless y is zero/inf/NaN
    input  wire [10:0]  y_lsb,   // exponent of y_sig's bit 0, biased by 512
    input  wire         y_zero,  // y is a zero (of sign y_neg)
    input  wire         y_inf,   // y is an infinity (of sign y_neg)
    input  wire         y_nan,   // y is NaN
    output wire [31:0]  sum      // RNE_fp32(x + y), FP32 bits
);
  localparam integer SW = (W > 24) ? W : 24;  // common significand width
  localparam integer ALIGN = SW + 2;          // left-shift limit of X (see above)
  localparam integer FW = SW + ALIGN;         // aligned frame width
  localparam integer NW = FW + 1;             // frame width with the carry
  localparam integer MW = $clog2(NW);         // msb position width
  localparam integer RW = NW + 24;            // rounding window: frame and 24 zero bits
  localparam integer TW = $clog2(RW + 1);     // rounding shift width (saturated at RW)
  localparam [10:0] ALIGN_E = ALIGN[10:0];
  localparam [10:0] SUB_Q = 11'd363;          // 512 - 149: lsb of FP32's subnormal grid
  localparam [10:0] MAX_T = RW[10:0];

  // ---- 1. unpack and classify x ----
  wire        x_e0   = (x[30:23] == 8'd0);
  wire        x_e1   = (x[30:23] == 8'hFF);
  wire        x_m0   = (x[22:0] == 23'd0);
  wire        x_nan  = x_e1 & ~x_m0;
  wire        x_inf  = x_e1 & x_m0;
  wire        x_zero = x_e0 & x_m0;
  wire [23:0] x_sig  = {~x_e0, x[22:0]};
  // lsb exponent max(E, 1) - 150, biased by 512: max(E, 1) + 362; a zero x: 0.
  wire [10:0] x_lsb  = x_zero ? 11'd0 : ({3'd0, x[30:24], x[23] | x_e0} + 11'd362);

  // ---- 2. order and align ----
  wire          swap  = y_lsb > x_lsb;
  wire [SW-1:0] xs_w  = {{(SW - 24) {1'b0}}, x_sig};
  wire [SW-1:0] ys_w  = {{(SW - W) {1'b0}}, y_sig};
  wire [SW-1:0] big   = swap ? ys_w : xs_w;
  wire [SW-1:0] sml   = swap ? xs_w : ys_w;
  wire [10:0]   b_lsb = swap ? y_lsb : x_lsb;
  wire [10:0]   s_lsb = swap ? x_lsb : y_lsb;
  wire          b_neg = swap ? y_neg : x[31];
  wire          s_neg = swap ? x[31] : y_neg;
  wire [10:0]   d     = b_lsb - s_lsb;
  wire [10:0]   kx    = (d < ALIGN_E) ? d : ALIGN_E;
  wire [10:0]   sy_w  = d - kx;
  wire [10:0]   e     = b_lsb - kx;  // exponent of frame bit 0
  wire [FW-1:0] bf    = {{ALIGN{1'b0}}, big} << kx;
  wire [SW-1:0] s_kept = sml >> sy_w;
  wire          s_sticky = ((s_kept << sy_w) != sml);
  wire [FW-1:0] sf    = {{ALIGN{1'b0}}, s_kept[SW-1:1], s_kept[0] | s_sticky};

  // ---- 3. add / subtract magnitudes ----
  wire          eff_sub = b_neg ^ s_neg;
  wire [NW-1:0] s_add = {1'b0, bf} + {1'b0, sf};
  wire [NW-1:0] s_sub = {1'b0, bf} - {1'b0, sf};
  wire          s_big = s_sub[NW-1];  // borrow: the right-shifted operand is larger
  wire [NW-1:0] n     = !eff_sub ? s_add : (s_big ? ({NW{1'b0}} - s_sub) : s_sub);
  wire          r_neg = (eff_sub & s_big) ? s_neg : b_neg;
  wire          n_zero = (n == {NW{1'b0}});

  // ---- 4. normalise: keep 24 bits down to q = max(e + msb - 23, SUB_Q); the frame with 24
  //      zero bits appended is shifted right by t1 = q + 23 - e >= 0 (saturated: beyond RW
  //      everything is sticky) ----
  wire [MW-1:0] msb;
  mixpe_msb #(.W(NW)) u_msb (.v(n), .pos(msb));
  wire [10:0]   top   = e + {{(11 - MW) {1'b0}}, msb};
  wire [10:0]   q     = (top > SUB_Q + 11'd23) ? (top - 11'd23) : SUB_Q;
  wire [10:0]   t_w   = q + 11'd23 - e;
  wire [TW-1:0] t1    = (t_w > MAX_T) ? MAX_T[TW-1:0] : t_w[TW-1:0];
  wire [RW-1:0] w     = {n, 24'd0};
  wire [RW-1:0] w1    = w >> t1;  // bits [24:1] kept, bit 0 the round bit
  wire          r_sticky = ((w1 << t1) != w);
  wire [23:0]   kept  = w1[24:1];
  wire          r_bit = w1[0];

  // ---- 5. round to nearest even, renormalise on carry, pack ----
  wire        inc    = r_bit & (r_sticky | kept[0]);
  wire [24:0] kr     = {1'b0, kept} + {24'd0, inc};
  wire [23:0] sig    = kr[24] ? kr[24:1] : kr[23:0];
  wire [10:0] field  = q - 11'd362 + {10'd0, kr[24]};  // exponent field if normal
  wire        normal = sig[23];
  wire        ovf    = normal & (field >= 11'd255);
  wire [31:0] fin    = n_zero ? 32'd0
                     : ovf    ? {r_neg, 8'hFF, 23'd0}
                     : normal ? {r_neg, field[7:0], sig[22:0]}
                              : {r_neg, 8'd0, sig[22:0]};

  // ---- specials ----
  wire r_nan = x_nan | y_nan | (x_inf & y_inf & (x[31] != y_neg));
  assign sum = r_nan  ? 32'h7FC00000
             : y_inf  ? {y_neg, 8'hFF, 23'd0}
             : x_inf  ? x
             : y_zero ? (x_zero ? {x[31] & y_neg, 31'd0} : x)
                      : fin;

  // Bits that are provably zero (documented widths, not logic).
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = &{1'b0, w1[RW-1:25]};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
