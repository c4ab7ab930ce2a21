// `wsbench --instructions`: counts instructions per operation for a small
// fixed workload per dimension under valgrind's callgrind (deterministic
// metric for the CI gate). Implemented under the baselines issue.
#ifndef WSBENCH_BENCH_INSTRUCTIONS_H_
#define WSBENCH_BENCH_INSTRUCTIONS_H_

namespace wsbench::bench {

// Entry point when argv contains --instructions; returns the exit code.
int InstructionsMain(int argc, char** argv);

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_INSTRUCTIONS_H_
