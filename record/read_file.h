// Reading a whole file for the record's parsers (results, thresholds, gate
// configuration, call graphs).
//
//   absl::StatusOr<std::string> text = record::ReadFileToString(path);
//   if (!text.ok()) return text.status();  // "<path>: cannot open: <why>"
#ifndef WSBENCH_RECORD_READ_FILE_H_
#define WSBENCH_RECORD_READ_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace wsbench::record {

// The bytes of `path` ("-" reads standard input). NotFound names the path
// and the system's reason when it cannot be opened; DataLoss on a read
// error.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_READ_FILE_H_
