`timescale 1ns/1ps
// systolic_array: an R x C systolic array of multiply-accumulate PEs, the RTL
// implementation of docs/systolic-array.md (the normative cycle-level contract).
// DF = 0 builds output-stationary PEs (systolic_pe_os) plus one output register
// per column; DF = 1 builds stationary-operand PEs (systolic_pe_st, for ws and is;
// two banks, each value with a valid bit) whose bottom row drives the outputs
// directly. The array has no input skew registers: the feeder presents row r's
// element of a wavefront r cycles late.
// Both DF values share one port list; ports a DF does not use are ignored.
// Vectors are flattened: element i occupies bits [i*W +: W].
module systolic_array #(
    parameter integer ROWS     = 4,   // R: PE rows
    parameter integer COLS     = 4,   // C: PE columns
    parameter integer AW       = 8,   // left-edge operand width, bits
    parameter integer A_SIGNED = 1,   // left operand is two's complement (1) or unsigned (0)
    parameter integer BW       = 8,   // top-edge operand width, bits
    parameter integer B_SIGNED = 1,   // top operand is two's complement (1) or unsigned (0)
    parameter integer ACC      = 32,  // accumulator / partial-sum width, bits
    parameter integer SAT      = 0,   // 0 = wrap modulo 2^ACC, 1 = saturate after every add
    parameter integer DF       = 0,   // 0 = output-stationary, 1 = stationary operand (ws/is)
    parameter integer PE       = 0   // PE kind: 0 multiply, 1 FP16 activations, 2 int shift-add, 3 dequant-FMA (systolic_mac)
) (
    input  wire                clk,      // clock, rising edge
    input  wire                rst,      // synchronous active-high reset, clears all registers
    input  wire [ROWS-1:0]     a_valid,  // left-edge valid per row
    input  wire [ROWS*AW-1:0]  a_data,   // left-edge data per row
    input  wire [ROWS-1:0]     a_first,  // (os) first wavefront of a fold: accumulator restarts
    input  wire [ROWS-1:0]     a_last,   // (os) last wavefront of a fold: the PE emits its result
    input  wire [ROWS-1:0]     a_bank,   // (ws/is) stationary bank the left value multiplies
    input  wire [COLS-1:0]     b_valid,  // (os) top-edge valid; (ws/is) valid bit shifted in with b_data
    input  wire [COLS*BW-1:0]  b_data,   // (os) top-edge data; (ws/is) stationary value shifted in
    input  wire                w_shift,  // (ws/is) shift bank w_bank of the stationary chain down
    input  wire                w_bank,   // (ws/is) bank that w_shift loads
    output wire [COLS-1:0]     o_valid,  // bottom-edge output valid per column
    output wire [COLS*ACC-1:0] o_data    // bottom-edge output data per column
);
  genvar r, c;

  // Internal chains are unpacked arrays (one element per PE boundary) rather than
  // flattened vectors: Verilator then keeps each element a native C++ integer.
  // Horizontal chains are indexed r*(COLS+1)+c: column 0 is the row input, column c+1
  // the registers of PE (r, c); column COLS leaves the array unused. Vertical chains
  // are indexed r*COLS+c: row 0 is the top edge, row r+1 comes from PE (r, c).
  generate
    if (DF == 0) begin : g_os
      // ---------------- output-stationary datapath ----------------
      wire [AW-1:0]  ah_d [0:ROWS*(COLS+1)-1];  // left data entering PE (r, c)
      wire           ah_v [0:ROWS*(COLS+1)-1];  // left valid entering PE (r, c)
      wire           ah_f [0:ROWS*(COLS+1)-1];  // left first flag entering PE (r, c)
      wire           ah_l [0:ROWS*(COLS+1)-1];  // left last flag entering PE (r, c)
      wire [BW-1:0]  bv_d [0:(ROWS+1)*COLS-1];  // top data entering PE (r, c); row ROWS unused
      wire           bv_v [0:(ROWS+1)*COLS-1];  // top valid entering PE (r, c); row ROWS unused
      wire           emit_all [0:ROWS*COLS-1];  // PE (r, c) emits this cycle, index r*COLS+c
      wire [ACC-1:0] sum_all  [0:ROWS*COLS-1];  // PE (r, c)'s new accumulator value

      for (r = 0; r < ROWS; r = r + 1) begin : g_row
        assign ah_d[r*(COLS+1)] = a_data[r*AW +: AW];
        assign ah_v[r*(COLS+1)] = a_valid[r];
        assign ah_f[r*(COLS+1)] = a_first[r];
        assign ah_l[r*(COLS+1)] = a_last[r];
        // The right-most column's forwarded operand has no consumer.
        wire unused_right = &{1'b0, ah_d[r*(COLS+1)+COLS], ah_v[r*(COLS+1)+COLS],
                              ah_f[r*(COLS+1)+COLS], ah_l[r*(COLS+1)+COLS], 1'b0};
        for (c = 0; c < COLS; c = c + 1) begin : g_col
          systolic_pe_os #(
              .AW(AW), .A_SIGNED(A_SIGNED), .BW(BW), .B_SIGNED(B_SIGNED), .ACC(ACC), .SAT(SAT), .PE(PE)
          ) u_pe (
              .clk   (clk),
              .rst   (rst),
              .a_in  (ah_d[r*(COLS+1)+c]),
              .a_in_v(ah_v[r*(COLS+1)+c]),
              .a_in_f(ah_f[r*(COLS+1)+c]),
              .a_in_l(ah_l[r*(COLS+1)+c]),
              .b_in  (bv_d[r*COLS+c]),
              .b_in_v(bv_v[r*COLS+c]),
              .a_reg (ah_d[r*(COLS+1)+c+1]),
              .a_v   (ah_v[r*(COLS+1)+c+1]),
              .a_f   (ah_f[r*(COLS+1)+c+1]),
              .a_l   (ah_l[r*(COLS+1)+c+1]),
              .b_reg (bv_d[(r+1)*COLS+c]),
              .b_v   (bv_v[(r+1)*COLS+c]),
              .emit  (emit_all[r*COLS+c]),
              .sum   (sum_all[r*COLS+c])
          );
        end
      end

      for (c = 0; c < COLS; c = c + 1) begin : g_colio
        assign bv_d[c] = b_data[c*BW +: BW];
        assign bv_v[c] = b_valid[c];
        // The bottom row's forwarded operand has no consumer.
        wire unused_bottom = &{1'b0, bv_d[ROWS*COLS+c], bv_v[ROWS*COLS+c], 1'b0};
        // At most one PE per column emits per cycle (the feeder guarantees it), so
        // OR-ing the masked sums selects the emitting PE's sum, or 0 if none.
        reg           col_v;  // some PE of column c emits this cycle (combinational)
        reg [ACC-1:0] col_d;  // the emitting PE's sum, 0 if none (combinational)
        integer       k;      // row index of the reduction loop
        always @* begin
          col_v = 1'b0;
          col_d = {ACC{1'b0}};
          for (k = 0; k < ROWS; k = k + 1) begin
            col_v = col_v | emit_all[k*COLS+c];
            col_d = col_d | ({ACC{emit_all[k*COLS+c]}} & sum_all[k*COLS+c]);
          end
        end
        reg           ov_q;  // column output register: valid
        reg [ACC-1:0] od_q;  // column output register: data
        always @(posedge clk) begin
          if (rst) begin
            ov_q <= 1'b0;
            od_q <= {ACC{1'b0}};
          end else begin
            ov_q <= col_v;
            od_q <= col_d;
          end
        end
        assign o_valid[c]           = ov_q;
        assign o_data[c*ACC +: ACC] = od_q;
      end

      // Stationary-datapath ports, ignored when DF = 0.
      wire unused_st_ports = &{1'b0, a_bank, w_shift, w_bank, 1'b0};

    end else begin : g_st
      // ---------------- stationary-operand datapath ----------------
      wire [AW-1:0]  ah_d [0:ROWS*(COLS+1)-1];  // left data entering PE (r, c)
      wire           ah_v [0:ROWS*(COLS+1)-1];  // left valid entering PE (r, c)
      wire           ah_b [0:ROWS*(COLS+1)-1];  // left bank select entering PE (r, c)
      wire [BW-1:0]  wv   [0:(ROWS+1)*COLS-1];  // stationary value (bank w_bank) entering PE (r, c)
      wire           wvv  [0:(ROWS+1)*COLS-1];  // its valid bit
      wire [ACC-1:0] pv_d [0:(ROWS+1)*COLS-1];  // partial sum entering PE (r, c)
      wire           pv_v [0:(ROWS+1)*COLS-1];  // partial-sum valid entering PE (r, c)

      for (r = 0; r < ROWS; r = r + 1) begin : g_row
        assign ah_d[r*(COLS+1)] = a_data[r*AW +: AW];
        assign ah_v[r*(COLS+1)] = a_valid[r];
        assign ah_b[r*(COLS+1)] = a_bank[r];
        // The right-most column's forwarded operand has no consumer.
        wire unused_right = &{1'b0, ah_d[r*(COLS+1)+COLS], ah_v[r*(COLS+1)+COLS],
                              ah_b[r*(COLS+1)+COLS], 1'b0};
        for (c = 0; c < COLS; c = c + 1) begin : g_col
          systolic_pe_st #(
              .AW(AW), .A_SIGNED(A_SIGNED), .BW(BW), .B_SIGNED(B_SIGNED), .ACC(ACC), .SAT(SAT), .PE(PE),
              .TOP_ROW((r == 0) ? 1 : 0)
          ) u_pe (
              .clk    (clk),
              .rst    (rst),
              .a_in   (ah_d[r*(COLS+1)+c]),
              .a_in_v (ah_v[r*(COLS+1)+c]),
              .a_in_b (ah_b[r*(COLS+1)+c]),
              .w_shift(w_shift),
              .w_bank (w_bank),
              .w_in   (wv[r*COLS+c]),
              .wv_in  (wvv[r*COLS+c]),
              .p_in   (pv_d[r*COLS+c]),
              .p_in_v (pv_v[r*COLS+c]),
              .a_reg  (ah_d[r*(COLS+1)+c+1]),
              .a_v    (ah_v[r*(COLS+1)+c+1]),
              .a_b    (ah_b[r*(COLS+1)+c+1]),
              .w_out  (wv[(r+1)*COLS+c]),
              .wv_out (wvv[(r+1)*COLS+c]),
              .p_reg  (pv_d[(r+1)*COLS+c]),
              .p_v    (pv_v[(r+1)*COLS+c])
          );
        end
      end

      for (c = 0; c < COLS; c = c + 1) begin : g_colio
        assign wv[c]   = b_data[c*BW +: BW];
        assign wvv[c]  = b_valid[c];
        assign pv_d[c] = {ACC{1'b0}};  // row 0: partial sums start from 0 ...
        assign pv_v[c] = 1'b0;         // ... and row 0 sets p_v from its own MAC (TOP_ROW)
        // The bottom row's stationary output has no consumer.
        wire unused_bottom = &{1'b0, wv[ROWS*COLS+c], wvv[ROWS*COLS+c], 1'b0};
        // Outputs: PE (ROWS-1, c)'s partial-sum registers, no extra register.
        assign o_valid[c]           = pv_v[ROWS*COLS+c];
        assign o_data[c*ACC +: ACC] = pv_d[ROWS*COLS+c];
      end

      // Output-stationary ports, ignored when DF = 1.
      wire unused_os_ports = &{1'b0, a_first, a_last, 1'b0};
    end
  endgenerate
endmodule
