// Writing an output file so that a reader sees either the old file or the
// whole new one, never half of it.
//
// WriteFileAtomically writes DIR/.NAME.tmp.PID, fsyncs it and renames it
// over DIR/NAME; on any failure the temporary file is removed and the
// target is untouched. Every output file of the suite and the tools
// (results.json, summary.md, baselines, verdicts, reports) is written
// through it.
//
//   absl::Status s = WriteFileAtomically("out/results.json", text);
#ifndef WSBENCH_RECORD_ATOMIC_FILE_H_
#define WSBENCH_RECORD_ATOMIC_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace wsbench::record {

// Writes `content` to `path`. Internal error naming the path and the step
// that failed (create, write, fsync, close, rename) with errno's text.
absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view content);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_ATOMIC_FILE_H_
