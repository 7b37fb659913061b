// Errors a user can cause (bad config, bad trace, missing file) versus simulator bugs.
// Library code throws; only main() turns these into messages and exit codes.
#pragma once
#include <stdexcept>
#include <string>

namespace tpesim {

/// A problem with the user's input. The message names file, line and field where known;
/// main() prints it on one line and exits with status 2.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Invalid architecture configuration ("file:line: key: what is wrong").
class ConfigError : public UserError {
 public:
  using UserError::UserError;
};

/// Invalid workload trace ("file:line: column: what is wrong").
class TraceError : public UserError {
 public:
  using UserError::UserError;
};

/// An internal inconsistency: a simulator bug, never the user's fault. main() prints it
/// with "internal error" and exits with status 70.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// Formats "file:line: field: message" (line 0 = no line, empty field = no field).
std::string where(const std::string& file, int line, const std::string& field,
                  const std::string& message);

}  // namespace tpesim
