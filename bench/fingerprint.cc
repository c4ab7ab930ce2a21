#include "fingerprint.h"

#include <cstdio>
#include <fstream>
#include <thread>

#include "build_info.h"

namespace wsbench::bench {
namespace {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) break;
      size_t start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "unknown";
}

// Output of a shell command (stderr discarded); nullopt-like "" plus ok=false on failure.
bool RunCommand(const std::string& command, std::string* out) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  char buffer[256];
  out->clear();
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out->append(buffer, n);
  return pclose(pipe) == 0;
}

}  // namespace

const char* SourceDir() { return WSBENCH_SOURCE_DIR; }
const char* SuiteVersion() { return WSBENCH_VERSION; }

record::Fingerprint CurrentFingerprint() {
  record::Fingerprint f;
  f.cpu_model = CpuModel();
  f.cores = static_cast<int64_t>(std::thread::hardware_concurrency());
  f.compiler = WSBENCH_BUILD_COMPILER;
  f.cxx_flags = WSBENCH_BUILD_CXX_FLAGS;
  f.build_type = WSBENCH_BUILD_TYPE;
  f.git_revision = "unknown";
  const std::string git = std::string("git -C '") + WSBENCH_SOURCE_DIR + "' ";
  std::string out;
  if (RunCommand(git + "rev-parse HEAD 2>/dev/null", &out)) {
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (!out.empty()) f.git_revision = out;
    if (RunCommand(git + "status --porcelain --untracked-files=no 2>/dev/null", &out)) {
      f.git_dirty = !out.empty();
    }
  }
  return f;
}

}  // namespace wsbench::bench
