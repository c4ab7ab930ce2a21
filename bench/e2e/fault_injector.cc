#include "e2e/fault_injector.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>
#include <type_traits>
#include <utility>

#include "e2e/client_fleet.h"
#include "e2e/server_fleet.h"
#include "fmt/format.h"
#include "wsbench/status_macros.h"

namespace wsbench::e2e {
namespace {

constexpr size_t kSlowEventBytes = 16 * 1024;
constexpr int64_t kPublishWindow = 32;  // publishes in flight per publisher

int Index(FaultKind kind) { return static_cast<int>(kind) - 1; }

bool Ended(ConnState s) {
  return s == ConnState::kClosed || s == ConnState::kFailed;
}

void Note(FaultReport& report, const std::string& what) {
  if (report.first_problem[0] != '\0') return;
  std::strncpy(report.first_problem, what.c_str(),
               sizeof(report.first_problem) - 1);
}

struct SlowGroup {
  int64_t publisher = -1;  // connection index
  std::vector<int64_t> readers;
  int64_t acks = 0;  // publish acks the publisher got
};

}  // namespace

void FaultReport::Add(const FaultReport& other) {
  for (int k = 0; k < kFaultKinds; ++k) {
    injected[k] += other.injected[k];
    answered[k] += other.answered[k];
  }
  for (int m = 0; m < kMalformedKinds; ++m) {
    malformed_sent[m] += other.malformed_sent[m];
    malformed_answered[m] += other.malformed_answered[m];
  }
  healthy += other.healthy;
  healthy_open += other.healthy_open;
  slow_publishes += other.slow_publishes;
  if (other.slow_events_min >= 0 &&
      (slow_events_min < 0 || other.slow_events_min < slow_events_min)) {
    slow_events_min = other.slow_events_min;
  }
  if (first_problem[0] == '\0' && other.first_problem[0] != '\0') {
    std::memcpy(first_problem, other.first_problem, sizeof(first_problem));
  }
}

absl::StatusOr<FaultReport> InjectFaults(
    ClientLoop& loop, std::span<const std::pair<int64_t, int64_t>> conns,
    const FaultOptions& options, int64_t deadline_ns) {
  FaultReport report;
  const FaultPlan& plan = options.plan;
  const int shards = std::max(1, options.shards);
  std::vector<int64_t> healthy, rst, slow;
  std::vector<std::pair<int64_t, MalformedKind>> malformed;
  std::map<int, SlowGroup> groups;  // by shard
  for (const auto& [conn, g] : conns) {
    const FaultKind kind = plan.KindOf(g);
    if (kind == FaultKind::kNone) {
      healthy.push_back(conn);
      continue;
    }
    if (loop.info(conn).state != ConnState::kOpen) continue;  // never opened
    switch (kind) {
      case FaultKind::kRst:
        rst.push_back(conn);
        break;
      case FaultKind::kMalformed:
        malformed.emplace_back(conn, plan.MalformedKindOf(g));
        break;
      case FaultKind::kSlow:
        groups[static_cast<int>(g % shards)].readers.push_back(conn);
        break;
      case FaultKind::kNone:
        break;
    }
  }
  report.healthy = static_cast<int64_t>(healthy.size());
  // A publisher per shard with slow readers: a healthy open connection of
  // that shard; readers without one stay healthy (not injected).
  for (auto& [shard, group] : groups) {
    for (const auto& [conn, g] : conns) {
      if (plan.KindOf(g) == FaultKind::kNone && g % shards == shard &&
          loop.info(conn).state == ConnState::kOpen) {
        group.publisher = conn;
        break;
      }
    }
    if (group.publisher < 0) {
      Note(report, fmt::format("no healthy connection on shard {} to publish "
                               "to its {} slow reader(s): not injected",
                               shard, group.readers.size()));
      group.readers.clear();
    }
    for (int64_t r : group.readers) slow.push_back(r);
  }

  // Who got what: acks of subscriptions and publishes, events per reader.
  std::map<int64_t, int> conn_group;  // publisher/reader -> shard
  std::map<int64_t, bool> subscribed, got_end;
  std::map<int64_t, int64_t> events;
  for (auto& [shard, group] : groups) {
    if (group.publisher >= 0) conn_group[group.publisher] = shard;
    for (int64_t r : group.readers) conn_group[r] = shard;
  }
  loop.set_message_handler([&](int conn, Opcode, std::string_view payload,
                               int64_t) {
    if (payload.find(R"("type":"ack","of":"subscribe")") !=
        std::string_view::npos) {
      subscribed[conn] = true;
    } else if (payload.find(R"("type":"ack","of":"publish")") !=
               std::string_view::npos) {
      auto it = conn_group.find(conn);
      if (it != conn_group.end()) ++groups[it->second].acks;
    } else if (payload.find(R"("type":"event")") != std::string_view::npos) {
      if (payload.find(R"("end":true)") != std::string_view::npos) {
        got_end[conn] = true;
      } else {
        ++events[conn];
      }
    }
  });
  auto poll_until = [&](auto done) {
    while (!done()) {
      if (MonotonicNs() >= deadline_ns) return false;
      loop.Poll(5);
    }
    return true;
  };
  auto channel = [&]() {
    return fmt::format("wsbench.slow.w{}", options.worker);
  };

  // Slow readers subscribe (acked), then stop reading.
  for (int64_t r : slow) {
    absl::Status s = loop.Send(
        r, Opcode::kText,
        fmt::format(R"({{"type":"subscribe","channels":["{}"],"id":1}})",
                    channel()));
    if (!s.ok()) return s;
  }
  poll_until([&] {
    return std::all_of(slow.begin(), slow.end(),
                       [&](int64_t r) { return subscribed[r]; });
  });
  for (int64_t r : slow) loop.SetReading(r, false);

  // rst: half a frame, flushed, then the RST.
  for (int64_t c : rst) {
    absl::Status s = loop.SendRaw(c, HalfFrame(static_cast<uint32_t>(c)));
    if (!s.ok()) return s;
  }
  poll_until([&] {
    return std::all_of(rst.begin(), rst.end(), [&](int64_t c) {
      return loop.pending_send_bytes(c) == 0;
    });
  });
  for (int64_t c : rst) {
    loop.Abort(c);
    ++report.injected[Index(FaultKind::kRst)];
  }

  // malformed: one bad frame each.
  for (const auto& [c, kind] : malformed) {
    absl::Status s = loop.SendRaw(
        c,
        MalformedFrame(kind, options.max_frame_size, static_cast<uint32_t>(c)));
    if (!s.ok()) return s;
    ++report.injected[Index(FaultKind::kMalformed)];
    ++report.malformed_sent[static_cast<int>(kind)];
  }

  // slow: events to the stalled readers, queue_byte_limit + 8 MiB each.
  const int64_t publishes = static_cast<int64_t>(
      (uint64_t{options.queue_byte_limit} + (uint64_t{8} << 20)) /
          kSlowEventBytes +
      1);
  const std::string pad(kSlowEventBytes, 'x');
  std::map<int, int64_t> sent;
  for (auto& [shard, group] : groups) {
    if (!group.readers.empty()) sent[shard] = 0;
  }
  report.injected[Index(FaultKind::kSlow)] = static_cast<int64_t>(slow.size());
  poll_until([&] {
    bool all = true;
    for (auto& [shard, n] : sent) {
      SlowGroup& group = groups[shard];
      while (n < publishes && n - group.acks < kPublishWindow &&
             loop.info(group.publisher).state == ConnState::kOpen) {
        loop.Send(
                group.publisher, Opcode::kText,
                fmt::format(
                    R"({{"type":"publish","channel":"{}","data":{{"n":{},"pad":"{}"}},"id":{}}})",
                    channel(), n, pad, n))
            .IgnoreError();
        ++n;
      }
      if (group.acks < publishes &&
          loop.info(group.publisher).state == ConnState::kOpen) {
        all = false;
      }
    }
    return all;
  });
  for (auto& [shard, n] : sent) report.slow_publishes += n;

  // Read again; one last event tells each reader it has seen everything.
  for (int64_t r : slow) loop.SetReading(r, true);
  for (auto& [shard, n] : sent) {
    SlowGroup& group = groups[shard];
    if (loop.info(group.publisher).state != ConnState::kOpen) continue;
    loop.Send(
            group.publisher, Opcode::kText,
            fmt::format(
                R"({{"type":"publish","channel":"{}","data":{{"end":true}},"id":0}})",
                channel()))
        .IgnoreError();
  }
  const bool drop = options.overflow == OverflowPolicy::kDropMessage;
  poll_until([&] {
    for (const auto& [c, kind] : malformed) {
      if (!Ended(loop.info(c).state)) return false;
    }
    for (int64_t r : slow) {
      if (drop ? !got_end[r] && !Ended(loop.info(r).state)
               : !Ended(loop.info(r).state)) {
        return false;
      }
    }
    return true;
  });

  for (const auto& [c, kind] : malformed) {
    const ConnInfo& info = loop.info(c);
    if (Ended(info.state) && info.close_code == ExpectedCloseCode(kind)) {
      ++report.answered[Index(FaultKind::kMalformed)];
      ++report.malformed_answered[static_cast<int>(kind)];
    } else {
      Note(report,
           fmt::format("malformed frame '{}': expected close {}, got {} ({})",
                       MalformedName(kind), ExpectedCloseCode(kind),
                       info.close_code,
                       Ended(info.state) ? "socket ended" : "still open"));
    }
  }
  for (int64_t r : slow) {
    const ConnInfo& info = loop.info(r);
    const int64_t got = events[r];
    if (report.slow_events_min < 0 || got < report.slow_events_min) {
      report.slow_events_min = got;
    }
    bool ok;
    if (drop) {
      ok = info.state == ConnState::kOpen && got_end[r] && got < publishes;
    } else {
      ok = Ended(info.state) && info.close_code == 0;
    }
    if (ok) {
      ++report.answered[Index(FaultKind::kSlow)];
    } else {
      Note(report,
           fmt::format("slow reader ({} policy): {} of {} events, end event "
                       "{}, connection {}",
                       drop ? "drop" : "close", got, publishes,
                       got_end[r] ? "seen" : "not seen",
                       info.state == ConnState::kOpen ? "open" : "ended"));
    }
  }
  for (int64_t c : healthy) {
    if (loop.info(c).state == ConnState::kOpen) ++report.healthy_open;
  }
  loop.set_message_handler(nullptr);
  return report;
}

ServerAnswer CheckServerAnswers(const FaultReport& report,
                                const ServerStats& before,
                                const ServerStats& after,
                                OverflowPolicy overflow) {
  ServerAnswer answer;
  const int64_t rst = report.injected[Index(FaultKind::kRst)];
  const int64_t malformed = report.injected[Index(FaultKind::kMalformed)];
  const int64_t slow = report.injected[Index(FaultKind::kSlow)];
  const bool drop = overflow == OverflowPolicy::kDropMessage;
  const int64_t gone = rst + malformed + (drop ? 0 : slow);
  answer.expected_active = before.active - gone;
  const uint64_t protocol_errors =
      after.protocol_errors - before.protocol_errors;
  const uint64_t closed_slow = after.closed_slow - before.closed_slow;
  const uint64_t dropped = after.messages_dropped - before.messages_dropped;

  answer.answered[Index(FaultKind::kMalformed)] =
      std::min<int64_t>(report.answered[Index(FaultKind::kMalformed)],
                        static_cast<int64_t>(protocol_errors));
  if (static_cast<int64_t>(protocol_errors) != malformed) {
    answer.problems.push_back(
        fmt::format("server counted {} protocol errors for {} malformed frames",
                    protocol_errors, malformed));
  }
  if (report.answered[Index(FaultKind::kMalformed)] != malformed) {
    answer.problems.push_back(fmt::format(
        "{} of {} malformed frames answered with the expected close code{}{}",
        report.answered[Index(FaultKind::kMalformed)], malformed,
        report.first_problem[0] ? ": " : "", report.first_problem));
  }
  if (drop) {
    answer.answered[Index(FaultKind::kSlow)] =
        dropped > 0 ? report.answered[Index(FaultKind::kSlow)] : 0;
    if (slow > 0 && dropped == 0) {
      answer.problems.push_back(fmt::format(
          "{} slow reader(s) but the server dropped no event", slow));
    }
    if (closed_slow != 0) {
      answer.problems.push_back(fmt::format(
          "drop policy, yet {} slow reader(s) closed", closed_slow));
    }
  } else {
    answer.answered[Index(FaultKind::kSlow)] =
        std::min<int64_t>(report.answered[Index(FaultKind::kSlow)],
                          static_cast<int64_t>(closed_slow));
    if (static_cast<int64_t>(closed_slow) != slow) {
      answer.problems.push_back(fmt::format(
          "server closed {} slow reader(s) of {}", closed_slow, slow));
    }
  }
  if (report.answered[Index(FaultKind::kSlow)] != slow) {
    answer.problems.push_back(
        fmt::format("{} of {} slow readers answered as the {} policy requires",
                    report.answered[Index(FaultKind::kSlow)], slow,
                    drop ? "drop" : "close"));
  }
  // The gauge: exactly the connections that had to go are gone.
  if (after.active == answer.expected_active) {
    answer.answered[Index(FaultKind::kRst)] = rst;
  } else {
    answer.problems.push_back(
        fmt::format("gauge {} after the faults, expected {} ({} before, {} "
                    "rst + {} malformed{} gone)",
                    after.active, answer.expected_active, before.active, rst,
                    malformed, drop ? "" : fmt::format(" + {} slow", slow)));
  }
  return answer;
}

namespace {
constexpr std::string_view kFaultCommandTag = "faults ";
constexpr std::string_view kFaultReportTag = "faultreport ";

template <typename T>
std::string Tagged(std::string_view tag, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::string out(tag);
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
  return out;
}

template <typename T>
bool Untag(std::string_view tag, std::string_view message, T& value) {
  if (!message.starts_with(tag) || message.size() != tag.size() + sizeof(T)) {
    return false;
  }
  std::memcpy(&value, message.data() + tag.size(), sizeof(T));
  return true;
}
}  // namespace

std::string FaultCommand::Encode() const {
  return Tagged(kFaultCommandTag, *this);
}

bool FaultCommand::Matches(std::string_view message) {
  return message.starts_with(kFaultCommandTag);
}

absl::StatusOr<FaultCommand> FaultCommand::Decode(std::string_view message) {
  FaultCommand command;
  if (!Untag(kFaultCommandTag, message, command)) {
    return absl::InvalidArgumentError("malformed fault command");
  }
  return command;
}

std::string EncodeFaultReport(const FaultReport& report) {
  return Tagged(kFaultReportTag, report);
}

absl::StatusOr<FaultReport> DecodeFaultReport(std::string_view message) {
  FaultReport report;
  if (Untag(kFaultReportTag, message, report)) return report;
  if (message.starts_with("error: ")) {
    return absl::InternalError(std::string(message.substr(7)));
  }
  return absl::InternalError(
      fmt::format("unexpected fault reply of {} bytes", message.size()));
}

std::string RunFaultCommand(ClientLoop& loop, std::span<const int64_t> ids,
                            int worker, std::string_view message) {
  absl::StatusOr<FaultCommand> command = FaultCommand::Decode(message);
  if (!command.ok()) return "error: " + command.status().ToString();
  FaultOptions options;
  options.plan = FaultPlan(command->mix, command->connections, command->seed);
  options.overflow = command->overflow;
  options.max_frame_size = command->max_frame_size;
  options.queue_byte_limit = command->queue_byte_limit;
  options.shards = command->shards;
  options.worker = worker;
  std::vector<std::pair<int64_t, int64_t>> conns;
  const int64_t n =
      std::min<int64_t>(loop.size(), static_cast<int64_t>(ids.size()));
  conns.reserve(static_cast<size_t>(n));
  for (int64_t c = 0; c < n; ++c) conns.emplace_back(c, ids[c]);
  absl::StatusOr<FaultReport> report =
      InjectFaults(loop, conns, options, command->deadline_ns);
  if (!report.ok()) return "error: " + report.status().ToString();
  return EncodeFaultReport(*report);
}

absl::StatusOr<FleetFaultResult> InjectFleetFaults(ClientFleet& clients,
                                                   ServerFleet& servers,
                                                   const FaultCommand& command,
                                                   int gauge_wait_ms) {
  FleetFaultResult result;
  WSBENCH_ASSIGN_OR_RETURN(FleetStats before, servers.Stats());
  WSBENCH_RETURN_IF_ERROR(clients.Broadcast(command.Encode()));
  const int64_t now = MonotonicNs();
  const int timeout_ms =
      static_cast<int>(std::max<int64_t>(0, command.deadline_ns - now) /
                       1'000'000) +
      5'000;
  WSBENCH_ASSIGN_OR_RETURN(std::vector<std::string> replies,
                           clients.CollectReplies(timeout_ms));
  for (const std::string& m : replies) {
    WSBENCH_ASSIGN_OR_RETURN(FaultReport r, DecodeFaultReport(m));
    result.report.Add(r);
  }
  const int64_t rst = result.report.injected[Index(FaultKind::kRst)];
  const int64_t malformed =
      result.report.injected[Index(FaultKind::kMalformed)];
  const int64_t slow = result.report.injected[Index(FaultKind::kSlow)];
  const int64_t left =
      before.stats.active - rst - malformed -
      (command.overflow == OverflowPolicy::kDropMessage ? 0 : slow);
  WSBENCH_ASSIGN_OR_RETURN(FleetStats after,
                           servers.WaitForActive(left, gauge_wait_ms));
  result.answer = CheckServerAnswers(result.report, before.stats, after.stats,
                                     command.overflow);
  return result;
}

}  // namespace wsbench::e2e
