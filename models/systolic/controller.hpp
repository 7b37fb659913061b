// The array controller of the systolic engine: executes a Schedule cycle by cycle. It fetches
// tiles from DRAM into the buffers, shifts stationary tiles into the PE banks, issues
// skewed wavefronts, collects outputs (accumulating partial sums in the ofmap buffer) and
// writes finished output tiles back. It counts buffer and DRAM traffic and attributes
// stall cycles to the buffer that held the array back. Rules: docs/timing.md.
#pragma once
#include <array>
#include <functional>
#include <cstdint>
#include <vector>

#include "models/mem/memory.hpp"
#include "models/numerics/int_format.hpp"
#include "models/numerics/reference_gemm.hpp"
#include "models/systolic/array_core.hpp"
#include "models/systolic/array_io.hpp"
#include "models/systolic/schedule.hpp"

namespace tpesim::systolic {

/// What the controller counted over one schedule.
struct ControllerStats {
  uint64_t end_cycle = 0;                        ///< last output cycle + 1 (= total cycles)
  std::array<uint64_t, mem::kNumBufs> stall{};    ///< stall cycles attributed to each buffer
  std::array<mem::BufferCounts, mem::kNumBufs> buf{};  ///< accesses of each buffer
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  uint64_t wavefronts = 0;      ///< wavefronts issued
  uint64_t shift_steps = 0;     ///< stationary shift cycles
  uint64_t outputs = 0;         ///< output values collected
  /// os: cycles the stream was held because a fold's last wavefront must wait until the
  /// previous fold's outputs have left each column's output register (one value per cycle;
  /// MixPE's per-column dequantisation unit sits behind it). Happens when a fold is shorter
  /// than the previous fold's rows; these cycles are compute, not stall (docs/timing.md).
  uint64_t port_wait = 0;
  uint64_t stall_total() const { return stall[0] + stall[1] + stall[2]; }
};

/// How a fold's partial result joins the output value held in the ofmap buffer: `prev` is
/// the value so far (ignored for the tile's first k-fold), `part` the array's output, (i, j)
/// the output's GEMM coordinates, `f` the fold. The default adds with the accumulator's rule
/// (FP32 addition for FP PEs); MixPE's dequantisation unit replaces it.
using PartialCombiner = std::function<int64_t(int64_t prev, int64_t part, int64_t i, int64_t j, const Fold& f)>;

class Controller {
 public:
  /// `out` may be null (values not kept). `ops` must outlive the controller.
  Controller(const Schedule& s, const std::array<mem::BufferParams, mem::kNumBufs>& bufs,
             const mem::DramParams& dram, const Operands& ops, num::IntMatrix* out);

  /// Replaces how partial results combine into the output values (before running).
  void set_combiner(PartialCombiner c) { combine_ = std::move(c); }

  /// Computes the array inputs for cycle t. Call with t = 0, 1, 2, ... in order.
  void drive(uint64_t t, ArrayInputs* in);
  /// Takes the array outputs of the edge that ends cycle t (after drive(t) and the array step).
  void collect(uint64_t t, const ArrayOutputs& out);
  /// True when every output of the schedule has been collected.
  /// True when every output has been collected and the last wavefront has left the array
  /// (the GEMM ends when it has drained through PE (R-1, C-1), even in a narrow last fold).
  bool done() const { return outputs_left_ == 0 && drained_; }
  const ControllerStats& stats() const { return st_; }

  /// The fast engine: runs the whole schedule without an array, computing each output's
  /// cycle and the array's action counts in closed form per wavefront and skipping runs of
  /// cycles in which no decision can change. Gives the cycle model's ControllerStats exactly
  /// (tests/fidelity). Returns the array's action counts.
  ArrayCounters run_fast();

 private:
  /// A stream or shift decision: go, held by the array's own rules (compute), held by the
  /// output port (os; compute, counted apart as port_wait) or held by memory (stall).
  /// Everything but kOk and kMem is structural.
  enum class Gate { kOk, kStruct, kMem, kPort };
  void control(uint64_t t, ArrayInputs* in);
  void build_inputs(uint64_t t, ArrayInputs* in);
  void fast_outputs(int64_t g, int64_t w, uint64_t t, int64_t n);
  uint64_t quiet_cycles(uint64_t t) const;
  void skip(uint64_t t, uint64_t n);
  void add_writeback(int64_t issue_at, int unit, int col);
  int64_t ch_end(const Fold& f) const { return f.chunks[ci_].w_end; }
  static constexpr int64_t kNever = -1;

  bool unit_ready(int buf, int u, uint64_t t) const;
  bool can_hold(int buf, int u) const;
  void hold(int buf, int u);
  void update_residency(uint64_t t);
  void issue_fetches(uint64_t t);
  Gate shift_gate(int64_t g, uint64_t t) const;
  Gate stream_gate(uint64_t t, int* mem_buf) const;
  void use_unit(int buf, int u, uint64_t t);
  int bank(int64_t g) const { return s_.weight_preload ? static_cast<int>(g & 1) : 0; }
  int64_t left_value(const Fold& f, int64_t w, int64_t r) const;
  int64_t top_value(const Fold& f, int64_t w, int64_t c) const;
  int64_t stat_value(const Fold& f, int64_t kk, int64_t c) const;
  /// Counts `times` transfers of `bytes` each through a buffer's port.
  void count_access(int buf, bool write, uint64_t bytes, uint64_t times = 1);
  void finish();
  uint64_t bytes_of(int64_t elems, int bits) const { return (static_cast<uint64_t>(elems) * bits + 7) / 8; }

  const Schedule& s_;
  std::array<mem::BufferParams, mem::kNumBufs> bufp_;
  mem::Dram dram_;
  const Operands& ops_;
  num::IntMatrix* out_;
  PartialCombiner combine_;
  num::AccFormat accf_;
  int R_, C_;
  int left_bits_, top_bits_;

  // Units per buffer: next to fetch (or allocate), oldest still resident, bytes resident;
  // then per unit: ready cycle, uses left, release cycle, first-use fold.
  std::array<size_t, mem::kNumBufs> next_unit_{};
  std::array<size_t, mem::kNumBufs> oldest_{};
  std::array<uint64_t, mem::kNumBufs> resident_{};
  std::array<std::vector<int64_t>, mem::kNumBufs> ready_, release_;
  std::array<std::vector<int64_t>, mem::kNumBufs> uses_left_;
  std::array<std::vector<int64_t>, mem::kNumBufs> first_fold_;

  // Fold timing.
  std::vector<int64_t> S_, E_, shift_end_;
  // Stream state: fold, next wavefront, chunk index.
  int64_t fs_ = 0, ws_ = 0;
  size_t ci_ = 0;
  // Shift state: fold being shifted (or next), step in progress (-1 = none).
  int64_t fsh_ = 0;
  int sh_step_ = -1;
  Gate last_shift_gate_ = Gate::kStruct;
  std::vector<int64_t> shift_mem_credit_;  ///< per fold: cycles its shift waited for memory
  // Issue ring: which (fold, wavefront) entered row 0 / column 0 at cycle t (size >= max(R,C)).
  struct Issue {
    int64_t t = -1, fold = -1, w = -1;
  };
  std::vector<Issue> ring_;
  // Collector: per column, current fold and position within it.
  std::vector<int64_t> col_fold_, col_pos_;
  std::vector<int64_t> out_left_;  ///< per ofmap unit: final outputs still to arrive
  std::vector<uint8_t> out_alloc_;  ///< per ofmap unit: slot taken
  struct Writeback {
    int64_t issue_at;
    int unit;
    int col;  ///< column of the tile's last output (orders same-cycle completions)
  };
  std::vector<Writeback> pending_wb_;
  uint64_t outputs_left_ = 0;
  int64_t drain_end_ = kNever;  ///< cycle after the last wavefront passes PE (R-1, C-1)
  bool drained_ = false;
  ControllerStats st_;
  // Fast engine state: what control() did in the last cycle.
  bool fast_ = false;
  bool event_ = false;    ///< a decision changed state that later gates depend on
  bool issued_ = false;   ///< a wavefront was issued
  Gate stream_gate_ = Gate::kStruct;
  int stall_buf_ = -1;
  ArrayCounters fast_arr_;
  uint64_t last_progress_ = 0;  ///< last cycle anything moved (deadlock guard)
  uint64_t stuck_limit_ = 0;    ///< cycles without progress that mean a deadlock (a bug)
};

}  // namespace tpesim::systolic
