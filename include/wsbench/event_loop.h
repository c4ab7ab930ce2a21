// EventLoop: a thin, single-threaded wrapper over Linux epoll for non-blocking
// sockets, with a thread-safe wake-up (an eventfd) so other threads can hand
// it work or ask it to stop.
//
// Each registered file descriptor carries a 64-bit token chosen by the owner
// (the server uses the fd itself plus a tag); Poll() waits up to a timeout
// and calls fn(token, events) for every ready descriptor, level-triggered
// unless the caller passes EPOLLET. Poll gathers at most kMaxEvents events
// per call into an array inside the loop (no allocation per call).
//
// Cost: one epoll_wait per Poll; Add/Modify/Remove are one epoll_ctl each.
// Thread safety: everything but Wake() must be called from the loop's thread.
//
//   absl::StatusOr<std::unique_ptr<wsbench::EventLoop>> loop =
//       wsbench::EventLoop::Create();
//   (*loop)->Add(fd, EPOLLIN, fd);
//   (*loop)->Poll(1000, [&](uint64_t token, uint32_t events) { ... });
#ifndef WSBENCH_EVENT_LOOP_H_
#define WSBENCH_EVENT_LOOP_H_

#include <sys/epoll.h>

#include <array>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wsbench {

class EventLoop {
 public:
  static constexpr int kMaxEvents = 256;
  // The token Poll reports for a Wake() (never give it to Add).
  static constexpr uint64_t kWakeToken = ~uint64_t{0};

  // Creates the epoll instance and the wake-up eventfd. Internal with errno's
  // text when the kernel refuses (e.g. out of file descriptors).
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers / re-arms / forgets `fd` (epoll_ctl ADD / MOD / DEL). Errors
  // carry errno's text and the fd.
  absl::Status Add(int fd, uint32_t events, uint64_t token);
  absl::Status Modify(int fd, uint32_t events, uint64_t token);
  void Remove(int fd);

  // Waits up to timeout_ms (-1: forever) and calls fn(token, events) for
  // each ready descriptor; a Wake() is reported once as kWakeToken (its
  // counter already cleared). Returns the number of events, 0 on timeout or
  // EINTR.
  template <typename Fn>
  int Poll(int timeout_ms, Fn&& fn) {
    const int n = Wait(timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t token = events_[i].data.u64;
      if (token == kWakeToken) ClearWake();
      fn(token, events_[i].events);
    }
    return n;
  }

  // Makes a Poll in progress (or the next one) return at once. Thread-safe
  // and async-signal-safe (one write(2) to the eventfd).
  void Wake();

 private:
  EventLoop(int epoll_fd, int wake_fd)
      : epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}
  int Wait(int timeout_ms);
  void ClearWake();

  int epoll_fd_;
  int wake_fd_;
  std::array<epoll_event, kMaxEvents> events_{};
};

}  // namespace wsbench

#endif  // WSBENCH_EVENT_LOOP_H_
