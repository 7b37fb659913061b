// The BitMoD array's controller: the feeder at the array edge plus the activation (ifmap),
// weight (filter) and output (ofmap) buffers and the DRAM channel. It walks the plan's folds
// (m-tile outer, n-tile inner; each fold one R x C output tile over the whole K), fetches
// the K-chunks each fold needs, offers one quad step per cycle when the data are in the
// buffers, collects outputs and writes finished output tiles back. It charges every cycle of
// PE (0, 0)'s timeline to exactly one category (term, dequantisation, encoder, stall per
// buffer, skew), so the report can show what an analytical model leaves out.
// Rules: docs/bitmod-array.md ("Buffers and DRAM", "Cycle breakdown").
//
// Two ways to run it: the cycle model calls drive()/collect() every cycle around the array
// (BitmodArrayCore, its SystemC wrapper or the RTL); run_fast() computes the same schedule
// without the array, group by group in closed form (the fast engine), and must give the same
// statistics (tests/fidelity/test_fidelity_bitmod.cpp).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "models/bitmod/array_core.hpp"
#include "models/bitmod/array_io.hpp"
#include "models/mem/memory.hpp"
#include "models/numerics/bitmod_pe.hpp"
#include "models/numerics/reference_gemm_fp.hpp"

namespace tpesim::bitmod {

/// How one GEMM C[M x N] = A[M x K] (FP16) x W[K x N] is laid onto the array.
struct BitmodPlan {
  ArrayShape shape;
  num::bitmod::BitmodPeParams pe;
  int64_t M = 1, N = 1, K = 1;
  int64_t group_size = 1;  ///< along K; the last group may be short
  int terms = 2;           ///< terms per weight (the same for every group of the GEMM)
  int weight_bits = 4;     ///< bits per weight code in DRAM and the filter buffer
  int meta_bits = 8;       ///< bits per group and column: integer scale (+ data-type selector)
  int act_bytes = 2;       ///< FP16 activations
  int out_bytes = 4;       ///< FP32 outputs
  int64_t a_chunk_groups = 1;  ///< groups per activation unit (K-chunk of an ifmap unit)
  int64_t w_chunk_groups = 1;  ///< groups per weight unit (K-chunk of a filter unit)
  bool n_outer = false;      ///< folds n-tile outer, m-tile inner (else m-tile outer)
  bool a_reuse = false;      ///< one activation unit per m-tile, used by all its folds
  bool w_reuse = false;      ///< one weight unit per n-tile, used by all its folds

  int64_t groups() const { return (K + group_size - 1) / group_size; }
  int64_t a_chunks() const { return (groups() + a_chunk_groups - 1) / a_chunk_groups; }
  int64_t w_chunks() const { return (groups() + w_chunk_groups - 1) / w_chunk_groups; }
  int64_t m_tiles() const { return (M + shape.rows() - 1) / shape.rows(); }
  int64_t n_tiles() const { return (N + shape.cols() - 1) / shape.cols(); }
  int64_t folds() const { return m_tiles() * n_tiles(); }
  /// The m-tile and n-tile of fold f in the plan's loop order.
  int64_t fold_mt(int64_t f) const { return n_outer ? f % m_tiles() : f / n_tiles(); }
  int64_t fold_nt(int64_t f) const { return n_outer ? f / m_tiles() : f % n_tiles(); }
  /// The fold of (m-tile, n-tile).
  int64_t fold_of(int64_t mt, int64_t nt) const { return n_outer ? nt * m_tiles() + mt : mt * n_tiles() + nt; }
  /// DRAM bytes the plan reads for A and W (each unit once) plus the output tiles.
  uint64_t dram_bytes() const;
  int64_t group_len(int64_t g) const { return std::min(group_size, K - g * group_size); }
  int64_t group_quads(int64_t g) const { return (group_len(g) + pe.lanes - 1) / pe.lanes; }
  int64_t group_terms(int64_t g) const { return terms * group_quads(g); }
  int64_t fold_rows(int64_t f) const;
  int64_t fold_cols(int64_t f) const;
  /// Tile distance of the fold's farthest used PE: its outputs appear that much after PE (0, 0)'s.
  int64_t fold_skew(int64_t f) const;
  /// Tile distance of PE (R-1, C-1): a GEMM ends when it has finished its last output.
  int64_t array_skew() const { return (shape.tiles_r - 1) + (shape.tiles_c - 1); }
  /// Bytes of `groups` consecutive groups starting at g0, for `rows` activation rows / `cols` columns.
  uint64_t a_bytes(int64_t rows, int64_t g0, int64_t ng) const;
  uint64_t w_bytes(int64_t cols, int64_t g0, int64_t ng) const;
};

/// Chooses the K-chunking, loop order and reuse (docs/bitmod-array.md, "Mapping"): per buffer,
/// the largest number of whole groups whose activations (R rows) or weights (C columns) fit
/// one slot; an operand whose tile holds all of K in one chunk is fetched once for the
/// consecutive folds of the outer loop's tile, and the other operand's tiles are kept for
/// the whole GEMM if all of them fit one slot of a double-buffered buffer. Of the two loop orders the
/// one with fewer DRAM bytes (m-tile outer on a tie). Throws std::invalid_argument naming
/// `buffers.<name>.size` when not even one group (or one output tile) fits.
/// `order` forces the loop order (0 = m-tile outer, 1 = n-tile outer; tests).
BitmodPlan plan_bitmod(BitmodPlan base, const std::array<mem::BufferParams, mem::kNumBufs>& bufs, int order = -1);

/// Operand values for the cycle model (the fast engine needs none).
struct BitmodOperands {
  std::vector<uint16_t> a;            ///< M x K FP16 codes
  num::bitmod::BitmodWeights w;       ///< K x N
  std::vector<HwWeightType> types;    ///< groups x N: the hardware type of each group
  std::vector<uint16_t> scale_codes;  ///< N: FP16 codes of the channel scales
  /// Builds types and scale codes from w (throws std::invalid_argument for types the term
  /// generator does not decode or scales that do not fit 8 bits).
  void finish();
};

/// Cycle breakdown of PE (0, 0)'s timeline plus the array drain (sums to the total).
struct BitmodCycles {
  uint64_t total = 0;
  uint64_t term = 0;      ///< term cycles (what the analytical model counts)
  uint64_t dequant = 0;   ///< waiting for the dequantiser, and the last group's dequantisation + column add
  uint64_t encoder = 0;   ///< encoder register latency before the first term
  std::array<uint64_t, mem::kNumBufs> stall{};  ///< PE ready, feeder waiting for buffer X
  uint64_t skew = 0;      ///< from PE (0, 0)'s last output to PE (R-1, C-1)'s
  uint64_t stall_total() const { return stall[0] + stall[1] + stall[2]; }
  bool operator==(const BitmodCycles& o) const;
};

struct BitmodStats {
  BitmodCycles cycles;
  std::array<mem::BufferCounts, mem::kNumBufs> buf{};
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  uint64_t steps = 0;    ///< quad steps taken by the array
  uint64_t outputs = 0;  ///< outputs of used PEs collected
  BitmodArrayCounters array;  ///< filled by run_fast(); the cycle model takes them from the array
  bool operator==(const BitmodStats& o) const;
};

class BitmodController {
 public:
  /// `ops` (may be null: offers carry zero codes, for timing-only runs) and `out` (may be
  /// null) must outlive the controller.
  BitmodController(const BitmodPlan& plan, const std::array<mem::BufferParams, mem::kNumBufs>& bufs,
                   const mem::DramParams& dram, const BitmodOperands* ops, num::RealMatrix* out);

  /// What the cycle model tells the controller about PE (0, 0) before the edge of cycle t.
  struct Pe00 {
    bool ready = false;        ///< PE (0, 0) accepts a term in cycle t
    bool input_valid = false;  ///< a term is offered to it in cycle t
  };
  /// Cycle t: memory, then the feeder's offer into *in (in_ready: the array takes an offer
  /// in cycle t, from the last output). Call with t = 0, 1, ... in order.
  void drive(uint64_t t, bool in_ready, const Pe00& pe00, BitmodArrayIn* in);
  /// The array's outputs after the edge of cycle t.
  void collect(uint64_t t, const BitmodArrayOut& out);
  bool done() const { return done_; }
  const BitmodStats& stats() const { return st_; }

  /// The fast engine (see top of file). Fills stats() including the array counters.
  void run_fast();

 private:
  struct Unit {
    uint64_t bytes = 0;
    int64_t first_step = 0;  ///< (fold, group) index of first use, for fetch order
    int64_t uses = 0;        ///< groups left to use it
    int64_t ready = -1;      ///< cycle the data are usable (-1: not requested)
    int64_t release = -1;    ///< cycle it is freed (-1: not yet known)
  };
  struct BufState {
    std::vector<Unit> units;
    size_t next = 0, oldest = 0;  ///< next to request; oldest resident
    uint64_t resident = 0;
  };
  struct OutUnit {
    uint64_t bytes = 0;
    int64_t outputs_left = 0;
    int64_t wb_at = -1;    ///< cycle its write-back is requested
    int64_t freed = -1;    ///< cycle its write-back completes (slot free)
  };
  void build_units();
  int64_t a_unit(int64_t f, int64_t g) const;
  int64_t w_unit(int64_t f, int64_t g) const;
  int64_t step_key(int64_t f, int64_t g) const { return f * plan_.groups() + g; }
  bool fits(int b, uint64_t bytes) const;
  void memory(uint64_t t);  ///< frees, write-back requests, fetch requests of cycle t
  int blocked_by(uint64_t t) const;  ///< first buffer whose data/room the pending step lacks, or -1
  bool out_room(uint64_t t) const;
  void take(uint64_t t);  ///< the pending quad step is taken in cycle t
  void fill_offer(BitmodArrayIn* in) const;
  void count_reads(int64_t f, int64_t g);
  void fold_output_done(int64_t f, int64_t t);
  int64_t next_event(int64_t after) const;

  BitmodPlan plan_;
  std::array<mem::BufferParams, mem::kNumBufs> bufp_;
  mem::Dram dram_;
  const BitmodOperands* ops_;
  num::RealMatrix* out_;
  std::array<BufState, 2> in_;  ///< ifmap, filter
  std::vector<OutUnit> outu_;
  size_t out_oldest_ = 0;
  uint64_t out_resident_ = 0;
  size_t wb_next_ = 0;  ///< next fold whose write-back is to be requested
  // Feeder: pending step (fold, group, quad).
  int64_t f_ = 0, g_ = 0, j_ = 0;
  bool feeder_done_ = false;
  int last_block_ = -1;  ///< buffer the feeder waited for in the previous cycle (-1: none)
  // Collector.
  std::vector<int64_t> pe_outputs_;  ///< per PE: outputs presented
  uint64_t outputs_left_all_ = 0;    ///< outputs of every PE (used or not) still to appear
  int64_t pe00_done_ = -1;           ///< edge of PE (0, 0)'s last output
  bool done_ = false;
  uint64_t last_progress_ = 0;
  uint64_t stuck_limit_ = 0;  ///< cycles without a take that mean a deadlock (a bug)
  BitmodStats st_;
};

/// One cycle of the cycle model: the controller's offer (it sees the array's in_ready of the
/// cycle before and PE (0, 0)'s state), the core's edge, the collector. Shared by the C++
/// loop below and the SystemC cycle engine.
struct BitmodCycle {
  BitmodArrayIn in;
  BitmodArrayOut out;
  bool ready = false;  ///< the core's in_ready for the coming cycle
  explicit BitmodCycle(const ArrayShape& s) : in(s.rows(), s.cols()), out(s.rows(), s.cols()) {}
  /// Simulates cycle t; true when the controller is done.
  bool clock(uint64_t t, BitmodController& ctl, BitmodArrayCore& core) {
    ctl.drive(t, ready, {core.pe(0, 0).ready(), core.pe_input_valid(0, 0)}, &in);
    core.step(in, &out);
    ctl.collect(t, out);
    ready = out.in_ready;
    return ctl.done();
  }
};

/// The cycle model without SystemC: the controller around a BitmodArrayCore, every cycle.
/// Returns the statistics with the array's own counters.
BitmodStats run_bitmod_core(BitmodController& ctl, const ArrayShape& shape,
                            const num::bitmod::BitmodPeParams& pe = {});

}  // namespace tpesim::bitmod
