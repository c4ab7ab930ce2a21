#include "e2e/client_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <span>

#include "fmt/format.h"
#include "wsbench/handshake.h"

namespace wsbench::e2e {
namespace {

constexpr size_t kBufferSize = 256 * 1024;
constexpr int kMaxEvents = 1024;

constexpr char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// base64 of 16 random bytes (RFC 6455 section 4.1 item 7).
std::string RandomKey(uint64_t& state) {
  uint8_t bytes[18] = {};
  const uint64_t a = SplitMix(state), b = SplitMix(state);
  memcpy(bytes, &a, 8);
  memcpy(bytes + 8, &b, 8);
  std::string key;
  for (int i = 0; i < 18; i += 3) {
    const uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    key += kBase64[(v >> 18) & 63];
    key += kBase64[(v >> 12) & 63];
    key += kBase64[(v >> 6) & 63];
    key += kBase64[v & 63];
  }
  key.resize(22);
  return key + "==";
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// The value of header `name` in a response header block, trimmed; empty
// when absent.
std::string_view HeaderValue(std::string_view block, std::string_view name) {
  size_t pos = block.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < block.size()) {
    const size_t start = pos + 2;
    const size_t end = block.find("\r\n", start);
    std::string_view line = block.substr(start, end == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : end - start);
    if (StartsWithNoCase(line, name) && line.size() > name.size() &&
        line[name.size()] == ':') {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
      }
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
      }
      return v;
    }
    pos = end;
  }
  return {};
}

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (StartsWithNoCase(haystack.substr(i), needle)) return true;
  }
  return false;
}

bool InLoopback(uint32_t address) { return (address >> 24) == 127; }

}  // namespace

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

ClientLoop::ClientLoop(const ClientLoopOptions& options)
    : options_(options),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      buffer_(new char[kBufferSize]),
      key_state_(options.seed) {}

ClientLoop::~ClientLoop() {
  Clear();
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void ClientLoop::Clear() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
  conns_.clear();
  open_count_ = 0;
  in_flight_ = 0;
}

absl::StatusOr<int64_t> ClientLoop::Open(const OpenRequest& request,
                                         bool (*stopping)()) {
  if (epoll_fd_ < 0) {
    return absl::InternalError(
        fmt::format("epoll_create1: {}", strerror(errno)));
  }
  if (options_.ports.empty()) {
    return absl::InvalidArgumentError("ClientLoop: no server port given");
  }
  if (!InLoopback(options_.server_address) ||
      !InLoopback(options_.first_source) || options_.per_source < 1 ||
      options_.per_source > 28'000) {
    return absl::InvalidArgumentError(
        "ClientLoop: addresses must be in 127.0.0.0/8 and per_source "
        "1..28000");
  }
  if (request.count < 0 || request.stride < 1) {
    return absl::InvalidArgumentError(fmt::format(
        "ClientLoop::Open: count {} and stride {} (stride >= 1, count >= 0)",
        request.count, request.stride));
  }
  const int64_t first = size();
  conns_.resize(static_cast<size_t>(first + request.count));
  auto id_of = [&](int64_t k) { return request.first_id + k * request.stride; };
  auto due_of = [&](int64_t k) {
    return request.start_ns +
           options_.ramp.OffsetNs(id_of(k) - request.ramp_base);
  };
  const int64_t opened_before = open_count_;
  int64_t next = 0;  // the next attempt to start
  const int64_t window = std::max<int64_t>(1, options_.ramp.window());
  while (true) {
    if (stopping != nullptr && stopping()) {
      return absl::CancelledError("interrupted");
    }
    int64_t now = MonotonicNs();
    while (next < request.count && in_flight_ < window && due_of(next) <= now) {
      const int64_t conn = first + next;
      const int64_t id = id_of(next);
      ++next;
      Conn& c = conns_[conn];
      c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (c.fd < 0) {
        const int err = errno;
        Fail(conn, fmt::format("socket: {}", strerror(err)), now);
        if (err == EMFILE || err == ENFILE) {
          return absl::ResourceExhaustedError(
              fmt::format("socket: {} after {} sockets of this process (raise "
                          "RLIMIT_NOFILE or use more client processes)",
                          strerror(err), open_count_ + in_flight_));
        }
        continue;
      }
      const int one = 1;
      setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
      setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      sockaddr_in src{};
      src.sin_family = AF_INET;
      src.sin_addr.s_addr =
          htonl(options_.first_source +
                static_cast<uint32_t>(id / options_.per_source));
      if (bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0) {
        c.info.error = errno;
        Fail(conn, fmt::format("bind: {}", strerror(errno)), now);
        continue;
      }
      sockaddr_in dst{};
      dst.sin_family = AF_INET;
      dst.sin_port = htons(options_.ports[static_cast<size_t>(
          id % static_cast<int64_t>(options_.ports.size()))]);
      dst.sin_addr.s_addr = htonl(options_.server_address);
      // Stamped per attempt: starting a window of attempts takes a while.
      c.times.connect_start_ns = MonotonicNs();
      c.info.state = ConnState::kConnecting;
      ++in_flight_;
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u64 = static_cast<uint64_t>(conn);
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev);
      if (connect(c.fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0 &&
          errno != EINPROGRESS) {
        c.info.error = errno;
        Fail(conn, fmt::format("connect: {}", strerror(errno)), now);
        continue;
      }
      // Writable once established: the request goes out from HandleEvent.
    }
    if (next == request.count && in_flight_ == 0) break;
    now = MonotonicNs();
    if (now >= request.deadline_ns) {
      for (int64_t k = 0; k < request.count; ++k) {
        const ConnState s = conns_[first + k].info.state;
        if (s == ConnState::kPending || s == ConnState::kConnecting ||
            s == ConnState::kUpgrading) {
          Fail(first + k, "timed out", now);
        }
      }
      break;
    }
    int64_t wait_ns = 10'000'000;
    if (next < request.count && in_flight_ < window) {
      wait_ns = std::clamp<int64_t>(due_of(next) - now, 0, wait_ns);
    }
    Wait(wait_ns);
  }
  return open_count_ - opened_before;
}

int ClientLoop::Poll(int timeout_ms) {
  return Wait(timeout_ms < 0 ? -1 : int64_t{timeout_ms} * 1'000'000);
}

int ClientLoop::Wait(int64_t timeout_ns) {
  epoll_event events[kMaxEvents];
  int n;
  if (timeout_ns < 0) {
    n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
  } else {
    // Nanosecond timeouts (epoll_pwait2, Linux 5.11): a ramp's next attempt
    // is often less than a millisecond away, and a millisecond timeout
    // would round to 0 and spin.
    const timespec ts = {static_cast<time_t>(timeout_ns / 1'000'000'000),
                         static_cast<long>(timeout_ns % 1'000'000'000)};
    n = epoll_pwait2(epoll_fd_, events, kMaxEvents, &ts, nullptr);
    if (n < 0 && errno == ENOSYS) {
      n = epoll_wait(epoll_fd_, events, kMaxEvents,
                     static_cast<int>((timeout_ns + 999'999) / 1'000'000));
    }
  }
  if (n <= 0) return 0;
  const int64_t now = MonotonicNs();
  for (int i = 0; i < n; ++i) {
    HandleEvent(static_cast<int64_t>(events[i].data.u64), events[i].events,
                now);
  }
  return n;
}

void ClientLoop::HandleEvent(int64_t conn, uint32_t events, int64_t now) {
  Conn& c = conns_[conn];
  if (c.fd < 0) return;
  if (c.info.state == ConnState::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      c.info.error = err;
      Fail(conn, fmt::format("connect: {}", strerror(err)), now);
      return;
    }
    if ((events & EPOLLOUT) == 0) return;
    c.times.connected_ns = now;
    const std::string key = RandomKey(key_state_);
    const AcceptKey accept = ComputeAcceptKey(key);
    c.accept.assign(accept.data(), accept.size());
    c.out = fmt::format(
        "GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: {}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n",
        options_.path, key);
    c.info.state = ConnState::kUpgrading;
    Flush(conn);
    return;
  }
  if ((events & EPOLLOUT) != 0 && !c.out.empty()) {
    Flush(conn);
    if (c.fd < 0) return;
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
    if (!c.reading && (events & (EPOLLHUP | EPOLLERR)) == 0) return;
    HandleReadable(conn, now);
  }
}

void ClientLoop::Flush(int64_t conn) {
  Conn& c = conns_[conn];
  while (!c.out.empty()) {
    const ssize_t sent = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      c.info.error = errno;
      Fail(conn, fmt::format("send: {}", strerror(errno)), MonotonicNs());
      return;
    }
    c.out.erase(0, static_cast<size_t>(sent));
  }
  if (c.out.empty() && c.out.capacity() > 4096) std::string().swap(c.out);
  epoll_event ev{};
  ev.events = (c.reading ? EPOLLIN : 0u) | (c.out.empty() ? 0u : EPOLLOUT);
  ev.data.u64 = static_cast<uint64_t>(conn);
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void ClientLoop::HandleReadable(int64_t conn, int64_t now) {
  Conn& c = conns_[conn];
  const ssize_t r = read(c.fd, buffer_.get(), kBufferSize);
  if (r < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    c.info.error = errno;
    Fail(conn, fmt::format("read: {}", strerror(errno)), now);
    return;
  }
  if (r == 0) {
    if (c.close_received && c.close_sent) {
      End(conn, ConnState::kClosed, now);
    } else {
      Fail(conn,
           c.info.state == ConnState::kUpgrading
               ? "server closed the connection during the upgrade"
               : "server ended the connection without a close handshake",
           now);
    }
    return;
  }
  std::span<uint8_t> input(reinterpret_cast<uint8_t*>(buffer_.get()),
                           static_cast<size_t>(r));
  if (c.info.state == ConnState::kUpgrading) {
    c.in.append(buffer_.get(), static_cast<size_t>(r));
    const size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (c.in.size() > 16384) Fail(conn, "101 response too long", now);
      return;
    }
    const std::string_view block(c.in.data(), end + 2);
    if (block.substr(0, 13) != "HTTP/1.1 101 ") {
      Fail(conn,
           fmt::format("upgrade refused: {}",
                       block.substr(0, std::min<size_t>(block.find('\r'), 80))),
           now);
      return;
    }
    if (!ContainsNoCase(HeaderValue(block, "Upgrade"), "websocket") ||
        !ContainsNoCase(HeaderValue(block, "Connection"), "upgrade") ||
        HeaderValue(block, "Sec-WebSocket-Accept") != c.accept) {
      Fail(conn,
           "101 without the right Upgrade, Connection or "
           "Sec-WebSocket-Accept",
           now);
      return;
    }
    // Bytes after the 101 are the first frames: keep them in the buffer.
    const size_t rest = c.in.size() - (end + 4);
    const size_t offset = static_cast<size_t>(r) - rest;
    input = input.subspan(offset);
    std::string().swap(c.in);
    std::string().swap(c.accept);
    c.times.open_ns = now;
    c.info.state = ConnState::kOpen;
    --in_flight_;
    ++open_count_;
    FrameDecoderOptions d;
    d.require_mask = false;
    d.max_frame_size = options_.max_frame_size;
    d.max_message_size = options_.max_frame_size;
    c.decoder = std::make_unique<FrameDecoder>(d);
  }
  if (!c.decoder) return;
  while (c.fd >= 0) {
    FrameEvent e = c.decoder->Next(input);
    switch (e.type) {
      case FrameEventType::kNeedMore:
        return;
      case FrameEventType::kMessage:
        if (on_message_) on_message_(conn, e.opcode, e.text(), now);
        break;
      case FrameEventType::kPing:
        AppendFrame(
            {.opcode = Opcode::kPong, .masked = true, .mask_key = {1, 2, 3, 4}},
            e.text(), c.out);
        Flush(conn);
        break;
      case FrameEventType::kPong:
        break;
      case FrameEventType::kClose:
        c.close_received = true;
        c.info.close_code = e.close_code;
        if (c.times.close_start_ns == 0) c.times.close_start_ns = now;
        if (c.info.state == ConnState::kOpen) {
          --open_count_;
          c.info.state = ConnState::kClosing;
        }
        if (!c.close_sent) {
          c.close_sent = true;
          std::string payload;
          if (e.close_code != 1005 && e.close_code != 0) {
            payload += static_cast<char>(e.close_code >> 8);
            payload += static_cast<char>(e.close_code & 0xFF);
          }
          AppendFrame({.opcode = Opcode::kClose,
                       .masked = true,
                       .mask_key = {5, 6, 7, 8}},
                      payload, c.out);
          Flush(conn);
        }
        return;  // the server ends the TCP connection next
      case FrameEventType::kError:
        Fail(conn,
             fmt::format("frame from the server: {}",
                         std::string(c.decoder->status().message())),
             now);
        return;
    }
  }
}

absl::Status ClientLoop::Send(int64_t conn, Opcode opcode,
                              std::string_view payload, bool fin) {
  if (conn < 0 || conn >= size() ||
      conns_[conn].info.state != ConnState::kOpen) {
    return absl::FailedPreconditionError(
        fmt::format("ClientLoop::Send: connection {} is not open", conn));
  }
  Conn& c = conns_[conn];
  const uint64_t mask = SplitMix(key_state_);
  FrameHeader h{.opcode = opcode, .fin = fin, .masked = true};
  memcpy(h.mask_key.data(), &mask, 4);
  const bool was_empty = c.out.empty();
  AppendFrame(h, payload, c.out);
  if (was_empty) Flush(conn);
  return absl::OkStatus();
}

absl::Status ClientLoop::SendRaw(int64_t conn, std::string_view bytes) {
  if (conn < 0 || conn >= size() || conns_[conn].fd < 0 ||
      conns_[conn].decoder == nullptr) {
    return absl::FailedPreconditionError(fmt::format(
        "ClientLoop::SendRaw: connection {} is not past its upgrade", conn));
  }
  Conn& c = conns_[conn];
  const bool was_empty = c.out.empty();
  c.out.append(bytes);
  if (was_empty) Flush(conn);
  return absl::OkStatus();
}

void ClientLoop::SetReading(int64_t conn, bool reading) {
  Conn& c = conns_[conn];
  if (c.fd < 0 || c.reading == reading) return;
  c.reading = reading;
  epoll_event ev{};
  ev.events = (reading ? EPOLLIN : 0u) | (c.out.empty() ? 0u : EPOLLOUT);
  ev.data.u64 = static_cast<uint64_t>(conn);
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
}

void ClientLoop::Abort(int64_t conn) {
  Conn& c = conns_[conn];
  if (c.fd < 0) return;
  linger l = {1, 0};
  setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  Fail(conn, "aborted", MonotonicNs());
}

size_t ClientLoop::pending_send_bytes(int64_t conn) const {
  return conns_[conn].out.size();
}

void ClientLoop::End(int64_t conn, ConnState state, int64_t now) {
  Conn& c = conns_[conn];
  if (c.info.state == ConnState::kConnecting ||
      c.info.state == ConnState::kUpgrading) {
    --in_flight_;
  } else if (c.info.state == ConnState::kOpen) {
    --open_count_;
  }
  if (c.fd >= 0) close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  c.info.state = state;
  c.times.closed_ns = now;
  std::string().swap(c.in);
  std::string().swap(c.out);
  std::string().swap(c.accept);
  c.decoder.reset();
}

void ClientLoop::Fail(int64_t conn, std::string why, int64_t now) {
  conns_[conn].info.failure = std::move(why);
  End(conn, ConnState::kFailed, now);
}

CloseResult ClientLoop::CloseAll(uint16_t code, int64_t deadline_ns) {
  CloseResult result;
  result.start_ns = MonotonicNs();
  std::vector<int64_t> closing;
  for (int64_t conn = 0; conn < size(); ++conn) {
    Conn& c = conns_[conn];
    if (c.fd < 0) continue;
    if (c.info.state == ConnState::kOpen) {
      ++result.requested;
      c.close_sent = true;
      c.times.close_start_ns = result.start_ns;
      c.info.state = ConnState::kClosing;
      --open_count_;
      const char payload[2] = {static_cast<char>(code >> 8),
                               static_cast<char>(code & 0xFF)};
      AppendFrame({.opcode = Opcode::kClose,
                   .masked = true,
                   .mask_key = {9, 10, 11, 12}},
                  std::string_view(payload, 2), c.out);
      if (!c.reading) SetReading(conn, true);
      Flush(conn);
      closing.push_back(conn);
    } else if (c.info.state == ConnState::kClosing) {
      closing.push_back(conn);
    }
  }
  auto remaining = [&] {
    int64_t n = 0;
    for (int64_t conn : closing) n += conns_[conn].fd >= 0 ? 1 : 0;
    return n;
  };
  int64_t left = remaining();
  while (left > 0 && MonotonicNs() < deadline_ns) {
    Poll(10);
    left = remaining();
  }
  result.end_ns = MonotonicNs();
  for (int64_t conn : closing) {
    Conn& c = conns_[conn];
    if (c.fd >= 0) {
      Fail(conn, "close handshake timed out", result.end_ns);
      ++result.unclean;
    } else if (c.info.state == ConnState::kClosed) {
      ++result.clean;
      result.end_ns = std::max(result.end_ns, c.times.closed_ns);
    } else {
      ++result.unclean;
    }
  }
  // The last socket's end, not the poll that noticed it.
  int64_t last = result.start_ns;
  for (int64_t conn : closing) {
    last = std::max(last, conns_[conn].times.closed_ns);
  }
  result.end_ns = last;
  return result;
}

}  // namespace wsbench::e2e
