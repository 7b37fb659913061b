// A workload: the GEMMs of a trace (workloads/FORMAT.md, "tpesim-trace v1").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tpesim {

/// One GEMM: C[M x N] = A[M x K] x B[K x N]. A = activations, B = weights.
struct Gemm {
  std::string name;                  ///< layer name, unique within a trace
  uint64_t M = 1, N = 1, K = 1;      ///< shape
  uint64_t count = 1;                ///< how many times the GEMM runs (e.g. 32 layers)
  std::string weight_dtype = "int8";  ///< B's format name
  std::string act_dtype = "int8";     ///< A's format name
  uint64_t group_size = 0;           ///< quantisation group along K; 0 = per channel
  std::string kind = "static";       ///< "static" weight or "dynamic" operand (attention)
  int line = 0;                      ///< line in the trace file (0 if built in)
};

/// A parsed trace.
struct Workload {
  std::string source = "<built-in>";  ///< file, for messages and reports
  std::string name;                   ///< from the trace's "# name:" line, else file stem
  std::vector<Gemm> gemms;
};

/// Reads and validates a trace file. Throws TraceError "file:line: column: what".
Workload load_trace(const std::string& path);

/// Parses trace text (path used in messages only).
Workload parse_trace(const std::string& text, const std::string& path);

/// The built-in default workload (a Llama-2-7B slice; workloads/default.csv).
Workload default_workload();

}  // namespace tpesim
