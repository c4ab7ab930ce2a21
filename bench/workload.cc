#include "workload.h"

namespace wsbench::bench {

std::vector<Dimension>& Dimensions() {
  static auto* dimensions = new std::vector<Dimension>();
  return *dimensions;
}

bool RegisterDimension(Dimension dimension) {
  Dimensions().push_back(dimension);
  return true;
}

}  // namespace wsbench::bench
