#include "sim/engine/mapper.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "sim/common/error.hpp"

namespace tpesim {

using systolic::Chunk;
using systolic::Flow;
using systolic::Fold;
using systolic::Schedule;

namespace {

uint64_t ceil_bytes(uint64_t elems, int bits) { return (elems * static_cast<uint64_t>(bits) + 7) / 8; }
int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Appends a unit unless the previous one has the same key (consecutive reuse).
struct UnitList {
  std::vector<systolic::Unit>* units;
  int64_t last_key = -1;
  int add(int64_t key, uint64_t bytes) {
    if (key != last_key || units->empty()) {
      units->push_back(systolic::Unit{bytes});
      last_key = key;
    }
    return static_cast<int>(units->size()) - 1;
  }
};

[[noreturn]] void too_small(const ArchSpec& a, const char* buf, uint64_t slot, uint64_t need,
                            const std::string& what) {
  throw ConfigError(where(a.source, 0, std::string("buffers.") + buf + ".size",
                          "a buffer slot of " + std::to_string(slot) + " bytes cannot hold " + what +
                              " (" + std::to_string(need) + " bytes); enlarge the buffer"));
}

}  // namespace

systolic::ArrayParams array_params(const ArchSpec& a) {
  systolic::ArrayParams p;
  p.rows = a.rows;
  p.cols = a.cols;
  p.acc = a.acc.bits;
  p.sat = a.acc.overflow == num::Overflow::kSaturate;
  p.stationary = a.dataflow != Dataflow::kOS;
  // is streams B from the left and keeps A in the PEs; ws and os stream A from the left.
  const num::IntFormat& left = a.dataflow == Dataflow::kIS ? a.weight : a.act;
  const num::IntFormat& top = a.dataflow == Dataflow::kIS ? a.act : a.weight;
  p.aw = left.bits;
  p.a_signed = left.is_signed;
  p.bw = top.bits;
  p.b_signed = top.is_signed;
  if (a.fp16()) {  // FP16 x FP16 MAC with an FP32 accumulator
    p.fp = true;
    p.aw = p.bw = 16;
    p.a_signed = p.b_signed = true;
    p.acc = 32;
    p.sat = false;
  } else if (a.fp16_int()) {  // FP16 x INT MAC (integer weights on the top edge, os/ws)
    p.fp = true;
    p.pe = systolic::PeKind::kShiftAdd;  // exact products: shift-and-add (docs/mixpe-pe.md)
    p.acc = 32;
    p.sat = false;
  }
  return p;
}

std::array<mem::BufferParams, mem::kNumBufs> buffer_params(const ArchSpec& a) {
  std::array<mem::BufferParams, mem::kNumBufs> b;
  const BufferSpec* s[3] = {&a.ifmap, &a.filter, &a.ofmap};
  for (int i = 0; i < 3; ++i) {
    b[i].size_bytes = s[i]->size_bytes;
    b[i].width_bytes = s[i]->width_bytes;
    b[i].double_buffered = s[i]->double_buffered;
  }
  return b;
}

mem::DramParams dram_params(const ArchSpec& a) {
  mem::DramParams d;
  d.bandwidth_millibytes = a.dram.bandwidth_millibytes_per_cycle;
  d.latency = a.dram.latency_cycles;
  return d;
}

void check_gemm_types(const ArchSpec& a, const Gemm& g, const std::string& src) {
  if (a.fp16_int()) {
    if (g.act_dtype != "fp16")
      throw TraceError(where(src, g.line, "act_dtype", "'" + g.act_dtype + "' on an fp16 x " + a.weight.name() +
                                                            " PE (pe.act is fp16 in the arch)"));
    if (g.weight_dtype != a.weight.name())
      throw TraceError(where(src, g.line, "weight_dtype",
                             "'" + g.weight_dtype + "' does not match the PE's weight format '" + a.weight.name() +
                                 "' (pe.weight in the arch)"));
    return;
  }
  if (a.fp16()) {
    for (const auto& [col, v] : {std::pair<const char*, const std::string*>{"weight_dtype", &g.weight_dtype},
                                 {"act_dtype", &g.act_dtype}})
      if (*v != "fp16")
        throw TraceError(where(src, g.line, col,
                               "'" + *v + "' on an fp16 PE (pe.act and pe.weight are fp16 in the arch)"));
    return;
  }
  num::IntFormat f;
  if (!num::parse_int_format(g.weight_dtype, &f))
    throw TraceError(where(src, g.line, "weight_dtype",
                           "'" + g.weight_dtype + "' is not an integer format; the systolic engine "
                           "runs int2..int16/uint2..uint16 weights"));
  if (!(f == a.weight))
    throw TraceError(where(src, g.line, "weight_dtype",
                           "'" + g.weight_dtype + "' does not match the PE's weight format '" +
                               a.weight.name() + "' (pe.weight in the arch)"));
  if (!num::parse_int_format(g.act_dtype, &f))
    throw TraceError(where(src, g.line, "act_dtype",
                           "'" + g.act_dtype + "' is not an integer format; the systolic engine "
                           "runs int2..int16/uint2..uint16 activations"));
  if (!(f == a.act))
    throw TraceError(where(src, g.line, "act_dtype",
                           "'" + g.act_dtype + "' does not match the PE's activation format '" +
                               a.act.name() + "' (pe.act in the arch)"));
}

Schedule map_gemm(const ArchSpec& a, const Gemm& g) {
  Schedule s;
  s.array = array_params(a);
  s.M = static_cast<int64_t>(g.M);
  s.N = static_cast<int64_t>(g.N);
  s.K = static_cast<int64_t>(g.K);
  s.fold_overlap = a.fold_overlap;
  s.weight_preload = a.weight_preload;
  s.out_bits = a.acc.bits;
  const int64_t R = a.rows, C = a.cols;
  const auto bufs = buffer_params(a);
  const uint64_t out_row_bytes = ceil_bytes(static_cast<uint64_t>(C), s.out_bits);
  const uint64_t of_slot = bufs[mem::kOfmap].slot_bytes();

  if (a.dataflow == Dataflow::kOS) {
    s.flow = Flow::kOS;
    s.left_buf = mem::kIfmap;
    s.top_buf = mem::kFilter;
    const uint64_t out_tile = ceil_bytes(static_cast<uint64_t>(R * C), s.out_bits);
    if (out_tile > of_slot) too_small(a, "ofmap", of_slot, out_tile, "one R x C output tile");
    // Reduction chunk: the longest run of wavefronts whose A and B slices fit one slot each.
    const uint64_t a_per_k = ceil_bytes(static_cast<uint64_t>(R), a.act.bits);
    const uint64_t b_per_k = ceil_bytes(static_cast<uint64_t>(C), a.weight.bits);
    const uint64_t if_slot = bufs[mem::kIfmap].slot_bytes(), fi_slot = bufs[mem::kFilter].slot_bytes();
    if (a_per_k > if_slot) too_small(a, "ifmap", if_slot, a_per_k, "one wavefront of A");
    if (b_per_k > fi_slot) too_small(a, "filter", fi_slot, b_per_k, "one wavefront of B");
    const int64_t kc = std::min<int64_t>({s.K, static_cast<int64_t>(if_slot / a_per_k),
                                          static_cast<int64_t>(fi_slot / b_per_k)});
    UnitList ul{&s.units[mem::kIfmap]}, tl{&s.units[mem::kFilter]}, ol{&s.units[mem::kOfmap]};
    const int64_t MT = cdiv(s.M, R), NT = cdiv(s.N, C), KC = cdiv(s.K, kc);
    // With os_k_fold, each output tile's reduction runs as several folds of at most that many
    // wavefronts (partial sums combined in the ofmap buffer); the K-chunk units are shared
    // by the folds that overlap them.
    const int64_t kf = a.os_k_fold > 0 ? std::min<int64_t>(a.os_k_fold, s.K) : s.K, KF = cdiv(s.K, kf);
    s.folds.reserve(static_cast<size_t>(MT * NT * KF));
    for (int64_t mt = 0; mt < MT; ++mt)
      for (int64_t nt = 0; nt < NT; ++nt) {
        const int64_t np = std::min(R, s.M - mt * R), nq = std::min(C, s.N - nt * C);
        const int out_unit = ol.add(mt * NT + nt, ceil_bytes(static_cast<uint64_t>(np * nq), s.out_bits));
        for (int64_t kfi = 0; kfi < KF; ++kfi) {
          Fold f;
          f.p0 = mt * R;
          f.np = np;
          f.q0 = nt * C;
          f.nq = nq;
          f.k0 = kfi * kf;
          f.nk = std::min(kf, s.K - f.k0);
          f.first_k = kfi == 0;
          f.last_k = kfi + 1 == KF;
          f.out_unit = out_unit;
          for (int64_t kci = f.k0 / kc; kci < KC && kci * kc < f.k0 + f.nk; ++kci) {
            const int64_t k0 = kci * kc, kn = std::min(kc, s.K - k0);
            Chunk ch;
            ch.w_end = std::min(k0 + kn, f.k0 + f.nk) - f.k0;
            ch.left_unit = ul.add(mt * KC + kci, ceil_bytes(static_cast<uint64_t>(f.np * kn), a.act.bits));
            ch.top_unit = tl.add(nt * KC + kci, ceil_bytes(static_cast<uint64_t>(f.nq * kn), a.weight.bits));
            f.chunks.push_back(ch);
          }
          s.folds.push_back(std::move(f));
        }
      }
    return s;
  }

  // Stationary dataflows in the array view: Out[P x Q] = S[P x K] x T[K x Q].
  const bool ws = a.dataflow == Dataflow::kWS;
  s.flow = ws ? Flow::kWS : Flow::kIS;
  s.left_buf = ws ? mem::kIfmap : mem::kFilter;
  s.top_buf = ws ? mem::kFilter : mem::kIfmap;
  const char* left_name = ws ? "ifmap" : "filter";
  const char* top_name = ws ? "filter" : "ifmap";
  const int64_t P = ws ? s.M : s.N, Q = ws ? s.N : s.M;
  const int lbits = ws ? a.act.bits : a.weight.bits, tbits = ws ? a.weight.bits : a.act.bits;
  const uint64_t l_slot = bufs[s.left_buf].slot_bytes(), t_slot = bufs[s.top_buf].slot_bytes();
  const uint64_t stat_tile = ceil_bytes(static_cast<uint64_t>(R * C), tbits);
  if (stat_tile > t_slot) too_small(a, top_name, t_slot, stat_tile, "one R x C stationary tile");
  const uint64_t l_row = ceil_bytes(static_cast<uint64_t>(R), lbits);
  if (l_row > l_slot) too_small(a, left_name, l_slot, l_row, "one wavefront");
  if (out_row_bytes > of_slot) too_small(a, "ofmap", of_slot, out_row_bytes, "one row of C outputs");
  // Streamed rows per chunk: as many as fit both the left slot and the ofmap slot.
  const int64_t pc = std::min<int64_t>({P, static_cast<int64_t>(l_slot / l_row),
                                        static_cast<int64_t>(of_slot / out_row_bytes)});
  // Keep the chunk's rows over the whole reduction resident if they fit (reused across Q).
  const bool block = ceil_bytes(static_cast<uint64_t>(pc * s.K), lbits) <= l_slot;
  UnitList ll{&s.units[s.left_buf]}, tl{&s.units[s.top_buf]}, ol{&s.units[mem::kOfmap]};
  const int64_t PC = cdiv(P, pc), QT = cdiv(Q, C), KT = cdiv(s.K, R);
  s.folds.reserve(static_cast<size_t>(PC * QT * KT));
  // Stationary tiles are fetched in groups: the consecutive reduction tiles of one column
  // tile that fit a slot travel as one DRAM transfer (one latency for many tiles).
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(KT, static_cast<int64_t>(t_slot / stat_tile)));
  for (int64_t pci = 0; pci < PC; ++pci)
    for (int64_t qt = 0; qt < QT; ++qt)
      for (int64_t kt = 0; kt < KT; ++kt) {
        Fold f;
        f.p0 = pci * pc;
        f.np = std::min(pc, P - f.p0);
        f.q0 = qt * C;
        f.nq = std::min(C, Q - f.q0);
        f.k0 = kt * R;
        f.nk = std::min(R, s.K - f.k0);
        f.first_k = kt == 0;
        f.last_k = kt == KT - 1;
        {
          const int64_t g0 = kt / group * group, g1 = std::min(KT, g0 + group);
          const int64_t rows = std::min(s.K, g1 * R) - g0 * R;
          f.stat_unit = tl.add(qt * KT + kt / group, ceil_bytes(static_cast<uint64_t>(rows * f.nq), tbits));
        }
        f.out_unit = ol.add(pci * QT + qt, ceil_bytes(static_cast<uint64_t>(f.np * f.nq), s.out_bits));
        Chunk ch;
        ch.w_end = f.np;
        ch.left_unit = block ? ll.add(pci, ceil_bytes(static_cast<uint64_t>(f.np * s.K), lbits))
                             : ll.add((pci * QT + qt) * KT + kt, ceil_bytes(static_cast<uint64_t>(f.np * f.nk), lbits));
        f.chunks.push_back(ch);
        s.folds.push_back(std::move(f));
      }
  return s;
}

}  // namespace tpesim
