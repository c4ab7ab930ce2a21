// The `e2e_broadcast` dimension: publishes over a socket to the level's
// subscribers, every subscriber reading its own socket, against the wsbench
// server in a forked child process.
//
// Setup opens 1 + S connections (S = min(level subscribers, level
// connections)): connection 0 publishes, connections 1..S each subscribe to
// the channel kChannel (the ack checked byte for byte) and the server's gauge
// must read 1 + S. All of them live in one client worker process (S is at
// most 5,000, far below one process's file limit), pinned to CPU 0; the
// server to the last CPU.
//
// Op = one publish: {"type":"publish","channel":kChannel,"data":D} with D a
// JSON object of 80 B .. 2 KiB (64 sizes, log-uniform) carrying the pass
// number and the publish's index, so every delivery is unique. ops() =
// max(1, level ops / S) publishes per pass, each delivered S times
// (items_per_op() = S: the rate is deliveries/s). A pass publishes with up to
// kPublishWindow publishes not yet delivered to every subscriber, so the
// server's queues stay far below their limit and nothing may be dropped.
//
// Verified, every delivery: each subscriber must receive the pass's events in
// publish order, each byte for byte the envelope the server builds
// ({"type":"event","channel":..,"data":D}, ReplyBuilder::Event); the
// publisher one ack per publish; after the pass every subscriber has exactly
// ops() events, the server dropped nothing (its messages_dropped counter)
// and its gauge still reads 1 + S.
//
// Latency (rule "per_publish:publish_to_last_delivery"): per publish, from
// the write that sent it to the read that returned its event on the last
// subscriber to get it (CLOCK_MONOTONIC in the worker), all publishes
// recorded: under the pass's load (up to kPublishWindow publishes queued
// ahead). Beside it, once per repetition (the first pass's Verify, untimed),
// publish1_*_us: min(ops, kOneInFlight) publishes sent one at a time (as many
// as start within kOneInFlightBudgetMs), each delivered to every subscriber
// (and checked) before the next.
#include <unistd.h>

#include <algorithm>
#include <cmath>
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
#include "workload.h"
#include "wsbench/frame.h"
#include "wsbench/reply_builder.h"
#include "wsbench/status_macros.h"

namespace wsbench::bench {
namespace {

constexpr std::string_view kChannel = "e2e.broadcast";
constexpr int kPayloads = 64;
constexpr int64_t kPublishWindow = 32;
// Publishes sent one at a time per repetition (publish1_*_us), under pass
// numbers kOneInFlightPass apart from the passes'.
constexpr int64_t kOneInFlight = 1'000;
constexpr int64_t kOneInFlightPass = int64_t{1} << 40;
// ... or as many as start within this long (maximum: ~130 ms each here).
constexpr int64_t kOneInFlightBudgetMs = 5'000;
constexpr int64_t kPhaseNs = 60'000'000'000;
constexpr int kGaugeWaitMs = 5'000;

// A worker's answer to "run": counts, then the problem text, then the
// publish-to-last-delivery samples (ns).
struct RunPod {
  int64_t deliveries, mismatches, acks, completed;
  int64_t problem_size;
};

class E2eBroadcastWorkload : public Workload {
 public:
  ~E2eBroadcastWorkload() override { Teardown(); }

  absl::Status Setup(const LoadLevel& level,
                     const WorkloadOptions& options) override {
    subscribers_ = std::min(level.subscribers, level.connections);
    publishes_ = std::max<int64_t>(1, level.ops / std::max(1, subscribers_));
    const int64_t connections = int64_t{1} + subscribers_;
    const e2e::ProcessPlan plan =
        e2e::PlanProcesses(connections, options.e2e_connections_per_process);
    if (plan.processes != 1) {
      return absl::FailedPreconditionError(fmt::format(
          "e2e_broadcast: {} connections do not fit one client process ({})",
          connections, plan.reason));
    }
    // Payload templates: sizes log-uniform over 80 B .. 2 KiB.
    std::mt19937_64 rng(options.seed ^ 0x65326562ull);  // "e2eb"
    notes_.clear();
    for (int i = 0; i < kPayloads; ++i) {
      const double t = static_cast<double>(i) / (kPayloads - 1);
      const size_t size =
          static_cast<size_t>(80.0 * std::pow(2048.0 / 80.0, t));
      std::string note;
      static constexpr char kAlnum[] =
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
      while (note.size() + 60 < size) note += kAlnum[rng() % 62];
      notes_.push_back(std::move(note));
    }
    std::shuffle(notes_.begin(), notes_.end(), rng);

    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    e2e::ServerFleetOptions so;
    so.shards = 1;
    so.connections = connections;
    so.cpu = cpus >= 2 ? static_cast<int>(cpus - 1) : -1;
    so.server.bind_address = "127.0.0.1";
    so.server.permessage_deflate = false;
    WSBENCH_ASSIGN_OR_RETURN(servers_, e2e::ServerFleet::Start(so));
    e2e::ClientFleetOptions co;
    co.workers = 1;
    co.connections = connections;
    co.cpu = cpus >= 2 ? 0 : -1;
    co.loop.ports = servers_->ports();
    co.loop.ramp = e2e::RampSchedule(options.ramp);
    co.loop.seed = options.seed;
    WSBENCH_ASSIGN_OR_RETURN(
        clients_, e2e::ClientFleet::Start(co, [this](e2e::WorkerContext& c) {
          return WorkerMain(c);
        }));
    ops_note_ = fmt::format(
        "ops = max(1, level ops / subscribers) = {} publishes per pass, each "
        "delivered over a socket to {} subscribers of one channel; wsbench "
        "server in a child process",
        publishes_, subscribers_);

    const int64_t now = e2e::MonotonicNs();
    WSBENCH_ASSIGN_OR_RETURN(
        std::string opened,
        Ask(fmt::format("open 0 {} {} {}", connections, now, now + kPhaseNs)));
    if (opened != "ok") {
      return absl::InternalError("e2e_broadcast: setup: " + opened);
    }
    WSBENCH_ASSIGN_OR_RETURN(
        e2e::FleetStats s, servers_->WaitForActive(connections, kGaugeWaitMs));
    if (s.stats.active != connections) {
      return absl::InternalError(
          fmt::format("e2e_broadcast: server gauge {} with {} connections",
                      s.stats.active, connections));
    }
    return Reset();
  }

  int64_t ops() const override { return publishes_; }
  double items_per_op() const override { return subscribers_; }
  std::string ops_note() const override { return ops_note_; }

  absl::Status Reset() override {
    error_ = absl::OkStatus();
    deliveries_ = mismatches_ = acks_ = completed_ = 0;
    problem_.clear();
    ++pass_;
    WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats s, servers_->Stats());
    dropped_before_ = s.stats.messages_dropped;
    server_cpu_before_ = s.cpu_seconds;
    client_cpu_before_ = clients_->CpuSeconds();
    return absl::OkStatus();
  }

  // The whole pass at once: a chunk boundary would drain the publish
  // window.
  bool run_whole_pass() const override { return true; }

  void Run(int64_t begin, int64_t end) override {
    if (!error_.ok()) return;
    error_ = RunPublishes(begin, end);
  }

  absl::Status Verify() override {
    WSBENCH_RETURN_IF_ERROR(error_);
    if (!problem_.empty()) {
      return absl::InternalError(fmt::format(
          "e2e_broadcast: {} deliveries differ from what was published; "
          "first: {}",
          mismatches_, problem_));
    }
    const int64_t want = publishes_ * subscribers_;
    if (deliveries_ != want || acks_ != publishes_ ||
        completed_ != publishes_) {
      return absl::InternalError(fmt::format(
          "e2e_broadcast: {} deliveries (expected {}), {} acks and {} "
          "publishes delivered to all (expected {})",
          deliveries_, want, acks_, completed_, publishes_));
    }
    WSBENCH_ASSIGN_OR_RETURN(std::string end, Ask("verify"));
    if (end != "ok") return absl::InternalError("e2e_broadcast: " + end);
    WSBENCH_ASSIGN_OR_RETURN(e2e::FleetStats s, servers_->Stats());
    if (s.stats.messages_dropped != dropped_before_) {
      return absl::InternalError(
          fmt::format("e2e_broadcast: the server dropped {} events",
                      s.stats.messages_dropped - dropped_before_));
    }
    if (s.stats.active != int64_t{1} + subscribers_) {
      return absl::InternalError(fmt::format(
          "e2e_broadcast: server gauge {} after a pass, expected {}",
          s.stats.active, 1 + subscribers_));
    }
    deliveries_total_ += deliveries_;
    server_cpu_ns_per_delivery_ =
        (s.cpu_seconds - server_cpu_before_) * 1e9 / double(want);
    client_cpu_ns_per_delivery_ =
        (clients_->CpuSeconds() - client_cpu_before_) * 1e9 / double(want);
    // Once per repetition, untimed: publishes one at a time.
    if (publish1_.count() == 0) WSBENCH_RETURN_IF_ERROR(MeasureOneInFlight());
    return absl::OkStatus();
  }

  Histogram* own_latency() override { return &latency_; }
  std::string own_latency_rule() const override {
    return "per_publish:publish_to_last_delivery";
  }
  double own_latency_resolution_ns() const override { return 1000; }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["subscribers"] = subscribers_;
    counters["deliveries_verified"] = double(deliveries_total_);
    counters["publish_window"] = kPublishWindow;
    deliveries_total_ = 0;  // per repetition
    counters["server_cpu_ns_per_delivery"] = server_cpu_ns_per_delivery_;
    counters["client_cpu_ns_per_delivery"] = client_cpu_ns_per_delivery_;
    const int64_t n = static_cast<int64_t>(publish1_.count());
    if (n > 0) {
      counters["publish1_samples"] = double(n);
      for (const PercentileSpec& p : kPercentiles) {
        if (n >= MinSamplesFor(p.pct)) {
          counters[fmt::format("publish1_{}_us", p.stem)] =
              publish1_.Percentile(p.pct) / 1e6;
        }
      }
    }
    publish1_.Clear();  // the next repetition measures again
  }

 private:
  absl::StatusOr<std::string> Ask(const std::string& command) {
    WSBENCH_RETURN_IF_ERROR(clients_->channel(0).Send(command));
    return clients_->channel(0).Receive(static_cast<int>(kPhaseNs / 1'000'000) +
                                        5'000);
  }

  // What the worker answered to one "run".
  struct RunResult {
    RunPod pod{};
    std::string problem;
    std::vector<int64_t> samples_ns;
  };

  // Publishes [begin, end) of `pass` with at most `window` not yet delivered
  // to every subscriber.
  absl::StatusOr<RunResult> Publish(int64_t pass, int64_t begin, int64_t end,
                                    int64_t window, int64_t budget_ms = 0) {
    // One worker: Broadcast + CollectReplies, which watches StopRequested.
    WSBENCH_RETURN_IF_ERROR(clients_->Broadcast(fmt::format(
        "run {} {} {} {} {}", pass, begin, end, window, budget_ms)));
    WSBENCH_ASSIGN_OR_RETURN(
        std::vector<std::string> replies,
        clients_->CollectReplies(static_cast<int>(kPhaseNs / 1'000'000) + 5'000,
                                 &StopRequested));
    const std::string& m = replies.at(0);
    if (m.starts_with("error: ")) return absl::InternalError(m);
    RunResult r;
    if (m.size() < sizeof r.pod) {
      return absl::InternalError("e2e_broadcast: short reply from the worker");
    }
    std::memcpy(&r.pod, m.data(), sizeof r.pod);
    std::string_view rest(m);
    rest.remove_prefix(sizeof r.pod);
    if (r.pod.problem_size < 0 ||
        rest.size() < static_cast<size_t>(r.pod.problem_size)) {
      return absl::InternalError("e2e_broadcast: bad reply from the worker");
    }
    r.problem = std::string(rest.substr(0, r.pod.problem_size));
    rest.remove_prefix(r.pod.problem_size);
    r.samples_ns = e2e::UnpackVector<int64_t>(rest);
    return r;
  }

  absl::Status RunPublishes(int64_t begin, int64_t end) {
    WSBENCH_ASSIGN_OR_RETURN(RunResult r,
                             Publish(pass_, begin, end, kPublishWindow));
    if (problem_.empty()) problem_ = r.problem;
    deliveries_ += r.pod.deliveries;
    mismatches_ += r.pod.mismatches;
    acks_ += r.pod.acks;
    completed_ += r.pod.completed;
    for (int64_t ns : r.samples_ns) {
      latency_.Record(static_cast<uint64_t>(ns) * 1000);
    }
    return absl::OkStatus();
  }

  // One publish at a time (each delivered to every subscriber before the
  // next is sent), under a pass number of its own, every delivery checked
  // as in a pass.
  absl::Status MeasureOneInFlight() {
    WSBENCH_ASSIGN_OR_RETURN(
        RunResult r,
        Publish(pass_ + kOneInFlightPass, 0, std::min(publishes_, kOneInFlight),
                1, kOneInFlightBudgetMs));
    const int64_t n = r.pod.completed;  // the budget may end it early
    if (!r.problem.empty() || n < 1 || r.pod.deliveries != n * subscribers_ ||
        r.pod.acks != n) {
      return absl::InternalError(fmt::format(
          "e2e_broadcast (one in flight): {} deliveries (expected {}), {} "
          "acks, {} complete of {}; {}",
          r.pod.deliveries, n * subscribers_, r.pod.acks, r.pod.completed, n,
          r.problem));
    }
    for (int64_t ns : r.samples_ns) {
      publish1_.Record(static_cast<uint64_t>(ns) * 1000);
    }
    return absl::OkStatus();
  }

  // The data of publish k of pass `pass`.
  std::string Data(int64_t pass, int64_t k) const {
    return fmt::format(R"({{"pass":{},"seq":{},"note":"{}"}})", pass, k,
                       notes_[static_cast<size_t>(k) % kPayloads]);
  }

  // --- In the client worker process -------------------------------------
  // "open 0 N START DEADLINE": open, subscribe 1..N-1, "ok" when every
  // subscribe was acked; "run PASS B E": publishes [B, E) of the pass,
  // answered with a RunPod; "verify": "ok" when every subscriber got every
  // publish of the pass.
  int WorkerMain(e2e::WorkerContext& ctx) {
    worker_ = &ctx;
    ctx.loop->set_message_handler(
        [this](int conn, Opcode, std::string_view p, int64_t now) {
          OnMessage(conn, p, now);
        });
    for (;;) {
      absl::StatusOr<std::string> m = ctx.parent->Receive(-1);
      if (!m.ok()) return 0;
      std::string reply;
      if (m->starts_with("open ")) {
        reply = WorkerOpen(*m);
      } else if (m->starts_with("run ")) {
        int64_t pass = 0, b = 0, e = 0, window = 1, budget_ms = 0;
        std::sscanf(m->c_str(), "run %ld %ld %ld %ld %ld", &pass, &b, &e,
                    &window, &budget_ms);
        reply = WorkerRun(pass, b, e, window, budget_ms);
      } else if (*m == "verify") {
        reply = "ok";
        for (size_t k = 1; k < next_.size(); ++k) {
          if (next_[k] != publishes_) {
            reply = fmt::format("subscriber {} got {} of {} events", k,
                                next_[k], publishes_);
            break;
          }
        }
      } else if (*m == "exit") {
        return 0;
      } else {
        (void)ctx.parent->Send("error: unknown command " + *m);
        return 1;
      }
      if (!ctx.parent->Send(reply).ok()) return 1;
    }
  }

  void OnMessage(int conn, std::string_view p, int64_t now) {
    if (conn == 0) {  // the publisher: an ack per publish
      if (p == kPublishAck) {
        ++w_acks_;
      } else {
        Problem(fmt::format("the publisher got {}", p.substr(0, 120)));
      }
      return;
    }
    if (subscribing_) {
      if (p == subscribe_ack_) {
        ++w_subscribed_;
      } else {
        Problem(fmt::format("subscriber {} got {} for its subscribe", conn,
                            p.substr(0, 120)));
      }
      return;
    }
    const int64_t k = next_[conn]++;
    if (k >= static_cast<int64_t>(events_.size()) || p != events_[k]) {
      ++w_mismatches_;
      Problem(fmt::format("subscriber {} event {}: got {}", conn, k,
                          p.substr(0, 120)));
      return;
    }
    ++w_deliveries_;
    if (++delivered_[k] == subscribers_) {
      ++w_completed_;
      samples_.push_back(now - sent_ns_[k]);
    }
  }

  void Problem(std::string what) {
    if (w_problem_.empty()) w_problem_ = std::move(what);
  }

  std::string WorkerOpen(const std::string& m) {
    int64_t b = 0, e = 0, start = 0, deadline = 0;
    std::sscanf(m.c_str(), "open %ld %ld %ld %ld", &b, &e, &start, &deadline);
    absl::StatusOr<int64_t> n =
        e2e::OpenOwnedRange(*worker_, b, e, start, deadline);
    if (!n.ok()) return "error: " + std::string(n.status().message());
    if (*n != e - b) return fmt::format("{} of {} connections opened", *n, e);
    next_.assign(static_cast<size_t>(e), 0);
    ReplyBuilder replies;
    const std::string_view channels[] = {kChannel};
    subscribe_ack_ =
        std::string(replies.Ack(CommandType::kSubscribe, {}, channels));
    const std::string subscribe =
        fmt::format(R"({{"type":"subscribe","channels":["{}"]}})", kChannel);
    subscribing_ = true;
    w_subscribed_ = 0;
    for (int64_t k = 1; k < e; ++k) {
      if (!worker_->loop->Send(k, Opcode::kText, subscribe).ok()) {
        return fmt::format("subscriber {} could not send", k);
      }
    }
    const int64_t until = e2e::MonotonicNs() + kPhaseNs;
    while (w_subscribed_ < e - 1 && w_problem_.empty() &&
           e2e::MonotonicNs() < until) {
      worker_->loop->Poll(100);
    }
    subscribing_ = false;
    if (!w_problem_.empty()) return w_problem_;
    if (w_subscribed_ != e - 1) {
      return fmt::format("{} of {} subscribes acked", w_subscribed_, e - 1);
    }
    return "ok";
  }

  // Publishes [begin, end) of `pass`, at most `window` of them not yet
  // delivered to every subscriber; with budget_ms > 0, none is started
  // after budget_ms (at least one is).
  std::string WorkerRun(int64_t pass, int64_t begin, int64_t end,
                        int64_t window, int64_t budget_ms) {
    if (begin == 0) {  // a new pass: its events and frames
      events_.clear();
      frames_.clear();
      frame_offsets_.clear();
      ReplyBuilder replies;
      std::mt19937_64 rng(static_cast<uint64_t>(pass));
      for (int64_t k = 0; k < publishes_; ++k) {
        const std::string data = Data(pass, k);
        events_.emplace_back(replies.Event(kChannel, data));
        const std::string publish = fmt::format(
            R"({{"type":"publish","channel":"{}","data":{}}})", kChannel, data);
        FrameHeader h{.opcode = Opcode::kText, .masked = true};
        const uint64_t key = rng();
        std::memcpy(h.mask_key.data(), &key, 4);
        frame_offsets_.push_back(frames_.size());
        AppendFrame(h, publish, frames_);
      }
      frame_offsets_.push_back(frames_.size());
      delivered_.assign(static_cast<size_t>(publishes_), 0);
      sent_ns_.assign(static_cast<size_t>(publishes_), 0);
      std::fill(next_.begin(), next_.end(), 0);
    }
    w_deliveries_ = w_mismatches_ = w_acks_ = w_completed_ = 0;
    w_problem_.clear();
    samples_.clear();
    int64_t next = begin;
    const int64_t start = e2e::MonotonicNs();
    const int64_t deadline = start + kPhaseNs;
    // A budget (the one-in-flight measurement): no new publish after it.
    int64_t stop = end;
    while (w_completed_ < stop - begin && w_problem_.empty()) {
      if (budget_ms > 0 && next > begin &&
          e2e::MonotonicNs() - start > budget_ms * 1'000'000) {
        stop = next;
      }
      while (next < stop && next - begin - w_completed_ < window) {
        const std::string_view frame = std::string_view(frames_).substr(
            frame_offsets_[next],
            frame_offsets_[next + 1] - frame_offsets_[next]);
        sent_ns_[next] = e2e::MonotonicNs();
        if (absl::Status s = worker_->loop->SendRaw(0, frame); !s.ok()) {
          Problem(std::string(s.message()));
          break;
        }
        ++next;
      }
      worker_->loop->Poll(100);
      if (e2e::MonotonicNs() > deadline) {
        Problem(
            fmt::format("{} of {} publishes delivered to every subscriber "
                        "after {} s",
                        w_completed_, end - begin, kPhaseNs / 1e9));
      }
    }
    // The acks of the last publishes may trail their deliveries.
    const int64_t until = e2e::MonotonicNs() + 10'000'000'000;
    while (w_acks_ < next - begin && w_problem_.empty() &&
           e2e::MonotonicNs() < until) {
      worker_->loop->Poll(100);
    }
    RunPod pod{w_deliveries_, w_mismatches_, w_acks_, w_completed_,
               static_cast<int64_t>(w_problem_.size())};
    std::string out(reinterpret_cast<const char*>(&pod), sizeof pod);
    out += w_problem_;
    out += e2e::PackVector(samples_);
    return out;
  }

  void Teardown() {
    if (clients_) (void)clients_->Stop(2'000);
    if (servers_) (void)servers_->Stop(5'000);
    clients_.reset();
    servers_.reset();
  }

  static constexpr std::string_view kPublishAck =
      R"({"type":"ack","of":"publish"})";

  int32_t subscribers_ = 0;
  int64_t publishes_ = 0;
  std::string ops_note_;
  std::vector<std::string> notes_;
  std::unique_ptr<e2e::ServerFleet> servers_;
  std::unique_ptr<e2e::ClientFleet> clients_;

  // The pass (parent).
  int64_t pass_ = 0;
  absl::Status error_;
  int64_t deliveries_ = 0, mismatches_ = 0, acks_ = 0, completed_ = 0;
  std::string problem_;
  uint64_t dropped_before_ = 0;
  double server_cpu_before_ = 0, client_cpu_before_ = 0;
  Histogram latency_;
  mutable Histogram publish1_;

  // Reported.
  mutable int64_t deliveries_total_ = 0;  // this repetition's passes
  double server_cpu_ns_per_delivery_ = 0, client_cpu_ns_per_delivery_ = 0;

  // In the worker process.
  e2e::WorkerContext* worker_ = nullptr;
  bool subscribing_ = false;
  std::string subscribe_ack_;
  int64_t w_subscribed_ = 0;
  std::vector<std::string> events_;
  std::string frames_;
  std::vector<size_t> frame_offsets_;
  std::vector<int64_t> next_;       // per connection: next event expected
  std::vector<int32_t> delivered_;  // per publish: subscribers reached
  std::vector<int64_t> sent_ns_;
  std::vector<int64_t> samples_;
  int64_t w_deliveries_ = 0, w_mismatches_ = 0, w_acks_ = 0, w_completed_ = 0;
  std::string w_problem_;
};

std::unique_ptr<Workload> MakeE2eBroadcastWorkload() {
  return std::make_unique<E2eBroadcastWorkload>();
}

}  // namespace

WSBENCH_REGISTER_OPT_IN_DIMENSION(e2e_broadcast, "deliveries",
                                  MakeE2eBroadcastWorkload);

}  // namespace wsbench::bench
