#include "record/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "fmt/format.h"

namespace wsbench::record {
namespace {

absl::Status Fail(const std::string& path, std::string_view what, int err) {
  return absl::InternalError(
      fmt::format("cannot write '{}': {}: {}", path, what, std::strerror(err)));
}

// Writes all of `content` to `fd`, retrying on EINTR and short writes.
bool WriteAll(int fd, std::string_view content) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// The descriptor `path` stands for: "-" and /dev/stdout are 1, /dev/stderr
// 2, /dev/fd/N and /proc/self/fd/N are N.
std::optional<int> DescriptorOf(std::string_view path) {
  if (path == "-" || path == "/dev/stdout") return 1;
  if (path == "/dev/stderr") return 2;
  for (std::string_view prefix : {"/dev/fd/", "/proc/self/fd/"}) {
    if (path.substr(0, prefix.size()) == prefix) {
      const std::string_view digits = path.substr(prefix.size());
      int fd = -1;
      const auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), fd);
      if (ec == std::errc() && end == digits.data() + digits.size() &&
          !digits.empty() && fd >= 0) {
        return fd;
      }
    }
  }
  return std::nullopt;
}

absl::Status WriteToDescriptor(const std::string& path, int fd,
                               std::string_view content) {
  // What stdio has buffered for the same descriptor goes first.
  std::fflush(stdout);
  std::fflush(stderr);
  if (!WriteAll(fd, content)) return Fail(path, "write", errno);
  return absl::OkStatus();
}

// Opens an existing non-regular file (device, FIFO, dangling symlink's
// target) and writes to it.
absl::Status WriteThrough(const std::string& path, std::string_view content,
                          int flags) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | flags, 0666);
  if (fd < 0) return Fail(path, "open", errno);
  if (!WriteAll(fd, content)) {
    const int err = errno;
    ::close(fd);
    return Fail(path, "write", err);
  }
  if (::close(fd) != 0) return Fail(path, "close", errno);
  return absl::OkStatus();
}

mode_t CurrentUmask() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return mask;
}

// Temporary file + fsync + rename + fsync of the directory. `target` is a
// regular file or does not exist; `shown` is the path named in errors.
absl::Status ReplaceAtomically(const std::string& target,
                               const std::string& shown,
                               std::string_view content) {
  const size_t slash = target.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : target.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? target : target.substr(slash + 1);
  std::string temp =
      (slash == std::string::npos ? std::string()
                                  : target.substr(0, slash + 1)) +
      "." + base + ".XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return absl::InternalError(
        fmt::format("cannot write '{}': cannot create a temporary file in "
                    "'{}': {}",
                    shown, dir, std::strerror(errno)));
  }
  temp.assign(name.data());
  auto fail = [&](std::string_view what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return Fail(shown, what, err);
  };
  struct stat old;
  const mode_t mode = ::stat(target.c_str(), &old) == 0
                          ? (old.st_mode & 07777)
                          : (0666 & ~CurrentUmask());
  if (::fchmod(fd, mode) != 0) return fail("chmod");
  if (!WriteAll(fd, content)) return fail("write");
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return Fail(shown, "close", err);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return Fail(shown, "rename", err);
  }
  // The rename itself survives a crash once the directory is synced.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckWritable(const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("cannot write '': empty file name");
  }
  if (std::optional<int> fd = DescriptorOf(path)) {
    if (::fcntl(*fd, F_GETFL) < 0) return Fail(path, "descriptor", errno);
    return absl::OkStatus();
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        fmt::format("cannot write '{}': it is a directory", path));
  }
  if (IsWrittenThrough(path)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    // A FIFO without a reader (ENXIO) is still writable once one opens it.
    if (fd < 0 && errno != ENXIO) return Fail(path, "open", errno);
    if (fd >= 0) ::close(fd);
    return absl::OkStatus();
  }
  std::string target = path;
  if (char* resolved = ::realpath(path.c_str(), nullptr)) {
    target = resolved;
    std::free(resolved);
  }
  const size_t slash = target.rfind('/');
  std::string temp =
      (slash == std::string::npos ? std::string()
                                  : target.substr(0, slash + 1)) +
      ".wsbench-check.XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Fail(path, "cannot create a file in its directory", errno);
  ::close(fd);
  ::unlink(name.data());
  return absl::OkStatus();
}

bool IsWrittenThrough(const std::string& path) {
  if (DescriptorOf(path)) return true;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  if (S_ISREG(st.st_mode)) return false;
  if (S_ISLNK(st.st_mode)) {
    struct stat target;
    if (::stat(path.c_str(), &target) != 0) return true;  // dangling
    return !S_ISREG(target.st_mode);
  }
  return !S_ISDIR(st.st_mode);
}

absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view content) {
  if (path.empty()) {
    return absl::InvalidArgumentError("cannot write '': empty file name");
  }
  if (std::optional<int> fd = DescriptorOf(path)) {
    return WriteToDescriptor(path, *fd, content);
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Fail(path, "stat", errno);
    return ReplaceAtomically(path, path, content);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        fmt::format("cannot write '{}': it is a directory", path));
  }
  if (S_ISREG(st.st_mode)) return ReplaceAtomically(path, path, content);
  if (S_ISLNK(st.st_mode)) {
    struct stat target;
    if (::stat(path.c_str(), &target) != 0) {
      if (errno != ENOENT) return Fail(path, "stat", errno);
      return WriteThrough(path, content, O_CREAT | O_TRUNC);  // dangling
    }
    if (S_ISDIR(target.st_mode)) {
      return absl::InvalidArgumentError(fmt::format(
          "cannot write '{}': it is a symlink to a directory", path));
    }
    if (S_ISREG(target.st_mode)) {
      char* resolved = ::realpath(path.c_str(), nullptr);
      if (resolved == nullptr) return Fail(path, "resolve symlink", errno);
      const std::string real(resolved);
      std::free(resolved);
      return ReplaceAtomically(real, path, content);
    }
    return WriteThrough(path, content, 0);
  }
  // A device node, FIFO or socket: write to it, never replace it.
  return WriteThrough(path, content, 0);
}

}  // namespace wsbench::record
