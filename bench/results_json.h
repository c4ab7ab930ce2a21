// The suite's results as a run record (record/results_file.h): one
// "iteration" entry per repetition, then per benchmark the aggregates mean,
// median, stddev, cv, min, max ("run_type": "aggregate"), a failed
// benchmark as an entry with "error_occurred", and "degradation".
// record::WriteResultsJson writes it; this file only maps the suite's
// in-memory results onto the record.
//
// A latency percentile below the timer's resolution is written as null with
// "<p>_below_resolution": true beside it (and "latency_resolution_us"), in
// repetitions and in the aggregates it decides; never as a number.
//
//   std::string json = ResultsJson(info, results, degradation, &thresholds);
#ifndef WSBENCH_BENCH_RESULTS_JSON_H_
#define WSBENCH_BENCH_RESULTS_JSON_H_

#include <string>
#include <utility>
#include <vector>

#include "record/results_file.h"
#include "results.h"

namespace wsbench::bench {

// The members Google Benchmark's JSON reporter writes in "context" (date,
// host_name, executable, num_cpus, mhz_per_cpu, cpu_scaling_enabled,
// caches, load_avg, library_build_type), as (key, raw JSON).
std::vector<std::pair<std::string, std::string>> GoogleBenchmarkContext();

// The record of a run. Verdicts of the median and mean aggregates come from
// `thresholds` (none when nullptr); repetitions carry their own. The
// record's version is the suite's.
record::ResultsFile ResultsRecord(
    const record::RunInfo& info,
    std::vector<std::pair<std::string, std::string>> context_fields,
    const std::vector<BenchmarkResult>& results,
    const std::vector<record::Degradation>& degradation,
    const Thresholds* thresholds);

// results.json text: ResultsRecord with GoogleBenchmarkContext(), written
// by record::WriteResultsJson.
std::string ResultsJson(const record::RunInfo& info,
                        const std::vector<BenchmarkResult>& results,
                        const std::vector<record::Degradation>& degradation,
                        const Thresholds* thresholds);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_RESULTS_JSON_H_
