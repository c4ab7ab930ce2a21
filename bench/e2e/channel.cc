#include "e2e/channel.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "fmt/format.h"

namespace wsbench::e2e {
namespace {

constexpr uint64_t kMaxMessage = uint64_t{1} << 30;

}  // namespace

Channel::~Channel() {
  if (fd_ >= 0) close(fd_);
}

Channel::Channel(Channel&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), pending_(std::move(other.pending_)) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

absl::Status Channel::Send(std::string_view message) {
  if (fd_ < 0) return absl::InternalError("channel closed");
  char header[8];
  uint64_t n = message.size();
  for (int i = 0; i < 8; ++i) header[i] = static_cast<char>(n >> (8 * i));
  std::string_view parts[2] = {std::string_view(header, 8), message};
  for (std::string_view part : parts) {
    while (!part.empty()) {
      const ssize_t sent = send(fd_, part.data(), part.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          pollfd p = {fd_, POLLOUT, 0};
          poll(&p, 1, 100);
          continue;
        }
        return absl::InternalError(fmt::format("send: {}", strerror(errno)));
      }
      part.remove_prefix(static_cast<size_t>(sent));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Channel::Receive(int timeout_ms) {
  if (fd_ < 0) return absl::InternalError("channel closed");
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(std::max(timeout_ms, 0));
  char buffer[65536];
  while (true) {
    if (pending_.size() >= 8) {
      uint64_t n = 0;
      for (int i = 0; i < 8; ++i) {
        n |= uint64_t(uint8_t(pending_[i])) << (8 * i);
      }
      if (n > kMaxMessage) {
        return absl::InternalError(fmt::format("message of {} bytes", n));
      }
      if (pending_.size() >= 8 + n) {
        std::string message = pending_.substr(8, n);
        pending_.erase(0, 8 + n);
        return message;
      }
    }
    int wait = -1;
    if (timeout_ms >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      wait = static_cast<int>(std::max<int64_t>(left, 0));
    }
    pollfd p = {fd_, POLLIN, 0};
    const int r = poll(&p, 1, wait);
    if (r < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(fmt::format("poll: {}", strerror(errno)));
    }
    if (r == 0) return absl::DeadlineExceededError("no message in time");
    const ssize_t got = read(fd_, buffer, sizeof(buffer));
    if (got == 0) return absl::InternalError("peer closed");
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::InternalError(fmt::format("read: {}", strerror(errno)));
    }
    pending_.append(buffer, static_cast<size_t>(got));
  }
}

}  // namespace wsbench::e2e
