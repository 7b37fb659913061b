#include "models/bitmod/array_core.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace tpesim::bitmod {

namespace nb = tpesim::num::bitmod;

// The quads one PE (output row m, column n) processes for one output, in order.
void append_output_quads(const std::vector<uint16_t>& a, const nb::BitmodWeights& w, int64_t m, int64_t n,
                  int lanes, std::vector<QuadInput>* q) {
  for (int64_t g = 0; g < w.groups(); ++g) {
    const int64_t k0 = g * w.group_size, len = std::min(w.group_size, w.k - k0);
    const size_t gi = static_cast<size_t>(g * w.n + n);
    for (int64_t q0 = 0; q0 < len; q0 += lanes) {
      QuadInput qi;
      qi.valid = true;
      qi.format = w.formats[gi];
      qi.lanes_used = static_cast<int>(std::min<int64_t>(lanes, len - q0));
      for (int i = 0; i < qi.lanes_used; ++i) {
        qi.codes[i] = w.codes[static_cast<size_t>((k0 + q0 + i) * w.n + n)];
        qi.acts[i] = nb::unpack_fp16(a[static_cast<size_t>(m * w.k + k0 + q0 + i)]);
      }
      qi.group_last = q0 + lanes >= len;
      qi.scale_q = w.scale_q[gi];
      qi.output_last = g == w.groups() - 1;
      qi.channel_scale = w.channel_scale[static_cast<size_t>(n)];
      q->push_back(qi);
    }
  }
}

ColumnSliceRun run_column_slice(const std::vector<QuadInput>& quads, size_t outputs,
                                const nb::BitmodPeParams& p) {
  ColumnSliceRun r;
  TermEncoder enc(p.lanes);
  PeCore pe(p);
  PeInput reg;
  PeOutput out;
  size_t next = 0;
  uint64_t cycle = 0;
  const uint64_t limit = 64 * (quads.size() + 8) * 8 + 1000;  // deadlock guard (a bug)
  while (r.outs.size() < outputs) {
    if (++cycle > limit) throw std::logic_error("BitMoD array: PE made no progress (bug)");
    const bool pe_takes = pe.ready();
    pe.step(reg, &out);
    const bool offer = next < quads.size();
    const bool accepted = offer && enc.ready(pe_takes);
    enc.step(offer ? quads[next] : QuadInput{}, pe_takes, &reg);
    if (accepted) ++next;
    if (out.out_valid) {
      r.outs.push_back(out.out);
      r.at.push_back(cycle);
    }
  }
  r.pe = pe.counters();
  r.enc = enc.counters();
  return r;
}

ArrayRun run_bitmod_array(const ArrayShape& shape, const std::vector<uint16_t>& a, int64_t M,
                          const nb::BitmodWeights& w, const nb::BitmodPeParams& p) {
  w.validate(p);
  if (a.size() != static_cast<size_t>(M * w.k)) throw std::invalid_argument("BitMoD array: A must be M x K");
  const int64_t R = shape.rows(), C = shape.cols();
  const int64_t MT = (M + R - 1) / R, NT = (w.n + C - 1) / C;
  ArrayRun run;
  run.out = num::RealMatrix(M, w.n);
  run.folds = static_cast<uint64_t>(MT * NT);
  uint64_t end = 0;
  // Every PE runs the folds in order; a PE outside a partial fold idles through it, so its
  // later outputs keep the timing of PE (0, 0), which every fold uses. PE (r, c) in tile
  // (i, j) runs i + j cycles behind PE (0, 0).
  for (int64_t r = 0; r < R; ++r)
    for (int64_t c = 0; c < C; ++c) {
      std::vector<QuadInput> quads;
      std::vector<std::pair<int64_t, int64_t>> owned;  // (m, n) this PE computes, in order
      for (int64_t mt = 0; mt < MT; ++mt)
        for (int64_t nt = 0; nt < NT; ++nt) {
          const int64_t m = mt * R + r, n = nt * C + c;
          // An idle fold still takes its cycles: the PE processes zero activations with
          // column 0's weights (real hardware gates it; the timing is the same).
          const bool used = m < M && n < w.n;
          append_output_quads(a, w, used ? m : 0, used ? n : 0, p.lanes, &quads);
          owned.emplace_back(used ? m : -1, used ? n : -1);
        }
      bool any = false;
      for (const auto& o : owned) any = any || o.first >= 0;
      if (!any) continue;
      const ColumnSliceRun s = run_column_slice(quads, owned.size(), p);
      const int64_t skew = r / shape.tile_rows + c / shape.tile_cols;
      for (size_t i = 0; i < owned.size(); ++i) {
        if (owned[i].first < 0) continue;
        run.out.at(owned[i].first, owned[i].second) = s.outs[i];
        end = std::max<uint64_t>(end, s.at[i] + static_cast<uint64_t>(skew));
      }
      run.pe.term_cycles += s.pe.term_cycles;
      run.pe.wait_cycles += s.pe.wait_cycles;
      run.pe.dequant_cycles += s.pe.dequant_cycles;
      run.pe.column_adds += s.pe.column_adds;
      run.pe.outputs += s.pe.outputs;
      run.encoder.quads += s.enc.quads;
      run.encoder.term_cycles += s.enc.term_cycles;
    }
  run.cycles = end;
  return run;
}

int64_t bitmod_array_cycles(const ArrayShape& shape, int64_t M, int64_t N,
                            const std::vector<int64_t>& group_term_cycles, const nb::BitmodPeParams& p) {
  const int64_t R = shape.rows(), C = shape.cols();
  const int64_t MT = (M + R - 1) / R, NT = (N + C - 1) / C;
  // Output f of every PE completes at 1 (encoder register) + pe_output_cycles of the first
  // f+1 outputs' groups; the fold's farthest used tile adds its skew.
  std::vector<int64_t> groups;
  int64_t best = 0;
  for (int64_t mt = 0; mt < MT; ++mt)
    for (int64_t nt = 0; nt < NT; ++nt) {
      groups.insert(groups.end(), group_term_cycles.begin(), group_term_cycles.end());
      const int64_t rows = std::min(R, M - mt * R), cols = std::min(C, N - nt * C);
      const int64_t skew = (rows - 1) / shape.tile_rows + (cols - 1) / shape.tile_cols;
      best = std::max(best, skew + 1 + nb::pe_output_cycles(groups, p));
    }
  return best;
}

}  // namespace tpesim::bitmod

namespace tpesim::bitmod {

namespace {
double fp16_value(uint16_t code) {
  static const num::FloatElement f = num::fp16();
  return f.decode(code);
}
}  // namespace

BitmodArrayCore::BitmodArrayCore(const ArrayShape& shape, const nb::BitmodPeParams& p) : shape_(shape), p_(p) {
  if (shape.tile_rows < 1 || shape.tile_cols < 1 || shape.tiles_r < 1 || shape.tiles_c < 1)
    throw std::invalid_argument("BitMoD array: tile shape and tile counts must be >= 1");
  reset();
}

void BitmodArrayCore::reset() {
  const int R = shape_.rows(), C = shape_.cols();
  pes_.assign(static_cast<size_t>(R * C), PeCore(p_));
  enc_.assign(static_cast<size_t>(C), TermEncoder(p_.lanes));
  offers_.assign(static_cast<size_t>(std::max(shape_.tiles_r, shape_.tiles_c)), Taken{});
  term_line_.assign(static_cast<size_t>(C), std::deque<PeInput>(static_cast<size_t>(shape_.tiles_r)));
  act_reg_.assign(static_cast<size_t>(R), std::array<uint16_t, 8>{});
  act_line_.assign(static_cast<size_t>(R),
                   std::deque<std::array<uint16_t, 8>>(static_cast<size_t>(shape_.tiles_c)));
  act_loads_ = hop_writes_ = cycles_ = 0;
}

bool BitmodArrayCore::in_ready() const { return enc_[0].ready(pes_[0].ready()); }

void BitmodArrayCore::step(const BitmodArrayIn& in, BitmodArrayOut* out) {
  const int R = shape_.rows(), C = shape_.cols(), L = p_.lanes;
  if (static_cast<int>(in.cols.size()) != C || static_cast<int>(in.acts.size()) != R)
    throw std::invalid_argument("BitMoD array: input must have " + std::to_string(R) + " rows and " +
                                std::to_string(C) + " columns");
  ++cycles_;
  // The offer of this cycle enters the edge history (taken or not).
  offers_.pop_back();
  offers_.push_front(Taken{in.valid && in_ready(), in});
  if (!offers_.front().valid) offers_.front().in = BitmodArrayIn{};

  // Tile-row-0 PEs' readiness before the edge: the encoders' downstream handshake.
  std::vector<uint8_t> top_ready(static_cast<size_t>(C));
  for (int c = 0; c < C; ++c) top_ready[static_cast<size_t>(c)] = pes_[static_cast<size_t>(c)].ready();

  // PEs: terms from their column's line (tile row i: i edges late), activations from their
  // row's line (tile column j: j edges late).
  if (out->out_valid.size() != static_cast<size_t>(R * C)) *out = BitmodArrayOut(R, C);
  for (int r = 0; r < R; ++r) {
    const size_t i = static_cast<size_t>(r / shape_.tile_rows);
    for (int c = 0; c < C; ++c) {
      const size_t j = static_cast<size_t>(c / shape_.tile_cols);
      PeInput pin = term_line_[static_cast<size_t>(c)][i];
      const auto& a = act_line_[static_cast<size_t>(r)][j];
      for (int l = 0; l < L; ++l) pin.acts[static_cast<size_t>(l)] = nb::unpack_fp16(a[static_cast<size_t>(l)]);
      PeOutput po;
      const size_t k = static_cast<size_t>(r * C + c);
      pes_[k].step(pin, &po);
      out->out_valid[k] = po.out_valid;
      uint32_t bits = 0;
      if (po.out_valid) {
        const float f = static_cast<float>(po.out);
        std::memcpy(&bits, &f, sizeof bits);
      }
      out->out_bits[k] = bits;
    }
  }

  // Column encoders of tile column j see the offer taken j cycles ago.
  for (int c = 0; c < C; ++c) {
    const size_t j = static_cast<size_t>(c / shape_.tile_cols);
    const Taken& tk = offers_[j];
    TermEncoder& e = enc_[static_cast<size_t>(c)];
    const bool down = top_ready[static_cast<size_t>(c)];
    QuadInput q;
    if (tk.valid) {
      if (!e.ready(down))
        throw std::logic_error("BitMoD array: encoder of column " + std::to_string(c) +
                               " not ready for a taken offer (tiles out of step; bug)");
      const ColumnOffer& o = tk.in.cols[static_cast<size_t>(c)];
      q.valid = true;
      q.lanes_used = o.lanes_used;
      q.format = hw_format(o.fmt, o.sel);
      for (int l = 0; l < L; ++l) q.codes[static_cast<size_t>(l)] = o.codes[static_cast<size_t>(l)];
      q.group_last = o.group_last;
      q.scale_q = o.scale_q;
      q.output_last = o.output_last;
      q.channel_scale = fp16_value(o.channel_scale);
    }
    PeInput reg;
    e.step(q, down, &reg);
    auto& line = term_line_[static_cast<size_t>(c)];
    line.pop_back();
    line.push_front(reg);
    hop_writes_ += static_cast<uint64_t>(shape_.tiles_r - 1);
  }
  // Row activation registers of tile row i load the offer taken i cycles ago.
  for (int r = 0; r < R; ++r) {
    const size_t i = static_cast<size_t>(r / shape_.tile_rows);
    if (offers_[i].valid) {
      act_reg_[static_cast<size_t>(r)] = offers_[i].in.acts[static_cast<size_t>(r)];
      ++act_loads_;
    }
    auto& line = act_line_[static_cast<size_t>(r)];
    line.pop_back();
    line.push_front(act_reg_[static_cast<size_t>(r)]);
    hop_writes_ += static_cast<uint64_t>(shape_.tiles_c - 1);
  }
  out->in_ready = in_ready();
}

BitmodArrayCounters BitmodArrayCore::counters() const {
  BitmodArrayCounters s;
  for (const PeCore& pe : pes_) {
    const PeCounters& c = pe.counters();
    s.pe.term_cycles += c.term_cycles;
    s.pe.wait_cycles += c.wait_cycles;
    s.pe.dequant_cycles += c.dequant_cycles;
    s.pe.column_adds += c.column_adds;
    s.pe.outputs += c.outputs;
    s.pe.cycles += c.cycles;
  }
  for (const TermEncoder& e : enc_) {
    s.encoder.quads += e.counters().quads;
    s.encoder.term_cycles += e.counters().term_cycles;
  }
  s.act_loads = act_loads_;
  s.hop_writes = hop_writes_;
  s.cycles = cycles_;
  return s;
}

}  // namespace tpesim::bitmod
