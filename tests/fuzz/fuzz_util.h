// Small helpers shared by the libFuzzer targets: a crash-with-message check
// (libFuzzer reports any abort as a crash and saves the input).
#ifndef WSBENCH_TESTS_FUZZ_FUZZ_UTIL_H_
#define WSBENCH_TESTS_FUZZ_FUZZ_UTIL_H_

#include <cstdio>
#include <cstdlib>

#define WSBENCH_FUZZ_CHECK(cond)                                      \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::abort();                                                   \
    }                                                                 \
  } while (0)

#endif  // WSBENCH_TESTS_FUZZ_FUZZ_UTIL_H_
