// On-chip buffers and the DRAM interface, as seen by an array controller: a DRAM channel
// that serves transfers in order at a fixed bandwidth after a fixed latency, and buffers
// whose capacity is split into slots (two when double-buffered) that each hold one tile.
// Times are absolute cycles; "ready at cycle N" means usable in cycle N (docs/timing.md).
#pragma once
#include <cstdint>
#include <string>

namespace tpesim::mem {

/// Buffer indices used throughout the models.
enum Buf : int { kIfmap = 0, kFilter = 1, kOfmap = 2, kNumBufs = 3 };
const char* buf_name(int b);  ///< "ifmap", "filter", "ofmap"

/// One SRAM buffer.
struct BufferParams {
  uint64_t size_bytes = 256 * 1024;  ///< capacity
  uint64_t width_bytes = 64;         ///< bytes one access moves
  bool double_buffered = true;       ///< two slots of size/2, else one slot of size
  uint64_t slot_bytes() const { return double_buffered ? size_bytes / 2 : size_bytes; }
  int slots() const { return double_buffered ? 2 : 1; }
};

/// The DRAM channel.
struct DramParams {
  uint64_t bandwidth_millibytes = 32000;  ///< 1/1000 bytes per cycle
  uint64_t latency = 100;                 ///< cycles from a transfer's start to its first data
};

/// Access counts of one buffer.
struct BufferCounts {
  uint64_t reads = 0, writes = 0, read_bytes = 0, write_bytes = 0;
};

/// A DRAM channel serving transfers in request order. Each transfer occupies the channel for
/// ceil(bytes*1000/bandwidth) cycles; its data are ready `latency` cycles after that.
class Dram {
 public:
  explicit Dram(const DramParams& p) : p_(p) {}
  /// Starts a transfer requested at cycle t; returns the cycle its data are ready.
  uint64_t transfer(uint64_t t, uint64_t bytes, bool write);
  uint64_t read_bytes() const { return read_bytes_; }
  uint64_t write_bytes() const { return write_bytes_; }
  /// Cycles the channel needs for `bytes`.
  uint64_t transfer_cycles(uint64_t bytes) const;

 private:
  DramParams p_;
  uint64_t free_at_ = 0;  ///< first cycle the channel is idle
  uint64_t read_bytes_ = 0, write_bytes_ = 0;
};

}  // namespace tpesim::mem
