`timescale 1ns/1ps
// mixpe_tb_dqf: test top for tpesim_mixpe_rtl_test: mixpe_dequant_fp at B = 4 and 8, driven
// by the same inputs (each takes z's low B + 1 bits).
module mixpe_tb_dqf (
    input  wire [31:0] y_in,   // output accumulator, FP32
    input  wire [31:0] p,      // P, FP32
    input  wire [31:0] a_sum,  // A, FP32
    input  wire [8:0]  z,      // zero point pattern (low B + 1 bits used)
    input  wire [15:0] s,      // scale, FP16
    output wire [31:0] d4,     // B = 4: D
    output wire [31:0] y4,     // B = 4: y_out
    output wire [31:0] d8,     // B = 8: D
    output wire [31:0] y8      // B = 8: y_out
);
  mixpe_dequant_fp #(.B(4)) u_4 (.y_in(y_in), .p(p), .a_sum(a_sum), .z(z[4:0]), .s(s), .d(d4),
                                 .y_out(y4));
  mixpe_dequant_fp #(.B(8)) u_8 (.y_in(y_in), .p(p), .a_sum(a_sum), .z(z), .s(s), .d(d8),
                                 .y_out(y8));
endmodule
