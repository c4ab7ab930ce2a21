// The machine and build identity written into results.json
// (context.wsbench.fingerprint), so tools compare time only between runs of
// the same CPU, core count, compiler, flags and build type.
//
// Compiler, flags and build type are fixed at configure time (generated
// build_info.h); CPU model and cores are read at run time from
// /proc/cpuinfo; the git revision and dirty flag are read AT RUN TIME from
// the source tree the binary was configured from (`git rev-parse HEAD`,
// `git status --porcelain`), "unknown" / false when git or the tree is
// not available.
//
//   record::Fingerprint f = CurrentFingerprint();
#ifndef WSBENCH_BENCH_FINGERPRINT_H_
#define WSBENCH_BENCH_FINGERPRINT_H_

#include "record/fingerprint.h"

namespace wsbench::bench {

// This binary on this machine (record/fingerprint.h is the type).
record::Fingerprint CurrentFingerprint();

// The source tree the binary was configured from.
const char* SourceDir();
// The suite's version ("0.1.0").
const char* SuiteVersion();

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_FINGERPRINT_H_
