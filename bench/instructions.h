// `wsbench --instructions`: instructions per operation, the suite's
// deterministic metric for the CI gate (hardware counters are not available
// on the CI VM; valgrind's callgrind counts instructions exactly).
//
// Meant to run under callgrind with instrumentation and collection off
// (tools/instructions does this):
//   valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
//     --callgrind-out-file=DIR/callgrind.out.%p \
//     wsbench --instructions --manifest DIR/manifest.json [--levels light]
//     [--dimensions a,b] [--seed N]
// For each selected `<dimension>/<level>` (default level: light; dimensions
// sorted by name): Setup (untimed, uninstrumented), one warm-up pass
// (Reset, Run, Verify: first-touch allocations and lazy initialisation stay
// out of the count), Reset, then instrumentation and collection on around
// Run(0, ops()) only, a callgrind dump labelled with the benchmark name
// (CALLGRIND_DUMP_STATS_AT), and Verify. The manifest (a results.json-shaped
// file with context.wsbench.kind = "instructions", the fingerprint, and one
// entry per benchmark with "ops") lets tools/instructions turn the dumps'
// totals into "instructions" and "instructions_per_op".
//
// Same binary + same flags = the same counts (fixed seed, fixed op sequence,
// single thread). Outside valgrind it refuses to run (exit 2) unless
// --dry-run is given (runs the same passes, for testing).
#ifndef WSBENCH_BENCH_INSTRUCTIONS_H_
#define WSBENCH_BENCH_INSTRUCTIONS_H_

namespace wsbench::bench {

// Entry point when argv contains --instructions; returns the exit code
// (0 ok, 1 a workload failed Setup/Verify, 2 bad flags or not under valgrind).
int InstructionsMain(int argc, char** argv);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_INSTRUCTIONS_H_
