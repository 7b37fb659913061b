`timescale 1ns/1ps
// bitmod_fp32_mul_fp16: the channel-scale multiply of the BitMoD PE (docs/bitmod-pe.md,
// stage 5; C++: num::bitmod::apply_channel_scale with out_format FP32):
//   r = RNE_fp32(a * s), a an FP32 code, s an FP16 code,
// the exact product (24 x 11 significand bits) rounded once, with FP32 subnormals, overflow to
// infinity, +0 for an exact zero (either operand zero) and a zero of the product's sign for a
// nonzero product below the smallest subnormal. Infinity and NaN operands are not supported.
module bitmod_fp32_mul_fp16 #(
    parameter integer XW = 12  // signed exponent width
) (
    input  wire [31:0] a,  // FP32 code
    input  wire [15:0] s,  // FP16 code
    output wire [31:0] r   // FP32 code of the rounded product
);
  localparam [31:0] ALSB0 = 1 - 127 - 23;  // lsb exponent of FP32 exponent fields 0 and 1
  localparam [31:0] SLSB0 = 1 - 15 - 10;   // the same for FP16

  wire [7:0]           a_ef  = a[30:23];
  wire [7:0]           a_ef1 = (a_ef == 8'd0) ? 8'd1 : a_ef;
  wire signed [XW-1:0] a_lsb = $signed(ALSB0[XW-1:0]) - 1 + $signed({{(XW - 8){1'b0}}, a_ef1});
  wire [23:0]          a_m   = {a_ef != 8'd0, a[22:0]};
  wire [4:0]           s_ef  = s[14:10];
  wire [4:0]           s_ef1 = (s_ef == 5'd0) ? 5'd1 : s_ef;
  wire signed [XW-1:0] s_lsb = $signed(SLSB0[XW-1:0]) - 1 + $signed({{(XW - 5){1'b0}}, s_ef1});
  wire [10:0]          s_m   = {s_ef != 5'd0, s[9:0]};

  // The product is exact; round_pack normalises it (subnormal operands included).
  wire [34:0]          prod  = {11'd0, a_m} * {24'd0, s_m};
  wire signed [XW-1:0] p_lsb = a_lsb + s_lsb;

  wire        r_sign;
  wire [7:0]  r_exp;
  wire [23:0] r_man;
  wire        r_ovf;
  bitmod_round_pack #(.W(35), .P(24), .E(8), .BIAS(127), .SAT(0), .SIGNED_UF(1), .XW(XW)) u_rnd (
      .sign(a[31] ^ s[15]), .m(prod), .lsb(p_lsb),
      .r_sign(r_sign), .r_exp(r_exp), .r_man(r_man), .r_ovf(r_ovf));
  assign r = {r_sign, r_exp, r_man[22:0]};
  wire unused_ok = &{1'b0, r_man[23], r_ovf, 1'b0};
endmodule
