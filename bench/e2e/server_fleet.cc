#include "e2e/server_fleet.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <string>
#include <thread>

#include "e2e/channel.h"
#include "e2e/fd_budget.h"
#include "e2e/process.h"
#include "fmt/format.h"

namespace wsbench::e2e {
namespace {

// What a shard answers to "stats".
struct ShardReport {
  ServerStats stats;
  uint64_t rss_bytes = 0;
  double cpu_seconds = 0;
};

[[noreturn]] void ShardMain(Channel channel, ServerOptions options,
                            int64_t share, int cpu) {
  PrepareChild(channel, cpu, share + kFdReserve);
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Create(options);
  if (!server.ok()) {
    (void)channel.Send("error: " + server.status().ToString());
    _exit(1);
  }
  if (!channel.Send(fmt::format("port {}", (*server)->port())).ok()) _exit(1);
  Server* s = server->get();
  std::thread control([&channel, s] {
    while (true) {
      absl::StatusOr<std::string> m = channel.Receive(-1);
      if (!m.ok() || *m == "stop") break;
      if (*m == "stats") {
        ShardReport r;
        r.stats = s->stats();
        r.rss_bytes = ResidentMemoryBytes();
        rusage usage;
        getrusage(RUSAGE_SELF, &usage);
        r.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
                        usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
        if (!channel
                 .Send(
                     std::string(reinterpret_cast<const char*>(&r), sizeof(r)))
                 .ok()) {
          break;
        }
      }
    }
    s->Shutdown();
  });
  const absl::Status done = s->Run();
  _exit(done.ok() ? 0 : 1);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerFleet>> ServerFleet::Start(
    const ServerFleetOptions& options) {
  if (options.shards < 1 || options.shards > 256) {
    return absl::InvalidArgumentError(
        fmt::format("ServerFleet: shards {} (1..256)", options.shards));
  }
  std::unique_ptr<ServerFleet> fleet(new ServerFleet());
  const int64_t share =
      (std::max<int64_t>(options.connections, 1) + options.shards - 1) /
      options.shards;
  for (int i = 0; i < options.shards; ++i) {
    ServerOptions so = options.server;
    so.port = 0;
    absl::StatusOr<ForkedChild> child = ForkChild();
    if (!child.ok()) return child.status();
    if (child->pid == 0)
      ShardMain(std::move(child->channel), so, share, options.cpu);
    fleet->pids_.push_back(child->pid);
    fleet->channels_.push_back(std::move(child->channel));
  }
  for (int i = 0; i < options.shards; ++i) {
    absl::StatusOr<std::string> m =
        fleet->channels_[i].Receive(options.start_timeout_ms);
    if (!m.ok()) {
      return absl::InternalError(
          fmt::format("server shard {} did not start: {}", i,
                      std::string(m.status().message())));
    }
    unsigned port = 0;
    if (!m->starts_with("port ") ||
        std::from_chars(m->data() + 5, m->data() + m->size(), port).ec !=
            std::errc() ||
        port == 0 || port > 65535) {
      return absl::InternalError(
          fmt::format("server shard {} failed: {}", i, *m));
    }
    fleet->ports_.push_back(static_cast<uint16_t>(port));
  }
  return fleet;
}

ServerFleet::~ServerFleet() { KillAndReap(pids_, 500); }

absl::StatusOr<FleetStats> ServerFleet::Stats(int timeout_ms) const {
  FleetStats total;
  for (size_t i = 0; i < channels_.size(); ++i) {
    Channel& c = const_cast<Channel&>(channels_[i]);
    if (absl::Status s = c.Send("stats"); !s.ok()) {
      return absl::InternalError(
          fmt::format("server shard {}: {}", i, std::string(s.message())));
    }
    absl::StatusOr<std::string> m = c.Receive(timeout_ms);
    if (!m.ok() || m->size() != sizeof(ShardReport)) {
      return absl::InternalError(fmt::format(
          "server shard {} gave no stats: {}", i,
          m.ok() ? "wrong size" : std::string(m.status().message())));
    }
    ShardReport r;
    memcpy(&r, m->data(), sizeof(r));
    ServerStats& t = total.stats;
    t.active += r.stats.active;
    t.opened += r.stats.opened;
    t.closed += r.stats.closed;
    t.rejected += r.stats.rejected;
    t.handshake_errors += r.stats.handshake_errors;
    t.protocol_errors += r.stats.protocol_errors;
    t.messages_received += r.stats.messages_received;
    t.messages_sent += r.stats.messages_sent;
    t.messages_dropped += r.stats.messages_dropped;
    t.closed_slow += r.stats.closed_slow;
    t.idle_timeouts += r.stats.idle_timeouts;
    t.http_requests += r.stats.http_requests;
    total.active_per_shard.push_back(r.stats.active);
    total.rss_bytes += r.rss_bytes;
    total.cpu_seconds += r.cpu_seconds;
  }
  return total;
}

absl::StatusOr<FleetStats> ServerFleet::WaitForActive(int64_t active,
                                                      int timeout_ms) const {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  while (true) {
    absl::StatusOr<FleetStats> s = Stats();
    if (!s.ok() || s->stats.active == active || MonotonicMs() >= deadline) {
      return s;
    }
    usleep(2000);
  }
}

absl::Status ServerFleet::Stop(int timeout_ms) {
  for (Channel& c : channels_) (void)c.Send("stop");
  absl::Status s = WaitAndReap(pids_, timeout_ms, "server shard");
  channels_.clear();
  return s;
}

}  // namespace wsbench::e2e
