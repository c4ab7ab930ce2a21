#include "record/read_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/status.h"
#include "fmt/format.h"

namespace wsbench::record {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
    if (std::cin.bad()) {
      return absl::DataLossError("standard input: read error");
    }
    return buffer.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  }
  buffer << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(fmt::format("{}: read error", path));
  }
  return buffer.str();
}

}  // namespace wsbench::record
