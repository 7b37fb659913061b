#include "models/systolic/array_core.hpp"

#include "models/numerics/fp_mac.hpp"
#include "models/numerics/mixpe.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tpesim::systolic {

namespace {
/// Bits that differ between two register values of `width` bits (two's complement).
uint64_t toggles(int64_t before, int64_t after, int width) {
  const uint64_t m = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  return static_cast<uint64_t>(__builtin_popcountll((static_cast<uint64_t>(before) ^ static_cast<uint64_t>(after)) & m));
}
}  // namespace

ArrayCounters& ArrayCounters::operator+=(const ArrayCounters& o) {
  macs += o.macs;
  operand_reg_writes += o.operand_reg_writes;
  operand_reg_write_bits += o.operand_reg_write_bits;
  acc_writes += o.acc_writes;
  stationary_writes += o.stationary_writes;
  output_writes += o.output_writes;
  left_toggles += o.left_toggles;
  top_toggles += o.top_toggles;
  acc_toggles += o.acc_toggles;
  stationary_toggles += o.stationary_toggles;
  cycles += o.cycles;
  return *this;
}

ArrayCore::ArrayCore(const ArrayParams& p) : p_(p) {
  if (p.rows < 1 || p.cols < 1) throw std::invalid_argument("ArrayCore: rows and cols must be >= 1");
  accf_.bits = p.acc;
  accf_.overflow = p.sat ? num::Overflow::kSaturate : num::Overflow::kWrap;
  const size_t n = static_cast<size_t>(p.rows) * p.cols;
  a_.assign(n, 0);
  av_.assign(n, 0);
  af_.assign(n, 0);
  al_.assign(n, 0);
  ab_.assign(n, 0);
  b_.assign(n, 0);
  bv_.assign(n, 0);
  w_[0].assign(n, 0);
  w_[1].assign(n, 0);
  wv_[0].assign(n, 0);
  wv_[1].assign(n, 0);
  acc_.assign(n, 0);
  pv_.assign(n, 0);
  o_.assign(p.cols, 0);
  ov_.assign(p.cols, 0);
  emit_row_.assign(p.cols, 0);
}

void ArrayCore::reset() {
  for (auto* v : {&a_, &b_, &w_[0], &w_[1], &acc_, &o_}) std::fill(v->begin(), v->end(), 0);
  for (auto* v : {&av_, &af_, &al_, &ab_, &bv_, &pv_, &ov_, &wv_[0], &wv_[1]}) std::fill(v->begin(), v->end(), 0);
}

int64_t ArrayCore::mac(int64_t base, int64_t a, int64_t b) const {
  if (!p_.fp) return accf_.add(base, a * b);
  uint16_t bh;
  if (p_.pe == PeKind::kDequantFma) {
    // The PE's own dequantiser: w = RNE_fp16(s (q - z)) (docs/mixpe-pe.md, "Baselines").
    const int B = dequant_code_bits(p_.bw);
    const uint64_t u = static_cast<uint64_t>(b);
    const uint64_t qb = u & ((uint64_t{1} << B) - 1), zb = (u >> B) & ((uint64_t{1} << (B + 1)) - 1);
    const int64_t q = p_.b_signed && (qb >> (B - 1)) ? static_cast<int64_t>(qb) - (int64_t{1} << B) : static_cast<int64_t>(qb);
    const int64_t z = (zb >> B) ? static_cast<int64_t>(zb) - (int64_t{1} << (B + 1)) : static_cast<int64_t>(zb);
    bh = num::mixpe::dequant_weight_fp16(static_cast<int32_t>(q), static_cast<int32_t>(z), static_cast<uint16_t>(u >> (2 * B + 1)));
  } else {
    // An integer top operand (bw < 16) enters the FP MAC as the FP16 value it equals exactly.
    bh = p_.bw < 16 ? num::fp16_from_int(static_cast<int32_t>(b)) : static_cast<uint16_t>(b);
  }
  const uint32_t r = num::fp_mac_fp16_fp32(static_cast<uint32_t>(base), static_cast<uint16_t>(a), bh);
  return static_cast<int32_t>(r);  // FP32 bits, sign-extended like a 32-bit accumulator
}

void ArrayCore::step(const ArrayInputs& in, ArrayOutputs* out) {
  ++cnt_.cycles;
  if (p_.stationary)
    step_st(in, out);
  else
    step_os(in, out);
}

// Output-stationary: PE (r,c) multiplies the left value (from PE (r,c-1)) with the top value
// (from PE (r-1,c)). Registers are updated right to left and bottom to top so that every PE
// reads its neighbours' values from before this edge.
void ArrayCore::step_os(const ArrayInputs& in, ArrayOutputs* out) {
  const int R = p_.rows, C = p_.cols;
  std::fill(ov_.begin(), ov_.end(), 0);
  std::fill(o_.begin(), o_.end(), 0);
  for (int r = R - 1; r >= 0; --r) {
    for (int c = C - 1; c >= 0; --c) {
      const size_t i = idx(r, c);
      // Left input.
      int64_t a;
      uint8_t av, af, al;
      if (c == 0) {
        a = in.a_data[r];
        av = in.a_valid[r];
        af = in.a_first[r];
        al = in.a_last[r];
      } else {
        const size_t j = i - 1;
        a = a_[j];
        av = av_[j];
        af = af_[j];
        al = al_[j];
      }
      // Top input.
      int64_t b;
      uint8_t bv;
      if (r == 0) {
        b = in.b_data[c];
        bv = in.b_valid[c];
      } else {
        const size_t j = i - C;
        b = b_[j];
        bv = bv_[j];
      }
      if (av && bv) {
        const int64_t sum = mac(af ? 0 : acc_[i], a, b);
        cnt_.acc_toggles += toggles(acc_[i], sum, p_.acc);
        acc_[i] = sum;
        ++cnt_.macs;
        ++cnt_.acc_writes;
        if (al) {
          if (ov_[c])
            throw std::logic_error("systolic os: two PEs of column " + std::to_string(c) +
                                   " emit in the same cycle (schedule bug)");
          ov_[c] = 1;
          o_[c] = sum;
          emit_row_[c] = r;
          ++cnt_.output_writes;
        }
      }
      cnt_.operand_reg_writes += static_cast<uint64_t>(av) + bv;
      cnt_.operand_reg_write_bits += static_cast<uint64_t>(av) * p_.aw + static_cast<uint64_t>(bv) * p_.bw;
      cnt_.left_toggles += toggles(a_[i], a, p_.aw);
      cnt_.top_toggles += toggles(b_[i], b, p_.bw);
      a_[i] = a;
      av_[i] = av;
      af_[i] = af;
      al_[i] = al;
      b_[i] = b;
      bv_[i] = bv;
    }
  }
  out->o_valid.assign(ov_.begin(), ov_.end());
  out->o_data.assign(o_.begin(), o_.end());
}

// Stationary operand: PE (r,c) adds left value x stationary value to the partial sum
// arriving from above. The stationary chain of bank w_bank shifts down when w_shift is set.
void ArrayCore::step_st(const ArrayInputs& in, ArrayOutputs* out) {
  const int R = p_.rows, C = p_.cols;
  const int sb = in.w_bank & 1;
  std::vector<int64_t>& ws = w_[sb];
  std::vector<uint8_t>& wvs = wv_[sb];
  for (int r = R - 1; r >= 0; --r) {
    for (int c = C - 1; c >= 0; --c) {
      const size_t i = idx(r, c);
      int64_t a;
      uint8_t av, ab;
      if (c == 0) {
        a = in.a_data[r];
        av = in.a_valid[r];
        ab = in.a_bank[r] & 1;
      } else {
        a = a_[i - 1];
        av = av_[i - 1];
        ab = ab_[i - 1];
      }
      // Use the stationary value from before this edge, then shift.
      const bool mac = av && wv_[ab][i];
      const int64_t old_acc = acc_[i];
      if (r == 0) {
        acc_[i] = mac ? this->mac(0, a, w_[ab][i]) : 0;
        pv_[i] = mac;
      } else {
        // acc_[i - C] / pv_[i - C] still hold the PE above's values from before this edge.
        const int64_t p_in = acc_[i - C];
        acc_[i] = mac ? this->mac(p_in, a, w_[ab][i]) : p_in;
        pv_[i] = pv_[i - C];
      }
      cnt_.acc_toggles += toggles(old_acc, acc_[i], p_.acc);
      cnt_.macs += mac;
      cnt_.acc_writes += pv_[i];
      if (in.w_shift) {
        const int64_t old_w = ws[i];
        if (r == 0) {
          ws[i] = in.b_data[c];
          wvs[i] = in.b_valid[c];
        } else {
          ws[i] = ws[i - C];
          wvs[i] = wvs[i - C];
        }
        cnt_.stationary_toggles += toggles(old_w, ws[i], p_.bw);
        ++cnt_.stationary_writes;
      }
      cnt_.operand_reg_writes += av;
      cnt_.operand_reg_write_bits += static_cast<uint64_t>(av) * p_.aw;
      cnt_.left_toggles += toggles(a_[i], a, p_.aw);
      a_[i] = a;
      av_[i] = av;
      ab_[i] = ab;
    }
  }
  out->o_valid.resize(C);
  out->o_data.resize(C);
  const size_t base = static_cast<size_t>(R - 1) * C;
  for (int c = 0; c < C; ++c) {
    out->o_valid[c] = pv_[base + c];
    out->o_data[c] = acc_[base + c];
    cnt_.output_writes += pv_[base + c];
  }
}

}  // namespace tpesim::systolic
