#include "instructions.h"

#include <cstdio>

namespace wsbench::bench {

int InstructionsMain(int argc, char** argv) {
  std::fprintf(stderr, "wsbench: --instructions is not implemented yet\n");
  return 2;
}

}  // namespace wsbench::bench
