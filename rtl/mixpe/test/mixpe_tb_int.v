`timescale 1ns/1ps
// mixpe_tb_int: test top for tpesim_mixpe_rtl_test: mixpe_mac_int at B = 2, 3, 4, 8, signed
// (s*) and unsigned (u*) codes, all driven by the same inputs (each takes q's low B bits).
module mixpe_tb_int (
    input  wire [31:0] acc_in,  // accumulator in
    input  wire [7:0]  q,       // weight code pattern (low B bits used)
    input  wire [7:0]  a,       // INT8 activation
    output wire [31:0] s2,      // B = 2, signed
    output wire [31:0] u2,      // B = 2, unsigned
    output wire [31:0] s3,      // B = 3, signed
    output wire [31:0] u3,      // B = 3, unsigned
    output wire [31:0] s4,      // B = 4, signed
    output wire [31:0] u4,      // B = 4, unsigned
    output wire [31:0] s8,      // B = 8, signed
    output wire [31:0] u8       // B = 8, unsigned
);
  mixpe_mac_int #(.B(2), .Q_SIGNED(1)) u_s2 (.acc_in(acc_in), .q(q[1:0]), .a(a), .acc_out(s2));
  mixpe_mac_int #(.B(2), .Q_SIGNED(0)) u_u2 (.acc_in(acc_in), .q(q[1:0]), .a(a), .acc_out(u2));
  mixpe_mac_int #(.B(3), .Q_SIGNED(1)) u_s3 (.acc_in(acc_in), .q(q[2:0]), .a(a), .acc_out(s3));
  mixpe_mac_int #(.B(3), .Q_SIGNED(0)) u_u3 (.acc_in(acc_in), .q(q[2:0]), .a(a), .acc_out(u3));
  mixpe_mac_int #(.B(4), .Q_SIGNED(1)) u_s4 (.acc_in(acc_in), .q(q[3:0]), .a(a), .acc_out(s4));
  mixpe_mac_int #(.B(4), .Q_SIGNED(0)) u_u4 (.acc_in(acc_in), .q(q[3:0]), .a(a), .acc_out(u4));
  mixpe_mac_int #(.B(8), .Q_SIGNED(1)) u_s8 (.acc_in(acc_in), .q(q), .a(a), .acc_out(s8));
  mixpe_mac_int #(.B(8), .Q_SIGNED(0)) u_u8 (.acc_in(acc_in), .q(q), .a(a), .acc_out(u8));
endmodule
