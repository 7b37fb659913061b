#include "sim/common/error.hpp"

namespace tpesim {

std::string where(const std::string& file, int line, const std::string& field,
                  const std::string& message) {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line);
  s += ": ";
  if (!field.empty()) s += field + ": ";
  return s + message;
}

}  // namespace tpesim
