// Tests for record/atomic_file.h: the target is replaced whole, no
// temporary file is left behind, and a failed write keeps the old file.
#include "record/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace wsbench::record {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(AtomicFileTest, AtomicWriteLeavesOnlyTheFile) {
  fs::path dir = fs::temp_directory_path() /
                 ("wsbench_atomic_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "results.json").string();
  ASSERT_TRUE(WriteFileAtomically(path, "{\"a\": 1}\n").ok());
  EXPECT_EQ(ReadFile(path), "{\"a\": 1}\n");
  ASSERT_TRUE(WriteFileAtomically(path, "{\"b\": 2}\n").ok());  // replaces
  EXPECT_EQ(ReadFile(path), "{\"b\": 2}\n");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "results.json");
  }
  EXPECT_EQ(files, 1);
  fs::remove_all(dir);
}

TEST(AtomicFileTest, FailedWriteLeavesNoTempAndKeepsOldFile) {
  fs::path dir = fs::temp_directory_path() /
                 ("wsbench_atomic_fail_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // The target is a non-empty directory: rename fails after the temp file is
  // written.
  fs::create_directories(dir / "results.json" / "child");
  absl::Status s = WriteFileAtomically((dir / "results.json").string(), "{}");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("results.json"), std::string::npos);
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "results.json")
        << "left " << entry.path();
  }
  // A directory that does not exist: clear error, nothing created.
  absl::Status missing =
      WriteFileAtomically((dir / "nope" / "results.json").string(), "{}");
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(fs::exists(dir / "nope"));
  fs::remove_all(dir);
}
// A fresh empty directory per test.
fs::path TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() /
                 ("wsbench_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(AtomicFileTest, DeviceNodeIsWrittenThroughNotReplaced) {
  const fs::path dir = TempDir("atomic_dev");
  const std::string node = (dir / "n").string();
  // Root can make a device node (the null device, 1:3); others test a FIFO.
  if (::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "mknod needs root";
  }
  EXPECT_TRUE(IsWrittenThrough(node));
  ASSERT_TRUE(WriteFileAtomically(node, "{}\n").ok());
  struct stat st;
  ASSERT_EQ(::lstat(node.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "n") << "left " << entry.path();
  }
  fs::remove_all(dir);
}

TEST(AtomicFileTest, FifoIsWrittenThrough) {
  const fs::path dir = TempDir("atomic_fifo");
  const std::string fifo = (dir / "f").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Open the read end first (non-blocking) so the writer does not block.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(WriteFileAtomically(fifo, "through").ok());
  char buffer[16] = {};
  EXPECT_EQ(::read(reader, buffer, sizeof(buffer)), 7);
  EXPECT_EQ(std::string(buffer), "through");
  ::close(reader);
  struct stat st;
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  fs::remove_all(dir);
}

TEST(AtomicFileTest, DevFullReportsTheWriteError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  absl::Status s = WriteFileAtomically("/dev/full", "x");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("/dev/full"), std::string::npos);
  struct stat st;
  ASSERT_EQ(::stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(AtomicFileTest, SymlinkTargetIsReplacedAndTheLinkKept) {
  const fs::path dir = TempDir("atomic_link");
  fs::create_directories(dir / "real");
  const std::string target = (dir / "real" / "report.md").string();
  { std::ofstream(target) << "old"; }
  const std::string link = (dir / "link.md").string();
  fs::create_symlink(target, link);
  ASSERT_TRUE(WriteFileAtomically(link, "new").ok());
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(ReadFile(target), "new");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir / "real")) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "report.md");
  }
  EXPECT_EQ(files, 1);
  fs::remove_all(dir);
}

TEST(AtomicFileTest, PlantedTemporarySymlinkIsNotFollowed) {
  const fs::path dir = TempDir("atomic_plant");
  const std::string victim = (dir / "victim").string();
  { std::ofstream(victim) << "precious"; }
  // Every name the old writer could have used, and the mkstemp pattern.
  fs::create_symlink(victim, dir / (".v.json.tmp." + std::to_string(getpid())));
  fs::create_symlink(victim, dir / ".v.json.tmp");
  ASSERT_TRUE(WriteFileAtomically((dir / "v.json").string(), "{}").ok());
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_EQ(ReadFile((dir / "v.json").string()), "{}");
  EXPECT_FALSE(fs::is_symlink(dir / "v.json"));
  fs::remove_all(dir);
}

TEST(AtomicFileTest, StdoutNamesAreWrittenToTheDescriptor) {
  const fs::path dir = TempDir("atomic_stdout");
  const std::string capture = (dir / "out").string();
  const int file = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(file, 0);
  std::fflush(stdout);
  const int saved = ::dup(1);
  ASSERT_GE(saved, 0);
  ASSERT_EQ(::dup2(file, 1), 1);
  const absl::Status dash = WriteFileAtomically("-", "a");
  const absl::Status dev = WriteFileAtomically("/dev/stdout", "b");
  const absl::Status fd =
      WriteFileAtomically("/dev/fd/" + std::to_string(file), "c");
  ::dup2(saved, 1);
  ::close(saved);
  ::close(file);
  EXPECT_TRUE(dash.ok()) << dash;
  EXPECT_TRUE(dev.ok()) << dev;
  EXPECT_TRUE(fd.ok()) << fd;
  EXPECT_EQ(ReadFile(capture), "abc");
  struct stat st;
  ASSERT_EQ(::lstat("/dev/stdout", &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "/dev/stdout was replaced";
  fs::remove_all(dir);
}

TEST(AtomicFileTest, KeepsPermissionsAndRefusesDirectories) {
  const fs::path dir = TempDir("atomic_mode");
  const std::string path = (dir / "x").string();
  { std::ofstream(path) << "old"; }
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  ASSERT_TRUE(WriteFileAtomically(path, "new").ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  absl::Status d = WriteFileAtomically(dir.string(), "x");
  EXPECT_FALSE(d.ok());
  EXPECT_NE(std::string(d.message()).find("directory"), std::string::npos);
  EXPECT_FALSE(WriteFileAtomically("", "x").ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wsbench::record
