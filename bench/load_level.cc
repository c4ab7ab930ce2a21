#include "load_level.h"

#include <string>

#include "fmt/format.h"

namespace wsbench::bench {

absl::StatusOr<LoadLevel> FindLoadLevel(std::string_view name) {
  std::string valid;
  for (const LoadLevel& level : kLoadLevels) {
    if (level.name == name) return level;
    if (!valid.empty()) valid += ", ";
    valid += level.name;
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown load level '{}' (valid: {})", name, valid));
}

}  // namespace wsbench::bench
