// The code path instruction counts were measured on: what decides, besides
// our own source, which instructions a run executes under callgrind.
//
// callgrind runs the program on valgrind's virtual CPU, so the host's CPU
// model does not decide the count; what does is the CPU the program sees
// there (cpuid vendor, brand and features: valgrind 3.19 shows a Haswell
// i7-4910MQ on an AVX-512 AMD EPYC and an Intel Xeon alike), every run-time
// dispatch that reads it (simdjson's active implementation, our unmask
// kernel, glibc's string functions: its version and GLIBC_TUNABLES; zlib,
// libdeflate and OpenSSL dispatch on it too), the libraries' versions, valgrind's version, and the compiler and flags.
// `wsbench --instructions` records these as context.wsbench.code_path, a flat
// object of strings (tools/instructions adds "valgrind"), and
// save-baseline keeps it in the baseline. Instructions per op are gated
// whenever the two code paths are equal, whatever the host CPU.
//
// Data layout: an ordered list of (field, value) strings.
// Pure functions; thread-safe.
//
//   CodePath base = ReadCodePath(baseline).value();
//   std::vector<std::string> why = CodePathDifferences(base, next);
//   // {"simdjson: icelake -> haswell"}: instructions not gated
#ifndef WSBENCH_TOOLS_COMPARE_CODE_PATH_H_
#define WSBENCH_TOOLS_COMPARE_CODE_PATH_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "record/results_file.h"

namespace wsbench::compare {

struct CodePath {
  bool recorded = false;  // the file has a context.wsbench.code_path
  std::vector<std::pair<std::string, std::string>> fields;  // file order
};

// The member of context.wsbench that holds the code path.
inline constexpr char kCodePathField[] = "code_path";

// `file`'s code path (recorded == false when it has none). InvalidArgument
// naming the file when code_path is not an object of strings.
absl::StatusOr<CodePath> ReadCodePath(const record::ResultsFile& file);

// One line per field whose value differs or that only one side records,
// "simdjson: icelake -> haswell" (base -> new); empty when equal.
std::vector<std::string> CodePathDifferences(const CodePath& base,
                                             const CodePath& next);

}  // namespace wsbench::compare

#endif  // WSBENCH_TOOLS_COMPARE_CODE_PATH_H_
