// Cycle-accurate BitMoD processing element (Chen et al., HPCA 2025, Sec. IV), as a plain C++
// core clocked once per cycle. Arithmetic: docs/bitmod-pe.md, implemented by the stage
// functions of models/numerics/bitmod_pe.hpp (this core only sequences them). Timing: each
// accepted input is one term cycle of a quad of weights (stages 1-3 into the group
// accumulator); the last term cycle of a group hands the partial sum to the bit-serial
// dequantiser (scale_bits cycles, one scale bit per cycle, overlapping the next group's
// terms); the column unit adds each dequantised partial sum column_add_cycles later and, at
// the output's last group, applies the channel scale and presents the output. A finished
// partial sum waits while the dequantiser is busy, and the PE is not ready for new terms
// meanwhile: for one output this gives num::bitmod::pe_output_cycles exactly.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <ostream>
#include <stdexcept>

#include "models/numerics/bitmod_pe.hpp"

namespace tpesim::bitmod {

namespace nb = tpesim::num::bitmod;

/// One term cycle offered to the PE.
struct PeInput {
  bool valid = false;                   ///< a term cycle is offered
  std::array<nb::ActOperand, 8> acts{};  ///< the quad's activations (lanes() used)
  std::array<num::Term, 8> terms{};      ///< this cycle's term of each lane's weight
  bool group_last = false;              ///< last term cycle of a group
  uint32_t scale_q = 0;                 ///< the group's integer scale (with group_last)
  bool output_last = false;             ///< the group is the output's last (with group_last)
  double channel_scale = 1.0;           ///< per-column FP16 scale (with output_last)
  bool operator==(const PeInput& o) const;
};

/// What the PE presents after a clock edge.
struct PeOutput {
  bool out_valid = false;  ///< `out` is a finished output this cycle
  double out = 0.0;        ///< the output (out_format value times the channel scale, rounded)
  bool operator==(const PeOutput& o) const { return out_valid == o.out_valid && out == o.out; }
};

std::ostream& operator<<(std::ostream& os, const PeInput& in);
std::ostream& operator<<(std::ostream& os, const PeOutput& out);

/// Actions the PE performed.
struct PeCounters {
  uint64_t term_cycles = 0;     ///< accepted term cycles (each: lanes x 1-bit multiplies, a tree add, an accumulator update)
  uint64_t wait_cycles = 0;     ///< cycles a term was offered but the PE was not ready
  uint64_t dequant_cycles = 0;  ///< shift-and-add steps of the dequantiser
  uint64_t column_adds = 0;     ///< additions in the column accumulator
  uint64_t outputs = 0;         ///< finished outputs
  uint64_t cycles = 0;          ///< clock edges since construction
};

class PeCore {
 public:
  explicit PeCore(const nb::BitmodPeParams& p = {});
  void reset();
  /// True if an input offered in the coming cycle will be accepted.
  bool ready() const { return !held_ || deq_left_ == 0; }
  /// One rising edge: `in` is consumed if ready() (else it must be offered again).
  void step(const PeInput& in, PeOutput* out);
  const PeCounters& counters() const { return cnt_; }
  const nb::BitmodPeParams& params() const { return p_; }

 private:
  struct ColumnItem {
    int countdown;         ///< cycles until the column unit adds it
    nb::DequantOut value;  ///< dequantised group partial sum
    bool last;             ///< the output's last group
    double channel_scale;
  };

  nb::BitmodPeParams p_;
  nb::AccReg acc_;        ///< group accumulator
  bool held_ = false;     ///< a finished group partial sum waits for the dequantiser
  nb::AccReg held_acc_;
  uint32_t held_q_ = 0;
  bool held_last_ = false;
  double held_s_ = 1.0;
  int deq_left_ = 0;      ///< dequantiser cycles still to run (0 = free)
  nb::AccReg deq_acc_;    ///< the partial sum being dequantised
  uint32_t deq_q_ = 0;
  uint64_t deq_r_ = 0;    ///< shift-and-add register
  bool deq_last_ = false;
  double deq_s_ = 1.0;
  std::deque<ColumnItem> column_;  ///< dequantised sums in flight to the column adder
  double out_ = 0.0;              ///< column accumulator
  PeCounters cnt_;
};

}  // namespace tpesim::bitmod
