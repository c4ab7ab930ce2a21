// Tests for record/atomic_file.h: the target is replaced whole, no
// temporary file is left behind, and a failed write keeps the old file.
#include "record/atomic_file.h"

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
}  // namespace
}  // namespace wsbench::record
