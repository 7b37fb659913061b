// Maps one GEMM onto the systolic array: fold order, tile sizes that fit the buffers, and the
// DRAM units each fold reads or writes (docs/timing.md, "Mapping").
#pragma once
#include <array>

#include "models/mem/memory.hpp"
#include "models/systolic/schedule.hpp"
#include "sim/config/arch.hpp"
#include "sim/workload/workload.hpp"

namespace tpesim {

/// The array parameters the arch asks for (left/top operand formats depend on the dataflow).
systolic::ArrayParams array_params(const ArchSpec& a);

/// Buffer and DRAM parameters of the arch, in the models' terms.
std::array<mem::BufferParams, mem::kNumBufs> buffer_params(const ArchSpec& a);
mem::DramParams dram_params(const ArchSpec& a);

/// Builds the schedule. Throws ConfigError if a buffer cannot hold even the smallest tile
/// (the message names the buffer, its slot size and what one tile needs).
systolic::Schedule map_gemm(const ArchSpec& a, const Gemm& g);

/// Checks that the arch and the GEMM's data types can run on the systolic engine (integer
/// formats matching the PE); throws TraceError naming the trace line and column otherwise.
void check_gemm_types(const ArchSpec& a, const Gemm& g, const std::string& trace_source);

}  // namespace tpesim
