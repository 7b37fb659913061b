`timescale 1ns/1ps
// mixpe_tb_base: test top for tpesim_mixpe_rtl_test: the FP16 x INT8 baseline, the weight
// dequantiser fp16xint8_dequant at (B, signed) = (8, s), (8, u), (4, s), (4, u), (2, s),
// (3, u) and the PE fp16xint8_pe at (8, s) and (4, u), all driven by the same inputs (each
// takes q's low B bits and z's low B + 1 bits).
module mixpe_tb_base (
    input  wire [31:0] acc_in,  // accumulator in, FP32
    input  wire [7:0]  q,       // weight code pattern
    input  wire [8:0]  z,       // zero point pattern
    input  wire [15:0] s,       // scale, FP16
    input  wire [15:0] a,       // activation, FP16
    output wire [15:0] w_s8,    // dequantised weights
    output wire [15:0] w_u8,
    output wire [15:0] w_s4,
    output wire [15:0] w_u4,
    output wire [15:0] w_s2,
    output wire [15:0] w_u3,
    output wire [15:0] pe_s8_w,    // fp16xint8_pe B = 8, signed: weight
    output wire [31:0] pe_s8_acc,  //   and accumulator out
    output wire [15:0] pe_u4_w,    // fp16xint8_pe B = 4, unsigned: weight
    output wire [31:0] pe_u4_acc   //   and accumulator out
);
  fp16xint8_dequant #(.B(8), .Q_SIGNED(1)) u_s8 (.q(q), .z(z), .s(s), .w(w_s8));
  fp16xint8_dequant #(.B(8), .Q_SIGNED(0)) u_u8 (.q(q), .z(z), .s(s), .w(w_u8));
  fp16xint8_dequant #(.B(4), .Q_SIGNED(1)) u_s4 (.q(q[3:0]), .z(z[4:0]), .s(s), .w(w_s4));
  fp16xint8_dequant #(.B(4), .Q_SIGNED(0)) u_u4 (.q(q[3:0]), .z(z[4:0]), .s(s), .w(w_u4));
  fp16xint8_dequant #(.B(2), .Q_SIGNED(1)) u_s2 (.q(q[1:0]), .z(z[2:0]), .s(s), .w(w_s2));
  fp16xint8_dequant #(.B(3), .Q_SIGNED(0)) u_u3 (.q(q[2:0]), .z(z[3:0]), .s(s), .w(w_u3));
  fp16xint8_pe #(.B(8), .Q_SIGNED(1)) u_pe8 (.acc_in(acc_in), .q(q), .z(z), .s(s), .a(a),
                                             .w(pe_s8_w), .acc_out(pe_s8_acc));
  fp16xint8_pe #(.B(4), .Q_SIGNED(0)) u_pe4 (.acc_in(acc_in), .q(q[3:0]), .z(z[4:0]), .s(s),
                                             .a(a), .w(pe_u4_w), .acc_out(pe_u4_acc));
endmodule
