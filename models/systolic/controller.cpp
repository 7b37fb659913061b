#include "models/systolic/controller.hpp"

#include "models/numerics/fp_mac.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace tpesim::systolic {

Controller::Controller(const Schedule& s, const std::array<mem::BufferParams, mem::kNumBufs>& bufs,
                       const mem::DramParams& dram, const Operands& ops, num::IntMatrix* out)
    : s_(s), bufp_(bufs), dram_(dram), ops_(ops), out_(out) {
  R_ = s.array.rows;
  C_ = s.array.cols;
  left_bits_ = s.array.aw;
  top_bits_ = s.top_elem_bits ? s.top_elem_bits : s.array.bw;
  accf_.bits = s.array.acc;
  accf_.overflow = s.array.sat ? num::Overflow::kSaturate : num::Overflow::kWrap;
  for (int b = 0; b < mem::kNumBufs; ++b) {
    const size_t n = s.units[b].size();
    ready_[b].assign(n, kNever);
    release_[b].assign(n, kNever);
    uses_left_[b].assign(n, 0);
    first_fold_[b].assign(n, kNever);
  }
  auto note = [&](int b, int u, int64_t g, int64_t uses) {
    if (u < 0 || static_cast<size_t>(u) >= s.units[b].size())
      throw std::logic_error("schedule: fold " + std::to_string(g) + " names a missing unit");
    uses_left_[b][u] += uses;
    if (first_fold_[b][u] == kNever) first_fold_[b][u] = g;
  };
  const bool st = s.flow != Flow::kOS;
  for (size_t g = 0; g < s.folds.size(); ++g) {
    const Fold& f = s.folds[g];
    if (st) note(s.top_buf, f.stat_unit, g, 1);
    int64_t w0 = 0;
    for (const Chunk& ch : f.chunks) {
      note(s.left_buf, ch.left_unit, g, ch.w_end - w0);
      if (!st) note(s.top_buf, ch.top_unit, g, ch.w_end - w0);
      w0 = ch.w_end;
    }
    if (w0 != s.wavefronts(f)) throw std::logic_error("schedule: chunks do not cover the fold");
    outputs_left_ += static_cast<uint64_t>(f.np) * f.nq;
  }
  out_left_.assign(s.units[mem::kOfmap].size(), 0);
  out_alloc_.assign(s.units[mem::kOfmap].size(), 0);
  for (const Fold& f : s.folds)
    if (f.last_k) out_left_.at(f.out_unit) += f.np * f.nq;
  const size_t F = s.folds.size();
  S_.assign(F, kNever);
  E_.assign(F, kNever);
  shift_end_.assign(F, kNever);
  shift_mem_credit_.assign(F, 0);
  ring_.assign(static_cast<size_t>(R_ + C_) + 1, Issue{});
  // Nothing legitimate waits longer than the DRAM needs to move every byte the buffers can
  // hold (all queued transfers), plus one latency and the array's depth.
  uint64_t capacity = 0, longest = 0;
  for (int b = 0; b < mem::kNumBufs; ++b) {
    capacity += bufs[b].size_bytes;
    for (const Unit& u : s.units[b]) longest = std::max(longest, u.bytes);
  }
  stuck_limit_ = (1u << 20) +
                 2 * (dram_.transfer_cycles(capacity + longest) + dram.latency + 4 * static_cast<uint64_t>(R_ + C_));
  col_fold_.assign(C_, 0);
  col_pos_.assign(C_, 0);
  for (int c = 0; c < C_; ++c) {
    size_t g = 0;
    while (g < F && c >= s.folds[g].nq) ++g;
    col_fold_[c] = static_cast<int64_t>(g);
  }
}

bool Controller::unit_ready(int buf, int u, uint64_t t) const {
  const int64_t r = ready_[buf][u];
  return r != kNever && static_cast<uint64_t>(r) <= t;
}

// Buffers hold units in allocation order and free them in the same order (a circular
// buffer): a unit may be placed when it fits beside the units still resident; a
// single-buffered buffer holds one unit at a time.
void Controller::update_residency(uint64_t t) {
  for (int b = 0; b < mem::kNumBufs; ++b)
    while (oldest_[b] < next_unit_[b] && release_[b][oldest_[b]] != kNever &&
           static_cast<uint64_t>(release_[b][oldest_[b]]) <= t) {
      resident_[b] -= s_.units[b][oldest_[b]].bytes;
      ++oldest_[b];
      event_ = true;
    }
}

bool Controller::can_hold(int buf, int u) const {
  if (static_cast<size_t>(u) != next_unit_[buf])
    throw std::logic_error("systolic controller: units allocated out of order");
  if (!bufp_[buf].double_buffered) return oldest_[buf] == next_unit_[buf];
  return resident_[buf] + s_.units[buf][u].bytes <= bufp_[buf].size_bytes;
}

void Controller::hold(int buf, int u) {
  resident_[buf] += s_.units[buf][u].bytes;
  next_unit_[buf] = static_cast<size_t>(u) + 1;
}

void Controller::count_access(int buf, bool write, uint64_t bytes, uint64_t times) {
  if (bytes == 0 || times == 0) return;
  const uint64_t n = (bytes + bufp_[buf].width_bytes - 1) / bufp_[buf].width_bytes * times;
  mem::BufferCounts& c = st_.buf[buf];
  if (write) {
    c.writes += n;
    c.write_bytes += bytes * times;
  } else {
    c.reads += n;
    c.read_bytes += bytes * times;
  }
}

// Fetches go to DRAM in the order the schedule needs them: the unit first used by the
// earliest fold first; on a tie the top-edge buffer's (the stationary tile is loaded first).
void Controller::issue_fetches(uint64_t t) {
  const int bufs[2] = {s_.top_buf, s_.left_buf};
  for (;;) {
    int best = -1;
    int64_t best_fold = 0;
    for (int b : bufs) {
      const size_t u = next_unit_[b];
      if (u >= s_.units[b].size() || !can_hold(b, static_cast<int>(u))) continue;
      if (best < 0 || first_fold_[b][u] < best_fold) {
        best = b;
        best_fold = first_fold_[b][u];
      }
    }
    if (best < 0) return;
    const size_t u = next_unit_[best];
    hold(best, static_cast<int>(u));
    const uint64_t bytes = s_.units[best][u].bytes;
    ready_[best][u] = static_cast<int64_t>(dram_.transfer(t, bytes, false));
    event_ = true;
    count_access(best, true, bytes);
  }
}

void Controller::use_unit(int buf, int u, uint64_t t) {
  if (--uses_left_[buf][u] == 0) {
    release_[buf][u] = static_cast<int64_t>(t) + 1;
    event_ = true;
  }
}

Controller::Gate Controller::shift_gate(int64_t g, uint64_t t) const {
  const int64_t ti = static_cast<int64_t>(t);
  // The bank this fold loads must no longer be read by the fold that used it last: that
  // fold's last wavefront reaches PE (R-1, C-1) at E + R + C - 2, where a shift may coincide.
  const int64_t gp = g - (s_.weight_preload ? 2 : 1);
  if (gp >= 0 && (E_[gp] == kNever || ti < E_[gp] + R_ + C_ - 2)) return Gate::kStruct;
  // Without overlap and without a second bank, a fold starts after the previous completed.
  if (!s_.fold_overlap && !s_.weight_preload && g > 0 &&
      (E_[g - 1] == kNever || ti < E_[g - 1] + R_ + C_ - 1))
    return Gate::kStruct;
  if (!unit_ready(s_.top_buf, s_.folds[g].stat_unit, t)) return Gate::kMem;
  return Gate::kOk;
}

Controller::Gate Controller::stream_gate(uint64_t t, int* mem_buf) const {
  const int64_t ti = static_cast<int64_t>(t);
  const int64_t g = fs_;
  const Fold& f = s_.folds[g];
  const int64_t W = s_.wavefronts(f);
  const bool st = s_.flow != Flow::kOS;
  // Structural conditions first: a cycle held back by them is compute, not stall.
  if (ws_ == 0 && g > 0 && !s_.fold_overlap && ti < E_[g - 1] + R_ + C_ - 1) return Gate::kStruct;
  if (!st && ws_ == W - 1 && g > 0 && ti < E_[g - 1] + s_.rows_used(s_.folds[g - 1]))
    return Gate::kPort;  // one output per column per cycle (counted as port_wait)
  if (st && ws_ == 0 && (shift_end_[g] == kNever || ti < shift_end_[g] + 1)) {
    // Waiting for this fold's stationary tile. The wait is memory's for as many cycles as
    // the tile's shift itself was held back by memory (its credit), else structural.
    if (shift_mem_credit_[g] > 0) {
      *mem_buf = s_.top_buf;
      return Gate::kMem;
    }
    return Gate::kStruct;
  }
  // Memory conditions.
  if (ws_ == 0 && f.first_k && !out_alloc_[f.out_unit] && !can_hold(mem::kOfmap, f.out_unit)) {
    *mem_buf = mem::kOfmap;
    return Gate::kMem;
  }
  const Chunk& ch = f.chunks[ci_];
  if (!unit_ready(s_.left_buf, ch.left_unit, t)) {
    *mem_buf = s_.left_buf;
    return Gate::kMem;
  }
  if (!st && !unit_ready(s_.top_buf, ch.top_unit, t)) {
    *mem_buf = s_.top_buf;
    return Gate::kMem;
  }
  return Gate::kOk;
}

int64_t Controller::left_value(const Fold& f, int64_t w, int64_t r) const {
  switch (s_.flow) {
    case Flow::kWS: return ops_.a(f.p0 + w, f.k0 + r);
    case Flow::kIS: return ops_.b(f.k0 + r, f.p0 + w);
    default: return ops_.a(f.p0 + r, f.k0 + w);
  }
}

int64_t Controller::top_value(const Fold& f, int64_t w, int64_t c) const {
  return ops_.b(f.k0 + w, f.q0 + c);
}

int64_t Controller::stat_value(const Fold& f, int64_t kk, int64_t c) const {
  return s_.flow == Flow::kWS ? ops_.b(f.k0 + kk, f.q0 + c) : ops_.a(f.q0 + c, f.k0 + kk);
}

void Controller::drive(uint64_t t, ArrayInputs* in) {
  in->clear();
  control(t, in);
  build_inputs(t, in);
}

// One cycle of the controller's decisions. `in` (may be null in the fast engine) receives
// the stationary shift values; everything else the array sees is built from the issue ring.
void Controller::control(uint64_t t, ArrayInputs* in) {
  const int64_t F = static_cast<int64_t>(s_.folds.size());
  const bool st = s_.flow != Flow::kOS;
  event_ = false;
  issued_ = false;
  // Write-backs of finished output tiles, then prefetches.
  size_t n_wb = 0;
  while (n_wb < pending_wb_.size() && pending_wb_[n_wb].issue_at <= static_cast<int64_t>(t)) {
    const int u = pending_wb_[n_wb].unit;
    const uint64_t bytes = s_.units[mem::kOfmap][u].bytes;
    release_[mem::kOfmap][u] = static_cast<int64_t>(dram_.transfer(t, bytes, true));
    count_access(mem::kOfmap, false, bytes);
    ++n_wb;
  }
  pending_wb_.erase(pending_wb_.begin(), pending_wb_.begin() + static_cast<long>(n_wb));
  if (n_wb) event_ = true;
  update_residency(t);
  issue_fetches(t);
  // Stationary tile shifting (ws/is).
  if (st) {
    if (sh_step_ < 0 && fsh_ < F) {
      last_shift_gate_ = shift_gate(fsh_, t);
      if (last_shift_gate_ == Gate::kOk) {
        sh_step_ = 0;
        event_ = true;
      }
      if (last_shift_gate_ == Gate::kMem) ++shift_mem_credit_[fsh_];
    }
    if (sh_step_ >= 0) {
      const Fold& f = s_.folds[fsh_];
      const int64_t kk = R_ - 1 - sh_step_;
      if (in) {
        in->w_shift = true;
        in->w_bank = bank(fsh_);
      }
      if (kk < f.nk) {
        if (in)
          for (int64_t c = 0; c < f.nq; ++c) {
            in->b_data[c] = stat_value(f, kk, c);
            in->b_valid[c] = 1;
          }
        count_access(s_.top_buf, false, bytes_of(f.nq, top_bits_));
      }
      ++st_.shift_steps;
      if (++sh_step_ == R_) {
        shift_end_[fsh_] = static_cast<int64_t>(t);
        use_unit(s_.top_buf, f.stat_unit, t);
        ++fsh_;
        sh_step_ = -1;
        event_ = true;
      }
    }
  }
  // Wavefront issue.
  if (fs_ < F) {
    int mem_buf = -1;
    const Gate gate = stream_gate(t, &mem_buf);
    if (gate == Gate::kOk) {
      const Fold& f = s_.folds[fs_];
      const int64_t W = s_.wavefronts(f);
      ring_[t % ring_.size()] = Issue{static_cast<int64_t>(t), fs_, ws_};
      ++st_.wavefronts;
      issued_ = true;
      if (fast_) fast_outputs(fs_, ws_, t, 1);
      if (ws_ == 0 || ws_ + 1 >= std::min(ch_end(f), W)) event_ = true;
      if (ws_ == 0) {
        S_[fs_] = static_cast<int64_t>(t);
        if (f.first_k && !out_alloc_[f.out_unit]) {
          out_alloc_[f.out_unit] = 1;
          hold(mem::kOfmap, f.out_unit);
        }
      }
      count_access(s_.left_buf, false, bytes_of(s_.rows_used(f), left_bits_));
      const Chunk& ch = f.chunks[ci_];
      use_unit(s_.left_buf, ch.left_unit, t);
      if (!st) {
        count_access(s_.top_buf, false, bytes_of(f.nq, top_bits_));
        use_unit(s_.top_buf, ch.top_unit, t);
      }
      ++ws_;
      if (ws_ == ch.w_end) ++ci_;
      if (ws_ == W) {
        E_[fs_] = static_cast<int64_t>(t);
        if (fs_ == F - 1) drain_end_ = static_cast<int64_t>(t) + R_ + C_ - 1;
        ++fs_;
        ws_ = 0;
        ci_ = 0;
      }
    } else if (gate == Gate::kMem) {
      ++st_.stall[mem_buf];
      stall_buf_ = mem_buf;
      if (st && ws_ == 0 && (shift_end_[fs_] == kNever || static_cast<int64_t>(t) <= shift_end_[fs_]))
        --shift_mem_credit_[fs_];  // this stall cycle spends one cycle of the shift's credit
    } else if (gate == Gate::kPort) {
      ++st_.port_wait;
    }
    stream_gate_ = gate;
  }
  if (event_ || issued_ || sh_step_ >= 0) last_progress_ = t;
  if (t > last_progress_ + stuck_limit_)
    throw std::logic_error("systolic controller: no progress for " + std::to_string(stuck_limit_) +
                           " cycles at cycle " + std::to_string(t) + " (fold " + std::to_string(fs_) +
                           "): schedule deadlock");
#ifdef TPESIM_CTRL_TRACE
  // Build with -DTPESIM_CTRL_TRACE to print every decision cycle: comparing the cycle and the
  // fast engine's lines locates the first cycle where they diverge (docs/fast-engine.md).
  std::fprintf(stderr, "t=%lu fs=%ld ws=%ld fsh=%ld sh=%d st=%lu/%lu/%lu pw=%lu cr=%ld gate=%d lsg=%d\n", t, fs_, ws_, fsh_,
               sh_step_, st_.stall[0], st_.stall[1], st_.stall[2], st_.port_wait, fs_ < F ? shift_mem_credit_[fs_] : -1,
               (int)stream_gate_, (int)last_shift_gate_);
#endif
}

void Controller::build_inputs(uint64_t t, ArrayInputs* in) {
  const bool st = s_.flow != Flow::kOS;
  // Skewed edge inputs: row r sees the wavefront issued r cycles ago, column c (os) c ago.
  const int64_t ti = static_cast<int64_t>(t);
  const int64_t rs = static_cast<int64_t>(ring_.size());
  for (int r = 0; r < R_; ++r) {
    if (ti < r) break;
    const Issue& e = ring_[(ti - r) % rs];
    if (e.t != ti - r) continue;
    const Fold& f = s_.folds[e.fold];
    if (r >= s_.rows_used(f)) continue;
    in->a_valid[r] = 1;
    in->a_data[r] = left_value(f, e.w, r);
    if (st) {
      in->a_bank[r] = static_cast<uint8_t>(bank(e.fold));
    } else {
      in->a_first[r] = e.w == 0;
      in->a_last[r] = e.w == s_.wavefronts(f) - 1;
    }
  }
  if (!st) {
    for (int c = 0; c < C_; ++c) {
      if (ti < c) break;
      const Issue& e = ring_[(ti - c) % rs];
      if (e.t != ti - c) continue;
      const Fold& f = s_.folds[e.fold];
      if (c >= f.nq) continue;
      in->b_valid[c] = 1;
      in->b_data[c] = top_value(f, e.w, c);
    }
  }
}

void Controller::collect(uint64_t t, const ArrayOutputs& out) {
  const int64_t F = static_cast<int64_t>(s_.folds.size());
  const bool st = s_.flow != Flow::kOS;
  const int64_t rs = static_cast<int64_t>(ring_.size());
  for (int c = 0; c < C_; ++c) {
    if (!out.o_valid[c]) continue;
    int64_t g, pos;
    if (st) {
      // A stationary column's output belongs to the wavefront issued R-1+c cycles earlier.
      const int64_t ti = static_cast<int64_t>(t) - (R_ - 1) - c;
      const Issue& e = ring_[((ti % rs) + rs) % rs];
      if (ti < 0 || e.t != ti)
        throw std::logic_error("systolic controller: output without a wavefront in column " +
                               std::to_string(c) + " at cycle " + std::to_string(t));
      g = e.fold;
      pos = e.w;
      if (c >= s_.folds[g].nq)
        throw std::logic_error("systolic controller: output in unused column " + std::to_string(c));
    } else {
      g = col_fold_[c];
      pos = col_pos_[c];
      if (g >= F)
        throw std::logic_error("systolic controller: unexpected output in column " +
                               std::to_string(c) + " at cycle " + std::to_string(t));
    }
    const Fold& f = s_.folds[g];
    if (out_) {
      int64_t i = f.p0 + pos, j = f.q0 + c;
      if (s_.flow == Flow::kIS) std::swap(i, j);
      int64_t& dst = out_->at(i, j);
      if (combine_)
        dst = combine_(f.first_k ? 0 : dst, out.o_data[c], i, j, f);
      else if (f.first_k)
        dst = out.o_data[c];
      else if (s_.array.fp)  // FP32 partial sums add with one rounding
        dst = static_cast<int32_t>(num::fp32_add(static_cast<uint32_t>(dst), static_cast<uint32_t>(out.o_data[c])));
      else
        dst = accf_.add(dst, out.o_data[c]);
    }
    // The ofmap buffer takes a whole output row (one wavefront's, or one os PE row's, nq
    // values) as one de-skewed write, counted when its first value (column 0) arrives.
    if (c == 0) {
      count_access(mem::kOfmap, true, bytes_of(f.nq, s_.out_bits));
      if (!f.first_k) count_access(mem::kOfmap, false, bytes_of(f.nq, s_.out_bits));
    }
    if (f.last_k && --out_left_[f.out_unit] == 0)
      pending_wb_.push_back(Writeback{static_cast<int64_t>(t) + 2, f.out_unit, c});
    if (!st && ++col_pos_[c] == f.np) {
      col_pos_[c] = 0;
      int64_t h = g + 1;
      while (h < F && c >= s_.folds[h].nq) ++h;
      col_fold_[c] = h;
    }
    --outputs_left_;
    ++st_.outputs;
  }
  if (drain_end_ != kNever && static_cast<int64_t>(t) + 1 >= drain_end_) drained_ = true;
  st_.end_cycle = t + 1;
  if (outputs_left_ == 0 && drained_) finish();
}

// Nothing follows the last cycle: the remaining write-backs start at their own cycles.
void Controller::finish() {
  for (const Writeback& wb : pending_wb_) {
    const uint64_t bytes = s_.units[mem::kOfmap][wb.unit].bytes;
    dram_.transfer(static_cast<uint64_t>(wb.issue_at), bytes, true);
    count_access(mem::kOfmap, false, bytes);
  }
  pending_wb_.clear();
  st_.dram_read_bytes = dram_.read_bytes();
  st_.dram_write_bytes = dram_.write_bytes();
}


// ---------------------------------------------------------------------------------------
// Fast engine (docs/fast-engine.md).

void Controller::add_writeback(int64_t issue_at, int unit, int col) {
  // Keep the order the cycle model's collector pushes in: by cycle, then by column.
  auto it = pending_wb_.end();
  while (it != pending_wb_.begin()) {
    auto prev = it - 1;
    if (prev->issue_at < issue_at || (prev->issue_at == issue_at && prev->col <= col)) break;
    it = prev;
  }
  pending_wb_.insert(it, Writeback{issue_at, unit, col});
}

// n consecutive wavefronts w, w+1, ... of fold g, issued at cycles t, t+1, ...: their MACs,
// register activity and outputs, in closed form (docs/systolic-array.md gives where each
// value travels: a left value passes all C columns, a top value all R rows).
void Controller::fast_outputs(int64_t g, int64_t w, uint64_t t, int64_t n) {
  const Fold& f = s_.folds[g];
  const int64_t W = s_.wavefronts(f);
  const uint64_t un = static_cast<uint64_t>(n);
  const uint64_t np = static_cast<uint64_t>(f.np), nq = static_cast<uint64_t>(f.nq);
  const uint64_t nk = static_cast<uint64_t>(f.nk), R = static_cast<uint64_t>(R_),
                 C = static_cast<uint64_t>(C_);
  const uint64_t row_bytes = bytes_of(f.nq, s_.out_bits);
  auto rows_to_ofmap = [&](uint64_t rows, bool rmw) {
    count_access(mem::kOfmap, true, row_bytes, rows);
    if (rmw) count_access(mem::kOfmap, false, row_bytes, rows);
  };
  if (s_.flow != Flow::kOS) {
    fast_arr_.macs += un * nk * nq;
    fast_arr_.operand_reg_writes += un * nk * C;
    fast_arr_.operand_reg_write_bits += un * nk * C * static_cast<uint64_t>(s_.array.aw);
    fast_arr_.acc_writes += un * nq * R;
    fast_arr_.output_writes += un * nq;
    st_.outputs += un * nq;
    outputs_left_ -= un * nq;
    rows_to_ofmap(un, !f.first_k);
    if (f.last_k && w + n == W)
      add_writeback(static_cast<int64_t>(t) + (n - 1) + (R_ - 1) + (f.nq - 1) + 2, f.out_unit,
                    static_cast<int>(f.nq - 1));
  } else {
    fast_arr_.macs += un * np * nq;
    fast_arr_.operand_reg_writes += un * (np * C + nq * R);
    fast_arr_.operand_reg_write_bits +=
        un * (np * C * static_cast<uint64_t>(s_.array.aw) + nq * R * static_cast<uint64_t>(s_.array.bw));
    fast_arr_.acc_writes += un * np * nq;
    if (w + n == W) {
      fast_arr_.output_writes += np * nq;
      st_.outputs += np * nq;
      outputs_left_ -= np * nq;
      rows_to_ofmap(np, !f.first_k);
      if (f.last_k)
        add_writeback(static_cast<int64_t>(t) + (n - 1) + (f.np - 1) + (f.nq - 1) + 2, f.out_unit,
                      static_cast<int>(f.nq - 1));
    }
  }
}

// How many cycles after t are sure to repeat cycle t's decisions: every gate keeps its
// result and nothing is fetched, freed or written back. The next cycle at which any
// threshold the gates compare against can be crossed ends the run.
uint64_t Controller::quiet_cycles(uint64_t t) const {
  if (event_) return 0;
  const int64_t F = static_cast<int64_t>(s_.folds.size());
  const bool st = s_.flow != Flow::kOS;
  const int64_t ti = static_cast<int64_t>(t);
  int64_t H = INT64_MAX;
  auto cand = [&](int64_t x) {
    if (x > ti && x < H) H = x;
  };
  if (!pending_wb_.empty()) cand(pending_wb_.front().issue_at);
  for (int b = 0; b < mem::kNumBufs; ++b)
    if (oldest_[b] < next_unit_[b] && release_[b][oldest_[b]] != kNever) cand(release_[b][oldest_[b]]);
  if (st && fsh_ < F) {
    if (sh_step_ >= 0) {
      cand(ti + (R_ - sh_step_));  // the shift's last step
    } else {
      const int64_t g = fsh_;
      const int64_t gp = g - (s_.weight_preload ? 2 : 1);
      if (gp >= 0 && E_[gp] != kNever) cand(E_[gp] + R_ + C_ - 2);
      if (!s_.fold_overlap && !s_.weight_preload && g > 0 && E_[g - 1] != kNever)
        cand(E_[g - 1] + R_ + C_ - 1);
      const int64_t r = ready_[s_.top_buf][s_.folds[g].stat_unit];
      if (r != kNever) cand(r);
    }
  }
  if (fs_ < F) {
    const Fold& f = s_.folds[fs_];
    const int64_t W = s_.wavefronts(f);
    if (issued_) {
      cand(ti + 1 + (std::min(ch_end(f), W) - 1 - ws_));
    } else {
      if (ws_ == 0 && fs_ > 0 && !s_.fold_overlap) cand(E_[fs_ - 1] + R_ + C_ - 1);
      if (!st && ws_ == W - 1 && fs_ > 0) cand(E_[fs_ - 1] + s_.rows_used(s_.folds[fs_ - 1]));
      if (st && ws_ == 0 && (shift_end_[fs_] == kNever || ti < shift_end_[fs_] + 1)) {
        if (shift_end_[fs_] != kNever) cand(shift_end_[fs_] + 1);
        // While the shift itself waits for memory, every cycle adds the credit this wait
        // spends; otherwise the wait turns structural when the credit runs out.
        const bool refills = fsh_ == fs_ && sh_step_ < 0 && last_shift_gate_ == Gate::kMem;
        if (!refills) cand(ti + shift_mem_credit_[fs_] + 1);
      }
      const Chunk& ch = f.chunks[ci_];
      const int64_t rl = ready_[s_.left_buf][ch.left_unit];
      if (rl != kNever) cand(rl);
      if (!st) {
        const int64_t rt = ready_[s_.top_buf][ch.top_unit];
        if (rt != kNever) cand(rt);
      }
    }
  }
  if (drain_end_ != kNever) cand(drain_end_ - 1);
  if (H == INT64_MAX) return 0;
  return static_cast<uint64_t>(H - ti - 1);
}

// Applies n repeats of the last cycle's decisions (cycles t+1 .. t+n).
void Controller::skip(uint64_t t, uint64_t n) {
  const int64_t F = static_cast<int64_t>(s_.folds.size());
  const bool st = s_.flow != Flow::kOS;
  const int64_t ni = static_cast<int64_t>(n);
  if (st && fsh_ < F) {
    if (sh_step_ >= 0) {
      const Fold& f = s_.folds[fsh_];
      // Step j shifts row R-1-j, read from the buffer when that row is used (j >= R - nk).
      const int64_t lo = std::max<int64_t>(sh_step_, R_ - f.nk), hi = sh_step_ + ni;
      const uint64_t reads = hi > lo ? static_cast<uint64_t>(hi - lo) : 0;
      count_access(s_.top_buf, false, bytes_of(f.nq, top_bits_), reads);
      st_.shift_steps += n;
      sh_step_ += static_cast<int>(n);
    } else if (last_shift_gate_ == Gate::kMem) {
      shift_mem_credit_[fsh_] += ni;
    }
  }
  if (fs_ < F) {
    if (issued_) {
      const Fold& f = s_.folds[fs_];
      const Chunk& ch = f.chunks[ci_];
      st_.wavefronts += n;
      count_access(s_.left_buf, false, bytes_of(s_.rows_used(f), left_bits_), n);
      uses_left_[s_.left_buf][ch.left_unit] -= ni;
      if (!st) {
        count_access(s_.top_buf, false, bytes_of(f.nq, top_bits_), n);
        uses_left_[s_.top_buf][ch.top_unit] -= ni;
      }
      fast_outputs(fs_, ws_, t + 1, ni);
      ws_ += ni;
    } else if (stream_gate_ == Gate::kMem) {
      st_.stall[stall_buf_] += n;
      if (st && ws_ == 0 && (shift_end_[fs_] == kNever || static_cast<int64_t>(t) + 1 <= shift_end_[fs_]))
        shift_mem_credit_[fs_] -= ni;
    } else if (stream_gate_ == Gate::kPort) {
      // quiet_cycles() ends the run at the port's threshold (E[g-1] + rows), so the wait
      // holds for all n cycles.
      st_.port_wait += n;
    }
  }
}

ArrayCounters Controller::run_fast() {
  fast_ = true;
  uint64_t t = 0;
  for (;;) {
    control(t, nullptr);
    if (drain_end_ != kNever && static_cast<int64_t>(t) + 1 >= drain_end_) break;
    const uint64_t n = quiet_cycles(t);
    if (n) {
      skip(t, n);
      t += n;
    }
    ++t;
  }
  st_.end_cycle = t + 1;
  drained_ = true;
  finish();
  fast_arr_.stationary_writes = st_.shift_steps * static_cast<uint64_t>(R_) * static_cast<uint64_t>(C_);
  fast_arr_.cycles = st_.end_cycle;
  return fast_arr_;
}

}  // namespace tpesim::systolic
