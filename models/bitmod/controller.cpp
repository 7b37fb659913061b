#include "models/bitmod/controller.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

namespace tpesim::bitmod {

namespace nb = tpesim::num::bitmod;

// ---------------------------------------------------------------------------------------
// Plan

int64_t BitmodPlan::fold_rows(int64_t f) const {
  return std::min<int64_t>(shape.rows(), M - fold_mt(f) * shape.rows());
}

int64_t BitmodPlan::fold_cols(int64_t f) const {
  return std::min<int64_t>(shape.cols(), N - fold_nt(f) * shape.cols());
}

uint64_t BitmodPlan::dram_bytes() const {
  const int64_t G = groups();
  uint64_t bytes = 0;
  for (int64_t mt = 0; mt < m_tiles() && a_reuse; ++mt) bytes += a_bytes(fold_rows(fold_of(mt, 0)), 0, G);
  for (int64_t nt = 0; nt < n_tiles() && w_reuse; ++nt) bytes += w_bytes(fold_cols(fold_of(0, nt)), 0, G);
  for (int64_t f = 0; f < folds(); ++f) {
    for (int64_t c = 0; c < a_chunks() && !a_reuse; ++c)
      bytes += a_bytes(fold_rows(f), c * a_chunk_groups, a_chunk_groups);
    for (int64_t c = 0; c < w_chunks() && !w_reuse; ++c)
      bytes += w_bytes(fold_cols(f), c * w_chunk_groups, w_chunk_groups);
    bytes += static_cast<uint64_t>(fold_rows(f) * fold_cols(f) * out_bytes);
  }
  return bytes;
}

int64_t BitmodPlan::fold_skew(int64_t f) const {
  return (fold_rows(f) - 1) / shape.tile_rows + (fold_cols(f) - 1) / shape.tile_cols;
}

uint64_t BitmodPlan::a_bytes(int64_t rows, int64_t g0, int64_t ng) const {
  int64_t k = 0;
  for (int64_t g = g0; g < std::min(groups(), g0 + ng); ++g) k += group_len(g);
  return static_cast<uint64_t>(rows * k * act_bytes);
}

uint64_t BitmodPlan::w_bytes(int64_t cols, int64_t g0, int64_t ng) const {
  int64_t k = 0, n = 0;
  for (int64_t g = g0; g < std::min(groups(), g0 + ng); ++g, ++n) k += group_len(g);
  const uint64_t bits = static_cast<uint64_t>(cols) * static_cast<uint64_t>(k * weight_bits + n * meta_bits);
  return (bits + 7) / 8;
}

BitmodPlan plan_bitmod(BitmodPlan p, const std::array<mem::BufferParams, mem::kNumBufs>& bufs, int order) {
  if (p.M < 1 || p.N < 1 || p.K < 1 || p.group_size < 1)
    throw std::invalid_argument("BitMoD plan: M, N, K and the group size must be >= 1");
  if (p.terms < 1) throw std::invalid_argument("BitMoD plan: terms per weight must be >= 1");
  const int64_t R = p.shape.rows(), C = p.shape.cols(), G = p.groups();
  const uint64_t a_slot = bufs[mem::kIfmap].slot_bytes(), w_slot = bufs[mem::kFilter].slot_bytes();
  auto need = [](const char* buf, uint64_t bytes, uint64_t slot, const std::string& what) {
    return std::invalid_argument("buffers." + std::string(buf) + ".size: " + what + " needs " +
                                 std::to_string(bytes) + " bytes, one slot holds " + std::to_string(slot));
  };
  if (p.a_bytes(R, 0, 1) > a_slot) throw need("ifmap", p.a_bytes(R, 0, 1), a_slot, "one group of activations");
  if (p.w_bytes(C, 0, 1) > w_slot) throw need("filter", p.w_bytes(C, 0, 1), w_slot, "one group of weights");
  const uint64_t o_bytes = static_cast<uint64_t>(R * C * p.out_bytes);
  if (o_bytes > bufs[mem::kOfmap].slot_bytes())
    throw need("ofmap", o_bytes, bufs[mem::kOfmap].slot_bytes(), "one output tile");
  // Largest chunk of whole groups that fits a slot (sizes grow with the chunk: bisect).
  auto largest = [&](auto fits) {
    int64_t lo = 1, hi = G;
    while (lo < hi) {
      const int64_t mid = (lo + hi + 1) / 2;
      if (fits(mid))
        lo = mid;
      else
        hi = mid - 1;
    }
    // As few chunks as that allows, of (nearly) equal size: even units keep the double
    // buffering smooth (a last chunk of a few groups would be fetched in a burst).
    const int64_t n = (G + lo - 1) / lo;
    return (G + n - 1) / n;
  };
  p.a_chunk_groups = largest([&](int64_t n) { return p.a_bytes(R, 0, n) <= a_slot; });
  p.w_chunk_groups = largest([&](int64_t n) { return p.w_bytes(C, 0, n) <= w_slot; });
  auto with_order = [&](bool n_outer) {
    BitmodPlan q = p;
    q.n_outer = n_outer;
    const bool a_one = q.a_chunks() == 1, w_one = q.w_chunks() == 1;
    // The outer loop's operand tile serves its consecutive folds; the inner operand's tiles
    // are kept for the whole GEMM only if they all fit one slot (they stay resident
    // together, so the buffer must be double-buffered).
    if (!n_outer) {
      q.a_reuse = a_one;
      q.w_reuse = w_one && q.m_tiles() > 1 && bufs[mem::kFilter].double_buffered && q.w_bytes(q.N, 0, G) <= w_slot;
    } else {
      q.w_reuse = w_one;
      q.a_reuse = a_one && q.n_tiles() > 1 && bufs[mem::kIfmap].double_buffered && q.a_bytes(q.M, 0, G) <= a_slot;
    }
    return q;
  };
  if (order >= 0) return with_order(order == 1);
  const BitmodPlan m_outer = with_order(false), n_outer = with_order(true);
  return n_outer.dram_bytes() < m_outer.dram_bytes() ? n_outer : m_outer;
}

void BitmodOperands::finish() {
  const int64_t G = w.groups();
  types.assign(static_cast<size_t>(G * w.n), {});
  for (size_t i = 0; i < types.size(); ++i) types[i] = hw_weight_type(*w.formats[i]);
  scale_codes.assign(static_cast<size_t>(w.n), 0);
  for (int64_t n = 0; n < w.n; ++n)
    scale_codes[static_cast<size_t>(n)] = static_cast<uint16_t>(num::fp16_bits(w.channel_scale[static_cast<size_t>(n)]));
  for (uint32_t q : w.scale_q)
    if (q > 255) throw std::invalid_argument("BitMoD operands: group scale above 8 bits");
}

bool BitmodCycles::operator==(const BitmodCycles& o) const {
  return total == o.total && term == o.term && dequant == o.dequant && encoder == o.encoder &&
         stall == o.stall && skew == o.skew;
}

namespace {
bool counts_equal(const mem::BufferCounts& a, const mem::BufferCounts& b) {
  return a.reads == b.reads && a.writes == b.writes && a.read_bytes == b.read_bytes &&
         a.write_bytes == b.write_bytes;
}
}  // namespace

bool BitmodStats::operator==(const BitmodStats& o) const {
  for (int b = 0; b < mem::kNumBufs; ++b)
    if (!counts_equal(buf[b], o.buf[b])) return false;
  const auto& x = array;
  const auto& y = o.array;
  return cycles == o.cycles && dram_read_bytes == o.dram_read_bytes && dram_write_bytes == o.dram_write_bytes &&
         steps == o.steps && outputs == o.outputs && x.pe.term_cycles == y.pe.term_cycles &&
         x.pe.wait_cycles == y.pe.wait_cycles && x.pe.dequant_cycles == y.pe.dequant_cycles &&
         x.pe.column_adds == y.pe.column_adds && x.pe.outputs == y.pe.outputs && x.pe.cycles == y.pe.cycles &&
         x.encoder.quads == y.encoder.quads && x.encoder.term_cycles == y.encoder.term_cycles &&
         x.act_loads == y.act_loads && x.hop_writes == y.hop_writes && x.cycles == y.cycles;
}

// ---------------------------------------------------------------------------------------
// Controller

BitmodStats run_bitmod_core(BitmodController& ctl, const ArrayShape& shape, const nb::BitmodPeParams& pe) {
  BitmodArrayCore core(shape, pe);
  BitmodCycle cyc(shape);
  cyc.ready = core.in_ready();
  for (uint64_t t = 0; !ctl.done() && !cyc.clock(t, ctl, core); ++t) {
  }
  BitmodStats s = ctl.stats();
  s.array = core.counters();
  return s;
}

BitmodController::BitmodController(const BitmodPlan& plan, const std::array<mem::BufferParams, mem::kNumBufs>& bufs,
                                   const mem::DramParams& dram, const BitmodOperands* ops, num::RealMatrix* out)
    : plan_(plan), bufp_(bufs), dram_(dram), ops_(ops), out_(out) {
  build_units();
  const int64_t RC = plan_.shape.rows() * plan_.shape.cols();
  pe_outputs_.assign(static_cast<size_t>(RC), 0);
  outputs_left_all_ = static_cast<uint64_t>(RC * plan_.folds());
  // Between two takes the feeder waits at most for the dequantiser and for the DRAM to move
  // what every buffer can hold (fetches and write-backs queued before the one it needs).
  uint64_t bytes = 0;
  for (const auto& b : bufs) bytes += b.size_bytes;
  stuck_limit_ = 2 * dram_.transfer_cycles(bytes) + 4 * dram.latency +
                 static_cast<uint64_t>(plan_.group_terms(0) + 4 * plan_.pe.scale_bits + plan_.array_skew()) + 64;
}

int64_t BitmodController::a_unit(int64_t f, int64_t g) const {
  if (plan_.a_reuse) return plan_.fold_mt(f);
  return f * plan_.a_chunks() + g / plan_.a_chunk_groups;
}

int64_t BitmodController::w_unit(int64_t f, int64_t g) const {
  if (plan_.w_reuse) return plan_.fold_nt(f);
  return f * plan_.w_chunks() + g / plan_.w_chunk_groups;
}

void BitmodController::build_units() {
  const BitmodPlan& p = plan_;
  const int64_t F = p.folds(), G = p.groups(), NT = p.n_tiles(), MT = p.m_tiles();
  auto& A = in_[mem::kIfmap].units;
  auto& W = in_[mem::kFilter].units;
  if (p.a_reuse) {
    for (int64_t mt = 0; mt < MT; ++mt) {
      Unit u;
      u.bytes = p.a_bytes(p.fold_rows(p.fold_of(mt, 0)), 0, G);
      u.first_step = step_key(p.fold_of(mt, 0), 0);
      u.uses = NT * G;
      A.push_back(u);
    }
  }
  if (p.w_reuse) {
    for (int64_t nt = 0; nt < NT; ++nt) {
      Unit u;
      u.bytes = p.w_bytes(p.fold_cols(p.fold_of(0, nt)), 0, G);
      u.first_step = step_key(p.fold_of(0, nt), 0);
      u.uses = MT * G;
      W.push_back(u);
    }
  }
  // Otherwise each fold fetches its own K-chunks.
  auto fold_chunks = [&](std::vector<Unit>* v, int64_t f, int64_t cg, bool act) {
    for (int64_t g0 = 0; g0 < G; g0 += cg) {
      Unit u;
      u.first_step = step_key(f, g0);
      u.uses = std::min(cg, G - g0);
      u.bytes = act ? p.a_bytes(p.fold_rows(f), g0, u.uses) : p.w_bytes(p.fold_cols(f), g0, u.uses);
      v->push_back(u);
    }
  };
  for (int64_t f = 0; f < F; ++f) {
    if (!p.a_reuse) fold_chunks(&A, f, p.a_chunk_groups, true);
    if (!p.w_reuse) fold_chunks(&W, f, p.w_chunk_groups, false);
  }
  outu_.resize(static_cast<size_t>(F));
  for (int64_t f = 0; f < F; ++f) {
    outu_[static_cast<size_t>(f)].bytes = static_cast<uint64_t>(p.fold_rows(f) * p.fold_cols(f) * p.out_bytes);
    outu_[static_cast<size_t>(f)].outputs_left = p.fold_rows(f) * p.fold_cols(f);
  }
}

bool BitmodController::fits(int b, uint64_t bytes) const {
  const BufState& s = in_[static_cast<size_t>(b)];
  const mem::BufferParams& bp = bufp_[static_cast<size_t>(b)];
  return bp.double_buffered ? s.resident + bytes <= bp.size_bytes : s.resident == 0;
}

namespace {
void count_access(mem::BufferCounts* c, uint64_t width, bool write, uint64_t bytes) {
  const uint64_t n = (bytes + width - 1) / width;
  if (write) {
    c->writes += n;
    c->write_bytes += bytes;
  } else {
    c->reads += n;
    c->read_bytes += bytes;
  }
}
}  // namespace

void BitmodController::memory(uint64_t t) {
  const int64_t now = static_cast<int64_t>(t);
  // Frees: input units after their last use, output slots when their write-back completed.
  for (int b = 0; b < 2; ++b) {
    BufState& s = in_[static_cast<size_t>(b)];
    while (s.oldest < s.next && s.units[s.oldest].release >= 0 && s.units[s.oldest].release <= now) {
      s.resident -= s.units[s.oldest].bytes;
      ++s.oldest;
    }
  }
  while (out_oldest_ < outu_.size() && outu_[out_oldest_].freed >= 0 && outu_[out_oldest_].freed <= now) {
    out_resident_ -= outu_[out_oldest_].bytes;
    ++out_oldest_;
  }
  // Write-backs due (in fold order), then fetches, earliest-needed first, as soon as they fit.
  while (wb_next_ < outu_.size() && outu_[wb_next_].wb_at >= 0 && outu_[wb_next_].wb_at <= now) {
    OutUnit& o = outu_[wb_next_];
    count_access(&st_.buf[mem::kOfmap], bufp_[mem::kOfmap].width_bytes, false, o.bytes);
    o.freed = static_cast<int64_t>(dram_.transfer(t, o.bytes, true));
    ++wb_next_;
  }
  for (;;) {
    int best = -1;
    for (int b = 0; b < 2; ++b) {
      const BufState& s = in_[static_cast<size_t>(b)];
      if (s.next >= s.units.size() || !fits(b, s.units[s.next].bytes)) continue;
      if (best < 0 || s.units[s.next].first_step < in_[static_cast<size_t>(best)].units[in_[static_cast<size_t>(best)].next].first_step)
        best = b;
    }
    if (best < 0) break;
    BufState& s = in_[static_cast<size_t>(best)];
    Unit& u = s.units[s.next++];
    u.ready = static_cast<int64_t>(dram_.transfer(t, u.bytes, false));
    s.resident += u.bytes;
    count_access(&st_.buf[static_cast<size_t>(best)], bufp_[static_cast<size_t>(best)].width_bytes, true, u.bytes);
  }
}

bool BitmodController::out_room(uint64_t) const {
  const uint64_t bytes = outu_[static_cast<size_t>(f_)].bytes;
  const mem::BufferParams& bp = bufp_[mem::kOfmap];
  return bp.double_buffered ? out_resident_ + bytes <= bp.size_bytes : out_resident_ == 0;
}

int BitmodController::blocked_by(uint64_t t) const {
  const int64_t now = static_cast<int64_t>(t);
  const Unit& a = in_[mem::kIfmap].units[static_cast<size_t>(a_unit(f_, g_))];
  if (a.ready < 0 || a.ready > now) return mem::kIfmap;
  const Unit& w = in_[mem::kFilter].units[static_cast<size_t>(w_unit(f_, g_))];
  if (w.ready < 0 || w.ready > now) return mem::kFilter;
  if (g_ == 0 && j_ == 0 && !out_room(t)) return mem::kOfmap;
  return -1;
}

void BitmodController::count_reads(int64_t f, int64_t g) {
  // One quad step: L activations of every used row, L codes of every used column (plus the
  // group's scale/selector with the group's first quad).
  const int64_t lanes = std::min<int64_t>(plan_.pe.lanes, plan_.group_len(g) - j_ * plan_.pe.lanes);
  count_access(&st_.buf[mem::kIfmap], bufp_[mem::kIfmap].width_bytes, false,
               static_cast<uint64_t>(plan_.fold_rows(f) * lanes * plan_.act_bytes));
  uint64_t bits = static_cast<uint64_t>(plan_.fold_cols(f) * lanes * plan_.weight_bits);
  if (j_ == 0) bits += static_cast<uint64_t>(plan_.fold_cols(f) * plan_.meta_bits);
  count_access(&st_.buf[mem::kFilter], bufp_[mem::kFilter].width_bytes, false, (bits + 7) / 8);
}

void BitmodController::take(uint64_t t) {
  if (g_ == 0 && j_ == 0) {  // the fold's output tile takes its slot
    out_resident_ += outu_[static_cast<size_t>(f_)].bytes;
  }
  count_reads(f_, g_);
  ++st_.steps;
  if (++j_ < plan_.group_quads(g_)) return;
  // The group's last quad: its units have one use fewer; freed the cycle after the last.
  for (int b = 0; b < 2; ++b) {
    const int64_t ui = b == mem::kIfmap ? a_unit(f_, g_) : w_unit(f_, g_);
    Unit& u = in_[static_cast<size_t>(b)].units[static_cast<size_t>(ui)];
    if (--u.uses == 0) u.release = static_cast<int64_t>(t) + 1;
  }
  j_ = 0;
  if (++g_ < plan_.groups()) return;
  g_ = 0;
  if (++f_ == plan_.folds()) feeder_done_ = true;
}

void BitmodController::fill_offer(BitmodArrayIn* in) const {
  const BitmodPlan& p = plan_;
  const int R = p.shape.rows(), C = p.shape.cols(), L = p.pe.lanes;
  if (static_cast<int>(in->cols.size()) != C || static_cast<int>(in->acts.size()) != R) *in = BitmodArrayIn(R, C);
  in->valid = true;
  const int64_t mt = p.fold_mt(f_), nt = p.fold_nt(f_);
  const int64_t k0 = g_ * p.group_size + j_ * L;
  const int lanes = static_cast<int>(std::min<int64_t>(L, p.group_len(g_) - j_ * L));
  const bool glast = j_ + 1 == p.group_quads(g_), olast = g_ + 1 == p.groups();
  for (int c = 0; c < C; ++c) {
    ColumnOffer& o = in->cols[static_cast<size_t>(c)];
    o = ColumnOffer{};
    o.lanes_used = static_cast<uint8_t>(lanes);
    o.group_last = glast;
    o.output_last = olast;
    if (!ops_) {  // timing only: zero codes of a type with the plan's term count
      o.fmt = p.terms == 4 ? WeightFmt::kInt8 : p.terms == 3 ? WeightFmt::kInt6 : p.terms == 2 ? WeightFmt::kFp4 : WeightFmt::kFp3;
      continue;
    }
    const int64_t n = nt * C + c;
    const bool used = n < p.N;
    const int64_t nn = used ? n : nt * C;  // an unused column decodes column nt*C's type
    const HwWeightType ty = ops_->types[static_cast<size_t>(g_ * p.N + nn)];
    o.fmt = ty.fmt;
    o.sel = ty.sel;
    if (used) {
      for (int l = 0; l < lanes; ++l)
        o.codes[static_cast<size_t>(l)] = static_cast<uint8_t>(ops_->w.codes[static_cast<size_t>((k0 + l) * p.N + n)]);
      o.scale_q = static_cast<uint8_t>(ops_->w.scale_q[static_cast<size_t>(g_ * p.N + n)]);
      o.channel_scale = ops_->scale_codes[static_cast<size_t>(n)];
    } else {
      o.scale_q = 0;
      o.channel_scale = 0;
    }
  }
  for (int r = 0; r < R; ++r) {
    auto& a = in->acts[static_cast<size_t>(r)];
    a.fill(0);
    const int64_t m = mt * R + r;
    if (!ops_ || m >= p.M) continue;
    for (int l = 0; l < lanes; ++l) a[static_cast<size_t>(l)] = ops_->a[static_cast<size_t>(m * p.K + k0 + l)];
  }
}

void BitmodController::drive(uint64_t t, bool in_ready, const Pe00& pe00, BitmodArrayIn* in) {
  BitmodCycles& cy = st_.cycles;
  // Charge cycle t of PE (0, 0)'s timeline (after its last output: the array's drain).
  if (pe00_done_ >= 0) {
    ++cy.skew;
  } else if (!pe00.ready) {
    ++cy.dequant;
  } else if (pe00.input_valid) {
    ++cy.term;
  } else if (t >= 1 && last_block_ >= 0) {
    ++cy.stall[static_cast<size_t>(last_block_)];
  } else if (!feeder_done_ || t == 0) {
    ++cy.encoder;
  } else {
    ++cy.dequant;
  }
  memory(t);
  in->valid = false;
  last_block_ = -1;
  if (feeder_done_) return;
  const int blk = blocked_by(t);
  if (blk >= 0) {
    if (in_ready) last_block_ = blk;
    return;
  }
  fill_offer(in);
  if (in_ready) {
    take(t);
    last_progress_ = t;
  }
  if (t > last_progress_ + stuck_limit_)
    throw std::logic_error("BitMoD controller: no quad taken for " + std::to_string(stuck_limit_) +
                           " cycles (deadlock; bug)");
}

void BitmodController::fold_output_done(int64_t f, int64_t t) {
  OutUnit& o = outu_[static_cast<size_t>(f)];
  count_access(&st_.buf[mem::kOfmap], bufp_[mem::kOfmap].width_bytes, true, o.bytes);
  o.wb_at = t + 2;
}

void BitmodController::collect(uint64_t t, const BitmodArrayOut& out) {
  const BitmodPlan& p = plan_;
  const int R = p.shape.rows(), C = p.shape.cols();
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t k = static_cast<size_t>(r * C + c);
      if (!out.out_valid[k]) continue;
      const int64_t f = pe_outputs_[k]++;
      if (f >= p.folds()) throw std::logic_error("BitMoD controller: PE produced more outputs than folds (bug)");
      --outputs_left_all_;
      if (k == 0 && f + 1 == p.folds()) pe00_done_ = static_cast<int64_t>(t);
      const int64_t m = p.fold_mt(f) * R + r, n = p.fold_nt(f) * C + c;
      if (m >= p.M || n >= p.N) continue;
      ++st_.outputs;
      if (out_) {
        float v;
        std::memcpy(&v, &out.out_bits[k], sizeof v);
        out_->at(m, n) = v;
      }
      if (--outu_[static_cast<size_t>(f)].outputs_left == 0) fold_output_done(f, static_cast<int64_t>(t));
    }
  if (outputs_left_all_ == 0) {
    done_ = true;
    st_.cycles.total = t + 1;
    // Write-backs still due are counted in bytes (they overlap the next layer).
    for (; wb_next_ < outu_.size(); ++wb_next_) {
      OutUnit& o = outu_[wb_next_];
      count_access(&st_.buf[mem::kOfmap], bufp_[mem::kOfmap].width_bytes, false, o.bytes);
      dram_.transfer(t + 1, o.bytes, true);
    }
    st_.dram_read_bytes = dram_.read_bytes();
    st_.dram_write_bytes = dram_.write_bytes();
  }
}

// ---------------------------------------------------------------------------------------
// Fast engine

int64_t BitmodController::next_event(int64_t after) const {
  int64_t best = std::numeric_limits<int64_t>::max();
  auto consider = [&](int64_t c) {
    if (c > after && c < best) best = c;
  };
  for (int b = 0; b < 2; ++b) {
    const BufState& s = in_[static_cast<size_t>(b)];
    if (s.oldest < s.next) consider(s.units[s.oldest].release);
  }
  if (out_oldest_ < outu_.size()) consider(outu_[out_oldest_].freed);
  if (wb_next_ < outu_.size()) consider(outu_[wb_next_].wb_at);
  return best;
}

void BitmodController::run_fast() {
  const BitmodPlan& p = plan_;
  const int64_t SB = p.pe.scale_bits, CAC = p.pe.column_add_cycles;
  const int64_t R = p.shape.rows(), C = p.shape.cols(), RC = R * C, T = p.terms;
  BitmodCycles& cy = st_.cycles;
  int64_t mem_done = -1;  // memory() has run for every cycle <= mem_done
  auto advance = [&](int64_t c) {
    // Runs memory() at every cycle in (mem_done, c] where something can change: the first
    // such cycle and each later event cycle (between events memory() decides nothing new).
    int64_t at = mem_done + 1;
    while (at <= c) {
      memory(static_cast<uint64_t>(at));
      mem_done = at;
      const int64_t nx = next_event(at);
      if (nx > c) break;
      at = nx;
    }
    mem_done = std::max(mem_done, c);
  };
  int64_t t_free = 0;      // the feeder may offer the group's first quad from this cycle
  int64_t d_prev = 0;      // PE (0, 0) ready for the group's first term from this cycle
  int64_t dq_prev = std::numeric_limits<int64_t>::min() / 2;  // previous dequantisation start
  int64_t e_prev = -1, out_edge = -1, total_edge = -1;
  int64_t terms = 0, quads = 0, waits = 0, groups_done = 0;
  bool first = true;
  while (!feeder_done_) {
    // First cycle >= t_free at which the group's data (and, for a fold's first group, the
    // output slot) are there.
    int64_t c = t_free;
    for (;;) {
      advance(c);
      const int blk = blocked_by(static_cast<uint64_t>(c));
      if (blk < 0) break;
      int64_t nx = next_event(c);
      const int64_t ui = blk == mem::kIfmap ? a_unit(f_, g_) : w_unit(f_, g_);
      if (blk != mem::kOfmap) {
        const Unit& u = in_[static_cast<size_t>(blk)].units[static_cast<size_t>(ui)];
        if (u.ready > c) nx = std::min(nx, u.ready);
      }
      if (nx == std::numeric_limits<int64_t>::max())
        throw std::logic_error("BitMoD fast engine: feeder waits for an event that never comes (bug)");
      c = nx;
    }
    const int64_t x = c;
    // Which buffer the feeder waited for in each cycle of [lo, x-1], charged to the PE's
    // bubble one cycle later (cycles it was ready but had no term).
    const int64_t lo = std::max<int64_t>(d_prev, 1) - 1;
    if (x > lo) {
      const int64_t ra = in_[mem::kIfmap].units[static_cast<size_t>(a_unit(f_, g_))].ready;
      const int64_t rw = in_[mem::kFilter].units[static_cast<size_t>(w_unit(f_, g_))].ready;
      // First cycle >= lo from which the fold's output tile had room: room only grows until
      // the take, so walk the slots freed in (lo, x] back from x.
      int64_t ro = lo;
      if (g_ == 0) {
        const mem::BufferParams& bp = bufp_[mem::kOfmap];
        const uint64_t need = outu_[static_cast<size_t>(f_)].bytes;
        uint64_t res = out_resident_;
        for (int64_t q = static_cast<int64_t>(out_oldest_) - 1; q >= 0; --q) {
          const int64_t fr = outu_[static_cast<size_t>(q)].freed;
          if (fr <= lo) break;
          res += outu_[static_cast<size_t>(q)].bytes;
          if (bp.double_buffered ? res + need > bp.size_bytes : res != 0) {
            ro = fr;
            break;
          }
        }
      }
      auto span = [&](int64_t from, int64_t to) { return std::max<int64_t>(0, std::min(to, x) - std::max(from, lo)); };
      cy.stall[mem::kIfmap] += static_cast<uint64_t>(span(lo, ra));
      cy.stall[mem::kFilter] += static_cast<uint64_t>(span(std::max(lo, ra), rw));
      cy.stall[mem::kOfmap] += static_cast<uint64_t>(span(std::max({lo, ra, rw}), ro));
    }
    // The group's PE timeline.
    const int64_t f = f_, g = g_;
    const int64_t nq = p.group_quads(g), n = T * nq;
    const int64_t s = std::max(d_prev, x + 1);
    if (first) {
      ++cy.encoder;
      first = false;
    }
    if (e_prev >= 0) waits += std::max<int64_t>(0, d_prev - std::max(e_prev + 1, x + 1));
    const int64_t e = s + n - 1;
    const int64_t dq = std::max(e + 1, dq_prev + SB);
    // Take the group's quads: the first at x, the others as the encoder frees up.
    for (int64_t q = 0; q < nq; ++q) take(static_cast<uint64_t>(q == 0 ? x : s - 1 + q * T));
    terms += n;
    quads += nq;
    ++groups_done;
    if (g + 1 == p.groups()) {
      out_edge = dq + SB - 1 + CAC;
      const int64_t done_at = out_edge + p.fold_skew(f);
      fold_output_done(f, done_at);
      st_.outputs += static_cast<uint64_t>(p.fold_rows(f) * p.fold_cols(f));
      total_edge = out_edge + p.array_skew();
    }
    t_free = e;
    d_prev = dq;
    dq_prev = dq;
    e_prev = e;
  }
  // Write-backs due before the end are requested in order; the rest are counted in bytes.
  advance(total_edge);
  for (; wb_next_ < outu_.size(); ++wb_next_) {
    OutUnit& o = outu_[wb_next_];
    count_access(&st_.buf[mem::kOfmap], bufp_[mem::kOfmap].width_bytes, false, o.bytes);
    dram_.transfer(static_cast<uint64_t>(total_edge + 1), o.bytes, true);
  }
  st_.dram_read_bytes = dram_.read_bytes();
  st_.dram_write_bytes = dram_.write_bytes();
  cy.total = static_cast<uint64_t>(total_edge + 1);
  cy.term = static_cast<uint64_t>(terms);
  cy.skew = static_cast<uint64_t>(total_edge - out_edge);
  cy.dequant = static_cast<uint64_t>(out_edge + 1) - cy.term - cy.encoder - cy.stall_total();
  // Every PE runs PE (0, 0)'s timeline shifted by its tile distance and finishes it.
  const uint64_t total = cy.total;
  BitmodArrayCounters& a = st_.array;
  a.pe.term_cycles = static_cast<uint64_t>(RC * terms);
  a.pe.wait_cycles = static_cast<uint64_t>(RC * waits);
  a.pe.dequant_cycles = static_cast<uint64_t>(RC * SB * groups_done);
  a.pe.column_adds = static_cast<uint64_t>(RC * groups_done);
  a.pe.outputs = static_cast<uint64_t>(RC * p.folds());
  a.pe.cycles = static_cast<uint64_t>(RC) * total;
  a.encoder.quads = static_cast<uint64_t>(C * quads);
  a.encoder.term_cycles = static_cast<uint64_t>(C * terms);
  a.act_loads = static_cast<uint64_t>(R * quads);
  a.hop_writes = static_cast<uint64_t>(C * (p.shape.tiles_r - 1) + R * (p.shape.tiles_c - 1)) * total;
  a.cycles = total;
  done_ = true;
}

}  // namespace tpesim::bitmod
