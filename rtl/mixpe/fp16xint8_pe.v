`timescale 1ns/1ps
// fp16xint8_pe: the FP16 x INT8 baseline PE with per-element dequantisation
// (docs/mixpe-pe.md, "Baselines"; ANT/OliVe-style weight-only quantisation), combinational:
//   w       = RNE_fp16(s * (q - z)) saturated   (fp16xint8_dequant)
//   acc_out = RNE_fp32(acc_in + w * a)          (fp16_fp32_mac, rtl/systolic/)
// One dequantisation per weight use: the cost MixPE avoids. Bit-exact reference: one step of
// num::mixpe::gemm_mixpe(kFp16xInt8): fp_mac_fp16_fp32(acc, a, dequant_weight_fp16(q, z, s)).
// Latency 0 (the accumulator register belongs to the array around the PE).
module fp16xint8_pe #(
    parameter integer B        = 8,  // weight code width, 2..8
    parameter integer Q_SIGNED = 1   // 1: q is two's complement; 0: unsigned 0..2^B-1
) (
    input  wire [31:0]  acc_in,  // accumulator, FP32 bits
    input  wire [B-1:0] q,       // weight code
    input  wire [B:0]   z,       // zero point, two's complement
    input  wire [15:0]  s,       // group scale, FP16 bits
    input  wire [15:0]  a,       // activation, FP16 bits
    output wire [15:0]  w,       // the dequantised weight, FP16 bits (for observation)
    output wire [31:0]  acc_out  // RNE_fp32(acc_in + w * a), FP32 bits
);
  fp16xint8_dequant #(.B(B), .Q_SIGNED(Q_SIGNED)) u_dq (.q(q), .z(z), .s(s), .w(w));
  fp16_fp32_mac u_mac (.acc(acc_in), .a(a), .b(w), .sum(acc_out));
endmodule
