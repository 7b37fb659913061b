#include "models/bitmod/pe_core.hpp"

namespace tpesim::bitmod {

bool PeInput::operator==(const PeInput& o) const {
  if (valid != o.valid || group_last != o.group_last || scale_q != o.scale_q ||
      output_last != o.output_last || channel_scale != o.channel_scale)
    return false;
  for (size_t i = 0; i < acts.size(); ++i) {
    if (acts[i].sign != o.acts[i].sign || acts[i].exp != o.acts[i].exp || acts[i].man != o.acts[i].man)
      return false;
    if (terms[i].sign != o.terms[i].sign || terms[i].exp != o.terms[i].exp ||
        terms[i].mantissa != o.terms[i].mantissa || terms[i].significance != o.terms[i].significance)
      return false;
  }
  return true;
}

std::ostream& operator<<(std::ostream& os, const PeInput& in) {
  return os << "PeInput{valid=" << in.valid << " group_last=" << in.group_last << " q=" << in.scale_q
            << " output_last=" << in.output_last << "}";
}

std::ostream& operator<<(std::ostream& os, const PeOutput& out) {
  return os << "PeOutput{valid=" << out.out_valid << " out=" << out.out << "}";
}

PeCore::PeCore(const nb::BitmodPeParams& p) : p_(p) {
  p_.validate();
  if (p_.column_add_cycles < 1)
    throw std::invalid_argument("BitMoD PE: column_add_cycles must be >= 1");
}

void PeCore::reset() {
  const PeCounters keep = cnt_;
  *this = PeCore(p_);
  cnt_ = keep;
}

void PeCore::step(const PeInput& in, PeOutput* out) {
  ++cnt_.cycles;
  out->out_valid = false;
  out->out = 0.0;
  // The column unit adds the dequantised sums whose latency has elapsed.
  for (ColumnItem& it : column_) --it.countdown;
  while (!column_.empty() && column_.front().countdown == 0) {
    const ColumnItem it = column_.front();
    column_.pop_front();
    out_ = nb::column_add(out_, it.value, p_);
    ++cnt_.column_adds;
    if (it.last) {
      out->out_valid = true;
      out->out = nb::apply_channel_scale(out_, it.channel_scale, p_);
      out_ = 0.0;
      ++cnt_.outputs;
    }
  }
  // A waiting partial sum moves into a free dequantiser (which starts this cycle).
  if (held_ && deq_left_ == 0) {
    deq_acc_ = held_acc_;
    deq_q_ = held_q_;
    deq_last_ = held_last_;
    deq_s_ = held_s_;
    deq_r_ = 0;
    deq_left_ = p_.scale_bits;
    held_ = false;
  }
  // Group accumulation: one term cycle.
  if (in.valid) {
    if (held_) {
      ++cnt_.wait_cycles;
    } else {
      acc_ = nb::acc_add(acc_, nb::bitserial_dot(in.acts.data(), in.terms.data(), p_), p_);
      ++cnt_.term_cycles;
      if (in.group_last) {
        held_ = true;
        held_acc_ = acc_;
        held_q_ = in.scale_q;
        held_last_ = in.output_last;
        held_s_ = in.channel_scale;
        acc_ = nb::AccReg{};
      }
    }
  }
  // Bit-serial dequantisation: one scale bit per cycle, MSB first (docs/bitmod-pe.md, stage 4).
  if (deq_left_ > 0) {
    const int b = deq_left_ - 1;
    deq_r_ = (deq_r_ << 1) + (((deq_q_ >> b) & 1) ? deq_acc_.man : 0);
    ++cnt_.dequant_cycles;
    if (--deq_left_ == 0) {
      nb::DequantOut d;
      d.sign = deq_acc_.sign;
      d.exp = nb::acc_lsb_exp(deq_acc_, p_);
      d.man = deq_r_;
      if (d.man == 0) d.sign = false;
      column_.push_back(ColumnItem{p_.column_add_cycles, d, deq_last_, deq_s_});
    }
  }
}

}  // namespace tpesim::bitmod
