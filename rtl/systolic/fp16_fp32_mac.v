`timescale 1ns/1ps
// fp16_fp32_mac: combinational FP16 x FP16 -> FP32 fused multiply-add, the PE arithmetic of
// the FP16 MAC systolic baseline (issue 5). sum = RNE_fp32(acc + a*b): the 11x11-bit product
// is exact (it always fits FP32), the sum is rounded once to nearest, ties to even. IEEE-754
// binary32: subnormals kept (no flush), x + (-x) = +0, (-0) + (-0) = -0, inf * 0 and
// inf - inf give NaN, overflow gives +-inf, every NaN result is the canonical 32'h7FC00000.
// Bit-exact reference: fp_mac_fp16_fp32() in models/numerics/fp_mac.cpp (same stages and
// widths; checked in lockstep by tpesim_fpmac_rtl_test). docs/numerics.md, "FP16 x FP16 MAC".
//
// Exponents are those of each significand's least significant bit, biased by 149 so that
// FP32's 2^-149 is 0 and all are unsigned: accumulator max(E,1) - 1 in [0, 253], product
// max(Ea,1) + max(Eb,1) + 99 in [101, 159].
module fp16_fp32_mac (
    input  wire [31:0] acc,  // addend, FP32 bits
    input  wire [15:0] a,    // left factor, FP16 bits
    input  wire [15:0] b,    // right factor, FP16 bits
    output wire [31:0] sum   // RNE_fp32(acc + a*b), FP32 bits
);
  // Left shift limit of the operand with the larger lsb exponent; beyond it the other
  // operand is shifted right into a sticky bit (see models/numerics/fp_mac.cpp, kAlign).
  localparam [8:0] ALIGN = 9'd30;

  // Position of the most significant set bit of v (0 for v == 0).
  function automatic [5:0] msb_pos(input [54:0] v);
    integer i;
    begin
      msb_pos = 6'd0;
      for (i = 0; i < 55; i = i + 1)
        if (v[i]) msb_pos = i[5:0];
    end
  endfunction

  // ---- 1. unpack and classify ----
  wire       a_e0   = (a[14:10] == 5'd0);
  wire       a_e1   = (a[14:10] == 5'h1F);
  wire       a_m0   = (a[9:0] == 10'd0);
  wire       b_e0   = (b[14:10] == 5'd0);
  wire       b_e1   = (b[14:10] == 5'h1F);
  wire       b_m0   = (b[9:0] == 10'd0);
  wire       c_e0   = (acc[30:23] == 8'd0);
  wire       c_e1   = (acc[30:23] == 8'hFF);
  wire       c_m0   = (acc[22:0] == 23'd0);
  wire       a_nan  = a_e1 & ~a_m0;
  wire       a_inf  = a_e1 & a_m0;
  wire       a_zero = a_e0 & a_m0;
  wire       b_nan  = b_e1 & ~b_m0;
  wire       b_inf  = b_e1 & b_m0;
  wire       b_zero = b_e0 & b_m0;
  wire       c_nan  = c_e1 & ~c_m0;
  wire       c_inf  = c_e1 & c_m0;
  wire       c_zero = c_e0 & c_m0;

  // ---- 2. exact product: 11 x 11 -> 22-bit significand ----
  wire [10:0] a_sig = {~a_e0, a[9:0]};
  wire [10:0] b_sig = {~b_e0, b[9:0]};
  wire [4:0]  a_exp = a_e0 ? 5'd1 : a[14:10];
  wire [4:0]  b_exp = b_e0 ? 5'd1 : b[14:10];
  wire [21:0] p_sig = a_sig * b_sig;
  wire [8:0]  p_lsb = {4'd0, a_exp} + {4'd0, b_exp} + 9'd99;
  wire        p_neg = a[15] ^ b[15];
  wire [23:0] c_sig = {~c_e0, acc[22:0]};
  wire [8:0]  c_lsb = c_e0 ? 9'd0 : ({1'b0, acc[30:23]} - 9'd1);

  // ---- 3. align: X = larger lsb exponent, shifted left by kx = min(d, 30); Y shifted right
  //      by d - kx with its dropped bits jammed into bit 0 (sticky) ----
  wire        swap  = (p_lsb > c_lsb);
  wire [23:0] x_sig = swap ? {2'b00, p_sig} : c_sig;
  wire [23:0] y_sig = swap ? c_sig : {2'b00, p_sig};
  wire [8:0]  x_lsb = swap ? p_lsb : c_lsb;
  wire [8:0]  y_lsb = swap ? c_lsb : p_lsb;
  wire        x_neg = swap ? p_neg : acc[31];
  wire        y_neg = swap ? acc[31] : p_neg;
  wire [8:0]  d     = x_lsb - y_lsb;
  wire [8:0]  kx    = (d < ALIGN) ? d : ALIGN;
  wire [8:0]  sy_w  = d - kx;
  // Shifts of 24 or more drop all of y_sig; 31 stands for all of them.
  wire [4:0]  sy    = (sy_w > 9'd31) ? 5'd31 : sy_w[4:0];
  wire [8:0]  e     = x_lsb - kx;  // exponent of frame bit 0
  wire [53:0] xf    = {30'd0, x_sig} << kx[4:0];
  wire [23:0] y_kept = y_sig >> sy;
  wire        y_sticky = ((y_kept << sy) != y_sig);
  wire [53:0] yf    = {30'd0, y_kept[23:1], y_kept[0] | y_sticky};

  // ---- 4. add / subtract magnitudes (N < 2^55) ----
  wire        eff_sub = x_neg ^ y_neg;
  wire [54:0] s_add = {1'b0, xf} + {1'b0, yf};
  wire [54:0] s_sub = {1'b0, xf} - {1'b0, yf};
  wire        y_big = s_sub[54];  // borrow: yf > xf
  wire [54:0] n     = !eff_sub ? s_add : (y_big ? (55'd0 - s_sub) : s_sub);
  wire        r_neg = (eff_sub & y_big) ? y_neg : x_neg;
  wire        n_zero = (n == 55'd0);

  // ---- 5. normalise: keep 24 bits down to q = max(e + msb - 23, 0); the frame is shifted
  //      right by t = q - e + 24 in [1, 55] after appending 24 zero bits ----
  wire [5:0]  msb   = msb_pos(n);
  wire [9:0]  top   = {1'b0, e} + {4'd0, msb};
  wire [9:0]  q     = (top > 10'd23) ? (top - 10'd23) : 10'd0;
  wire [9:0]  t_w   = q + 10'd23 - {1'b0, e};  // t - 1, in [0, 54]
  wire [5:0]  t1    = t_w[5:0];
  wire [78:0] w     = {n, 24'd0};
  wire [78:0] w1    = w >> t1;            // bits [24:1] kept, bit 0 the round bit
  wire        r_sticky = ((w1 << t1) != w);
  wire [23:0] kept  = w1[24:1];
  wire        r_bit = w1[0];

  // ---- 6. round to nearest even, renormalise on carry, pack ----
  wire        inc   = r_bit & (r_sticky | kept[0]);
  wire [24:0] kr    = {1'b0, kept} + {24'd0, inc};
  wire [23:0] sig   = kr[24] ? kr[24:1] : kr[23:0];
  wire [9:0]  field = q + {9'd0, kr[24]} + 10'd1;  // exponent field if normal
  wire        normal = sig[23];
  wire        ovf   = normal & (field >= 10'd255);
  wire [31:0] fin   = n_zero ? 32'd0
                    : ovf    ? {r_neg, 8'hFF, 23'd0}
                    : normal ? {r_neg, field[7:0], sig[22:0]}
                             : {r_neg, 8'd0, sig[22:0]};

  // ---- specials ----
  wire p_nan  = a_nan | b_nan | (a_inf & b_zero) | (b_inf & a_zero);
  wire p_inf  = a_inf | b_inf;
  wire p_zero = a_zero | b_zero;
  wire r_nan  = p_nan | c_nan | (p_inf & c_inf & (p_neg != acc[31]));
  assign sum = r_nan  ? 32'h7FC00000
             : p_inf  ? {p_neg, 8'hFF, 23'd0}
             : c_inf  ? acc
             : p_zero ? (c_zero ? {acc[31] & p_neg, 31'd0} : acc)
                      : fin;

  // Bits that are provably constant or unused (documented widths, not logic).
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = &{1'b0, t_w[9:6], w1[78:25]};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
