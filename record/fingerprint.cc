#include "record/fingerprint.h"

namespace wsbench::record {

std::vector<std::string> FingerprintMismatches(const Fingerprint& a,
                                               const Fingerprint& b) {
  std::vector<std::string> out;
  if (a.cpu_model != b.cpu_model) out.push_back("cpu_model");
  if (a.cores != b.cores) out.push_back("cores");
  if (a.compiler != b.compiler) out.push_back("compiler");
  if (a.cxx_flags != b.cxx_flags) out.push_back("cxx_flags");
  if (a.build_type != b.build_type) out.push_back("build_type");
  return out;
}

}  // namespace wsbench::record
