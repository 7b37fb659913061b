#include "models/bitmod/encoder.hpp"

#include <stdexcept>

namespace tpesim::bitmod {

void TermEncoder::step(const QuadInput& in, bool downstream_ready, PeInput* out) {
  // The register holds its value until the PE takes it.
  if (reg_.valid && !downstream_ready) {
    *out = reg_;
    return;
  }
  reg_ = PeInput{};
  const bool have = !terms_.empty() && pos_ < nterms_;
  if (!have && in.valid) {  // accept a new quad
    if (!in.format) throw std::invalid_argument("TermEncoder: a quad without a data type");
    quad_ = in;
    nterms_ = num::bitserial_term_count(*in.format);
    terms_.assign(static_cast<size_t>(lanes_), {});
    for (int i = 0; i < lanes_ && i < in.lanes_used; ++i)
      terms_[i] = num::bitserial_terms(*in.format, in.codes[i]);
    pos_ = 0;
    ++cnt_.quads;
  }
  if (!terms_.empty() && pos_ < nterms_) {  // emit term pos_ of every lane
    reg_.valid = true;
    for (int i = 0; i < lanes_; ++i) {
      if (i < quad_.lanes_used) {
        reg_.acts[i] = quad_.acts[i];
        reg_.terms[i] = terms_[i][static_cast<size_t>(pos_)];
      } else {  // missing lane of a short group: zero activation, bubble term
        reg_.acts[i] = num::bitmod::ActOperand{};
        reg_.terms[i] = num::Term{1, 0, 0, terms_[0][static_cast<size_t>(pos_)].significance};
      }
    }
    ++pos_;
    ++cnt_.term_cycles;
    if (pos_ == nterms_) {
      reg_.group_last = quad_.group_last;
      reg_.scale_q = quad_.scale_q;
      reg_.output_last = quad_.output_last;
      reg_.channel_scale = quad_.channel_scale;
      terms_.clear();
    }
  }
  *out = reg_;
}

}  // namespace tpesim::bitmod
