`timescale 1ns/1ps
// bitmod_norm: normalises an unsigned magnitude m * 2^lsb so that its leading one is the
// MSB of `sig`; `top` is the exponent of that leading one (lsb + W - 1 - leading zeros).
// A zero magnitude gives sig = 0 and zero = 1 (top is then meaningless).
module bitmod_norm #(
    parameter integer W  = 16,  // magnitude width
    parameter integer XW = 12   // signed exponent width
) (
    input  wire [W-1:0]         m,     // magnitude
    input  wire signed [XW-1:0] lsb,   // exponent of m's bit 0
    output wire [W-1:0]         sig,   // m shifted left by its leading zeros
    output wire signed [XW-1:0] top,   // exponent of sig's MSB
    output wire                 zero   // m == 0
);
  localparam integer CW = $clog2(W + 1);
  localparam [31:0] WM1 = W - 1;
  wire [CW-1:0] lz;
  bitmod_lzc #(.W(W)) u_lzc (.x(m), .n(lz));
  assign sig  = m << lz;
  assign top  = lsb + $signed(WM1[XW-1:0]) - $signed({{(XW - CW){1'b0}}, lz});
  assign zero = ~|m;
endmodule
