`timescale 1ns/1ps
// bitmod_array: the BitMoD PE array, compute part (docs/bitmod-array.md, "Ports"; the C++
// model is tpesim::bitmod::BitmodArrayCore, models/bitmod/array_core.hpp). R x C PEs
// (bitmod_pe) in TILES_R x TILES_C tiles of TILE_ROWS x TILE_COLS, output-stationary, one
// term encoder (bitmod_encoder) per PE column.
//  - An offer (one quad step for every column and row) is taken in a cycle with in_valid
//    and in_ready. Taken offers reach the encoders of tile column j j cycles later (one
//    register per tile hop along the top edge) and the activation registers of tile row i
//    i cycles later (one per hop down the left edge).
//  - An encoder's output register drives the PEs of its column in tile row 0; tile row i
//    sees it through i registers. Tile (i, 0)'s activation registers load a delayed offer's
//    activations and hold them; tile (i, j) sees them through j registers. So PE (r, c) in
//    tile (i, j) sees a quad's terms with its activations i + j + 1 cycles after the offer.
//  - in_ready is tile (0, 0)'s: column 0's encoder is ready given PE (0, 0)'s ready. Every
//    tile runs the same schedule shifted by i + j, so the delayed copies of a taken offer
//    are accepted (the C++ core checks this) when all columns' types have the same number
//    of terms per weight.
//  - Each PE presents its own outputs (out_valid, out_bits); there is no output bus.
// Vectors are flattened: column c's field of width W in [c*W +: W], row r's likewise,
// PE (r, c) at index r*C + c.
`define BM_R (TILE_ROWS * TILES_R)
`define BM_C (TILE_COLS * TILES_C)
module bitmod_array #(
    parameter integer TILE_ROWS      = 2,   // PE rows per tile
    parameter integer TILE_COLS      = 2,   // PE columns per tile
    parameter integer TILES_R        = 2,   // tile rows
    parameter integer TILES_C        = 2,   // tile columns
    parameter integer LANES          = 4,   // lanes per PE
    parameter integer G              = 3,   // PE parameters (bitmod_pe)
    parameter integer ACC_EXP        = 6,
    parameter integer ACC_MAN        = 15,
    parameter integer ACC_BIAS       = 31,
    parameter integer SCALE_BITS     = 8,
    parameter integer COL_ADD_CYCLES = 1,
    parameter integer LUW            = 4    // width of lanes_used
) (
    input  wire                clk,                // clock, rising edge
    input  wire                rst,                // synchronous active-high reset
    input  wire                in_valid,           // an offer (quad step)
    // per PE column c (C = TILE_COLS * TILES_C), field of width W in [c*W +: W]:
    input  wire [`BM_C*3-1:0]          col_fmt,            // hardware weight type
    input  wire [`BM_C*2-1:0]          col_sel,            // special-value selector
    input  wire [`BM_C*LUW-1:0]        col_lanes,          // lanes used, 1..LANES
    input  wire [`BM_C*LANES*8-1:0]    col_codes,          // weight codes, lane i in [(c*LANES+i)*8 +: 8]
    input  wire [`BM_C-1:0]            col_group_last,     // the quad ends a group
    input  wire [`BM_C*SCALE_BITS-1:0] col_scale_q,        // the group's integer scale
    input  wire [`BM_C-1:0]            col_output_last,    // the group is the output's last
    input  wire [`BM_C*16-1:0]         col_channel_scale,  // FP16 code of the column's scale
    // per PE row r (R = TILE_ROWS * TILES_R): FP16 activations, lane i in [(r*LANES+i)*16 +: 16]
    input  wire [`BM_R*LANES*16-1:0]   row_acts,
    output wire                        in_ready,           // an offer in this cycle is taken
    // per PE (r, c), index r*C + c:
    output wire [`BM_R*`BM_C-1:0]      out_valid,          // an output this cycle
    output wire [`BM_R*`BM_C*32-1:0]   out_bits            // the output, FP32 code
);
  localparam integer R   = TILE_ROWS * TILES_R;  // PE rows
  localparam integer C   = TILE_COLS * TILES_C;  // PE columns
  localparam integer TC  = TILE_COLS;
  localparam integer TR  = TILE_ROWS;
  // Column offer payload: fmt, sel, lanes, codes, group_last, scale_q, output_last, scale.
  localparam integer CPW = 3 + 2 + LUW + LANES * 8 + 1 + SCALE_BITS + 1 + 16;
  // Term bus: valid, per lane {neg, exp[2], man}, sig[4], markers.
  localparam integer TPW = 1 + LANES * 4 + 4 + 1 + SCALE_BITS + 1 + 16;
  localparam integer AW  = LANES * 16;  // one row's activations

  wire taken = in_valid & in_ready;

  // Term buses: column c at tile row i in [(i*C + c)*TPW +: TPW].
  wire [TILES_R*C*TPW-1:0] tbus;
  // Activation registers: row r at tile column j in [(j*R + r)*AW +: AW].
  wire [TILES_C*R*AW-1:0]  abus;
  // PE ready of row 0, per column (the encoders' downstream ready).
  wire [C-1:0]             top_ready;
  wire [C-1:0]             enc_ready;
  wire [R*C-1:0]           pe_ready;

  genvar i, j, c, r;
  generate
    // ---- top edge: delayed offers, encoders, term buses down the columns ----
    for (j = 0; j < TILES_C; j = j + 1) begin : g_tc
      localparam integer SW_ = TC * CPW;
      wire [SW_-1:0] slice;
      for (c = 0; c < TC; c = c + 1) begin : g_pack
        localparam integer CC = j * TC + c;
        assign slice[c*CPW +: CPW] = {col_fmt[CC*3 +: 3], col_sel[CC*2 +: 2], col_lanes[CC*LUW +: LUW],
                                      col_codes[CC*LANES*8 +: LANES*8], col_group_last[CC],
                                      col_scale_q[CC*SCALE_BITS +: SCALE_BITS], col_output_last[CC],
                                      col_channel_scale[CC*16 +: 16]};
      end
      wire           dv;
      wire [SW_-1:0] ds;
      bitmod_delay #(.W(1 + SW_), .D(j)) u_dly (.clk(clk), .rst(rst), .d({taken, slice}), .q({dv, ds}));
      for (c = 0; c < TC; c = c + 1) begin : g_enc
        localparam integer CC = j * TC + c;
        wire [CPW-1:0] o = ds[c*CPW +: CPW];
        wire [TPW-1:0] t;
        bitmod_encoder #(.LANES(LANES), .SCALE_BITS(SCALE_BITS), .LUW(LUW)) u_enc (
            .clk(clk), .rst(rst), .in_valid(dv),
            .fmt(o[CPW-1 -: 3]), .sel(o[CPW-4 -: 2]), .lanes_used(o[CPW-6 -: LUW]),
            .codes(o[CPW-6-LUW -: LANES*8]), .group_last(o[SCALE_BITS+17]),
            .scale_q(o[SCALE_BITS+16 : 17]), .output_last(o[16]), .channel_scale(o[15:0]),
            .ds_ready(top_ready[CC]), .ready(enc_ready[CC]),
            .out_valid(t[TPW-1]), .out_neg(t[TPW-2 -: LANES]), .out_exp(t[TPW-2-LANES -: 2*LANES]),
            .out_man(t[TPW-2-3*LANES -: LANES]), .out_sig(t[TPW-2-4*LANES -: 4]),
            .out_group_last(t[SCALE_BITS+17]), .out_scale_q(t[SCALE_BITS+16 : 17]),
            .out_output_last(t[16]), .out_channel_scale(t[15:0]));
        assign tbus[CC*TPW +: TPW] = t;
        for (i = 1; i < TILES_R; i = i + 1) begin : g_down
          bitmod_delay #(.W(TPW), .D(1)) u_reg (
              .clk(clk), .rst(rst), .d(tbus[((i-1)*C + CC)*TPW +: TPW]), .q(tbus[(i*C + CC)*TPW +: TPW]));
        end
        assign top_ready[CC] = pe_ready[CC];  // PE (0, CC)
      end
    end

    // ---- left edge: delayed offers, activation registers along the rows ----
    for (i = 0; i < TILES_R; i = i + 1) begin : g_tr
      wire          dv;
      wire [TR*AW-1:0] da;
      bitmod_delay #(.W(1 + TR*AW), .D(i)) u_dly (
          .clk(clk), .rst(rst), .d({taken, row_acts[i*TR*AW +: TR*AW]}), .q({dv, da}));
      reg [TR*AW-1:0] areg;  // tile (i, 0)'s activation registers
      always @(posedge clk) begin
        if (rst)     areg <= {(TR * AW){1'b0}};
        else if (dv) areg <= da;
      end
      assign abus[(i*TR)*AW +: TR*AW] = areg;
      for (j = 1; j < TILES_C; j = j + 1) begin : g_right
        bitmod_delay #(.W(TR*AW), .D(1)) u_reg (
            .clk(clk), .rst(rst), .d(abus[((j-1)*R + i*TR)*AW +: TR*AW]),
            .q(abus[(j*R + i*TR)*AW +: TR*AW]));
      end
    end

    // ---- PEs ----
    for (r = 0; r < R; r = r + 1) begin : g_row
      for (c = 0; c < C; c = c + 1) begin : g_col
        localparam integer TI = r / TR;
        localparam integer TJ = c / TC;
        wire [TPW-1:0] t = tbus[(TI*C + c)*TPW +: TPW];
        bitmod_pe #(.LANES(LANES), .G(G), .ACC_EXP(ACC_EXP), .ACC_MAN(ACC_MAN), .ACC_BIAS(ACC_BIAS),
                    .SCALE_BITS(SCALE_BITS), .COL_ADD_CYCLES(COL_ADD_CYCLES)) u_pe (
            .clk(clk), .rst(rst), .in_valid(t[TPW-1]),
            .acts(abus[(TJ*R + r)*AW +: AW]),
            .t_neg(t[TPW-2 -: LANES]), .t_exp(t[TPW-2-LANES -: 2*LANES]),
            .t_man(t[TPW-2-3*LANES -: LANES]), .t_sig(t[TPW-2-4*LANES -: 4]),
            .group_last(t[SCALE_BITS+17]), .scale_q(t[SCALE_BITS+16 : 17]),
            .output_last(t[16]), .channel_scale(t[15:0]),
            .ready(pe_ready[r*C + c]),
            .out_valid(out_valid[r*C + c]), .out(out_bits[(r*C + c)*32 +: 32]));
      end
    end
  endgenerate

  assign in_ready = enc_ready[0];
  // Only PE row 0 drives the encoders, only encoder 0 the array's ready (the others follow
  // the same schedule, shifted).
  wire unused_ok = &{1'b0, enc_ready, pe_ready, 1'b0};
endmodule
`undef BM_R
`undef BM_C
