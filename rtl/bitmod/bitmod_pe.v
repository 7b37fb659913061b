`timescale 1ns/1ps
// bitmod_pe: one BitMoD processing element (Chen et al., HPCA 2025, Sec. IV), bit for bit
// docs/bitmod-pe.md and cycle for cycle models/bitmod/pe_core.{hpp,cpp} (PeCore::step).
//
// Per accepted input (one term cycle of a quad of LANES weights): stages 1-2 (bitmod_dot)
// and the group accumulator update (stage 3, bitmod_acc_add). The last term cycle of a group
// moves the partial sum into a holding register; it enters the bit-serial dequantiser
// (SCALE_BITS cycles, scale bits MSB first, exact product man * q) in the first cycle the
// dequantiser is free, which is also that dequantisation's first step. While a partial sum
// is held and the dequantiser busy, the PE is not ready. A finished dequantisation reaches
// the column adder COL_ADD_CYCLES cycles later (a delay line); the column accumulator adds it
// in FP32 (RNE) and, after the output's last group, multiplies by the FP16 channel scale
// (RNE) and presents the output for one cycle. Output format: FP32 only.
//
// Timing of one clock edge, in PeCore's order: the column adder takes the oldest delay-line
// entry; a held partial sum moves into a free dequantiser; an offered term cycle is accepted
// if ready; the dequantiser does one step.
module bitmod_pe #(
    parameter integer LANES          = 4,   // dot-product lanes
    parameter integer G              = 3,   // guard bits
    parameter integer ACC_EXP        = 6,   // group accumulator exponent field width
    parameter integer ACC_MAN        = 15,  // group accumulator signed mantissa (sign + P)
    parameter integer ACC_BIAS       = 31,  // group accumulator exponent bias
    parameter integer SCALE_BITS     = 8,   // integer group scale width = dequantiser cycles, >= 2
    parameter integer COL_ADD_CYCLES = 1,   // column adder latency, >= 1
    parameter integer TEW            = 2,   // term exponent width
    parameter integer SW             = 4,   // significance width (two's complement)
    parameter integer XW             = 12   // internal signed exponent width (12: enough for
                                            // FP32 and accumulator fields up to ~9 bits)
) (
    input  wire                  clk,            // clock, rising edge
    input  wire                  rst,            // synchronous active-high reset
    input  wire                  in_valid,       // a term cycle is offered
    input  wire [LANES*16-1:0]   acts,           // FP16 activation codes, lane i in [16i +: 16]
    input  wire [LANES-1:0]      t_neg,          // term sign per lane (1: negative)
    input  wire [LANES*TEW-1:0]  t_exp,          // term exponent per lane
    input  wire [LANES-1:0]      t_man,          // term mantissa bit per lane
    input  wire [SW-1:0]         t_sig,          // significance (shared by the lanes)
    input  wire                  group_last,     // last term cycle of a group
    input  wire [SCALE_BITS-1:0] scale_q,        // the group's integer scale (with group_last)
    input  wire                  output_last,    // the group is the output's last (with group_last)
    input  wire [15:0]           channel_scale,  // FP16 code of the channel scale (with output_last)
    output wire                  ready,          // an offer in this cycle is accepted
    output reg                   out_valid,      // `out` holds a finished output (one cycle)
    output reg  [31:0]           out             // the output, FP32 code (0 when !out_valid)
);
  localparam integer P    = ACC_MAN - 1;
  localparam integer TW   = 11 + G + $clog2(LANES);
  localparam integer RW   = P + SCALE_BITS;                  // dequantiser register width
  localparam integer CNTW = $clog2(SCALE_BITS + 1);
  localparam integer PW   = 1 + ACC_EXP + RW + 1 + 16;       // delay-line payload width
  localparam integer N    = COL_ADD_CYCLES;
  localparam [31:0] SB32  = SCALE_BITS;
  localparam [31:0] LSB0  = 1 - ACC_BIAS - (P - 1);          // lsb exponent of fields 0 and 1

  // ---- state ----
  reg                  acc_s;     // group accumulator: sign
  reg [ACC_EXP-1:0]    acc_e;     //   exponent field
  reg [P-1:0]          acc_m;     //   magnitude
  reg                  held;      // a finished group partial sum waits for the dequantiser
  reg                  held_s;
  reg [ACC_EXP-1:0]    held_e;
  reg [P-1:0]          held_m;
  reg [SCALE_BITS-1:0] held_q;
  reg                  held_last;
  reg [15:0]           held_cs;
  reg [CNTW-1:0]       deq_left;  // dequantiser steps still to run (0: free)
  reg                  deq_s;     // the partial sum being dequantised
  reg [ACC_EXP-1:0]    deq_e;
  reg [P-1:0]          deq_m;
  reg [SCALE_BITS-1:0] deq_q;     // scale, shifted left once per step (MSB = current bit)
  reg [RW-1:0]         deq_r;     // shift-and-add register
  reg                  deq_last;
  reg [15:0]           deq_cs;
  reg [N-1:0]          col_v;     // delay line to the column adder: valid, oldest at the MSB
  reg [N*PW-1:0]       col_pay;   //   payload {sign, exp field, R, last, channel scale}
  reg [31:0]           out_acc;   // column accumulator (FP32 code)

  // ---- stages 1-3 ----
  wire                 x_neg;
  wire [TW-1:0]        x_mag;
  wire signed [XW-1:0] x_exp;
  bitmod_dot #(.LANES(LANES), .G(G), .TEW(TEW), .SW(SW), .XW(XW)) u_dot (
      .acts(acts), .t_neg(t_neg), .t_exp(t_exp), .t_man(t_man), .t_sig(t_sig),
      .x_neg(x_neg), .x_mag(x_mag), .x_exp(x_exp));
  wire               nacc_s;
  wire [ACC_EXP-1:0] nacc_e;
  wire [P-1:0]       nacc_m;
  wire               nacc_ovf;
  bitmod_acc_add #(.E(ACC_EXP), .MAN(ACC_MAN), .BIAS(ACC_BIAS), .TW(TW), .XW(XW)) u_acc (
      .acc_sign(acc_s), .acc_exp(acc_e), .acc_man(acc_m),
      .x_neg(x_neg), .x_mag(x_mag), .x_exp(x_exp),
      .r_sign(nacc_s), .r_exp(nacc_e), .r_man(nacc_m), .r_ovf(nacc_ovf));

  // ---- control ----
  wire deq_free = deq_left == {CNTW{1'b0}};
  wire load     = held & deq_free;        // the held partial sum enters the dequantiser
  assign ready  = ~held | deq_free;
  wire accept   = in_valid & ready;

  // ---- stage 4: the dequantiser step of this cycle ----
  wire [CNTW-1:0]       d_left = load ? SB32[CNTW-1:0] : deq_left;
  wire                  d_s    = load ? held_s : deq_s;
  wire [ACC_EXP-1:0]    d_e    = load ? held_e : deq_e;
  wire [P-1:0]          d_m    = load ? held_m : deq_m;
  wire [SCALE_BITS-1:0] d_q    = load ? held_q : deq_q;
  wire [RW-1:0]         d_r    = load ? {RW{1'b0}} : deq_r;
  wire                  d_last = load ? held_last : deq_last;
  wire [15:0]           d_cs   = load ? held_cs : deq_cs;
  wire                  d_run  = d_left != {CNTW{1'b0}};
  wire [RW-1:0]         r_next = {d_r[RW-2:0], 1'b0} +
                                 (d_q[SCALE_BITS-1] ? {{SCALE_BITS{1'b0}}, d_m} : {RW{1'b0}});
  wire                  d_done = d_left == {{(CNTW - 1){1'b0}}, 1'b1};
  // A zero product is +0.
  wire [PW-1:0] pay_in = {d_s & (r_next != {RW{1'b0}}), d_e, r_next, d_last, d_cs};

  // ---- stage 5: column adder on the oldest delay-line entry ----
  wire [PW-1:0]        c_pay  = col_pay[N*PW-1 -: PW];
  wire                 c_v    = col_v[N-1];
  wire                 c_s    = c_pay[PW-1];
  wire [ACC_EXP-1:0]   c_e    = c_pay[PW-2 -: ACC_EXP];
  wire [RW-1:0]        c_r    = c_pay[PW-2-ACC_EXP -: RW];
  wire                 c_last = c_pay[16];
  wire [15:0]          c_cs   = c_pay[15:0];
  wire [ACC_EXP-1:0]   c_e1   = (c_e == {ACC_EXP{1'b0}}) ? {{(ACC_EXP - 1){1'b0}}, 1'b1} : c_e;
  wire signed [XW-1:0] c_lsb  = $signed(LSB0[XW-1:0]) - 1 + $signed({{(XW - ACC_EXP){1'b0}}, c_e1});
  wire [31:0] col_sum;
  wire [31:0] col_out;
  bitmod_fp32_add_fix #(.MW(RW), .XW(XW)) u_cadd (
      .a(out_acc), .x_neg(c_s), .x_mag(c_r), .x_exp(c_lsb), .r(col_sum));
  bitmod_fp32_mul_fp16 #(.XW(XW)) u_cmul (.a(col_sum), .s(c_cs), .r(col_out));

  // Delay-line shift: the new entry enters at the bottom.
  wire [(N+1)*PW-1:0] col_pay_sh = {col_pay, pay_in};
  wire [N:0]          col_v_sh   = {col_v, d_run & d_done};

  always @(posedge clk) begin
    if (rst) begin
      acc_s     <= 1'b0;
      acc_e     <= {ACC_EXP{1'b0}};
      acc_m     <= {P{1'b0}};
      held      <= 1'b0;
      held_s    <= 1'b0;
      held_e    <= {ACC_EXP{1'b0}};
      held_m    <= {P{1'b0}};
      held_q    <= {SCALE_BITS{1'b0}};
      held_last <= 1'b0;
      held_cs   <= 16'd0;
      deq_left  <= {CNTW{1'b0}};
      deq_s     <= 1'b0;
      deq_e     <= {ACC_EXP{1'b0}};
      deq_m     <= {P{1'b0}};
      deq_q     <= {SCALE_BITS{1'b0}};
      deq_r     <= {RW{1'b0}};
      deq_last  <= 1'b0;
      deq_cs    <= 16'd0;
      col_v     <= {N{1'b0}};
      col_pay   <= {(N * PW){1'b0}};
      out_acc   <= 32'd0;
      out_valid <= 1'b0;
      out       <= 32'd0;
    end else begin
      // Column adder.
      out_valid <= c_v & c_last;
      out       <= (c_v & c_last) ? col_out : 32'd0;
      if (c_v) out_acc <= c_last ? 32'd0 : col_sum;
      // Group accumulator and holding register.
      if (accept) begin
        if (group_last) begin
          held      <= 1'b1;
          held_s    <= nacc_s;
          held_e    <= nacc_e;
          held_m    <= nacc_m;
          held_q    <= scale_q;
          held_last <= output_last;
          held_cs   <= channel_scale;
          acc_s     <= 1'b0;
          acc_e     <= {ACC_EXP{1'b0}};
          acc_m     <= {P{1'b0}};
        end else begin
          if (load) held <= 1'b0;
          acc_s <= nacc_s;
          acc_e <= nacc_e;
          acc_m <= nacc_m;
        end
      end else if (load) begin
        held <= 1'b0;
      end
      // Dequantiser.
      if (load) begin
        deq_s    <= held_s;
        deq_e    <= held_e;
        deq_m    <= held_m;
        deq_last <= held_last;
        deq_cs   <= held_cs;
      end
      if (d_run) begin
        deq_left <= d_left - 1'b1;
        deq_r    <= r_next;
        deq_q    <= {d_q[SCALE_BITS-2:0], 1'b0};
      end
      col_v   <= col_v_sh[N-1:0];
      col_pay <= col_pay_sh[N*PW-1:0];
    end
  end

  // d_r[RW-1] is 0 (R < 2^(RW-1) before the last step); the accumulator cannot overflow with
  // FP16 activations (docs/bitmod-pe.md), so its saturation flag has no consumer.
  wire unused_ok = &{1'b0, nacc_ovf, d_r[RW-1], col_pay_sh[(N+1)*PW-1:N*PW], col_v_sh[N], 1'b0};
endmodule
