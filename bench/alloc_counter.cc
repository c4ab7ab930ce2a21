#include "alloc_counter.h"

namespace wsbench::bench::internal {

constinit std::atomic<uint64_t> g_alloc_count{0};
constinit std::atomic<bool> g_alloc_hooks_installed{false};

}  // namespace wsbench::bench::internal
