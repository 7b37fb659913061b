// BitMoD term encoder (Chen et al., HPCA 2025, Sec. IV): sits at the top of a PE column, takes
// a quad of weight codes with their group's data type (the base format and the group's
// special-value selector, i.e. one of the mixture's formats) and serialises it into term
// cycles: cycle t carries term t of each lane's weight (num::bitserial_terms). One quad
// takes T cycles (T = terms per weight of the format); the encoder registers its output, so
// a term reaches the PE one cycle after the encoder emits it (latency 1). While it is still
// serialising a quad it is not ready for the next one.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "models/bitmod/pe_core.hpp"
#include "models/numerics/element_format.hpp"

namespace tpesim::bitmod {

/// A quad of weights offered to the encoder, with the activations that travel with it and
/// the group/output markers the PE needs after the quad's last term.
struct QuadInput {
  bool valid = false;
  int lanes_used = 4;                                  ///< < 4 for the end of a short group
  std::array<uint32_t, 8> codes{};                     ///< weight codes, one per lane
  std::shared_ptr<const num::ElementFormat> format;    ///< the group's data type
  std::array<num::bitmod::ActOperand, 8> acts{};        ///< the lanes' activations
  bool group_last = false;                             ///< last quad of a group
  uint32_t scale_q = 0;
  bool output_last = false;
  double channel_scale = 1.0;
};

/// Actions of the encoder.
struct EncoderCounters {
  uint64_t quads = 0;         ///< quads decoded (each: lanes code-to-term decodes)
  uint64_t term_cycles = 0;   ///< term cycles emitted
};

class TermEncoder {
 public:
  explicit TermEncoder(int lanes = 4) : lanes_(lanes) {}
  /// True if a quad offered in the coming cycle is accepted: no quad is being serialised and
  /// the output register is free or taken by the PE this cycle.
  bool ready(bool downstream_ready) const {
    return terms_.empty() && (!reg_.valid || downstream_ready);
  }
  /// One rising edge. `downstream_ready`: the PE takes the registered output this cycle; if
  /// it does not, the output register holds. Returns the registered output after the edge.
  void step(const QuadInput& in, bool downstream_ready, PeInput* out);
  const EncoderCounters& counters() const { return cnt_; }

 private:
  int lanes_;
  QuadInput quad_;                          ///< the quad being serialised
  std::vector<std::vector<num::Term>> terms_;  ///< its lanes' terms
  int nterms_ = 0, pos_ = 0;                ///< terms per weight, next term to emit
  PeInput reg_;                             ///< output register (what the PE sees)
  EncoderCounters cnt_;
};

}  // namespace tpesim::bitmod
