// Placeholder driver until the suite issue lands: lists the registered
// dimensions. Replaced by the real wsbench program.
#include <cstdio>

#include "workload.h"

int main() {
  std::printf("wsbench: suite driver not built yet; %zu dimensions registered\n",
              wsbench::bench::Dimensions().size());
  return 0;
}
