`timescale 1ns/1ps
// systolic_mac: the combinational multiply-add shared by both PE kinds
// (docs/systolic-array.md, "Parameters"). Computes add(p_in, a * b), where the
// product is exact (each operand sign- or zero-extended by A_SIGNED/B_SIGNED)
// and add() is the exact sum of the ACC-bit two's-complement addend and the
// product, then either wrapped to the low ACC bits (SAT=0) or clamped to
// [-2^(ACC-1), 2^(ACC-1)-1] (SAT=1).
// PE selects the circuit (docs/systolic-array.md, "PE kinds"):
//   0  the integer multiplier described above
//   1  FP16 activations, FP32 accumulator (AW = 16, ACC = 32): BW = 16 an FP16 x FP16 MAC
//      (fp16_fp32_mac); BW = 2..8 the MixPE W4A16 shift-and-add MAC (rtl/mixpe/mixpe_mac_fp.v)
//      with a BW-bit integer weight (B_SIGNED)
//   2  the MixPE W4A8 shift-and-add MAC (rtl/mixpe/mixpe_mac_int.v): a INT8 (AW = 8,
//      A_SIGNED = 1), b a BW-bit code, ACC-bit wrapping accumulator; no multiplier
//   3  the FP16 x INT<B> dequantise-then-FMA PE (rtl/mixpe/fp16xint8_pe.v): a FP16,
//      b = {s[15:0], z[B:0], q[B-1:0]} (BW = 2B + 17), ACC = 32 FP32; every MAC
//      dequantises its weight (per-element dequantisation, the cost MixPE avoids)
module systolic_mac #(
    parameter integer AW       = 8,   // width of operand a, bits
    parameter integer A_SIGNED = 1,   // a is two's complement (1) or unsigned (0)
    parameter integer BW       = 8,   // width of operand b, bits
    parameter integer B_SIGNED = 1,   // b is two's complement (1) or unsigned (0)
    parameter integer ACC      = 32,  // addend / result width, bits
    parameter integer SAT      = 0,   // 0 = wrap modulo 2^ACC, 1 = saturate
    parameter integer PE       = 0    // PE kind (see above)
) (
    input  wire [ACC-1:0] p_in,  // addend, ACC-bit two's complement
    input  wire [AW-1:0]  a,     // left operand
    input  wire [BW-1:0]  b,     // top / stationary operand
    output wire [ACC-1:0] sum    // add(p_in, a * b), ACC-bit two's complement
);
  generate
    if (PE == 1 && BW == 16) begin : g_fp
      // FP16 x FP16 -> FP32 multiply-add, one rounding (docs/numerics.md, "FP16 x FP16 MAC").
      fp16_fp32_mac u_fp (.acc(p_in[31:0]), .a(a[15:0]), .b(b[15:0]), .sum(sum[31:0]));
    end else if (PE == 1) begin : g_fp_shift
      // FP16 x INT: exact shift-and-add product, one rounding into FP32 (docs/mixpe-pe.md).
      mixpe_mac_fp #(.B(BW), .Q_SIGNED(B_SIGNED)) u_fp (.acc_in(p_in[31:0]), .q(b), .a(a[15:0]),
                                                        .acc_out(sum[31:0]));
    end else if (PE == 2) begin : g_shift
      // INT8 x INT<BW> by shift-and-add, wrapping ACC-bit accumulation (docs/mixpe-pe.md).
      mixpe_mac_int #(.B(BW), .Q_SIGNED(B_SIGNED), .ACC(ACC)) u_sa (.acc_in(p_in), .q(b), .a(a[7:0]),
                                                                   .acc_out(sum));
    end else if (PE == 3) begin : g_dq
      // Dequantise the weight (w = RNE_fp16(s (q - z))), then an FP16 x FP16 -> FP32 MAC.
      localparam integer B = (BW - 17) / 2;
      /* verilator lint_off UNUSEDSIGNAL */
      wire [15:0] w;  // the dequantised weight (observable in waveforms)
      /* verilator lint_on UNUSEDSIGNAL */
      fp16xint8_pe #(.B(B), .Q_SIGNED(B_SIGNED)) u_pe (
          .acc_in(p_in[31:0]), .q(b[B-1:0]), .z(b[2*B:B]), .s(b[2*B+16:2*B+1]), .a(a[15:0]),
          .w(w), .acc_out(sum[31:0]));
    end else begin : g_int
    // An (AW+BW+1)-bit two's-complement value holds every exact product of any
    // signedness mix (unsigned*unsigned < 2^(AW+BW) is the widest case).
    localparam integer PW = AW + BW + 1;
    // One bit wider than both terms: the exact sum never overflows.
    localparam integer SW = ((ACC > PW) ? ACC : PW) + 1;

    wire a_ext = (A_SIGNED != 0) ? a[AW-1] : 1'b0;  // extension bit of a
    wire b_ext = (B_SIGNED != 0) ? b[BW-1] : 1'b0;  // extension bit of b
    wire [PW-1:0] a_x = {{(PW - AW){a_ext}}, a};    // a extended to PW bits
    wire [PW-1:0] b_x = {{(PW - BW){b_ext}}, b};    // b extended to PW bits
    // The low PW bits of the PW x PW product are the exact two's-complement product.
    wire [PW-1:0] prod = a_x * b_x;

    /* verilator lint_off UNUSEDSIGNAL */
    // Exact sum; with SAT=0 only the low ACC bits are kept (intentional truncation).
    wire [SW-1:0] s = {{(SW - ACC){p_in[ACC-1]}}, p_in} + {{(SW - PW){prod[PW-1]}}, prod};
    /* verilator lint_on UNUSEDSIGNAL */

      if (SAT != 0) begin : g_sat
        // In range iff bits [SW-1:ACC-1] are all copies of the sign bit.
        wire ovf = (s[SW-1:ACC-1] != {(SW - ACC + 1){s[SW-1]}});
        assign sum = !ovf ? s[ACC-1:0]
                   : s[SW-1] ? {1'b1, {(ACC - 1){1'b0}}}   // below range: -2^(ACC-1)
                             : {1'b0, {(ACC - 1){1'b1}}};  // above range: 2^(ACC-1)-1
      end else begin : g_wrap
        assign sum = s[ACC-1:0];
      end
    end
  endgenerate
endmodule
