#include "models/bitmod/array_core.hpp"

#include <algorithm>
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
