// Forked helper processes of the e2e library (ServerFleet's shards,
// ClientFleet's workers): fork with a control Channel, the child's set-up,
// and reaping. Internal to bench/e2e.
#ifndef WSBENCH_BENCH_E2E_PROCESS_H_
#define WSBENCH_BENCH_E2E_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "e2e/channel.h"

namespace wsbench::e2e {

struct ForkedChild {
  pid_t pid = 0;    // 0 in the child
  Channel channel;  // the parent's end in the parent, the child's in the child
};

// socketpair + fork. Internal with errno's text when either fails.
absl::StatusOr<ForkedChild> ForkChild();

// In the child, first thing: dies with the parent (PR_SET_PDEATHSIG
// SIGKILL), ignores SIGINT/SIGHUP (the parent stops the run and kills its
// children) and SIGPIPE, moves `channel` to fd 3 and closes every other
// inherited descriptor above 2, pins itself to `cpu` (>= 0) and raises
// sets RLIMIT_NOFILE to `fds` (raised as far as the hard limit allows,
// lowered when it was higher).
void PrepareChild(Channel& channel, int cpu, int64_t fds);

// CLOCK_MONOTONIC in milliseconds.
int64_t MonotonicMs();

// Waits up to timeout_ms for every pid to exit, then SIGKILLs and reaps the
// rest; clears `pids`. Internal naming `what` and its index when one exited
// non-zero, died of a signal or had to be killed.
absl::Status WaitAndReap(std::vector<pid_t>& pids, int timeout_ms,
                         std::string_view what);
// SIGKILLs every pid and reaps those that are gone within wait_ms (a
// process with many sockets takes the kernel long to tear down; the rest,
// already dying, are reaped by init after this process exits); clears
// `pids`.
void KillAndReap(std::vector<pid_t>& pids, int wait_ms = 10'000);

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_PROCESS_H_
