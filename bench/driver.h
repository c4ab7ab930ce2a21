// The wsbench program's driver: selects `<dimension>/<level>` benchmarks,
// runs them through Google Benchmark (throughput pass, latency pass,
// allocation count, verification), and writes the summary and results.
//
// Per benchmark: the workload is set up once (untimed) and kept for its
// repetitions; each Google Benchmark iteration is one throughput pass:
// Reset() untimed, Run(0, ops) timed as a whole by steady_clock (manual
// time; Run is called on a few contiguous chunks so a stop request is seen
// within ~0.1 s, with no timer per op), Verify(). After the repetition's
// passes, the latency pass (latency_pass.h) times single ops with the
// calibrated BenchClock into a Histogram. Only one workload is alive at a
// time. A stop request (SIGINT/SIGTERM/SIGHUP) ends the run between chunks or
// single timed ops; finished repetitions are written as a partial run.
//
// Exit codes: 0, 1 (a benchmark failed Setup/Verify), 2 (bad flags or
// thresholds file), 128 + signal when interrupted.
//
//   int code = RunSuiteMain(argc, argv, Dimensions(), std::cout, std::cerr);
#ifndef WSBENCH_BENCH_DRIVER_H_
#define WSBENCH_BENCH_DRIVER_H_

#include <ostream>
#include <vector>

#include "workload.h"

namespace wsbench::bench {

// The stop flag shared by the signal handlers and the driver.
void RequestStop(int signal_number);
int StopSignal();  // 0 when no stop was requested
void ClearStop();
// SIGINT, SIGTERM and SIGHUP set the stop flag (a second signal kills as
// usual).
void InstallStopHandlers();

// The whole program minus --instructions: parses flags, runs, reports.
// `dimensions` is the set to choose from (the registered ones in wsbench,
// fakes in tests).
int RunSuiteMain(int argc, char** argv, const std::vector<Dimension>& dimensions,
                 std::ostream& out, std::ostream& err);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_DRIVER_H_
