#include "loopback_floor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "fmt/format.h"
#include "histogram.h"

namespace wsbench::bench {
namespace {

constexpr size_t kMaxSize = size_t{1} << 20;

int64_t NowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

absl::Status Errno(std::string_view what) {
  return absl::InternalError(
      fmt::format("loopback floor: {}: {}", what, std::strerror(errno)));
}

// The echo child: only async-signal-safe calls after the fork.
[[noreturn]] void EchoChild(int listen_fd, int cpu) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
  }
  const int fd = accept(listen_fd, nullptr, nullptr);
  if (fd < 0) _exit(1);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  static char buffer[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n == 0) _exit(0);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = write(fd, buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) _exit(1);
      done += w;
    }
  }
}

// Waits for `fd` to be readable until deadline_ns.
absl::Status WaitReadable(int fd, int64_t deadline_ns) {
  for (;;) {
    const int64_t left_ms = (deadline_ns - NowNs()) / 1'000'000;
    if (left_ms <= 0) {
      return absl::DeadlineExceededError(
          "loopback floor: the echo child did not answer in time");
    }
    pollfd p{fd, POLLIN, 0};
    const int r =
        poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (r > 0) return absl::OkStatus();
    if (r < 0 && errno != EINTR) return Errno("poll");
  }
}

class Child {
 public:
  ~Child() {
    if (fd_ >= 0) close(fd_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace

absl::StatusOr<LoopbackFloor> MeasureLoopbackFloor(
    const LoopbackFloorOptions& options) {
  if (options.sizes.empty()) {
    return absl::InvalidArgumentError("loopback floor: no message sizes");
  }
  for (size_t s : options.sizes) {
    if (s == 0 || s > kMaxSize) {
      return absl::InvalidArgumentError(fmt::format(
          "loopback floor: message size {} outside 1..{}", s, kMaxSize));
    }
  }
  if (options.round_trips < 1 || options.warmup < 0) {
    return absl::InvalidArgumentError(
        "loopback floor: round_trips must be >= 1 and warmup >= 0");
  }
  const int64_t deadline =
      NowNs() + int64_t{std::max(options.timeout_ms, 1)} * 1'000'000;

  const int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) return Errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd, 1) != 0 ||
      getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    absl::Status s = Errno("listen on 127.0.0.1");
    close(listen_fd);
    return s;
  }
  Child child;
  child.pid_ = fork();
  if (child.pid_ == 0) EchoChild(listen_fd, options.cpu);
  close(listen_fd);
  if (child.pid_ < 0) return Errno("fork");

  child.fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (child.fd_ < 0) return Errno("socket");
  if (connect(child.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) !=
      0) {
    return Errno("connect");
  }
  const int one = 1;
  setsockopt(child.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  const size_t largest =
      *std::max_element(options.sizes.begin(), options.sizes.end());
  std::string out(largest, 'x');
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>('a' + i % 26);
  std::string in(largest, '\0');
  std::vector<int64_t> samples;
  samples.reserve(static_cast<size_t>(options.round_trips));
  const int64_t total = options.warmup + options.round_trips;
  for (int64_t k = 0; k < total; ++k) {
    const size_t size =
        options.sizes[static_cast<size_t>(k) % options.sizes.size()];
    const int64_t t0 = NowNs();
    for (size_t done = 0; done < size;) {
      const ssize_t w = write(child.fd_, out.data() + done, size - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Errno("write");
      done += static_cast<size_t>(w);
    }
    for (size_t got = 0; got < size;) {
      const ssize_t r =
          recv(child.fd_, in.data() + got, size - got, MSG_DONTWAIT);
      if (r > 0) {
        got += static_cast<size_t>(r);
      } else if (r == 0) {
        return absl::InternalError("loopback floor: the echo child hung up");
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (absl::Status s = WaitReadable(child.fd_, deadline); !s.ok())
          return s;
      } else if (errno != EINTR) {
        return Errno("read");
      }
    }
    const int64_t t1 = NowNs();
    if (std::memcmp(in.data(), out.data(), size) != 0) {
      return absl::InternalError("loopback floor: the echo differs");
    }
    if (k >= options.warmup) samples.push_back(t1 - t0);
  }
  if (options.samples_ns != nullptr) *options.samples_ns = samples;
  return FloorFromSamples(samples);
}

LoopbackFloor FloorFromSamples(const std::vector<int64_t>& samples_ns) {
  Histogram h;
  for (int64_t ns : samples_ns) h.Record(static_cast<uint64_t>(ns) * 1000);
  LoopbackFloor f;
  f.samples = static_cast<int64_t>(h.count());
  f.p50_us = h.Percentile(50) / 1e6;
  f.p95_us = h.Percentile(95) / 1e6;
  f.p99_us = h.Percentile(99) / 1e6;
  f.mean_us = h.mean() / 1e6;
  return f;
}

void AddLoopbackCounters(const absl::StatusOr<LoopbackFloor>& floor,
                         std::map<std::string, double>& counters) {
  if (!floor.ok() || floor->samples == 0) return;
  counters["loopback_rtt_p50_us"] = floor->p50_us;
  counters["loopback_rtt_p95_us"] = floor->p95_us;
  counters["loopback_rtt_p99_us"] = floor->p99_us;
  counters["loopback_rtt_mean_us"] = floor->mean_us;
  counters["loopback_rtt_samples"] = static_cast<double>(floor->samples);
}

}  // namespace wsbench::bench
