// fp_mul: IEEE-754 binary floating-point multiplier, p = RNE(a * b), for a format of EW
// exponent and MW stored mantissa bits (FP16: 5/10, FP32: 8/23). Reference circuit of
// tools/tech/ihp_calibrate.py (op fp_mul, bits 1 + EW + MW); the tool checks every simulated
// result of the synthesised netlist against an exact integer model.
//
// Semantics: round to nearest, ties to even; subnormal inputs and results kept (no flush);
// overflow gives +-inf; the sign of a zero, infinite or underflowed result is the XOR of the
// operand signs; a NaN input or inf * 0 gives the quiet NaN 0 11..1 10..0.
//
// Datapath: (MW+1) x (MW+1)-bit significand product, normalised left by its leading-zero count
// (subnormal operands), shifted right again when the result is subnormal, rounded, packed.
module fp_mul #(
    parameter integer EW = 5,   // exponent bits
    parameter integer MW = 10   // stored mantissa bits
) (
    input  wire [EW+MW:0] a,
    input  wire [EW+MW:0] b,
    output wire [EW+MW:0] p
);
  localparam integer N    = EW + MW + 1;       // format width
  localparam integer SW   = MW + 1;            // significand with the hidden bit
  localparam integer PW   = 2 * SW;            // product width
  localparam integer LW   = $clog2(PW + 1);    // width of shift counts 0..PW
  localparam integer XW   = EW + 3;            // signed exponent arithmetic width
  localparam integer BIAS = (1 << (EW - 1)) - 1;
  localparam [EW-1:0] EMAX = {EW{1'b1}};
  localparam [EW-1:0] EONE = {{(EW - 1) {1'b0}}, 1'b1};
  localparam signed [XW-1:0] BIASX = BIAS[XW-1:0];
  localparam signed [XW-1:0] ONEX  = {{(XW - 1) {1'b0}}, 1'b1};

  // ---- unpack, specials ----
  wire          a_e0   = (a[N-2:MW] == {EW{1'b0}});
  wire          b_e0   = (b[N-2:MW] == {EW{1'b0}});
  wire          a_e1   = (a[N-2:MW] == EMAX);
  wire          b_e1   = (b[N-2:MW] == EMAX);
  wire          a_m0   = (a[MW-1:0] == {MW{1'b0}});
  wire          b_m0   = (b[MW-1:0] == {MW{1'b0}});
  wire          a_zero = a_e0 & a_m0;
  wire          b_zero = b_e0 & b_m0;
  wire          a_inf  = a_e1 & a_m0;
  wire          b_inf  = b_e1 & b_m0;
  wire          r_nan  = (a_e1 & ~a_m0) | (b_e1 & ~b_m0) | (a_inf & b_zero) | (b_inf & a_zero);
  wire          sgn    = a[N-1] ^ b[N-1];
  wire [SW-1:0] as     = {~a_e0, a[MW-1:0]};
  wire [SW-1:0] bs     = {~b_e0, b[MW-1:0]};
  wire [EW-1:0] ae     = a_e0 ? EONE : a[N-2:MW];
  wire [EW-1:0] be     = b_e0 ? EONE : b[N-2:MW];

  // ---- product, normalised so that its msb is bit PW-1 ----
  wire [PW-1:0] prod = as * bs;
  reg  [LW-1:0] lz;  // leading zeros of prod
  integer i;
  always @* begin
    lz = PW[LW-1:0];
    for (i = 0; i < PW; i = i + 1)
      if (prod[i]) lz = PW[LW-1:0] - 1'b1 - i[LW-1:0];
  end
  wire [PW-1:0] pn = prod << lz;
  // biased exponent of pn's msb: ae + be - BIAS + 1 - lz
  wire signed [XW-1:0] e1 = $signed({3'b000, ae}) + $signed({3'b000, be}) - BIASX + ONEX
                          - $signed({{(XW - LW) {1'b0}}, lz});

  // ---- subnormal result: right shift by 1 - e1 (saturated at PW), sticky kept ----
  wire          tiny  = (e1 < ONEX);
  wire [XW-1:0] rs_w  = ONEX - e1;
  wire [31:0]   rs32  = {{(32 - XW) {1'b0}}, rs_w};
  wire [LW-1:0] rsh   = !tiny ? {LW{1'b0}} : (rs32 > PW) ? PW[LW-1:0] : rs32[LW-1:0];
  wire [PW-1:0] pr    = pn >> rsh;
  wire          rst   = ((pr << rsh) != pn);
  wire [XW-1:0] ex    = tiny ? ONEX : e1;  // >= 1

  // ---- round to nearest even, renormalise on a carry out, pack ----
  wire [SW-1:0] kept = pr[PW-1:MW+1];
  wire          rbit = pr[MW];
  wire          stk  = (pr[MW-1:0] != {MW{1'b0}}) | rst;
  wire          inc  = rbit & (stk | kept[0]);
  wire [SW:0]   kr   = {1'b0, kept} + {{SW{1'b0}}, inc};
  wire [SW-1:0] sig  = kr[SW] ? kr[SW:1] : kr[SW-1:0];
  wire [XW-1:0] ef   = ex + {{(XW - 1) {1'b0}}, kr[SW]};
  wire          ovf  = ($signed(ef) >= $signed({3'b000, EMAX}));
  wire [EW-1:0] fld  = sig[SW-1] ? ef[EW-1:0] : {EW{1'b0}};  // 0: subnormal result

  assign p = r_nan                ? {1'b0, EMAX, 1'b1, {(MW - 1) {1'b0}}}
           : (a_inf | b_inf)      ? {sgn, EMAX, {MW{1'b0}}}
           : (a_zero | b_zero)    ? {sgn, {(N - 1) {1'b0}}}
           : ovf                  ? {sgn, EMAX, {MW{1'b0}}}
                                  : {sgn, fld, sig[MW-1:0]};
endmodule
