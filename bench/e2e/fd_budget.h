// How many sockets one process may hold, and how many processes (server
// shards, client workers) a count of connections needs.
//
// RaiseFdLimit sets the soft RLIMIT_NOFILE as high as asked, up to the hard
// limit (raising the hard limit itself needs CAP_SYS_RESOURCE; where that
// works it is done). PlanProcesses divides a connection count by what one
// process can hold (the hard limit minus a reserve for the process's other
// files) and says why in one line when it had to split. Thread-compatible.
//
//   ProcessPlan plan = PlanProcesses(99'000, 0);
//   // plan.processes == 5 with a hard limit of 20,000
#ifndef WSBENCH_BENCH_E2E_FD_BUDGET_H_
#define WSBENCH_BENCH_E2E_FD_BUDGET_H_

#include <cstdint>
#include <string>

namespace wsbench::e2e {

// Files a process keeps for itself besides its connections.
inline constexpr int64_t kFdReserve = 64;

// Raises this process's RLIMIT_NOFILE soft limit to `wanted` (and the hard
// limit when allowed); returns the soft limit in force afterwards.
int64_t RaiseFdLimit(int64_t wanted);

// The hard RLIMIT_NOFILE of this process (what a forked child can reach
// without CAP_SYS_RESOURCE), after trying to raise it to `wanted`.
int64_t HardFdLimit(int64_t wanted);

struct ProcessPlan {
  int processes = 1;
  int64_t per_process = 0;  // connections per process at most
  int64_t fd_limit = 0;     // the limit the plan was made for
  std::string reason;       // empty when one process suffices
};

// Processes needed for `connections` when each may hold `budget`
// connections; budget <= 0: HardFdLimit(connections + kFdReserve) -
// kFdReserve.
ProcessPlan PlanProcesses(int64_t connections, int64_t budget);

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_FD_BUDGET_H_
