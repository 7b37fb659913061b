`timescale 1ns/1ps
// bitmod_encoder: the term encoder at the top of a BitMoD PE column (Chen et al., HPCA 2025,
// Sec. IV), cycle for cycle models/bitmod/encoder.{hpp,cpp} (TermEncoder). It accepts a quad
// of LANES weight codes with their hardware type (fmt/sel, bitmod_term_decode) and markers
// when no quad is being serialised and its output register is free or taken this cycle;
// in the accepting cycle and the following ones it loads term t of every lane into its
// output register (t = 0 .. T-1, T = terms per weight of the type); the quad's last term
// carries the group/output markers. The register holds while the PE does not take it
// (ds_ready low). Lanes >= lanes_used are bubbles {+, 0, 0}.
module bitmod_encoder #(
    parameter integer LANES      = 4,  // lanes
    parameter integer SCALE_BITS = 8,  // integer group scale width
    parameter integer LUW        = 4   // width of lanes_used
) (
    input  wire                  clk,                // clock, rising edge
    input  wire                  rst,                // synchronous active-high reset
    // the offered quad
    input  wire                  in_valid,           // a quad is offered
    input  wire [2:0]            fmt,                // hardware weight type (WeightFmt)
    input  wire [1:0]            sel,                // special-value selector
    input  wire [LUW-1:0]        lanes_used,         // 1..LANES lanes carry weights
    input  wire [LANES*8-1:0]    codes,              // weight codes, lane i in [8i +: 8]
    input  wire                  group_last,         // the quad ends a group
    input  wire [SCALE_BITS-1:0] scale_q,            // the group's integer scale
    input  wire                  output_last,        // the group is the output's last
    input  wire [15:0]           channel_scale,      // FP16 code of the column's scale
    input  wire                  ds_ready,           // the PE takes the output register this cycle
    output wire                  ready,              // an offered quad is accepted this cycle
    // the output register (what the PE sees)
    output reg                   out_valid,          // a term cycle
    output reg  [LANES-1:0]      out_neg,            // term sign per lane (1: negative)
    output reg  [LANES*2-1:0]    out_exp,            // term exponent per lane
    output reg  [LANES-1:0]      out_man,            // term mantissa bit per lane
    output reg  [3:0]            out_sig,            // significance, two's complement
    output reg                   out_group_last,     // markers, on the quad's last term only
    output reg  [SCALE_BITS-1:0] out_scale_q,
    output reg                   out_output_last,
    output reg  [15:0]           out_channel_scale
);
  // ---- the quad being serialised ----
  reg                  busy;    // terms of the stored quad remain to be emitted
  reg [1:0]            pos;     // next term to emit
  reg [2:0]            s_fmt;
  reg [1:0]            s_sel;
  reg [LUW-1:0]        s_lanes;
  reg [LANES*8-1:0]    s_codes;
  reg                  s_gl;
  reg [SCALE_BITS-1:0] s_q;
  reg                  s_ol;
  reg [15:0]           s_cs;

  wire hold   = out_valid & ~ds_ready;
  assign ready = ~busy & ~hold;
  wire accept = in_valid & ready;
  wire emit   = ~hold & (busy | accept);

  // The quad whose term is emitted this cycle: the offered one when accepted.
  wire [2:0]            c_fmt   = accept ? fmt : s_fmt;
  wire [1:0]            c_sel   = accept ? sel : s_sel;
  wire [LUW-1:0]        c_lanes = accept ? lanes_used : s_lanes;
  wire [LANES*8-1:0]    c_codes = accept ? codes : s_codes;
  wire                  c_gl    = accept ? group_last : s_gl;
  wire [SCALE_BITS-1:0] c_q     = accept ? scale_q : s_q;
  wire                  c_ol    = accept ? output_last : s_ol;
  wire [15:0]           c_cs    = accept ? channel_scale : s_cs;
  wire [1:0]            c_pos   = accept ? 2'd0 : pos;

  // Terms per weight minus one, and the significance of term c_pos.
  reg [1:0] last_pos;
  always @* begin
    case (c_fmt)
      3'd1:          last_pos = 2'd2;  // INT6
      3'd2, 3'd3:    last_pos = 2'd1;  // INT4, FP4
      3'd4:          last_pos = 2'd0;  // FP3
      3'd5, 3'd6:    last_pos = 2'd1;  // extended FP4 / FP3
      default:       last_pos = 2'd3;  // INT8 (and reserved 7)
    endcase
  end
  wire       c_float = c_fmt >= 3'd3 && c_fmt <= 3'd6;
  wire [3:0] c_sig   = c_float ? (c_pos == 2'd0 ? 4'd0 : 4'b1111) : {1'b0, c_pos, 1'b0};
  wire       c_last  = c_pos == last_pos;

  wire [LANES-1:0]   d_neg;
  wire [LANES*2-1:0] d_exp;
  wire [LANES-1:0]   d_man;
  genvar i;
  generate
    for (i = 0; i < LANES; i = i + 1) begin : g_lane
      localparam [31:0] I32 = i;
      bitmod_term_decode u_dec (
          .fmt(c_fmt), .sel(c_sel), .code(c_codes[8*i +: 8]), .pos(c_pos),
          .on(c_lanes > I32[LUW-1:0]),
          .t_neg(d_neg[i]), .t_exp(d_exp[2*i +: 2]), .t_man(d_man[i]));
    end
  endgenerate

  always @(posedge clk) begin
    if (rst) begin
      busy              <= 1'b0;
      pos               <= 2'd0;
      s_fmt             <= 3'd0;
      s_sel             <= 2'd0;
      s_lanes           <= {LUW{1'b0}};
      s_codes           <= {(LANES * 8){1'b0}};
      s_gl              <= 1'b0;
      s_q               <= {SCALE_BITS{1'b0}};
      s_ol              <= 1'b0;
      s_cs              <= 16'd0;
      out_valid         <= 1'b0;
      out_neg           <= {LANES{1'b0}};
      out_exp           <= {(LANES * 2){1'b0}};
      out_man           <= {LANES{1'b0}};
      out_sig           <= 4'd0;
      out_group_last    <= 1'b0;
      out_scale_q       <= {SCALE_BITS{1'b0}};
      out_output_last   <= 1'b0;
      out_channel_scale <= 16'd0;
    end else if (!hold) begin
      out_valid <= emit;
      if (emit) begin
        out_neg           <= d_neg;
        out_exp           <= d_exp;
        out_man           <= d_man;
        out_sig           <= c_sig;
        out_group_last    <= c_last & c_gl;
        out_scale_q       <= c_last ? c_q : {SCALE_BITS{1'b0}};
        out_output_last   <= c_last & c_ol;
        out_channel_scale <= c_last ? c_cs : 16'd0;
        busy              <= ~c_last;
        pos               <= c_pos + 2'd1;
      end
      if (accept) begin
        s_fmt   <= fmt;
        s_sel   <= sel;
        s_lanes <= lanes_used;
        s_codes <= codes;
        s_gl    <= group_last;
        s_q     <= scale_q;
        s_ol    <= output_last;
        s_cs    <= channel_scale;
      end
    end
  end
endmodule
