#include "e2e/process.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "e2e/fd_budget.h"
#include "fmt/format.h"

namespace wsbench::e2e {

absl::StatusOr<ForkedChild> ForkChild() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::InternalError(fmt::format("socketpair: {}", strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(sv[0]);
    close(sv[1]);
    return absl::InternalError(fmt::format("fork: {}", strerror(err)));
  }
  ForkedChild child;
  child.pid = pid;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);  // the parent died before prctl
    close(sv[0]);
    child.channel = Channel(sv[1]);
  } else {
    close(sv[1]);
    child.channel = Channel(sv[0]);
  }
  return child;
}

void PrepareChild(Channel& channel, int cpu, int64_t fds) {
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, SIG_DFL);
  if (channel.fd() != 3) {
    dup2(channel.fd(), 3);
    channel = Channel(3);
  }
  fcntl(3, F_SETFD, FD_CLOEXEC);
  close_range(4, ~0u, 0);
  if (cpu >= 0 && cpu < CPU_SETSIZE) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
  }
  // Exactly the budget (lowered if the parent's was higher), so a process
  // that would need more sockets than its share fails loudly.
  RaiseFdLimit(fds);
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur > static_cast<rlim_t>(fds)) {
    limit.rlim_cur = static_cast<rlim_t>(fds);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

absl::Status WaitAndReap(std::vector<pid_t>& pids, int timeout_ms,
                         std::string_view what) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  std::vector<bool> done(pids.size(), false);
  std::string problems;
  size_t left = pids.size();
  while (left > 0) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (done[i]) continue;
      int status = 0;
      const pid_t r = waitpid(pids[i], &status, WNOHANG);
      if (r == 0) continue;
      done[i] = true;
      --left;
      if (r < 0) continue;  // already reaped
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        problems +=
            fmt::format("; {} {} exited with {}", what, i, WEXITSTATUS(status));
      } else if (WIFSIGNALED(status)) {
        problems +=
            fmt::format("; {} {} died of signal {}", what, i, WTERMSIG(status));
      }
    }
    if (left == 0) break;
    if (MonotonicMs() >= deadline) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (done[i]) continue;
        kill(pids[i], SIGKILL);
        waitpid(pids[i], nullptr, 0);
        problems +=
            fmt::format("; {} {} killed after {} ms", what, i, timeout_ms);
      }
      break;
    }
    usleep(2000);
  }
  pids.clear();
  if (problems.empty()) return absl::OkStatus();
  return absl::InternalError(problems.substr(2));
}

void KillAndReap(std::vector<pid_t>& pids, int wait_ms) {
  for (pid_t pid : pids) kill(pid, SIGKILL);
  // A process holding 20,000 sockets takes the kernel a second or more to
  // tear down; past wait_ms the dying ones are left to be reaped by init
  // once this process exits.
  const int64_t deadline = MonotonicMs() + wait_ms;
  std::vector<pid_t> left = pids;
  while (!left.empty()) {
    std::erase_if(
        left, [](pid_t pid) { return waitpid(pid, nullptr, WNOHANG) != 0; });
    if (left.empty() || MonotonicMs() >= deadline) break;
    usleep(2000);
  }
  pids.clear();
}

}  // namespace wsbench::e2e
