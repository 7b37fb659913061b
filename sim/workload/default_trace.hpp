// The built-in default trace: a copy of workloads/default.csv compiled into the library.
#pragma once
#include <string_view>

namespace tpesim {

/// The exact bytes of workloads/default.csv (a unit test checks they agree).
std::string_view default_trace_text();

}  // namespace tpesim
