// A GEMM mapped onto the systolic array: the ordered folds and the buffer tiles ("units")
// each fold reads or writes. Produced by the mapper (sim/engine/mapper.*), executed by the
// controller (controller.hpp). Array view (docs/timing.md):
//   stationary (ws/is): wavefronts = streamed rows p, array rows = reduction k, columns = q;
//   output-stationary:  wavefronts = reduction k, array rows = m, columns = n.
#pragma once
#include <cstdint>
#include <vector>

#include "models/mem/memory.hpp"
#include "models/systolic/array_io.hpp"

namespace tpesim::systolic {

enum class Flow { kOS, kWS, kIS };

/// Streamed tiles covering wavefronts [previous chunk's w_end, w_end) of a fold.
struct Chunk {
  int64_t w_end = 0;    ///< one past the last wavefront this chunk covers (fold-relative)
  int left_unit = -1;   ///< unit in the left-stream buffer
  int top_unit = -1;    ///< unit in the top-stream buffer (os only), else -1
};

/// One pass of the array.
struct Fold {
  int64_t p0 = 0, np = 0;  ///< ws/is: streamed rows (wavefronts); os: rows of C on array rows
  int64_t q0 = 0, nq = 0;  ///< columns of the output on array columns
  int64_t k0 = 0, nk = 0;  ///< ws/is: reduction on array rows; os: reduction as wavefronts
  bool first_k = true;     ///< first reduction fold of its output tile
  bool last_k = true;      ///< last reduction fold of its output tile
  int stat_unit = -1;      ///< ws/is: stationary tile's unit
  int out_unit = -1;       ///< output tile's unit in the ofmap buffer
  std::vector<Chunk> chunks;  ///< streamed units, in wavefront order
};

/// A tile of one buffer: fetched from DRAM (inputs) or written back (outputs) as a whole.
struct Unit {
  uint64_t bytes = 0;
};

struct Schedule {
  Flow flow = Flow::kWS;
  ArrayParams array;          ///< the array (aw/bw are left/top operand formats)
  int64_t M = 0, N = 0, K = 0;  ///< the GEMM
  bool fold_overlap = true;
  bool weight_preload = true;
  int left_buf = mem::kIfmap;   ///< buffer feeding the left edge
  int top_buf = mem::kFilter;   ///< buffer feeding the top edge (os stream / stationary)
  std::vector<Fold> folds;
  std::vector<Unit> units[mem::kNumBufs];  ///< per buffer, in order of first use
  int out_bits = 32;  ///< bits per output element in the ofmap buffer and in DRAM
  /// Bits per top-edge element read from its buffer; 0 = array.bw. Differs when the edge
  /// operand carries more than the stored element (a kDequantFma PE's packed operand: the
  /// buffer holds the code, the group's scale and zero point are not counted per element).
  int top_elem_bits = 0;

  int64_t wavefronts(const Fold& f) const { return flow == Flow::kOS ? f.nk : f.np; }
  /// Array rows a fold occupies.
  int64_t rows_used(const Fold& f) const { return flow == Flow::kOS ? f.np : f.nk; }
};

/// Operand values in GEMM coordinates: A is M x K, B is K x N (decoded integers).
class Operands {
 public:
  virtual ~Operands() = default;
  virtual int64_t a(int64_t m, int64_t k) const = 0;
  virtual int64_t b(int64_t k, int64_t n) const = 0;
};

}  // namespace tpesim::systolic
