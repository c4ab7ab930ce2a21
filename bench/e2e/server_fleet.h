// ServerFleet: the server under test (wsbench::Server from core) in child
// processes forked from this one, so its CPU time and memory are measured
// apart from the load generator's.
//
// Shards: one process holds at most `fds_per_process` sockets (the hard
// RLIMIT_NOFILE, see fd_budget.h), so a level above it runs several server
// processes, each on its own port of 127.0.0.1 with max_connections = its
// share; a client sends connection g to ports()[g % shards()]. Each child
// raises its own RLIMIT_NOFILE, pins itself to `cpu` (sched_setaffinity;
// -1: not pinned), creates the Server, writes its port to a pipe and runs
// it; a second thread in the child answers the parent's requests on a
// socketpair: the server's counters (ServerStats) and its RSS
// (/proc/self/statm), and the graceful shutdown. The gauge is the sum of the
// shards' ServerStats::active, read from the servers themselves.
//
// Children die with the parent (PR_SET_PDEATHSIG SIGKILL) and are killed
// and reaped by Stop() and the destructor, on every error path.
// Not thread-safe.
//
//   ServerFleetOptions o;
//   o.shards = 1;
//   absl::StatusOr<std::unique_ptr<ServerFleet>> f = ServerFleet::Start(o);
//   absl::StatusOr<FleetStats> s = (*f)->Stats();   // s->stats.active
//   absl::Status done = (*f)->Stop();               // graceful, reaped
#ifndef WSBENCH_BENCH_E2E_SERVER_FLEET_H_
#define WSBENCH_BENCH_E2E_SERVER_FLEET_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "e2e/channel.h"
#include "wsbench/server.h"
#include "wsbench/server_metrics.h"

namespace wsbench::e2e {

struct ServerFleetOptions {
  // Every shard's options; port is ignored (each shard takes a free port),
  // max_connections is set per shard when `connections` > 0.
  ServerOptions server;
  int shards = 1;
  // The connections the run will hold at most, spread over the shards
  // (g % shards): each shard's RLIMIT_NOFILE is raised to its share + 64.
  int64_t connections = 0;
  int cpu = -1;  // CPU every shard is pinned to; -1: not pinned
  int start_timeout_ms = 10'000;
};

struct FleetStats {
  ServerStats stats;  // summed over shards (stats.active = the gauge)
  std::vector<int64_t> active_per_shard;
  uint64_t rss_bytes = 0;  // summed VmRSS of the shard processes
  double cpu_seconds = 0;  // summed user + system time of the shards
};

class ServerFleet {
 public:
  // Forks the shards and waits for each to listen. InvalidArgument for bad
  // options; Internal (with the child's message) when a shard fails to
  // start or start_timeout_ms passes; every child is killed then.
  static absl::StatusOr<std::unique_ptr<ServerFleet>> Start(
      const ServerFleetOptions& options);
  // Kills (SIGKILL) shards still running and reaps them (those with many
  // sockets may take the kernel longer than 0.5 s: init reaps them).
  ~ServerFleet();
  ServerFleet(const ServerFleet&) = delete;
  ServerFleet& operator=(const ServerFleet&) = delete;

  int shards() const { return static_cast<int>(ports_.size()); }
  const std::vector<uint16_t>& ports() const { return ports_; }
  const std::vector<pid_t>& pids() const { return pids_; }

  // The counters of every shard, read from the servers now. Internal when a
  // shard does not answer within timeout_ms (e.g. it died).
  absl::StatusOr<FleetStats> Stats(int timeout_ms = 5'000) const;
  // Polls Stats() until the gauge equals `active` or timeout_ms passes;
  // returns the last stats either way (the caller compares).
  absl::StatusOr<FleetStats> WaitForActive(int64_t active,
                                           int timeout_ms) const;

  // Graceful shutdown of every shard (Server::Shutdown: close 1001 to every
  // client), then waits for them to exit (SIGKILL after timeout_ms).
  // Internal when a shard exited non-zero or had to be killed.
  absl::Status Stop(int timeout_ms = 10'000);

 private:
  ServerFleet() = default;
  std::vector<pid_t> pids_;
  std::vector<uint16_t> ports_;
  // Control socketpair ends, one per shard (Stats() talks over them).
  mutable std::vector<Channel> channels_;
};

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_SERVER_FLEET_H_
