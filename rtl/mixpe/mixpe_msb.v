`timescale 1ns/1ps
// mixpe_msb: position of the most significant set bit of a W-bit vector (0 for a zero
// vector: callers test for zero themselves). A log2(W)-level tree of 2:1 selections (the
// vector is zero-padded to a power of two), not a W-long priority chain: the MixPE FP
// adders normalise frames of up to ~110 bits (docs/mixpe-pe.md; rtl/mixpe/mixpe_fp32_add_exact.v).
module mixpe_msb #(
    parameter integer W = 8  // input width, 3..1024
) (
    input  wire [W-1:0]           v,   // the vector
    output wire [$clog2(W)-1:0]   pos  // index of its highest set bit (0 if v == 0)
);
  localparam integer L = $clog2(W);  // tree levels
  localparam integer P = 1 << L;     // padded width
  localparam [L-1:0] ONE = {{(L - 1) {1'b0}}, 1'b1};

  // Level k node j covers bits [j*2^k, (j+1)*2^k): `val` says whether any is set, `pos` holds
  // the k-bit offset of the highest one. Updated in place: node j of level k is written after
  // its children 2j, 2j+1 (indices >= j) of level k-1 were read.
  function automatic [L-1:0] msb_tree(input [P-1:0] vec);
    reg [P-1:0]   val;
    reg [P*L-1:0] off;
    integer k, j;
    begin
      val = vec;
      off = {(P * L) {1'b0}};
      for (k = 1; k <= L; k = k + 1)
        for (j = 0; j < (P >> k); j = j + 1) begin
          off[j*L+:L] = val[2*j+1] ? (off[(2*j+1)*L+:L] | (ONE << (k - 1)))
                                   : off[(2*j)*L+:L];
          val[j] = val[2*j] | val[2*j+1];
        end
      msb_tree = off[L-1:0];
    end
  endfunction

  generate
    if (P == W) begin : g_exact
      assign pos = msb_tree(v);
    end else begin : g_pad
      assign pos = msb_tree({{(P - W) {1'b0}}, v});
    end
  endgenerate
endmodule
