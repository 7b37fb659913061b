// Systolic array of integer MAC PEs, cycle-accurate, as a plain C++ core: one step() per
// rising clock edge. Implements docs/systolic-array.md (output-stationary and
// stationary-operand datapaths). The SystemC wrappers and the engines clock this core; the
// RTL in rtl/systolic/ implements the same contract and is compared with it every cycle.
#pragma once
#include <cstdint>
#include <vector>

#include "models/numerics/int_format.hpp"
#include "models/systolic/array_io.hpp"

namespace tpesim::systolic {

/// Actions the array performed, counted as they happen (priced later by the cost model).
struct ArrayCounters {
  uint64_t macs = 0;               ///< multiply-accumulates with valid operands
  uint64_t operand_reg_writes = 0;  ///< left/top pipeline register loads carrying valid data
  uint64_t operand_reg_write_bits = 0;  ///< the same loads in bits (aw per left, bw per top load)
  uint64_t acc_writes = 0;          ///< accumulator (os) or partial-sum (ws/is) register writes
  uint64_t stationary_writes = 0;   ///< stationary bank register loads (ws/is)
  uint64_t output_writes = 0;       ///< valid values delivered at the bottom edge
  // Bit toggles (popcount of old xor new) of the PE registers, for activity-aware energy
  // (docs/energy-area.md). Counted by the cycle model only; the fast engine leaves them 0.
  uint64_t left_toggles = 0;        ///< left operand registers (aw bits each)
  uint64_t top_toggles = 0;         ///< top operand registers (os; bw bits each)
  uint64_t acc_toggles = 0;         ///< accumulator / partial-sum registers (acc bits each)
  uint64_t stationary_toggles = 0;  ///< stationary bank registers (ws/is; bw bits each)
  uint64_t cycles = 0;              ///< rising edges since reset
  ArrayCounters& operator+=(const ArrayCounters& o);
};

/// The whole R x C array; all PE state in flat vectors (row-major, index r*C + c).
class ArrayCore {
 public:
  explicit ArrayCore(const ArrayParams& p);

  const ArrayParams& params() const { return p_; }
  /// Synchronous reset: every register to zero, counters kept.
  void reset();
  /// One rising edge with inputs `in`; afterwards `out` holds the output ports.
  /// Throws InternalError-like std::logic_error if two PEs of a column emit together (os).
  void step(const ArrayInputs& in, ArrayOutputs* out);
  const ArrayCounters& counters() const { return cnt_; }
  void clear_counters() { cnt_ = ArrayCounters{}; }

  /// Stationary register of bank `bank` in PE (r, c) (ws/is), for tests.
  int64_t stationary(int r, int c, int bank) const { return w_[bank][idx(r, c)]; }
  /// Accumulator (os) or partial sum (ws/is) register of PE (r, c), for tests.
  int64_t acc(int r, int c) const { return acc_[idx(r, c)]; }
  /// Row of the PE that produced column c's current output (os; R-1 for ws/is).
  int emit_row(int c) const { return p_.stationary ? p_.rows - 1 : emit_row_[c]; }

 private:
  size_t idx(int r, int c) const { return static_cast<size_t>(r) * p_.cols + c; }
  /// base + a*b in the PE's arithmetic (integer with the accumulator's overflow rule, or
  /// FP16 x FP16 into FP32 with one rounding).
  int64_t mac(int64_t base, int64_t a, int64_t b) const;
  void step_os(const ArrayInputs& in, ArrayOutputs* out);
  void step_st(const ArrayInputs& in, ArrayOutputs* out);

  ArrayParams p_;
  num::AccFormat accf_;
  // Left-travelling pipeline registers (per PE): value, valid, first, last, bank.
  std::vector<int64_t> a_;
  std::vector<uint8_t> av_, af_, al_, ab_;
  // Top-travelling registers (os): value, valid.
  std::vector<int64_t> b_;
  std::vector<uint8_t> bv_;
  // Stationary banks (ws/is) and their valid bits.
  std::vector<int64_t> w_[2];
  std::vector<uint8_t> wv_[2];
  // Accumulator (os) or partial sum (ws/is), and partial-sum valid (ws/is).
  std::vector<int64_t> acc_;
  std::vector<uint8_t> pv_;
  // Column output registers (os).
  std::vector<int64_t> o_;
  std::vector<uint8_t> ov_;
  std::vector<int> emit_row_;  ///< os: row that emitted into each column register
  // Scratch for the next-state computation.
  std::vector<int64_t> tmp_i64_;
  std::vector<uint8_t> tmp_u8_;
  ArrayCounters cnt_;
};

}  // namespace tpesim::systolic
