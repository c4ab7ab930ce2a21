#include "e2e/client_fleet.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "e2e/fault_injector.h"
#include "e2e/fd_budget.h"
#include "e2e/process.h"
#include "fmt/format.h"
#include "record/read_file.h"

namespace wsbench::e2e {
namespace {

constexpr std::string_view kOpen = "open ";

// CPU seconds of `pid` so far: /proc/PID/schedstat's first field (time on
// a CPU in nanoseconds; /proc/PID/stat counts whole clock ticks, 10 ms,
// too coarse for a pass of a few hundred connections). 0 when gone.
double ProcessCpuSeconds(pid_t pid) {
  absl::StatusOr<std::string> read =
      record::ReadFileToString(fmt::format("/proc/{}/schedstat", pid));
  if (!read.ok()) return 0;
  uint64_t ns = 0;
  std::from_chars(read->data(), read->data() + read->size(), ns);
  return double(ns) / 1e9;
}

template <typename T>
void Put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(v));
}
template <typename T>
bool Get(std::string_view& in, T& v) {
  if (in.size() < sizeof(v)) return false;
  std::memcpy(&v, in.data(), sizeof(v));
  in.remove_prefix(sizeof(v));
  return true;
}

absl::Status WorkerError(std::string_view message) {
  if (message.starts_with("error: ")) {
    return absl::InternalError(std::string(message.substr(7)));
  }
  return absl::InternalError(
      fmt::format("unexpected reply of {} bytes", message.size()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClientFleet>> ClientFleet::Start(
    const ClientFleetOptions& options, WorkerMain main) {
  if (options.workers < 1 || options.workers > 256) {
    return absl::InvalidArgumentError(
        fmt::format("ClientFleet: workers {} (1..256)", options.workers));
  }
  std::unique_ptr<ClientFleet> fleet(new ClientFleet());
  const int64_t share =
      (std::max<int64_t>(options.connections, 1) + options.workers - 1) /
      options.workers;
  for (int i = 0; i < options.workers; ++i) {
    absl::StatusOr<ForkedChild> child = ForkChild();
    if (!child.ok()) return child.status();
    if (child->pid == 0) {
      Channel channel = std::move(child->channel);
      PrepareChild(channel, options.cpu, share + kFdReserve);
      ClientLoopOptions loop_options = options.loop;
      loop_options.seed = options.loop.seed * 1'000'003 + uint64_t(i);
      int code = 1;
      {
        ClientLoop loop(loop_options);
        WorkerContext context{i, options.workers, &loop, &channel, share};
        code = main(context);
      }
      _exit(code);
    }
    fleet->pids_.push_back(child->pid);
    fleet->channels_.push_back(std::move(child->channel));
  }
  return fleet;
}

ClientFleet::~ClientFleet() { KillAndReap(pids_, 500); }

absl::Status ClientFleet::Broadcast(std::string_view message) {
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (absl::Status s = channels_[i].Send(message); !s.ok()) {
      return absl::InternalError(
          fmt::format("client worker {}: {}", i, std::string(s.message())));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ClientFleet::CollectReplies(
    int timeout_ms, bool (*stopping)()) {
  std::vector<std::string> replies;
  const int64_t deadline = MonotonicMs() + timeout_ms;
  for (size_t i = 0; i < channels_.size(); ++i) {
    while (true) {
      if (stopping != nullptr && stopping()) {
        return absl::CancelledError("interrupted");
      }
      const int64_t left = deadline - MonotonicMs();
      absl::StatusOr<std::string> m = channels_[i].Receive(
          static_cast<int>(std::clamp<int64_t>(left, 0, 100)));
      if (m.ok()) {
        replies.push_back(*std::move(m));
        break;
      }
      if (!absl::IsDeadlineExceeded(m.status()) || left <= 0) {
        return absl::InternalError(
            fmt::format("client worker {}: {}", i,
                        absl::IsDeadlineExceeded(m.status())
                            ? fmt::format("no reply within {} ms", timeout_ms)
                            : std::string(m.status().message())));
      }
    }
  }
  return replies;
}

double ClientFleet::CpuSeconds() const {
  double total = 0;
  for (pid_t pid : pids_) total += ProcessCpuSeconds(pid);
  return total;
}

absl::Status ClientFleet::Stop(int timeout_ms) {
  for (Channel& c : channels_) (void)c.Send("exit");
  channels_.clear();
  return WaitAndReap(pids_, timeout_ms, "client worker");
}

std::string OpenCommand::Encode() const {
  return fmt::format("{}{} {} {} {}", kOpen, begin, end, start_ns, deadline_ns);
}

absl::StatusOr<OpenCommand> OpenCommand::Decode(std::string_view message) {
  OpenCommand c;
  if (!message.starts_with(kOpen)) {
    return absl::InvalidArgumentError(
        fmt::format("not an open command: '{}'", message.substr(0, 40)));
  }
  message.remove_prefix(kOpen.size());
  int64_t* fields[] = {&c.begin, &c.end, &c.start_ns, &c.deadline_ns};
  for (int64_t* f : fields) {
    const size_t end = std::min(message.find(' '), message.size());
    if (std::from_chars(message.data(), message.data() + end, *f).ec !=
        std::errc()) {
      return absl::InvalidArgumentError("malformed open command");
    }
    message.remove_prefix(std::min(end + 1, message.size()));
  }
  if (c.begin < 0 || c.end < c.begin) {
    return absl::InvalidArgumentError("open command with a bad range");
  }
  return c;
}

std::string OpenReply::Encode() const {
  std::string out = "R";
  Put(out, opened);
  Put(out, failed);
  Put(out, first_start_ns);
  Put(out, last_open_ns);
  Put(out, static_cast<uint64_t>(first_failure.size()));
  out += first_failure;
  out += PackVector(samples);
  return out;
}

absl::StatusOr<OpenReply> OpenReply::Decode(std::string_view message) {
  if (!message.starts_with("R")) return WorkerError(message);
  message.remove_prefix(1);
  OpenReply r;
  uint64_t failure_size = 0;
  if (!Get(message, r.opened) || !Get(message, r.failed) ||
      !Get(message, r.first_start_ns) || !Get(message, r.last_open_ns) ||
      !Get(message, failure_size) || message.size() < failure_size ||
      (message.size() - failure_size) % sizeof(OpenSample) != 0) {
    return absl::InternalError("malformed open reply");
  }
  r.first_failure = std::string(message.substr(0, failure_size));
  r.samples = UnpackVector<OpenSample>(message.substr(failure_size));
  return r;
}

std::string CloseReply::Encode() const {
  std::string out = "C";
  Put(out, result);
  return out;
}

absl::StatusOr<CloseReply> CloseReply::Decode(std::string_view message) {
  if (!message.starts_with("C")) return WorkerError(message);
  message.remove_prefix(1);
  CloseReply r;
  if (!Get(message, r.result) || !message.empty()) {
    return absl::InternalError("malformed close reply");
  }
  return r;
}

absl::StatusOr<int64_t> OpenOwnedRange(WorkerContext& context, int64_t begin,
                                       int64_t end, int64_t start_ns,
                                       int64_t deadline_ns) {
  const int64_t w = context.workers;
  const int64_t first = begin + ((context.index - begin % w) % w + w) % w;
  OpenRequest request;
  request.first_id = first;
  request.count = first < end ? (end - 1 - first) / w + 1 : 0;
  request.stride = w;
  request.ramp_base = begin;
  request.start_ns = start_ns;
  request.deadline_ns = deadline_ns;
  return context.loop->Open(request);
}

int ConnectionWorkerMain(WorkerContext& context) {
  ClientLoop& loop = *context.loop;
  std::vector<int64_t> ids;  // global id of each of the loop's connections
  while (true) {
    absl::StatusOr<std::string> m = context.parent->Receive(-1);
    if (!m.ok() || *m == "exit") return 0;
    if (*m == "close") {
      CloseReply reply;
      reply.result = loop.CloseAll(1000, MonotonicNs() + 30'000'000'000);
      loop.Clear();
      ids.clear();
      if (!context.parent->Send(reply.Encode()).ok()) return 1;
      continue;
    }
    if (*m == "clear") {
      loop.Clear();
      ids.clear();
      if (!context.parent->Send("ok").ok()) return 1;
      continue;
    }
    if (FaultCommand::Matches(*m)) {
      if (!context.parent->Send(RunFaultCommand(loop, ids, context.index, *m))
               .ok()) {
        return 1;
      }
      continue;
    }
    absl::StatusOr<OpenCommand> command = OpenCommand::Decode(*m);
    if (!command.ok()) {
      (void)context.parent->Send("error: " + command.status().ToString());
      return 1;
    }
    const int64_t before = loop.size();
    absl::StatusOr<int64_t> opened =
        OpenOwnedRange(context, command->begin, command->end, command->start_ns,
                       command->deadline_ns);
    if (!opened.ok()) {
      (void)context.parent->Send("error: " + opened.status().ToString());
      continue;
    }
    {
      const int64_t w = context.workers;
      int64_t g =
          command->begin + ((context.index - command->begin % w) % w + w) % w;
      for (int64_t c = before; c < loop.size(); ++c, g += w) ids.push_back(g);
    }
    OpenReply reply;
    reply.samples.reserve(static_cast<size_t>(loop.size() - before));
    for (int64_t c = before; c < loop.size(); ++c) {
      const ConnTimes& t = loop.times(c);
      const bool ok = t.open_ns != 0 && loop.info(c).state == ConnState::kOpen;
      reply.samples.push_back({t.connect_start_ns, ok ? t.open_ns : 0});
      if (ok) {
        ++reply.opened;
        reply.last_open_ns = std::max(reply.last_open_ns, t.open_ns);
      } else {
        ++reply.failed;
        if (reply.first_failure.empty()) {
          reply.first_failure = loop.info(c).failure;
        }
      }
      if (t.connect_start_ns != 0 &&
          (reply.first_start_ns == 0 ||
           t.connect_start_ns < reply.first_start_ns)) {
        reply.first_start_ns = t.connect_start_ns;
      }
    }
    if (!context.parent->Send(reply.Encode()).ok()) return 1;
  }
}

}  // namespace wsbench::e2e
