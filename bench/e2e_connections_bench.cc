// The `e2e_connections` dimension: the level's connections over loopback to
// the wsbench server (wsbench::Server) in forked child processes.
//
// Op = one connection established: TCP connect + the HTTP upgrade to its 101
// (ops() = the level's connections). A pass opens them all (the load
// generator's worker processes, each one epoll loop, start the attempts on
// the --ramp schedule), holds them, and Verify (untimed) reads the server's
// gauge (the sum of the shards' active-connections counters, read from the
// servers themselves), which must equal the level's connections exactly,
// then closes them all with the close handshake (code 1000, the server's
// close frame and FIN awaited) and checks that the gauge returns to 0.
//
// The rate is connections per second over the pass's Run calls. Latency:
// each connection's connect() to its 101 read, a true per-connection sample
// under the concurrent load (rule "per_connection:connect_to_101"; the
// single-op latency pass does not apply to concurrent ops). Counters:
// success_rate_pct, peak_gauge, server_bytes_per_connection (the shards'
// RSS at the peak less their RSS after a warm-up, per connection),
// close_ms (first close frame sent to last socket ended), server and client
// CPU per connection, and how many server and client processes ran (more
// than one each when one process may not hold the level's sockets: the hard
// RLIMIT_NOFILE; ops_note says so).
//
// Faults (--faults, e2e/fault_injector.h): once the gauge is checked, the
// planned share of the held connections misbehave (RST mid-frame, one
// malformed frame, a subscriber that stops reading while events flow to
// it); the server's answer to each is checked from both sides (close code,
// drops or closes of slow readers, protocol errors counted, the gauge
// exactly the connections left) and a wrong or missing answer fails the
// benchmark. Counters (of one pass: the faults repeat after every pass):
// faults_injected, faults_answered and per kind faults_rst,
// faults_malformed, faults_slow; over the repetition's passes:
// faults_answered_pct and healthy_success_rate_pct, the share of the other
// connections that opened and stayed open through the faults
// (success_rate_pct counts every connection's establishment). Not with
// --e2e-target: the answers are checked against the server's counters.
//
// Processes: server shards pinned to the last CPU, client workers to CPU 0
// (on a machine with at least 2), so the server's CPU time and memory are
// its own.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "e2e/client_fleet.h"
#include "e2e/fault_injector.h"
#include "e2e/fd_budget.h"
#include "e2e/server_fleet.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "histogram.h"
#include "workload.h"
#include "wsbench/status_macros.h"

namespace wsbench::bench {
namespace {

constexpr int kGaugeWaitMs = 5'000;
// Beyond the ramp's own duration, an open or close phase may take this long
// before its unfinished connections count as failed.
constexpr int64_t kPhaseSlackNs = 30'000'000'000;

class E2eConnectionsWorkload : public Workload {
 public:
  ~E2eConnectionsWorkload() override { Teardown(); }

  absl::Status Setup(const LoadLevel& level,
                     const WorkloadOptions& options) override {
    level_name_ = std::string(level.name);
    connections_ = level.connections;
    ramp_ = e2e::RampSchedule(options.ramp);
    faults_ = options.faults;
    seed_ = options.seed;
    const e2e::ProcessPlan plan =
        e2e::PlanProcesses(connections_, options.e2e_connections_per_process);
    processes_ = plan.processes;
    if (const int64_t hard =
            e2e::HardFdLimit(plan.per_process + e2e::kFdReserve);
        plan.per_process + e2e::kFdReserve > hard) {
      return absl::InvalidArgumentError(fmt::format(
          "--e2e-connections-per-process {}: a process may hold {} sockets at "
          "most here (hard RLIMIT_NOFILE {} less {} for its other files)",
          options.e2e_connections_per_process, hard - e2e::kFdReserve, hard,
          e2e::kFdReserve));
    }
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    e2e::ServerFleetOptions so;
    so.shards = processes_;
    so.connections = connections_;
    so.cpu = cpus >= 2 ? static_cast<int>(cpus - 1) : -1;
    so.server.bind_address = "127.0.0.1";
    so.server.permessage_deflate = false;
    server_options_ = so.server;
    target_port_ = options.e2e_target_port;
    if (target_port_ != 0 && !faults_.empty()) {
      return absl::InvalidArgumentError(
          "--faults needs the forked wsbench server (its counters and gauge "
          "check the answers), not --e2e-target");
    }
    if (target_port_ == 0) {
      WSBENCH_ASSIGN_OR_RETURN(servers_, e2e::ServerFleet::Start(so));
    }
    e2e::ClientFleetOptions co;
    co.workers = processes_;
    co.connections = connections_;
    co.cpu = cpus >= 2 ? 0 : -1;
    co.loop.ports =
        servers_ ? servers_->ports() : std::vector<uint16_t>{target_port_};
    co.loop.ramp = ramp_;
    co.loop.seed = options.seed;
    WSBENCH_ASSIGN_OR_RETURN(
        clients_, e2e::ClientFleet::Start(co, e2e::ConnectionWorkerMain));
    ops_note_ = fmt::format(
        "ops = the level's connections ({}): TCP connect + HTTP upgrade to "
        "{} ({} client worker{}); ramp {}",
        connections_,
        target_port_ != 0
            ? fmt::format("the server at 127.0.0.1:{} (--e2e-target)",
                          target_port_)
            : fmt::format("the server in {} child process{}", processes_,
                          processes_ == 1 ? "" : "es"),
        processes_, processes_ == 1 ? "" : "s",
        e2e::DescribeRamp(options.ramp));
    if (!faults_.empty()) {
      ops_note_ += fmt::format("; faults {} injected after the gauge check",
                               faults_.ToString());
    }
    if (!plan.reason.empty()) {
      ops_note_ += "; " + plan.reason;
      std::fprintf(stderr, "\r\033[Ke2e_connections/%s: %s\n",
                   level_name_.c_str(), plan.reason.c_str());
    }
    // Warm-up: a few handshakes per shard page in the server's code
    // (libcrypto's SHA-1 among it), so the RSS baseline is the idle server.
    const int64_t warm = std::min<int64_t>(connections_, 4 * processes_);
    if (absl::Status s = OpenRange(0, warm); !s.ok()) {
      return absl::InternalError(
          fmt::format("warm-up: {}", std::string(s.message())));
    }
    if (opened_ != warm) {
      return absl::InternalError(
          fmt::format("warm-up: {} of {} connections opened ({})", opened_,
                      warm, first_failure_));
    }
    WSBENCH_RETURN_IF_ERROR(CloseAndCheck());
    latency_.Clear();
    if (servers_) {
      WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats idle, servers_->Stats());
      idle_rss_ = idle.rss_bytes;
    }
    return Reset();
  }

  int64_t ops() const override { return connections_; }
  std::string ops_note() const override { return ops_note_; }

  absl::Status Reset() override {
    if (held_) {
      // A pass that stopped midway: drop its connections (untimed).
      WSBENCH_RETURN_IF_ERROR(clients_->Broadcast("clear"));
      WSBENCH_RETURN_IF_ERROR(
          clients_->CollectReplies(10'000, &StopRequested).status());
      if (servers_) {
        WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats s,
                                 servers_->WaitForActive(0, kGaugeWaitMs));
        if (s.stats.active != 0) {
          return absl::InternalError(fmt::format(
              "server gauge {} after dropping a pass's connections, not 0",
              s.stats.active));
        }
      }
      held_ = false;
    }
    opened_ = failed_ = 0;
    first_failure_.clear();
    error_ = absl::OkStatus();
    if (servers_) {
      WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats s, servers_->Stats());
      server_cpu_before_ = s.cpu_seconds;
    }
    client_cpu_before_ = clients_->CpuSeconds();
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    if (!error_.ok()) return;
    if (begin == 0) pass_start_ns_ = e2e::MonotonicNs();
    error_ = OpenRange(begin, end);
  }

  absl::Status Verify() override {
    WSBENCH_RETURN_IF_ERROR(error_);
    attempted_total_ += opened_ + failed_;
    opened_total_ += opened_;
    if (opened_ != connections_) {
      return absl::InternalError(
          fmt::format("{} of {} connections opened; first failure: {}", opened_,
                      connections_, first_failure_));
    }
    if (!servers_) {
      // Another server (--e2e-target): no gauge, memory or CPU to read.
      client_cpu_us_per_connection_ =
          (clients_->CpuSeconds() - client_cpu_before_) * 1e6 /
          double(connections_);
      return CloseAndCheck();
    }
    WSBENCH_ASSIGN_OR_RETURN(
        e2e::FleetStats peak,
        servers_->WaitForActive(connections_, kGaugeWaitMs));
    peak_gauge_ = std::max(peak_gauge_, peak.stats.active);
    if (peak.stats.active != connections_) {
      return absl::InternalError(fmt::format(
          "server gauge {} with {} connections open (per shard: {})",
          peak.stats.active, connections_,
          fmt::join(peak.active_per_shard, ", ")));
    }
    bytes_per_connection_ =
        peak.rss_bytes > idle_rss_
            ? double(peak.rss_bytes - idle_rss_) / double(connections_)
            : 0.0;
    server_cpu_us_per_connection_ =
        (peak.cpu_seconds - server_cpu_before_) * 1e6 / double(connections_);
    client_cpu_us_per_connection_ =
        (clients_->CpuSeconds() - client_cpu_before_) * 1e6 /
        double(connections_);
    if (!faults_.empty()) WSBENCH_RETURN_IF_ERROR(InjectFaults());
    return CloseAndCheck();
  }

  Histogram* own_latency() override { return &latency_; }
  std::string own_latency_rule() const override {
    return "per_connection:connect_to_101";
  }
  // Stamps are taken when the client's epoll_wait returns (one reading for
  // the events of that wake-up): finer than a microsecond says nothing.
  double own_latency_resolution_ns() const override { return 1000; }
  bool run_whole_pass() const override { return true; }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["connections"] = double(connections_);
    counters["success_rate_pct"] =
        attempted_total_ > 0
            ? 100.0 * double(opened_total_) / double(attempted_total_)
            : 0.0;
    counters["peak_gauge"] = double(peak_gauge_);
    counters["server_bytes_per_connection"] = bytes_per_connection_;
    counters["close_ms"] = close_ms_;
    counters["close_clean_pct"] =
        close_requested_ > 0
            ? 100.0 * double(close_clean_) / double(close_requested_)
            : 0.0;
    counters["server_cpu_us_per_connection"] = server_cpu_us_per_connection_;
    counters["client_cpu_us_per_connection"] = client_cpu_us_per_connection_;
    counters["server_processes"] = processes_;
    counters["client_processes"] = processes_;
    if (!faults_.empty()) {
      int64_t injected = 0, answered = 0;
      for (int k = 0; k < e2e::kFaultKinds; ++k) {
        injected += faults_injected_[k];
        answered += faults_answered_[k];
      }
      counters["faults_injected"] = double(injected);
      counters["faults_answered"] = double(answered);
      counters["faults_rst"] = double(faults_injected_[0]);
      counters["faults_malformed"] = double(faults_injected_[1]);
      counters["faults_slow"] = double(faults_injected_[2]);
      counters["faults_answered_pct"] =
          faults_injected_total_ > 0 ? 100.0 * double(faults_answered_total_) /
                                           double(faults_injected_total_)
                                     : 0.0;
      counters["healthy_success_rate_pct"] =
          healthy_total_ > 0
              ? 100.0 * double(healthy_ok_total_) / double(healthy_total_)
              : 0.0;
    }
    // The totals cover one repetition's passes (the driver reports each).
    attempted_total_ = opened_total_ = peak_gauge_ = 0;
    close_requested_ = close_clean_ = 0;
    faults_injected_total_ = faults_answered_total_ = 0;
    healthy_total_ = healthy_ok_total_ = 0;
  }

 private:
  // Opens ids [begin, end) over the workers and records the samples.
  absl::Status OpenRange(int64_t begin, int64_t end) {
    held_ = true;
    const int64_t now = e2e::MonotonicNs();
    const int64_t start = begin == 0 ? now : pass_start_ns_;
    if (begin == 0) pass_start_ns_ = now;
    const int64_t deadline =
        std::max(now, start + ramp_.OffsetNs(end - 1)) + kPhaseSlackNs;
    e2e::OpenCommand command{begin, end, start, deadline};
    WSBENCH_RETURN_IF_ERROR(clients_->Broadcast(command.Encode()));
    const int timeout_ms =
        static_cast<int>((deadline - now) / 1'000'000) + 5'000;
    WSBENCH_ASSIGN_OR_RETURN(
        std::vector<std::string> replies,
        clients_->CollectReplies(timeout_ms, &StopRequested));
    for (const std::string& m : replies) {
      WSBENCH_ASSIGN_OR_RETURN(e2e::OpenReply r, e2e::OpenReply::Decode(m));
      opened_ += r.opened;
      failed_ += r.failed;
      if (first_failure_.empty()) first_failure_ = r.first_failure;
      for (const e2e::OpenSample& s : r.samples) {
        if (s.open_ns > s.connect_start_ns) {
          latency_.Record(
              static_cast<uint64_t>(s.open_ns - s.connect_start_ns) * 1000);
        }
      }
    }
    return absl::OkStatus();
  }

  // The planned faults on the held connections, every answer checked.
  absl::Status InjectFaults() {
    e2e::FaultCommand command;
    command.mix = faults_;
    command.seed = seed_;
    command.connections = connections_;
    command.overflow = server_options_.overflow;
    command.max_frame_size = server_options_.max_frame_size;
    command.queue_byte_limit = server_options_.queue_byte_limit;
    command.shards = processes_;
    command.deadline_ns = e2e::MonotonicNs() + kPhaseSlackNs;
    WSBENCH_ASSIGN_OR_RETURN(
        e2e::FleetFaultResult r,
        e2e::InjectFleetFaults(*clients_, *servers_, command, kGaugeWaitMs));
    // The counts are the last pass's; the rates cover every pass.
    for (int k = 0; k < e2e::kFaultKinds; ++k) {
      faults_injected_[k] = r.report.injected[k];
      faults_answered_[k] = r.answer.answered[k];
      faults_injected_total_ += r.report.injected[k];
      faults_answered_total_ += r.answer.answered[k];
    }
    healthy_total_ += r.report.healthy;
    healthy_ok_total_ += r.report.healthy_open;
    if (!r.answer.problems.empty()) {
      return absl::InternalError(
          fmt::format("faults {}: {}", faults_.ToString(),
                      fmt::join(r.answer.problems, "; ")));
    }
    if (r.report.healthy_open != r.report.healthy) {
      return absl::InternalError(fmt::format(
          "faults {}: {} of {} healthy connections still open after the "
          "faults",
          faults_.ToString(), r.report.healthy_open, r.report.healthy));
    }
    return absl::OkStatus();
  }

  // The close handshake on every connection, then the gauge must be 0.
  absl::Status CloseAndCheck() {
    WSBENCH_RETURN_IF_ERROR(clients_->Broadcast("close"));
    WSBENCH_ASSIGN_OR_RETURN(
        std::vector<std::string> replies,
        clients_->CollectReplies(
            static_cast<int>(kPhaseSlackNs / 1'000'000) + 5'000,
            &StopRequested));
    held_ = false;
    int64_t first = INT64_MAX, last = 0, requested = 0, clean = 0;
    for (const std::string& m : replies) {
      WSBENCH_ASSIGN_OR_RETURN(e2e::CloseReply r, e2e::CloseReply::Decode(m));
      if (r.result.requested > 0) {
        first = std::min(first, r.result.start_ns);
        last = std::max(last, r.result.end_ns);
      }
      requested += r.result.requested;
      clean += r.result.clean;
    }
    close_ms_ = last > first ? double(last - first) / 1e6 : 0.0;
    close_requested_ += requested;
    close_clean_ += clean;
    if (clean != requested) {
      return absl::InternalError(
          fmt::format("close handshake: {} of {} connections closed cleanly",
                      clean, requested));
    }
    if (!servers_) return absl::OkStatus();
    WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats after,
                             servers_->WaitForActive(0, kGaugeWaitMs));
    if (after.stats.active != 0) {
      return absl::InternalError(
          fmt::format("server gauge {} after every connection closed, not 0",
                      after.stats.active));
    }
    return absl::OkStatus();
  }

  void Teardown() {
    // Stopping (Ctrl-C): the destructors kill the children at once; else
    // they exit on request (the workers first, so the servers have no
    // connection left to close).
    if (!StopRequested()) {
      if (clients_) (void)clients_->Stop(2'000);
      if (servers_) (void)servers_->Stop(5'000);
    }
    clients_.reset();
    servers_.reset();
  }

  std::string level_name_;
  int64_t connections_ = 0;
  int processes_ = 1;
  e2e::RampSchedule ramp_;
  e2e::FaultMix faults_;
  uint64_t seed_ = 0;
  ServerOptions server_options_;
  std::string ops_note_;
  uint16_t target_port_ = 0;  // --e2e-target; 0: servers_ is ours
  std::unique_ptr<e2e::ServerFleet> servers_;
  std::unique_ptr<e2e::ClientFleet> clients_;
  Histogram latency_;
  uint64_t idle_rss_ = 0;

  // The pass.
  bool held_ = false;
  int64_t pass_start_ns_ = 0;
  int64_t opened_ = 0, failed_ = 0;
  std::string first_failure_;
  absl::Status error_;
  double server_cpu_before_ = 0, client_cpu_before_ = 0;

  // Reported; the totals over the passes since the last AddCounters.
  mutable int64_t attempted_total_ = 0, opened_total_ = 0;
  mutable int64_t peak_gauge_ = 0;
  double bytes_per_connection_ = 0;
  double close_ms_ = 0;
  mutable int64_t close_requested_ = 0, close_clean_ = 0;
  double server_cpu_us_per_connection_ = 0;
  double client_cpu_us_per_connection_ = 0;
  std::array<int64_t, e2e::kFaultKinds> faults_injected_ = {0, 0, 0};
  std::array<int64_t, e2e::kFaultKinds> faults_answered_ = {0, 0, 0};
  mutable int64_t faults_injected_total_ = 0, faults_answered_total_ = 0;
  mutable int64_t healthy_total_ = 0, healthy_ok_total_ = 0;
};

std::unique_ptr<Workload> MakeE2eConnectionsWorkload() {
  return std::make_unique<E2eConnectionsWorkload>();
}

}  // namespace

WSBENCH_REGISTER_OPT_IN_DIMENSION(e2e_connections, "",
                                  MakeE2eConnectionsWorkload);

}  // namespace wsbench::bench
