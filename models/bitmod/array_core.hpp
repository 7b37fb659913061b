// BitMoD PE array (Chen et al., HPCA 2025, Sec. IV), cycle-accurate, compute part only (no
// buffers or DRAM yet). R x C PEs in tiles of TR x TC, output-stationary: PE (r, c) computes
// output (m0 + r, n0 + c) of a fold. One term encoder per PE column serialises that
// column's weight quads; inside a tile, terms are broadcast down the tile's columns and
// activation quads along its rows; between tiles they move systolically, one register per
// tile hop. The feeders skew the streams so that PE (r, c) in tile (i, j) sees quad x's
// terms and activations together, i + j cycles after PE (0, 0) does. Folds follow one
// another through the PEs without a gap (a PE starts the next output's first group while
// its last group is dequantised). Cycles: docs/bitmod-array.md.
#pragma once
#include <cstdint>
#include <vector>

#include <deque>

#include "models/bitmod/array_io.hpp"
#include "models/bitmod/encoder.hpp"
#include "models/bitmod/pe_core.hpp"
#include "models/numerics/bitmod_pe.hpp"
#include "models/numerics/reference_gemm_fp.hpp"

namespace tpesim::bitmod {

struct ArrayShape {
  int tile_rows = 8, tile_cols = 8;  ///< PEs per tile
  int tiles_r = 4, tiles_c = 4;      ///< tiles
  int rows() const { return tile_rows * tiles_r; }
  int cols() const { return tile_cols * tiles_c; }
};

struct ArrayRun {
  num::RealMatrix out;        ///< M x N outputs
  uint64_t cycles = 0;        ///< first cycle to the last output, inclusive
  uint64_t folds = 0;
  PeCounters pe;              ///< summed over PEs
  EncoderCounters encoder;    ///< summed over column encoders
};

/// Actions of the whole array (BitmodArrayCore).
struct BitmodArrayCounters {
  PeCounters pe;            ///< summed over PEs (incl. PEs outside a partial fold)
  EncoderCounters encoder;  ///< summed over column encoders
  uint64_t act_loads = 0;   ///< row activation-register loads (lanes x 16 bits each)
  uint64_t hop_writes = 0;  ///< tile-hop pipeline registers written (term and activation registers)
  uint64_t cycles = 0;
};

/// The array at port level (docs/bitmod-array.md, "Ports"): column encoders, row activation
/// registers, tile-hop registers and R x C PeCores, clocked once per step(). The reference
/// the SystemC wrapper and the RTL are compared with.
class BitmodArrayCore {
 public:
  explicit BitmodArrayCore(const ArrayShape& shape, const num::bitmod::BitmodPeParams& p = {});
  void reset();
  /// True if an offer in the coming cycle is taken (also reported in BitmodArrayOut).
  bool in_ready() const;
  /// One rising edge. `in` must have rows() activation rows and cols() column offers.
  /// Throws std::logic_error if a delayed tile is not ready for a taken offer (a bug).
  void step(const BitmodArrayIn& in, BitmodArrayOut* out);
  const ArrayShape& shape() const { return shape_; }
  /// Summed counters of every PE and encoder plus the array's registers.
  BitmodArrayCounters counters() const;
  /// A term is offered to PE (r, c) in the coming cycle.
  bool pe_input_valid(int r, int c) const {
    return term_line_[static_cast<size_t>(c)][static_cast<size_t>(r / shape_.tile_rows)].valid;
  }
  /// PE (r, c)'s core (tests).
  const PeCore& pe(int r, int c) const { return pes_[static_cast<size_t>(r * shape_.cols() + c)]; }

 private:
  struct Taken {
    bool valid = false;
    BitmodArrayIn in;
  };
  ArrayShape shape_;
  num::bitmod::BitmodPeParams p_;
  std::vector<PeCore> pes_;
  std::vector<TermEncoder> enc_;
  std::deque<Taken> offers_;                      ///< [d] = offer taken d cycles before the current one
  std::vector<std::deque<PeInput>> term_line_;    ///< per column: [i] = encoder register i edges ago
  std::vector<std::array<uint16_t, 8>> act_reg_;  ///< per row: activation register
  std::vector<std::deque<std::array<uint16_t, 8>>> act_line_;  ///< per row: [j] = register j edges ago
  uint64_t act_loads_ = 0, hop_writes_ = 0, cycles_ = 0;
};

/// Appends the quads one PE processes for output (m, n), in order: group by group, quads of
/// `lanes` weights (a short group's last quad has fewer lanes), with the group/output markers.
void append_output_quads(const std::vector<uint16_t>& a_codes, const num::bitmod::BitmodWeights& w,
                         int64_t m, int64_t n, int lanes, std::vector<QuadInput>* quads);

/// A PE column slice (its term encoder and the PE) clocked through a quad stream until it has
/// produced `outputs` outputs: the outputs in order, the cycle (1-based) each appeared, counts.
struct ColumnSliceRun {
  std::vector<double> outs;
  std::vector<uint64_t> at;
  PeCounters pe;
  EncoderCounters enc;
};
ColumnSliceRun run_column_slice(const std::vector<QuadInput>& quads, size_t outputs,
                                const num::bitmod::BitmodPeParams& p = {});

/// Runs C[M x N] = A[M x K] (FP16 codes) x W (BitmodWeights) on the array, fold by fold
/// (m-tile outer, n-tile inner), clocking every encoder and PE. Rows/columns a fold does not
/// use are idle. Returns outputs (bit-exact with num::bitmod::gemm_bitmod) and cycles.
ArrayRun run_bitmod_array(const ArrayShape& shape, const std::vector<uint16_t>& a_codes, int64_t M,
                          const num::bitmod::BitmodWeights& w, const num::bitmod::BitmodPeParams& p = {});

/// The closed form the cycle model follows (docs/bitmod-array.md): with uniform term cycles
/// per group (all columns' formats have the same terms per weight),
/// cycles = (tiles_r - 1) + (tiles_c - 1) + 1 (encoder register) + the PE's cycles for
/// F = ceil(M/R) * ceil(N/C) outputs in a row (pe_output_cycles over F * groups groups).
int64_t bitmod_array_cycles(const ArrayShape& shape, int64_t M, int64_t N,
                            const std::vector<int64_t>& group_term_cycles,
                            const num::bitmod::BitmodPeParams& p = {});

}  // namespace tpesim::bitmod
