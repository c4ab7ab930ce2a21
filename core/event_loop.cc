// EventLoop: epoll + an eventfd for wake-ups.
#include "wsbench/event_loop.h"

#include <errno.h>
#include <fmt/format.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace wsbench {
namespace {

absl::Status ErrnoError(std::string_view what, int fd) {
  return absl::InternalError(
      fmt::format("{} (fd {}): {}", what, fd, strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return ErrnoError("epoll_create1", -1);
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    absl::Status s = ErrnoError("eventfd", -1);
    close(epoll_fd);
    return s;
  }
  std::unique_ptr<EventLoop> loop(new EventLoop(epoll_fd, wake_fd));
  if (absl::Status s = loop->Add(wake_fd, EPOLLIN, kWakeToken); !s.ok())
    return s;
  return loop;
}

EventLoop::~EventLoop() {
  close(wake_fd_);
  close(epoll_fd_);
}

absl::Status EventLoop::Add(int fd, uint32_t events, uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return ErrnoError("epoll_ctl ADD", fd);
  }
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events, uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return ErrnoError("epoll_ctl MOD", fd);
  }
  return absl::OkStatus();
}

void EventLoop::Remove(int fd) {
  // Closing the fd would drop it from the set too; removing first keeps the
  // set exact when the fd is shared (it never is here, but dup'ed fds are).
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

int EventLoop::Wait(int timeout_ms) {
  const int n = epoll_wait(epoll_fd_, events_.data(), kMaxEvents, timeout_ms);
  return n < 0 ? 0 : n;  // EINTR (a signal): the caller simply polls again.
}

void EventLoop::Wake() {
  const uint64_t one = 1;
  // A full counter (2^64 - 2 pending wakes) still wakes the loop: ignore.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
}

void EventLoop::ClearWake() {
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof(count));
}

}  // namespace wsbench
