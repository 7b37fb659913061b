// Report writers: a RunResult as text for people, JSON ("tpesim-report/1") and CSV for
// machines. Every field is documented in docs/report.md. All output is deterministic: no
// timestamps, no host names, no locale-dependent number formatting.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "sim/report/result.hpp"

namespace tpesim {

/// The JSON schema identifier written to and required by from_json. It changes only when a
/// field is removed or renamed; added fields keep "/1" (readers ignore unknown keys).
inline constexpr const char* kReportSchema = "tpesim-report/1";

/// Human-readable report: header, per-layer table, totals (time, GOPS), per-buffer traffic
/// and action counts. Columns aligned, integers with thousands separators. Ends in '\n'.
std::string text_report(const RunResult& r);

/// The report as JSON, keys in the documented order (docs/report.md). Buffers "ifmap",
/// "filter", "ofmap" and their stall_by_buffer entries are always present (0 if absent from
/// the result); any other buffer names follow in sorted order.
nlohmann::ordered_json to_json(const RunResult& r);

/// Inverse of to_json. Unknown keys are ignored (schema additions keep "/1"). Throws
/// UserError naming the JSON path (e.g. "report JSON: layers[1].cycles.total: missing key")
/// on a missing key, a wrong type, a wrong schema string or inconsistent dram_bytes.
RunResult from_json(const nlohmann::json& j);
/// Same, for the ordered flavour that to_json returns.
RunResult from_json(const nlohmann::ordered_json& j);

/// CSV (RFC 4180, '\n' line ends): header, one row per layer, a final "TOTAL" row (M, N, K
/// empty). Columns: see docs/report.md. Doubles with 6 significant digits, "C" formatting.
std::string csv_report(const RunResult& r);

/// Creates `dir` (and parents) if needed and writes report.json, report.csv and report.txt
/// into it, each atomically (temporary file "<name>.tmp.<pid>" in dir, fsync, rename).
/// Throws UserError naming the path if the directory cannot be created or a file written.
void write_reports(const RunResult& r, const std::string& dir);

}  // namespace tpesim
