// A run record as CSV (RFC 4180) for spreadsheets: one row per benchmark
// and metric.
//
// Columns (the header row):
//   benchmark,dimension,level,metric,value,unit,repetitions,mean,min,max,
//   stddev,cv_pct,note
// `value` is the median over the benchmark's repetitions (the figure the
// summary and the gate use; record/statistics.h), the other statistics
// are over the same repetitions and are empty with fewer than two.
// Metrics are every numeric field of the repetitions except bookkeeping
// (repetition_index, repetitions, threads, family_index,
// per_family_instance_index), in a fixed order: time per op, rates,
// latency percentiles, then the rest by name. A latency percentile below
// the timer's resolution (null in results.json) counts as a repetition
// whose value lies below every number (so a median below the resolution
// leaves `value` empty) and the note says how many and the resolution; a
// percentile with too few samples beyond it is left out of the figures
// and noted. A benchmark whose every repetition failed gets one row,
// metric "error_occurred", value 1, the error message as the note.
// Aggregate entries (Google Benchmark's _mean, _median ...) are not
// rows: the statistics are recomputed from the repetitions.
//
// Fields are quoted when they hold a comma, a double quote, CR or LF (a
// double quote doubled); lines end with CRLF. Numbers are written in the
// shortest form that reads back to the same double. The same file gives
// the same bytes. Pure, thread-safe.
//
//   absl::StatusOr<ResultsFile> run = ReadResultsFile("out/results.json");
//   absl::Status s = WriteResultsCsv("out/results.csv", *run);
#ifndef WSBENCH_RECORD_CSV_H_
#define WSBENCH_RECORD_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "record/results_file.h"

namespace wsbench::record {

// `text` as one CSV field (RFC 4180 section 2, rules 5-7).
std::string CsvField(std::string_view text);
// The fields joined with commas, each quoted as needed, ending in CRLF.
std::string CsvRow(const std::vector<std::string>& fields);

// The whole CSV text of `file`, header first.
std::string ResultsCsv(const ResultsFile& file);

// ResultsCsv(file) written to `path` through WriteFileAtomically (so a
// failure leaves any existing file untouched); its error otherwise.
absl::Status WriteResultsCsv(const std::string& path, const ResultsFile& file);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_CSV_H_
