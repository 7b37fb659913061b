`timescale 1ns/1ps
// bitmod_term_decode: term `pos` of one weight code in BitMoD's bit-serial representation
// (docs/numerics.md, "Bit-serial terms"; C++: num::bitserial_terms), combinational. The
// hardware weight types (models/bitmod/array_io.hpp, WeightFmt):
//   0 INT8, 1 INT6, 2 INT4: radix-4 Booth on the two's complement code, digit d at
//     significance 2*pos: sign d < 0, exp |d| == 2, mantissa d != 0 (4, 3, 2 terms);
//   3 FP4 E2M1, 4 FP3 E2M0 (bias 1): term 0 = leading bit {s, E, e != 0, sig 0}, FP4's term 1
//     = mantissa bit {s, E, m, sig -1}, E = max(e, 1) - 1 (2 terms, 1 term);
//   5 extended FP4: code 1000 is the special sel = 0..3 -> +5, -5, +8, -8;
//   6 extended FP3: code 100 is the special sel = 0..3 -> +3, -3, +6, -6; other codes as FP3
//     padded with {s, E, 0, -1} (2 terms each);
//   7: reserved, decoded as INT8.
// Specials as terms: 5 = 4 + 1 {2,1,0}{1,1,-1}; 8 = 8 {3,1,0}{3,0,-1}; 3 = 2 + 1
// {1,1,0}{1,1,-1}; 6 = 4 + 2 {2,1,0}{2,1,-1} (negative: both terms negative).
// A lane that is not used (`on` = 0) gives a bubble {+, 0, 0}.
module bitmod_term_decode (
    input  wire [2:0] fmt,     // hardware weight type
    input  wire [1:0] sel,     // special-value selector (extended types)
    input  wire [7:0] code,    // weight code (low bits; the rest must be zero)
    input  wire [1:0] pos,     // term index
    input  wire       on,      // the lane carries a weight
    output reg        t_neg,   // term sign (1: negative)
    output reg  [1:0] t_exp,   // term exponent
    output reg        t_man    // term mantissa bit
);
  // Booth digit pos: bits 2pos+1, 2pos, 2pos-1 (bit -1 is 0).
  wire [8:0] cx = {code, 1'b0};
  wire [2:0] bt = cx[{1'b0, pos, 1'b0} +: 3];
  // FP fields: FP4 s.ee.m, FP3 s.ee.
  wire       fp4   = fmt == 3'd3 || fmt == 3'd5;
  wire       f_s   = fp4 ? code[3] : code[2];
  wire [1:0] f_e   = fp4 ? code[2:1] : code[1:0];
  wire       f_m   = fp4 & code[0];
  wire [1:0] f_ex  = (f_e == 2'd0) ? 2'd0 : f_e - 2'd1;
  wire       spec4 = fmt == 3'd5 && code[3:0] == 4'b1000;
  wire       spec3 = fmt == 3'd6 && code[2:0] == 3'b100;

  always @* begin
    t_neg = 1'b0;
    t_exp = 2'd0;
    t_man = 1'b0;
    if (!on) begin
      t_neg = 1'b0;
    end else if (spec4) begin
      t_neg = sel[0];
      t_exp = sel[1] ? 2'd3 : (pos[0] ? 2'd1 : 2'd2);
      t_man = ~(sel[1] & pos[0]);
    end else if (spec3) begin
      t_neg = sel[0];
      t_exp = sel[1] ? 2'd2 : 2'd1;
      t_man = 1'b1;
    end else if (fmt >= 3'd3 && fmt <= 3'd6) begin
      t_neg = f_s;
      t_exp = f_ex;
      t_man = pos[0] ? f_m : (f_e != 2'd0);
    end else begin
      case (bt)
        3'b001, 3'b010: begin t_neg = 1'b0; t_exp = 2'd0; t_man = 1'b1; end
        3'b011:         begin t_neg = 1'b0; t_exp = 2'd1; t_man = 1'b1; end
        3'b100:         begin t_neg = 1'b1; t_exp = 2'd1; t_man = 1'b1; end
        3'b101, 3'b110: begin t_neg = 1'b1; t_exp = 2'd0; t_man = 1'b1; end
        default:        begin t_neg = 1'b0; t_exp = 2'd0; t_man = 1'b0; end
      endcase
    end
  end
endmodule
