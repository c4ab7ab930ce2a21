#include "e2e/fd_budget.h"

#include <sys/resource.h>

#include <algorithm>

#include "fmt/format.h"

namespace wsbench::e2e {

int64_t RaiseFdLimit(int64_t wanted) {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (static_cast<int64_t>(limit.rlim_cur) >= wanted) {
    return static_cast<int64_t>(limit.rlim_cur);
  }
  if (static_cast<int64_t>(limit.rlim_max) < wanted) {
    // Only with CAP_SYS_RESOURCE; harmless to try.
    rlimit raised = {static_cast<rlim_t>(wanted), static_cast<rlim_t>(wanted)};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
  }
  limit.rlim_cur =
      std::min<rlim_t>(limit.rlim_max, static_cast<rlim_t>(wanted));
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<int64_t>(limit.rlim_cur);
}

int64_t HardFdLimit(int64_t wanted) {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (static_cast<int64_t>(limit.rlim_max) < wanted) {
    rlimit raised = {limit.rlim_cur, static_cast<rlim_t>(wanted)};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return wanted;
  }
  return static_cast<int64_t>(limit.rlim_max);
}

ProcessPlan PlanProcesses(int64_t connections, int64_t budget) {
  ProcessPlan plan;
  if (budget <= 0) {
    plan.fd_limit = HardFdLimit(connections + kFdReserve);
    budget = std::max<int64_t>(1, plan.fd_limit - kFdReserve);
  } else {
    plan.fd_limit = budget + kFdReserve;
  }
  connections = std::max<int64_t>(connections, 1);
  plan.processes = static_cast<int>((connections + budget - 1) / budget);
  plan.per_process = (connections + plan.processes - 1) / plan.processes;
  if (plan.processes > 1) {
    plan.reason = fmt::format(
        "{} connections need {} processes per side: one may hold {} sockets "
        "(RLIMIT_NOFILE {}, hard limit not raisable here)",
        connections, plan.processes, budget, plan.fd_limit);
  }
  return plan;
}

}  // namespace wsbench::e2e
