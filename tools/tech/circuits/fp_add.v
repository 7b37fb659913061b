// fp_add: IEEE-754 binary floating-point adder, s = RNE(a + b), for a format of EW exponent
// and MW stored mantissa bits (FP16: 5/10, FP32: 8/23). Reference circuit of
// tools/tech/ihp_calibrate.py (op fp_add, bits 1 + EW + MW); the tool checks every simulated
// result of the synthesised netlist against an exact integer model.
//
// Semantics: round to nearest, ties to even; subnormal inputs and results kept (no flush);
// overflow gives +-inf; x + (-x) = +0; (-0) + (-0) = -0; +-inf + finite = +-inf; a NaN input
// or inf - inf gives the quiet NaN 0 11..1 10..0.
//
// Datapath (single path): order the operands by magnitude, align the smaller one with guard,
// round and sticky bits, add or subtract, normalise (right by one on a carry, otherwise left
// by the leading-zero count limited to keep the exponent >= 1), round, pack.
module fp_add #(
    parameter integer EW = 5,   // exponent bits
    parameter integer MW = 10   // stored mantissa bits
) (
    input  wire [EW+MW:0] a,
    input  wire [EW+MW:0] b,
    output wire [EW+MW:0] s
);
  localparam integer N  = EW + MW + 1;      // format width
  localparam integer SW = MW + 1;           // significand with the hidden bit
  localparam integer FW = SW + 3;           // frame: significand, guard, round, sticky
  localparam integer LW = $clog2(FW + 1);   // width of shift counts 0..FW
  localparam [EW-1:0] EMAX = {EW{1'b1}};
  localparam [EW-1:0] EONE = {{(EW - 1) {1'b0}}, 1'b1};

  // ---- specials ----
  wire a_e1  = (a[N-2:MW] == EMAX);
  wire b_e1  = (b[N-2:MW] == EMAX);
  wire a_nan = a_e1 & (a[MW-1:0] != {MW{1'b0}});
  wire b_nan = b_e1 & (b[MW-1:0] != {MW{1'b0}});
  wire a_inf = a_e1 & (a[MW-1:0] == {MW{1'b0}});
  wire b_inf = b_e1 & (b[MW-1:0] == {MW{1'b0}});
  wire r_nan = a_nan | b_nan | (a_inf & b_inf & (a[N-1] ^ b[N-1]));
  wire r_inf = a_inf | b_inf;

  // ---- 1. order by magnitude: |x| >= |y| ----
  wire          swap  = b[N-2:0] > a[N-2:0];
  wire [N-1:0]  x     = swap ? b : a;
  wire [N-1:0]  y     = swap ? a : b;
  wire          x_sub = (x[N-2:MW] == {EW{1'b0}});
  wire          y_sub = (y[N-2:MW] == {EW{1'b0}});
  wire [SW-1:0] xs    = {~x_sub, x[MW-1:0]};
  wire [SW-1:0] ys    = {~y_sub, y[MW-1:0]};
  wire [EW-1:0] xe    = x_sub ? EONE : x[N-2:MW];  // exponent of the significand's unit bit
  wire [EW-1:0] ye    = y_sub ? EONE : y[N-2:MW];
  wire [EW-1:0] d     = xe - ye;                   // >= 0

  // ---- 2. align y: right by d (saturated at FW), dropped bits jammed into the sticky bit ----
  wire [31:0]   d32   = {{(32 - EW) {1'b0}}, d};
  wire [LW-1:0] dc    = (d32 > FW) ? FW[LW-1:0] : d32[LW-1:0];
  wire [FW-1:0] xf    = {xs, 3'b000};
  wire [FW-1:0] yf0   = {ys, 3'b000};
  wire [FW-1:0] yf1   = yf0 >> dc;
  wire          yst   = ((yf1 << dc) != yf0);
  wire [FW-1:0] yf    = {yf1[FW-1:1], yf1[0] | yst};

  // ---- 3. add or subtract magnitudes (xf >= yf) ----
  wire          eff_sub = x[N-1] ^ y[N-1];
  wire [FW:0]   sum     = eff_sub ? ({1'b0, xf} - {1'b0, yf}) : ({1'b0, xf} + {1'b0, yf});
  wire          carry   = sum[FW];
  wire          s_zero  = (sum == {(FW + 1) {1'b0}});

  // ---- 4. normalise ----
  reg [LW-1:0] lz;  // leading zeros of sum[FW-1:0] (FW if zero)
  integer i;
  always @* begin
    lz = FW[LW-1:0];
    for (i = 0; i < FW; i = i + 1)
      if (sum[i]) lz = FW[LW-1:0] - 1'b1 - i[LW-1:0];
  end
  wire [31:0]   lim32 = {{(32 - EW) {1'b0}}, xe} - 32'd1;  // left shift keeping exponent >= 1
  wire [31:0]   lz32  = {{(32 - LW) {1'b0}}, lz};
  wire [LW-1:0] ls    = (lz32 > lim32) ? lim32[LW-1:0] : lz;
  wire [FW-1:0] nf    = carry ? {sum[FW:2], sum[1] | sum[0]} : (sum[FW-1:0] << ls);
  wire [EW:0]   ne    = carry ? ({1'b0, xe} + 1'b1) : ({1'b0, xe} - {{(EW + 1 - LW) {1'b0}}, ls});

  // ---- 5. round to nearest even, renormalise on a carry out, pack ----
  wire [SW-1:0] kept = nf[FW-1:3];
  wire          inc  = nf[2] & (nf[1] | nf[0] | kept[0]);
  wire [SW:0]   kr   = {1'b0, kept} + {{SW{1'b0}}, inc};
  wire [SW-1:0] sig  = kr[SW] ? kr[SW:1] : kr[SW-1:0];
  wire [EW:0]   ef   = ne + {{EW{1'b0}}, kr[SW]};
  wire          ovf  = (ef >= {1'b0, EMAX});
  wire [EW-1:0] fld  = sig[SW-1] ? ef[EW-1:0] : {EW{1'b0}};  // 0: subnormal result

  assign s = r_nan  ? {1'b0, EMAX, 1'b1, {(MW - 1) {1'b0}}}
           : r_inf  ? {x[N-1], EMAX, {MW{1'b0}}}
           : s_zero ? {x[N-1] & ~eff_sub, {(N - 1) {1'b0}}}
           : ovf    ? {x[N-1], EMAX, {MW{1'b0}}}
                    : {x[N-1], fld, sig[MW-1:0]};
endmodule
