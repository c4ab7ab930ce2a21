// Reading and writing a wsbench results.json: the one reader and the one
// writer of the run record.
//
// results.json is Google Benchmark's JSON format with wsbench's additions
// (the suite builds a ResultsFile and writes it with WriteResultsJson):
//
//   {"context": {<Google Benchmark context>,
//                "wsbench": {"version", "complete", "partial_reason"?,
//                            "command_line", "seed", "repetitions",
//                            "invalid_share", "fingerprint": {...},
//                            "timer": {...}, "wall_seconds",
//                            "peak_rss_bytes", "levels": [...],
//                            "dimensions": [...]}},
//    "benchmarks": [{"name", "run_name", "run_type", ...numbers...}, ...],
//    "degradation": [{"dimension", "lowest_level", "highest_level", "pct",
//                     "bottleneck"}, ...]}
//
// The same reader takes the instruction-count file written by
// `tools/instructions` (context.wsbench.kind == "instructions", one entry per
// benchmark carrying "instructions_per_op") and baselines (a results file,
// possibly with "instructions_per_op" merged into its entries).
//
// Data layout: ResultsFile owns everything (std::string / std::vector /
// std::map); each BenchmarkRun keeps its well-known fields typed and every
// other field in `numbers` (numeric counters such as "p95_us",
// "ops_per_second", "allocs_per_op"), `strings` or `bools`, so nothing a
// newer writer adds is lost and WriteResultsJson() can round-trip a file.
// Reading is O(file size) (simdjson on-demand); lookups by name use an
// index built on first use (O(entries of that name) each).
// Thread-safety: plain values; no shared state.
//
// Tolerant of extra fields anywhere; strict about the fields it needs:
// a missing or mistyped required field is InvalidArgument naming the file
// and the JSON path ("base.json: benchmarks[3].name: missing").
//
//   absl::StatusOr<wsbench::record::ResultsFile> file =
//       wsbench::record::ReadResultsFile("out/results.json");
//   if (!file.ok()) { std::cerr << file.status().message() << "\n"; return 2; }
//   for (const auto& name : file->BenchmarkNames()) {
//     std::vector<double> p95 = file->RepetitionValues(name, "p95_us");
//   }
#ifndef WSBENCH_RECORD_RESULTS_FILE_H_
#define WSBENCH_RECORD_RESULTS_FILE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "record/fingerprint.h"

namespace wsbench::record {

struct TimerInfo {
  std::string source;  // "rdtsc" or "steady_clock"
  double overhead_ns = 0;
  double ticks_per_ns = 0;
  // The shortest single-op time the clock resolves (max of a reading
  // pair's cost and its tick); 0 in files written before it was recorded.
  double resolution_ns = 0;
};

// context.wsbench.
// RunInfo::kind of a plain Google Benchmark file (a context without a
// "wsbench" member): its other fields keep their defaults.
inline constexpr std::string_view kGoogleBenchmarkKind = "google_benchmark";

struct RunInfo {
  // "results", "instructions", or kGoogleBenchmarkKind
  std::string kind = "results";
  std::string version;
  bool complete = false;       // required
  std::string partial_reason;  // set when !complete
  std::string command_line;
  uint64_t seed = 0;
  int64_t repetitions = 0;  // required
  double invalid_share = 0;
  Fingerprint fingerprint;  // required
  TimerInfo timer;
  double wall_seconds = 0;
  double peak_rss_bytes = 0;
  std::vector<std::string> levels;
  std::vector<std::string> dimensions;
  // Every other member of context.wsbench, as (key, raw JSON) in file order.
  std::vector<std::pair<std::string, std::string>> extra_fields;
};

enum class RunType { kIteration, kAggregate };

// One entry of "benchmarks": a single repetition (kIteration) or a Google
// Benchmark aggregate over the repetitions (kAggregate, e.g. "_median";
// note Google Benchmark 1.7's median is wrong for even repetition counts, so
// compare recomputes statistics from the kIteration entries).
struct BenchmarkRun {
  std::string name;      // "broadcast/medium" or "broadcast/medium_median"
  std::string run_name;  // "broadcast/medium" (defaults to name)
  RunType run_type = RunType::kIteration;
  std::string aggregate_name;  // "median", "mean", ... for kAggregate
  int64_t repetition_index = 0;
  std::string dimension;  // "broadcast" (may be empty in foreign files)
  std::string level;      // "medium"
  // Every other numeric field: "real_time", "cpu_time", "iterations",
  // "ops", "ops_per_second", "items_per_second", "p50_us", "p95_us",
  // "p99_us", "allocs_per_op", "instructions_per_op", ...
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;  // "time_unit", "verdict", ...
  std::map<std::string, bool> bools;           // "error_occurred", ...

  // The numeric field `key`, if present.
  std::optional<double> Number(std::string_view key) const;
  bool failed() const;  // Google Benchmark's "error_occurred": true
};

struct Degradation {
  std::string dimension;
  std::string lowest_level;
  std::string highest_level;
  double pct = 0;
  bool bottleneck = false;
};

struct ResultsFile {
  std::string path;  // where it was read from (for messages)
  RunInfo info;      // context.wsbench
  // Every member of "context" except "wsbench" (Google Benchmark's date,
  // host_name, caches, ...), as (key, raw JSON) in file order.
  std::vector<std::pair<std::string, std::string>> context_fields;
  std::vector<BenchmarkRun> runs;  // "benchmarks", in file order
  std::vector<Degradation> degradation;

  // Distinct run_names in first-seen order ("broadcast/medium", ...).
  std::vector<std::string> BenchmarkNames() const;
  // `key` from every kIteration entry of `run_name` that has it, in
  // repetition order; failed repetitions are skipped.
  std::vector<double> RepetitionValues(std::string_view run_name,
                                       std::string_view key) const;
  // How many kIteration entries of `run_name` (failed ones skipped) carry
  // the bool `key` as true, e.g. "p95_below_resolution".
  int CountTrue(std::string_view run_name, std::string_view key) const;
  // The sampling rule behind `run_name`'s latency percentiles (see
  // bench/latency_pass.h): its repetitions' latency_rule ("single_op",
  // "single_op:publish"), or for files written before that field existed
  // "single_op" when every repetition timed single ops (latency_batch 1)
  // and "batch_mean:k=N" otherwise; several rules joined by " | " when
  // repetitions differ; empty when the file does not say.
  std::string LatencyRule(std::string_view run_name) const;
  // The aggregate entry of `run_name` called `aggregate_name`, or nullptr.
  const BenchmarkRun* Aggregate(std::string_view run_name,
                                std::string_view aggregate_name) const;
  // The first kIteration entry of `run_name`, or nullptr.
  const BenchmarkRun* FirstIteration(std::string_view run_name) const;

 private:
  // The entries of `run_name`, in file order, from an index by run_name so
  // that looking up every benchmark is linear in the file, not quadratic.
  // The index is rebuilt when `runs` was reallocated, resized or an indexed
  // entry renamed; a caller that renames entries in place should assign a
  // new vector.
  std::vector<const BenchmarkRun*> Named(std::string_view run_name) const;
  mutable std::unordered_map<std::string, std::vector<size_t>> index_;
  mutable const BenchmarkRun* indexed_data_ = nullptr;
  mutable size_t indexed_size_ = 0;
};

// "p95_us" -> "p95_below_resolution": the bool a results file sets when a
// latency percentile lies below the timer's resolution (the number itself
// is then null, so RepetitionValues leaves that repetition out). Empty for
// keys not ending in "_us".
std::string BelowResolutionKey(std::string_view key);
// "p999_us" -> "p999_too_few_samples": the bool set when too few samples lie
// beyond a percentile to report it (the number is then null). Empty for
// keys not ending in "_us".
std::string TooFewSamplesKey(std::string_view key);

// Parses `json`; `source` names the input in error messages (a path).
// InvalidArgument on malformed JSON or a missing/mistyped required field:
// context (object), context.wsbench (object, when present: without it the
// file is a plain Google Benchmark file, kind kGoogleBenchmarkKind) with
// complete (bool), repetitions (number) and fingerprint (object with its
// string fields and cores), benchmarks (array) whose entries have name
// (string); every other field is optional.
absl::StatusOr<ResultsFile> ParseResults(std::string_view json,
                                         std::string_view source);

// Reads and parses the file at `path`. NotFound when it cannot be opened,
// otherwise as ParseResults.
absl::StatusOr<ResultsFile> ReadResultsFile(const std::string& path);

// Serializes `file` back to results.json form: "context" from
// context_fields plus "wsbench" from `info`, "benchmarks" from runs,
// "degradation". ParseResults of the output yields an equal ResultsFile.
std::string WriteResultsJson(const ResultsFile& file);

// The members of the JSON object `object_json` as (key, raw JSON value) in
// order; `source` names the input in errors. InvalidArgument when it is not
// one well-formed object.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
ParseObjectMembers(std::string_view object_json, std::string_view source);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_RESULTS_FILE_H_
