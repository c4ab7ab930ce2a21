// The eight load levels of the suite (ops = connections x messages/conn).
//
// Every dimension runs at these levels; names are part of benchmark names
// (`<dimension>/<level>`), so they never change.
#ifndef WSBENCH_BENCH_LOAD_LEVEL_H_
#define WSBENCH_BENCH_LOAD_LEVEL_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace wsbench::bench {

struct LoadLevel {
  std::string_view name;
  int64_t ops;
  int32_t connections;
  int32_t messages_per_connection;
  int32_t subscribers;
};

inline constexpr std::array<LoadLevel, 8> kLoadLevels = {{
    {"minimal", 1'000, 10, 100, 5},
    {"light", 10'000, 100, 100, 20},
    {"low", 50'000, 500, 100, 50},
    {"medium", 100'000, 1'000, 100, 100},
    {"high", 500'000, 5'000, 100, 200},
    {"very_high", 1'000'000, 10'000, 100, 500},
    {"extreme", 5'000'000, 50'000, 100, 1'000},
    {"maximum", 9'900'000, 99'000, 100, 5'000},
}};

// The level called `name`, or InvalidArgument listing the valid names.
absl::StatusOr<LoadLevel> FindLoadLevel(std::string_view name);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_LOAD_LEVEL_H_
