// The `e2e_messages` dimension: the messages dimension's client messages
// (MessageCorpus, invalid share included) sent over the level's WebSocket
// connections to the wsbench server in forked child processes, every reply
// checked.
//
// Op = one client message and its reply. ops() = min(level ops, kMaxOps)
// (ops_note says so): op i is corpus message ForOp(i) sent on connection
// i % connections, so every level spreads its messages over all of its
// connections. Messages travel as masked frames built once per corpus
// message (a mask key per message from the seed); invalid UTF-8 travels as
// binary (message_traffic.h).
//
// A pass (one Run of all its ops: run_whole_pass): every client worker
// process sends the ops of the connections it owns, pipelined: up to
// kWindow messages in flight per connection, refilled in one write per
// connection whenever half the window has been answered. Each reply is checked
// against MessageTraffic's expected bytes in order (ReplyChecker): acks, error
// replies per code (matched to the invalid messages), echoes. Verify checks the
// pass's sums against the model's counts for the same ops: every message
// answered, no mismatch, no reply without a message.
//
// Latency (rule "per_message:send_to_reply"): every message's own round trip
// under the pipelined load, from the write that carried it to the read that
// returned its reply (CLOCK_MONOTONIC in the worker), all of them recorded.
// Beside it, once per repetition (in the first pass's Verify, untimed),
// kRounds rounds of each, interleaved so both see the same moments:
//   rtt1_*_us            one connection, one message in flight: round trips
//                        of corpus messages, each timed alone (2,000);
//   loopback_rtt_*_us    the loopback TCP ping-pong floor, the same message
//                        sizes, from the same worker process (pinned like
//                        it), echoed by a child pinned like the server.
//
// --e2e-target ws://127.0.0.1:PORT aims the clients at another server, which
// is taken to be an echo server (tools/e2e/): every reply must be the message
// itself (ReplyMode::kEcho), nothing is forked on the server side and there
// is no server gauge or CPU to read.
//
// Processes: server shards pinned to the last CPU, client workers to CPU 0,
// as e2e_connections; more than one of each only when one process may not
// hold the level's sockets.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "e2e/client_fleet.h"
#include "e2e/fd_budget.h"
#include "e2e/server_fleet.h"
#include "fmt/format.h"
#include "histogram.h"
#include "latency_pass.h"
#include "loopback_floor.h"
#include "message_corpus.h"
#include "message_traffic.h"
#include "workload.h"
#include "wsbench/frame.h"
#include "wsbench/message_parser.h"
#include "wsbench/status_macros.h"

namespace wsbench::bench {
namespace {

constexpr int64_t kMaxOps = 100'000;
constexpr int kWindow = 16;
// One in flight and the loopback floor: kRounds rounds of each, interleaved,
// kPerRound samples each per round (per repetition).
constexpr int kRounds = 4;
constexpr int kPerRound = 500;
// A pass's ops, or an open or close phase, must be done within this long.
constexpr int64_t kPhaseNs = 60'000'000'000;
constexpr int kGaugeWaitMs = 5'000;

// A worker's answer to "run" and "rtt1": the checker's counts, then the
// problem text, then the samples (ns).
struct CountsPod {
  int64_t sent, replies, acks, echoes, mismatches, unexpected, overflows;
  int64_t errors[kMessageErrorCount];
  int64_t problem_size;
};

std::string EncodeRun(const TrafficCounts& c,
                      const std::vector<int64_t>& samples) {
  CountsPod pod{};
  pod.sent = c.sent;
  pod.replies = c.replies;
  pod.acks = c.acks;
  pod.echoes = c.echoes;
  pod.mismatches = c.mismatches;
  pod.unexpected = c.unexpected;
  pod.overflows = c.overflows;
  std::copy(c.errors.begin(), c.errors.end(), pod.errors);
  pod.problem_size = static_cast<int64_t>(c.first_problem.size());
  std::string out(reinterpret_cast<const char*>(&pod), sizeof pod);
  out += c.first_problem;
  out += e2e::PackVector(samples);
  return out;
}

absl::Status DecodeRun(std::string_view m, TrafficCounts& c,
                       std::vector<int64_t>& samples) {
  if (m.starts_with("error: ")) return absl::InternalError(std::string(m));
  CountsPod pod;
  if (m.size() < sizeof pod) {
    return absl::InternalError("e2e_messages: short reply from a worker");
  }
  std::memcpy(&pod, m.data(), sizeof pod);
  m.remove_prefix(sizeof pod);
  if (pod.problem_size < 0 ||
      m.size() < static_cast<size_t>(pod.problem_size)) {
    return absl::InternalError("e2e_messages: bad reply from a worker");
  }
  TrafficCounts r;
  r.sent = pod.sent;
  r.replies = pod.replies;
  r.acks = pod.acks;
  r.echoes = pod.echoes;
  r.mismatches = pod.mismatches;
  r.unexpected = pod.unexpected;
  r.overflows = pod.overflows;
  std::copy(pod.errors, pod.errors + kMessageErrorCount, r.errors.begin());
  r.first_problem = std::string(m.substr(0, pod.problem_size));
  m.remove_prefix(pod.problem_size);
  c.Add(r);
  samples = e2e::UnpackVector<int64_t>(m);
  return absl::OkStatus();
}

void RecordNs(Histogram& h, const std::vector<int64_t>& samples) {
  for (int64_t ns : samples) h.Record(static_cast<uint64_t>(ns) * 1000);
}

class E2eMessagesWorkload : public Workload {
 public:
  ~E2eMessagesWorkload() override { Teardown(); }

  absl::Status Setup(const LoadLevel& level,
                     const WorkloadOptions& options) override {
    connections_ = level.connections;
    ops_ = std::min<int64_t>(level.ops, kMaxOps);
    const bool target = options.e2e_target_port != 0;
    // The corpus of the messages dimension, with its channel population.
    ParserOptions po;
    po.max_message_bytes = kCorpusMaxMessageBytes;
    MessageParser parser(po);
    WSBENCH_RETURN_IF_ERROR(corpus_.Build(
        std::max<uint32_t>(4, static_cast<uint32_t>(connections_) / 2), options,
        parser));
    ServerOptions server;
    server.bind_address = "127.0.0.1";
    server.permessage_deflate = false;
    WSBENCH_RETURN_IF_ERROR(
        traffic_.Build(corpus_, target ? ReplyMode::kEcho : ReplyMode::kServer,
                       server.max_message_size));
    BuildFrames(options.seed);
    want_ = traffic_.ExpectedCounts(0, ops_);

    const e2e::ProcessPlan plan =
        e2e::PlanProcesses(connections_, options.e2e_connections_per_process);
    processes_ = plan.processes;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    server_cpu_ = cpus >= 2 ? static_cast<int>(cpus - 1) : -1;
    std::vector<uint16_t> ports;
    if (target) {
      ports.push_back(options.e2e_target_port);
    } else {
      e2e::ServerFleetOptions so;
      so.shards = processes_;
      so.connections = connections_;
      so.cpu = server_cpu_;
      so.server = server;
      WSBENCH_ASSIGN_OR_RETURN(servers_, e2e::ServerFleet::Start(so));
      ports = servers_->ports();
    }
    e2e::ClientFleetOptions co;
    co.workers = processes_;
    co.connections = connections_;
    co.cpu = cpus >= 2 ? 0 : -1;
    co.loop.ports = ports;
    co.loop.ramp = e2e::RampSchedule(options.ramp);
    co.loop.seed = options.seed;
    WSBENCH_ASSIGN_OR_RETURN(
        clients_, e2e::ClientFleet::Start(co, [this](e2e::WorkerContext& c) {
          return WorkerMain(c);
        }));
    ops_note_ = fmt::format(
        "ops = min(level ops, {}) = {} messages per pass over the level's {} "
        "connections, {} in flight per connection; {} ({} client "
        "worker{})",
        kMaxOps, ops_, connections_, kWindow,
        target ? fmt::format("echo server at 127.0.0.1:{} (--e2e-target)",
                             options.e2e_target_port)
               : fmt::format("wsbench server in {} child process{}", processes_,
                             processes_ == 1 ? "" : "es"),
        processes_, processes_ == 1 ? "" : "s");
    if (!plan.reason.empty()) ops_note_ += "; " + plan.reason;

    // Open every connection once; they stay open for every pass.
    const int64_t now = e2e::MonotonicNs();
    WSBENCH_RETURN_IF_ERROR(clients_->Broadcast(
        fmt::format("open 0 {} {} {}", connections_, now, now + kPhaseNs)));
    WSBENCH_ASSIGN_OR_RETURN(
        std::vector<std::string> replies,
        clients_->CollectReplies(static_cast<int>(kPhaseNs / 1'000'000) + 5'000,
                                 &StopRequested));
    int64_t opened = 0;
    for (const std::string& m : replies) {
      if (m.starts_with("error: ")) return absl::InternalError(m);
      opened += std::stoll(m);
    }
    if (opened != connections_) {
      return absl::InternalError(fmt::format(
          "e2e_messages: {} of {} connections opened", opened, connections_));
    }
    if (servers_) {
      WSBENCH_ASSIGN_OR_RETURN(
          e2e::FleetStats s,
          servers_->WaitForActive(connections_, kGaugeWaitMs));
      if (s.stats.active != connections_) {
        return absl::InternalError(
            fmt::format("e2e_messages: server gauge {} with {} connections",
                        s.stats.active, connections_));
      }
    }
    return Reset();
  }

  int64_t ops() const override { return ops_; }
  std::string ops_note() const override { return ops_note_; }

  absl::Status Reset() override {
    counts_ = TrafficCounts();
    error_ = absl::OkStatus();
    client_cpu_before_ = clients_->CpuSeconds();
    if (servers_) {
      WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats s, servers_->Stats());
      server_cpu_before_ = s.cpu_seconds;
    }
    return absl::OkStatus();
  }

  // The whole pass at once (run_whole_pass): a chunk boundary would drain
  // every connection's window. A stop request still ends it within 100 ms
  // (CollectReplies watches it).
  bool run_whole_pass() const override { return true; }

  void Run(int64_t begin, int64_t end) override {
    if (!error_.ok()) return;
    error_ = RunOps(begin, end);
  }

  absl::Status Verify() override {
    WSBENCH_RETURN_IF_ERROR(error_);
    WSBENCH_RETURN_IF_ERROR(CheckTraffic(counts_, want_, "e2e_messages"));
    sent_total_ += counts_.sent;
    replied_total_ += counts_.replies;
    client_cpu_us_per_message_ =
        (clients_->CpuSeconds() - client_cpu_before_) * 1e6 / double(ops_);
    if (servers_) {
      WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats s, servers_->Stats());
      server_cpu_us_per_message_ =
          (s.cpu_seconds - server_cpu_before_) * 1e6 / double(ops_);
      if (s.stats.active != connections_) {
        return absl::InternalError(fmt::format(
            "e2e_messages: server gauge {} after a pass, expected {}",
            s.stats.active, connections_));
      }
    }
    // Once per repetition: one message in flight, and the loopback floor.
    if (rtt1_.count() == 0) WSBENCH_RETURN_IF_ERROR(MeasureOneInFlight());
    return absl::OkStatus();
  }

  Histogram* own_latency() override { return &latency_; }
  std::string own_latency_rule() const override {
    return "per_message:send_to_reply";
  }
  // Stamps are taken when the worker's write or epoll_wait returns: finer
  // than a microsecond says nothing.
  double own_latency_resolution_ns() const override { return 1000; }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["connections"] = double(connections_);
    counters["window"] = kWindow;
    counters["success_rate_pct"] =
        sent_total_ > 0 ? 100.0 * double(replied_total_) / double(sent_total_)
                        : 0.0;
    counters["error_replies_pct"] =
        100.0 * double(want_.error_replies()) / double(ops_);
    counters["client_cpu_us_per_message"] = client_cpu_us_per_message_;
    if (servers_) {
      counters["server_cpu_us_per_message"] = server_cpu_us_per_message_;
    }
    counters["client_processes"] = processes_;
    const int64_t n = static_cast<int64_t>(rtt1_.count());
    if (n > 0) {
      counters["rtt1_samples"] = double(n);
      for (const PercentileSpec& p : kPercentiles) {
        if (n >= MinSamplesFor(p.pct)) {
          counters[fmt::format("rtt1_{}_us", p.stem)] =
              rtt1_.Percentile(p.pct) / 1e6;
        }
      }
    }
    AddLoopbackCounters(floor_, counters);
    rtt1_.Clear();  // the next repetition measures again
    sent_total_ = replied_total_ = 0;
  }

 private:
  // Masked frames, one per corpus message.
  void BuildFrames(uint64_t seed) {
    std::mt19937_64 rng(seed ^ 0x6d61736bull);  // "mask"
    frames_.clear();
    frame_offsets_.clear();
    for (size_t i = 0; i < corpus_.messages().size(); ++i) {
      const auto index = static_cast<uint16_t>(i);
      FrameHeader h{.opcode = traffic_.opcode(index), .masked = true};
      const uint64_t key = rng();
      std::memcpy(h.mask_key.data(), &key, 4);
      frame_offsets_.push_back(frames_.size());
      AppendFrame(h, traffic_.message(index), frames_);
    }
    frame_offsets_.push_back(frames_.size());
  }
  std::string_view Frame(uint16_t index) const {
    return std::string_view(frames_).substr(
        frame_offsets_[index],
        frame_offsets_[index + 1] - frame_offsets_[index]);
  }

  absl::Status RunOps(int64_t begin, int64_t end) {
    WSBENCH_RETURN_IF_ERROR(
        clients_->Broadcast(fmt::format("run {} {}", begin, end)));
    WSBENCH_ASSIGN_OR_RETURN(
        std::vector<std::string> replies,
        clients_->CollectReplies(static_cast<int>(kPhaseNs / 1'000'000) + 5'000,
                                 &StopRequested));
    std::vector<int64_t> samples;
    for (const std::string& m : replies) {
      WSBENCH_RETURN_IF_ERROR(DecodeRun(m, counts_, samples));
      RecordNs(latency_, samples);
    }
    return absl::OkStatus();
  }

  // Rounds of one-in-flight round trips and of the loopback floor,
  // interleaved so both see the same moments of the machine.
  absl::Status MeasureOneInFlight() {
    std::vector<int64_t> floor_ns;
    for (int round = 0; round < kRounds; ++round) {
      const int64_t first = int64_t{round} * kPerRound;
      WSBENCH_RETURN_IF_ERROR(
          clients_->channel(0).Send(fmt::format("rtt1 {}", first)));
      WSBENCH_ASSIGN_OR_RETURN(std::string m,
                               clients_->channel(0).Receive(60'000));
      TrafficCounts c;
      std::vector<int64_t> samples;
      WSBENCH_RETURN_IF_ERROR(DecodeRun(m, c, samples));
      WSBENCH_RETURN_IF_ERROR(
          CheckTraffic(c, traffic_.ExpectedCounts(first, first + kPerRound),
                       "e2e_messages (one in flight)"));
      RecordNs(rtt1_, samples);
      WSBENCH_RETURN_IF_ERROR(clients_->channel(0).Send("floor"));
      WSBENCH_ASSIGN_OR_RETURN(m, clients_->channel(0).Receive(60'000));
      if (m.starts_with("error: ")) return absl::InternalError(m);
      const std::vector<int64_t> f = e2e::UnpackVector<int64_t>(m);
      floor_ns.insert(floor_ns.end(), f.begin(), f.end());
    }
    floor_ = FloorFromSamples(floor_ns);
    return absl::OkStatus();
  }

  // --- In a client worker process -------------------------------------
  // Protocol: "open 0 N START DEADLINE" -> the number opened;
  // "run B E" -> EncodeRun of ops [B, E) on this worker's connections;
  // "rtt1 F" -> EncodeRun of one-in-flight round trips of ops [F, F +
  // kPerRound) on this worker's first connection; "floor" -> kPerRound
  // loopback round trips (ns); "exit".
  int WorkerMain(e2e::WorkerContext& ctx) {
    worker_ = &ctx;
    checker_ = std::make_unique<ReplyChecker>(
        traffic_, std::max<int64_t>(1, ctx.max_connections), kWindow);
    ctx.loop->set_message_handler([this](int conn, Opcode, std::string_view p,
                                         int64_t now) {
      const int64_t sent = checker_->Received(conn, p);
      if (sent > 0) samples_.push_back(now - sent);
      if (run_end_ > 0 && !refill_flag_[conn] &&
          checker_->pending(conn) <= kWindow / 2 && next_[conn] < run_end_) {
        refill_flag_[conn] = 1;
        refill_.push_back(conn);
      }
    });
    for (;;) {
      absl::StatusOr<std::string> m = ctx.parent->Receive(-1);
      if (!m.ok()) return 0;  // the parent closed the channel
      std::string reply;
      if (m->starts_with("open ")) {
        int64_t b = 0, e = 0, start = 0, deadline = 0;
        std::sscanf(m->c_str(), "open %ld %ld %ld %ld", &b, &e, &start,
                    &deadline);
        absl::StatusOr<int64_t> n =
            e2e::OpenOwnedRange(ctx, b, e, start, deadline);
        reply = n.ok() ? std::to_string(*n)
                       : "error: " + std::string(n.status().message());
        next_.assign(static_cast<size_t>(ctx.loop->size()), 0);
        refill_flag_.assign(next_.size(), 0);
      } else if (m->starts_with("run ")) {
        int64_t b = 0, e = 0;
        std::sscanf(m->c_str(), "run %ld %ld", &b, &e);
        reply = WorkerRun(b, e);
      } else if (m->starts_with("rtt1 ")) {
        int64_t first = 0;
        std::sscanf(m->c_str(), "rtt1 %ld", &first);
        reply = WorkerOneInFlight(first);
      } else if (*m == "floor") {
        std::vector<size_t> sizes;
        for (int64_t i = 0; i < 256; ++i) {
          sizes.push_back(Frame(corpus_.IndexForOp(i)).size());
        }
        std::vector<int64_t> samples;
        absl::StatusOr<LoopbackFloor> f =
            MeasureLoopbackFloor({.sizes = sizes,
                                  .round_trips = kPerRound,
                                  .warmup = 50,
                                  .cpu = server_cpu_,
                                  .samples_ns = &samples});
        reply = f.ok() ? e2e::PackVector(samples)
                       : "error: " + std::string(f.status().message());
      } else if (*m == "exit") {
        return 0;
      } else {
        (void)ctx.parent->Send("error: unknown command " + *m);
        return 1;
      }
      if (!ctx.parent->Send(reply).ok()) return 1;
    }
  }

  // Sends the next messages of local connection k up to the window, in one
  // write.
  void Refill(int64_t k, int64_t end) {
    batch_.clear();
    const int64_t now = e2e::MonotonicNs();
    while (checker_->pending(k) < kWindow && next_[k] < end) {
      const uint16_t index = corpus_.IndexForOp(next_[k]);
      batch_ += Frame(index);
      checker_->Sent(k, index, now);
      next_[k] += connections_;
    }
    if (!batch_.empty()) {
      if (absl::Status s = worker_->loop->SendRaw(k, batch_); !s.ok()) {
        send_error_ = s;
      }
    }
  }

  std::string WorkerRun(int64_t begin, int64_t end) {
    ReplyChecker& checker = *checker_;
    checker.Reset();
    samples_.clear();
    send_error_ = absl::OkStatus();
    const int64_t w = worker_->index, workers = worker_->workers;
    const int64_t local = worker_->loop->size();
    // Local connection k is global g = w + k * workers; its ops are
    // g, g + C, g + 2C, ... from the first at or after `begin`.
    for (int64_t k = 0; k < local; ++k) {
      const int64_t g = w + k * workers;
      next_[k] =
          begin + ((g - begin % connections_) % connections_ + connections_) %
                      connections_;
      refill_flag_[k] = 0;
    }
    run_end_ = end;
    for (int64_t k = 0; k < local; ++k) Refill(k, end);
    const int64_t deadline = e2e::MonotonicNs() + kPhaseNs;
    std::string problem;
    for (;;) {
      for (size_t r = 0; r < refill_.size(); ++r) {
        refill_flag_[refill_[r]] = 0;
        Refill(refill_[r], end);
      }
      refill_.clear();
      if (checker.pending_total() == 0) {
        bool done = true;
        for (int64_t k = 0; k < local && done; ++k) done = next_[k] >= end;
        if (done) break;
        // Nothing in flight yet ops left: refill every connection.
        for (int64_t k = 0; k < local; ++k) Refill(k, end);
        continue;
      }
      if (!send_error_.ok()) {
        problem = std::string(send_error_.message());
        break;
      }
      worker_->loop->Poll(100);
      if (e2e::MonotonicNs() > deadline) {
        problem = fmt::format("{} replies still missing after {} s",
                              checker.pending_total(), kPhaseNs / 1e9);
        break;
      }
    }
    run_end_ = 0;
    TrafficCounts c = checker.counts();
    if (!problem.empty() && c.first_problem.empty()) {
      c.first_problem = fmt::format("worker {}: {}", w, problem);
    }
    return EncodeRun(c, samples_);
  }

  std::string WorkerOneInFlight(int64_t first) {
    ReplyChecker& checker = *checker_;
    checker.Reset();
    samples_.clear();
    std::string problem;
    for (int64_t i = first; i < first + kPerRound && problem.empty(); ++i) {
      const uint16_t index = corpus_.IndexForOp(i);
      const int64_t t0 = e2e::MonotonicNs();
      checker.Sent(0, index, t0);
      if (absl::Status s = worker_->loop->SendRaw(0, Frame(index)); !s.ok()) {
        problem = std::string(s.message());
        break;
      }
      const int64_t deadline = t0 + 10'000'000'000;
      while (checker.pending(0) > 0) {
        worker_->loop->Poll(100);
        if (e2e::MonotonicNs() > deadline) {
          problem = "no reply within 10 s";
          break;
        }
      }
    }
    TrafficCounts c = checker.counts();
    if (!problem.empty() && c.first_problem.empty()) {
      c.first_problem = "one in flight: " + problem;
    }
    return EncodeRun(c, samples_);
  }

  void Teardown() {
    if (clients_) (void)clients_->Stop(2'000);
    if (servers_) (void)servers_->Stop(5'000);
    clients_.reset();
    servers_.reset();
  }

  int64_t connections_ = 0;
  int64_t ops_ = 0;
  int processes_ = 1;
  int server_cpu_ = -1;
  std::string ops_note_;
  MessageCorpus corpus_;
  MessageTraffic traffic_;
  TrafficCounts want_;
  std::string frames_;
  std::vector<size_t> frame_offsets_;
  std::unique_ptr<e2e::ServerFleet> servers_;
  std::unique_ptr<e2e::ClientFleet> clients_;

  // The pass (parent).
  TrafficCounts counts_;
  absl::Status error_;
  double client_cpu_before_ = 0, server_cpu_before_ = 0;
  Histogram latency_;
  mutable Histogram rtt1_;
  LoopbackFloor floor_;

  // Reported.
  mutable int64_t sent_total_ = 0, replied_total_ = 0;  // this repetition
  double client_cpu_us_per_message_ = 0, server_cpu_us_per_message_ = 0;

  // In a worker process.
  e2e::WorkerContext* worker_ = nullptr;
  std::unique_ptr<ReplyChecker> checker_;
  std::vector<int64_t> next_;
  std::vector<uint8_t> refill_flag_;
  std::vector<int64_t> refill_;
  int64_t run_end_ = 0;
  std::vector<int64_t> samples_;
  std::string batch_;
  absl::Status send_error_;
};

std::unique_ptr<Workload> MakeE2eMessagesWorkload() {
  return std::make_unique<E2eMessagesWorkload>();
}

}  // namespace

WSBENCH_REGISTER_OPT_IN_DIMENSION(e2e_messages, "", MakeE2eMessagesWorkload);

}  // namespace wsbench::bench
