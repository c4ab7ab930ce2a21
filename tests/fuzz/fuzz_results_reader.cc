// libFuzzer target for the run record's reader (record/results_file.h) and
// checks (record/validate.h): any input is parsed without a crash; a file
// that parses is checked, written back with WriteResultsJson and read again
// to the same benchmarks, numbers, strings and flags (the writer's round
// trip).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "record/results_file.h"
#include "record/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<wsbench::record::ResultsFile> file =
      wsbench::record::ParseResults(input, "fuzz.json");
  if (!file.ok()) {
    WSBENCH_FUZZ_CHECK(!file.status().message().empty());
    return 0;
  }
  (void)wsbench::record::CheckRun(*file, {});
  (void)wsbench::record::CheckRun(*file, {.allow_partial = true, .require_probe = true});
  (void)wsbench::record::CheckCovers(*file, *file);
  const std::string text = wsbench::record::WriteResultsJson(*file);
  absl::StatusOr<wsbench::record::ResultsFile> again =
      wsbench::record::ParseResults(text, "rewritten.json");
  WSBENCH_FUZZ_CHECK(again.ok());
  WSBENCH_FUZZ_CHECK(again->runs.size() == file->runs.size());
  for (size_t i = 0; i < file->runs.size(); ++i) {
    WSBENCH_FUZZ_CHECK(again->runs[i].name == file->runs[i].name);
    WSBENCH_FUZZ_CHECK(again->runs[i].run_name == file->runs[i].run_name);
    WSBENCH_FUZZ_CHECK(again->runs[i].numbers == file->runs[i].numbers);
    WSBENCH_FUZZ_CHECK(again->runs[i].strings == file->runs[i].strings);
    WSBENCH_FUZZ_CHECK(again->runs[i].bools == file->runs[i].bools);
  }
  WSBENCH_FUZZ_CHECK(again->info.complete == file->info.complete);
  WSBENCH_FUZZ_CHECK(again->info.fingerprint.cpu_model ==
                     file->info.fingerprint.cpu_model);
  WSBENCH_FUZZ_CHECK(again->degradation.size() == file->degradation.size());
  WSBENCH_FUZZ_CHECK(wsbench::record::WriteResultsJson(*again) == text);
  return 0;
}
