`timescale 1ns/1ps
// mixpe_tb_fp: test top for tpesim_mixpe_rtl_test: mixpe_mac_fp at (B, signed) = (4, s),
// (4, u), (8, s), (8, u), (2, s), (3, u) and the row adder mixpe_row_add_fp, all driven by the
// same inputs (each MAC takes q's low B bits).
module mixpe_tb_fp (
    input  wire [31:0] acc_in,  // accumulator / row sum in, FP32
    input  wire [7:0]  q,       // weight code pattern (low B bits used)
    input  wire [15:0] a,       // FP16 activation
    output wire [31:0] s4,      // mixpe_mac_fp B = 4, signed
    output wire [31:0] u4,      // B = 4, unsigned
    output wire [31:0] s8,      // B = 8, signed
    output wire [31:0] u8,      // B = 8, unsigned
    output wire [31:0] s2,      // B = 2, signed
    output wire [31:0] u3,      // B = 3, unsigned
    output wire [31:0] row      // mixpe_row_add_fp
);
  mixpe_mac_fp #(.B(4), .Q_SIGNED(1)) u_s4 (.acc_in(acc_in), .q(q[3:0]), .a(a), .acc_out(s4));
  mixpe_mac_fp #(.B(4), .Q_SIGNED(0)) u_u4 (.acc_in(acc_in), .q(q[3:0]), .a(a), .acc_out(u4));
  mixpe_mac_fp #(.B(8), .Q_SIGNED(1)) u_s8 (.acc_in(acc_in), .q(q), .a(a), .acc_out(s8));
  mixpe_mac_fp #(.B(8), .Q_SIGNED(0)) u_u8 (.acc_in(acc_in), .q(q), .a(a), .acc_out(u8));
  mixpe_mac_fp #(.B(2), .Q_SIGNED(1)) u_s2 (.acc_in(acc_in), .q(q[1:0]), .a(a), .acc_out(s2));
  mixpe_mac_fp #(.B(3), .Q_SIGNED(0)) u_u3 (.acc_in(acc_in), .q(q[2:0]), .a(a), .acc_out(u3));
  mixpe_row_add_fp u_row (.sum_in(acc_in), .a(a), .sum_out(row));
endmodule
