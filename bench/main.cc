// wsbench: the benchmark suite program (see bench/driver.h and `wsbench --help`).
#include <cstring>
#include <iostream>

#include "driver.h"
#include "instructions.h"
#include "workload.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--instructions") == 0) {
      return wsbench::bench::InstructionsMain(argc, argv);
    }
  }
  wsbench::bench::InstallStopHandlers();
  return wsbench::bench::RunSuiteMain(argc, argv, wsbench::bench::Dimensions(), std::cout,
                                      std::cerr);
}
