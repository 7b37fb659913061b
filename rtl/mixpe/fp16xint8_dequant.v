`timescale 1ns/1ps
// fp16xint8_dequant: the per-element weight dequantiser of the FP16 x INT8 baseline PE
// (docs/mixpe-pe.md, "Baselines"), combinational:
//   w = RNE_fp16(s * (q - z)), saturating at +-65504
// q a B-bit code (two's complement or unsigned), z the zero point (B + 1 bits, two's
// complement), s the FP16 group scale. s * (q - z) is exact (at most 12 + B significant bits,
// its lsb >= 2^-24, so it never underflows to zero) and rounded once to FP16, to nearest,
// ties to even, subnormals kept; a result beyond the largest finite FP16 value (including one
// that rounds up to 2^16) is +-65504 (7BFF). A zero result (q = z or s = +-0) is a zero of
// sign sign(s) xor (q - z < 0).
// Bit-exact reference: num::mixpe::dequant_weight_fp16 (which rejects infinite and NaN
// scales; here an infinite scale saturates and a NaN scale or inf * 0 gives 7E00).
// Latency 0.
module fp16xint8_dequant #(
    parameter integer B        = 8,  // weight code width, 2..8
    parameter integer Q_SIGNED = 1   // 1: q is two's complement; 0: unsigned 0..2^B-1
) (
    input  wire [B-1:0] q,  // weight code
    input  wire [B:0]   z,  // zero point, two's complement
    input  wire [15:0]  s,  // scale, FP16 bits
    output wire [15:0]  w   // RNE_fp16(s * (q - z)), saturated, FP16 bits
);
  localparam integer DW = B + 2;    // q - z, two's complement
  localparam integer MW = 12 + B;   // |s * (q - z)| significand
  localparam integer PW = $clog2(MW);

  // ---- q - z, exact ----
  wire [DW-1:0] q_ext  = {{2{(Q_SIGNED != 0) & q[B-1]}}, q};
  wire [DW-1:0] diff   = q_ext - {z[B], z};
  wire          d_neg  = diff[DW-1];
  wire [DW-1:0] d_abs  = d_neg ? ({DW{1'b0}} - diff) : diff;

  // ---- the scale and the exact product ----
  wire        s_e0  = (s[14:10] == 5'd0);
  wire        s_e1  = (s[14:10] == 5'h1F);
  wire        s_m0  = (s[9:0] == 10'd0);
  wire [10:0] s_sig = {~s_e0, s[9:0]};
  wire [5:0]  s_lsb = {1'b0, s[14:11], s[10] | s_e0};  // max(E, 1): lsb exponent + 25
  wire [MW-1:0] m   = {{(MW - 11) {1'b0}}, s_sig} * {{(MW - DW + 1) {1'b0}}, d_abs[DW-2:0]};
  wire        m_zero = (m == {MW{1'b0}});
  wire        r_neg  = s[15] ^ d_neg;

  // ---- round to 11 bits at lsb exponent q16 = max(top - 10, 1) (+25), shift r >= 0 ----
  wire [PW-1:0] msb;
  mixpe_msb #(.W(MW)) u_msb (.v(m), .pos(msb));
  wire [5:0]  top  = s_lsb + {{(6 - PW) {1'b0}}, msb};
  wire [5:0]  q16  = (top > 6'd11) ? (top - 6'd10) : 6'd1;
  wire [5:0]  r    = q16 - s_lsb;  // 0 .. B + 1
  wire [MW:0] mw   = {m, 1'b0};
  wire [MW:0] w1   = mw >> r;      // bits [11:1] kept, bit 0 the round bit
  wire        st   = ((w1 << r) != mw);
  wire [10:0] kept = w1[11:1];
  wire        inc  = w1[0] & (st | kept[0]);
  wire [11:0] kr   = {1'b0, kept} + {11'd0, inc};
  wire [10:0] sig  = kr[11] ? kr[11:1] : kr[10:0];
  wire [5:0]  field = q16 + {5'd0, kr[11]};
  wire        normal = sig[10];
  wire        sat  = normal & (field >= 6'd31);
  wire [15:0] fin  = m_zero ? {r_neg, 15'd0}
                   : sat    ? {r_neg, 15'h7BFF}
                   : normal ? {r_neg, field[4:0], sig[9:0]}
                            : {r_neg, 5'd0, sig[9:0]};

  // ---- non-finite scales (outside the reference's domain) ----
  assign w = (s_e1 & (~s_m0 | m_zero | (d_abs == {DW{1'b0}}))) ? 16'h7E00
           : s_e1 ? {r_neg, 15'h7BFF}
                  : fin;

  // |q - z| < 2^(B+1): the top bit of d_abs is zero; w1 above bit 11 is zero.
  /* verilator lint_off UNUSEDSIGNAL */
  wire unused = &{1'b0, d_abs[DW-1], w1[MW:12]};
  /* verilator lint_on UNUSEDSIGNAL */
endmodule
