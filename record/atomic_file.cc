#include "record/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fmt/format.h"

namespace wsbench::record {

absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view content) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string temp = fmt::format("{}/.{}.tmp.{}", dir, base, getpid());
  auto fail = [&](std::string_view what) {
    const int err = errno;
    ::unlink(temp.c_str());
    return absl::InternalError(fmt::format("cannot write '{}': {}: {}", path,
                                           what, std::strerror(err)));
  };
  const int fd =
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(
        fmt::format("cannot write '{}': cannot create '{}': {}", path, temp,
                    std::strerror(errno)));
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return fail("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("fsync");
  }
  if (::close(fd) != 0) return fail("close");
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail("rename");
  return absl::OkStatus();
}

}  // namespace wsbench::record
