// The machine and build identity of a run (context.wsbench.fingerprint in
// results.json): time is comparable only between runs of the same CPU,
// core count, compiler, flags and build type. The suite fills it
// (bench/fingerprint.h, CurrentFingerprint); the tools read it.
//
//   std::vector<std::string> d = FingerprintMismatches(base, next);
//   if (!d.empty()) { /* time not comparable: d names the fields */ }
#ifndef WSBENCH_RECORD_FINGERPRINT_H_
#define WSBENCH_RECORD_FINGERPRINT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace wsbench::record {

struct Fingerprint {
  std::string cpu_model;
  int64_t cores = 0;
  std::string compiler;      // "GNU 12.2.0"
  std::string cxx_flags;     // CMAKE_CXX_FLAGS + CMAKE_CXX_FLAGS_<CONFIG>
  std::string build_type;    // "Release"
  std::string git_revision;  // 40 hex digits or "unknown"
  bool git_dirty = false;
};

// The fields of `a` and `b` that make time measurements incomparable
// (subset of {"cpu_model", "cores", "compiler", "cxx_flags", "build_type"}),
// empty when they match.
std::vector<std::string> FingerprintMismatches(const Fingerprint& a,
                                               const Fingerprint& b);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_FINGERPRINT_H_
