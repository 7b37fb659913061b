`timescale 1ns/1ps
// mixpe_tb_dqi: test top for tpesim_mixpe_rtl_test: mixpe_dequant_int at B = 2, 4, 8
// (ACC = 32), all driven by the same inputs (each takes z's low B + 1 bits).
module mixpe_tb_dqi (
    input  wire [31:0] y_in,   // output accumulator, FP32
    input  wire [31:0] p,      // P, two's complement
    input  wire [31:0] a_sum,  // A, two's complement
    input  wire [8:0]  z,      // zero point pattern (low B + 1 bits used)
    input  wire [15:0] s,      // scale, FP16
    output wire [31:0] y2,     // B = 2
    output wire [31:0] y4,     // B = 4
    output wire [31:0] y8      // B = 8
);
  mixpe_dequant_int #(.B(2)) u_2 (.y_in(y_in), .p(p), .a_sum(a_sum), .z(z[2:0]), .s(s), .y_out(y2));
  mixpe_dequant_int #(.B(4)) u_4 (.y_in(y_in), .p(p), .a_sum(a_sum), .z(z[4:0]), .s(s), .y_out(y4));
  mixpe_dequant_int #(.B(8)) u_8 (.y_in(y_in), .p(p), .a_sum(a_sum), .z(z), .s(s), .y_out(y8));
endmodule
