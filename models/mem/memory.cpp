#include "models/mem/memory.hpp"

#include <algorithm>

namespace tpesim::mem {

const char* buf_name(int b) {
  switch (b) {
    case kIfmap: return "ifmap";
    case kFilter: return "filter";
    default: return "ofmap";
  }
}

uint64_t Dram::transfer_cycles(uint64_t bytes) const {
  return (bytes * 1000 + p_.bandwidth_millibytes - 1) / p_.bandwidth_millibytes;
}

uint64_t Dram::transfer(uint64_t t, uint64_t bytes, bool write) {
  (write ? write_bytes_ : read_bytes_) += bytes;
  if (bytes == 0) return t;
  const uint64_t start = std::max(t, free_at_);
  const uint64_t busy = transfer_cycles(bytes);
  free_at_ = start + busy;
  return start + busy + p_.latency;
}

}  // namespace tpesim::mem
