// Channel: length-prefixed messages over one end of a socketpair, between
// the suite process and a child it forked (ClientFleet's workers).
//
// Wire: 8-byte little-endian length, then the bytes. Blocking sends;
// receives wait with a timeout (poll), so a dead or stuck peer is an error,
// never a hang. Helpers pack vectors of trivially copyable values (both ends
// are the same binary, so raw bytes are the format). Not thread-safe.
//
//   Channel c(fd);
//   c.Send("open 0 1000");
//   absl::StatusOr<std::string> reply = c.Receive(10'000);
#ifndef WSBENCH_BENCH_E2E_CHANNEL_H_
#define WSBENCH_BENCH_E2E_CHANNEL_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wsbench::e2e {

class Channel {
 public:
  Channel() = default;
  explicit Channel(int fd) : fd_(fd) {}
  ~Channel();  // closes the fd
  Channel(Channel&& other) noexcept;
  Channel& operator=(Channel&& other) noexcept;

  int fd() const { return fd_; }
  // Internal with errno's text when the peer is gone.
  absl::Status Send(std::string_view message);
  // The next message. DeadlineExceeded after timeout_ms (-1: wait
  // forever); bytes of a message that had begun to arrive are kept for the
  // next call, so a timeout never loses the stream's framing. Internal when
  // the peer closed its end ("peer closed") or the length is absurd
  // (> 1 GiB).
  absl::StatusOr<std::string> Receive(int timeout_ms);

 private:
  int fd_ = -1;
  std::string pending_;  // received bytes not yet returned
};

// Raw bytes of a vector of trivially copyable values, and back.
template <typename T>
std::string PackVector(const std::vector<T>& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  return std::string(reinterpret_cast<const char*>(v.data()),
                     v.size() * sizeof(T));
}
template <typename T>
std::vector<T> UnpackVector(std::string_view bytes) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::vector<T> v(bytes.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace wsbench::e2e

#endif  // WSBENCH_BENCH_E2E_CHANNEL_H_
