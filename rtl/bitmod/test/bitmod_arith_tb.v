`timescale 1ns/1ps
// bitmod_arith_tb: the BitMoD PE's combinational stages side by side, for stage-level checks
// against models/numerics/bitmod_pe.hpp (tests/cosim/test_bitmod_rtl.cpp): bitmod_dot
// (stages 1-2), bitmod_acc_add (stage 3), bitmod_fp32_add_fix and bitmod_fp32_mul_fp16
// (stage 5), default widths. Test-only top; not part of the synthesised design.
module bitmod_arith_tb (
    // stages 1-2
    input  wire [63:0]        d_acts,
    input  wire [3:0]         d_neg,
    input  wire [7:0]         d_exp,
    input  wire [3:0]         d_man,
    input  wire [3:0]         d_sig,
    output wire               d_x_neg,
    output wire [15:0]        d_x_mag,
    output wire [11:0]        d_x_exp,
    // stage 3
    input  wire               a_sign,
    input  wire [5:0]         a_exp,
    input  wire [13:0]        a_man,
    input  wire               a_x_neg,
    input  wire [15:0]        a_x_mag,
    input  wire [11:0]        a_x_exp,
    output wire               a_r_sign,
    output wire [5:0]         a_r_exp,
    output wire [13:0]        a_r_man,
    output wire               a_r_ovf,
    // stage 5: column add
    input  wire [31:0]        c_a,
    input  wire               c_x_neg,
    input  wire [21:0]        c_x_mag,
    input  wire [11:0]        c_x_exp,
    output wire [31:0]        c_r,
    // stage 5: channel scale
    input  wire [31:0]        m_a,
    input  wire [15:0]        m_s,
    output wire [31:0]        m_r
);
  bitmod_dot u_dot (
      .acts(d_acts), .t_neg(d_neg), .t_exp(d_exp), .t_man(d_man), .t_sig(d_sig),
      .x_neg(d_x_neg), .x_mag(d_x_mag), .x_exp(d_x_exp));
  bitmod_acc_add u_acc (
      .acc_sign(a_sign), .acc_exp(a_exp), .acc_man(a_man),
      .x_neg(a_x_neg), .x_mag(a_x_mag), .x_exp(a_x_exp),
      .r_sign(a_r_sign), .r_exp(a_r_exp), .r_man(a_r_man), .r_ovf(a_r_ovf));
  bitmod_fp32_add_fix u_cadd (.a(c_a), .x_neg(c_x_neg), .x_mag(c_x_mag), .x_exp(c_x_exp), .r(c_r));
  bitmod_fp32_mul_fp16 u_cmul (.a(m_a), .s(m_s), .r(m_r));
endmodule
