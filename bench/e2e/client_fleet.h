// ClientFleet: the load generator as worker processes forked from this one,
// each running its own ClientLoop (one epoll loop), so a level's
// connections fit the per-process file limit (fd_budget.h) and the load
// generator's CPU time is apart from the suite's and the server's.
//
// Worker w (0-based of W) owns the connections with global ids g where
// g % W == w; ClientLoopOptions (ports, sources, ramp) map each g to a
// server shard and source address the same way in every worker. A worker
// runs `WorkerMain` (any function: it is the same binary after fork) with
// its loop and a Channel to the parent; the parent drives the workers with
// messages of its own protocol. ConnectionWorkerMain below is the protocol
// of e2e_connections (open a range, report times, close all); other
// workloads pass their own main built on the same loop.
//
// Workers are pinned to `cpu` (-1: not), die with the parent
// (PR_SET_PDEATHSIG SIGKILL), and are killed and reaped by Stop() and the
// destructor. Not thread-safe.
//
//   ClientFleetOptions o;
//   o.workers = 2;
//   o.loop.ports = servers->ports();
//   auto fleet = ClientFleet::Start(o, ConnectionWorkerMain);
//   (*fleet)->Broadcast(OpenCommand{0, 1000, MonotonicNs()}.Encode());
//   absl::StatusOr<std::vector<std::string>> replies =
//       (*fleet)->CollectReplies(30'000);
#ifndef WSBENCH_BENCH_E2E_CLIENT_FLEET_H_
#define WSBENCH_BENCH_E2E_CLIENT_FLEET_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "e2e/channel.h"
#include "e2e/client_loop.h"

namespace wsbench::e2e {

struct WorkerContext {
  int index = 0;    // w
  int workers = 1;  // W
  ClientLoop* loop = nullptr;
  Channel* parent = nullptr;
  int64_t max_connections = 0;  // this worker's share at most
};

// Runs in the child; its return value is the child's exit code (the child
// _exits right after, running no destructors of the parent's state).
using WorkerMain = std::function<int(WorkerContext&)>;

struct ClientFleetOptions {
  int workers = 1;
  ClientLoopOptions loop;
  // Connections the run holds at most over all workers: each worker raises
  // its RLIMIT_NOFILE to its share + kFdReserve.
  int64_t connections = 0;
  int cpu = -1;
};

class ClientFleet {
 public:
  static absl::StatusOr<std::unique_ptr<ClientFleet>> Start(
      const ClientFleetOptions& options, WorkerMain main);
  // Kills (SIGKILL) workers still running and reaps them (see
  // ~ServerFleet).
  ~ClientFleet();
  ClientFleet(const ClientFleet&) = delete;
  ClientFleet& operator=(const ClientFleet&) = delete;

  int workers() const { return static_cast<int>(channels_.size()); }
  const std::vector<pid_t>& pids() const { return pids_; }
  Channel& channel(int worker) { return channels_[worker]; }

  // Sends `message` to every worker.
  absl::Status Broadcast(std::string_view message);
  // One message from each worker, in worker order; the first error (with
  // the worker's index) otherwise.
  // Cancelled when `stopping` (may be null) turns true meanwhile (checked
  // every 100 ms).
  absl::StatusOr<std::vector<std::string>> CollectReplies(
      int timeout_ms, bool (*stopping)() = nullptr);
  // CPU seconds of the workers so far (/proc/PID/schedstat: nanoseconds).
  double CpuSeconds() const;

  // Closes the channels (a worker's Receive then fails and it exits), waits
  // timeout_ms for the workers to exit, SIGKILLs the rest. Internal when
  // one exited non-zero or had to be killed.
  absl::Status Stop(int timeout_ms = 5'000);

 private:
  ClientFleet() = default;
  std::vector<pid_t> pids_;
  std::vector<Channel> channels_;
};

// --- The connections protocol (ConnectionWorkerMain) ---------------------
// Parent -> worker, one message each:
//   OpenCommand   open this worker's ids in [begin, end) (the ramp's attempt
//                 k is the k-th of them) starting at start_ns; reply:
//                 OpenReply.
//   "close"       CloseAll(1000); reply: CloseReply.
//   "clear"       drop every connection (abruptly); reply "ok".
//   "exit"        the worker exits 0.
// Unknown messages get "error: ..." and the worker exits 1.
struct OpenCommand {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t start_ns = 0;
  int64_t deadline_ns = 0;
  std::string Encode() const;
  static absl::StatusOr<OpenCommand> Decode(std::string_view message);
};

// Per connection of an Open: the handshake sample and the outcome.
struct OpenSample {
  int64_t connect_start_ns = 0;
  int64_t open_ns = 0;  // 0: failed
};
struct OpenReply {
  int64_t opened = 0;
  int64_t failed = 0;
  int64_t first_start_ns = 0;  // earliest connect_start_ns
  int64_t last_open_ns = 0;    // latest open_ns
  std::string first_failure;   // one failure's reason, empty if none
  std::vector<OpenSample> samples;
  std::string Encode() const;
  static absl::StatusOr<OpenReply> Decode(std::string_view message);
};
struct CloseReply {
  CloseResult result;
  std::string Encode() const;
  static absl::StatusOr<CloseReply> Decode(std::string_view message);
};

int ConnectionWorkerMain(WorkerContext& context);

// In a worker: opens its ids in [begin, end) (g % workers == index) on
// context.loop, the ramp's attempt 0 being id `begin`, so the fleet as a
// whole follows the ramp. Returns what ClientLoop::Open returns.
absl::StatusOr<int64_t> OpenOwnedRange(WorkerContext& context, int64_t begin,
                                       int64_t end, int64_t start_ns,
                                       int64_t deadline_ns);

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_CLIENT_FLEET_H_
