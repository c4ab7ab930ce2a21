// Writing an output file so that a reader sees either the old file or the
// whole new one, never half of it, and nothing but the named file changes.
//
// WriteFileAtomically, for a regular file or a path that does not exist yet,
// creates an unpredictable temporary DIR/.NAME.XXXXXX exclusively
// (mkostemp: O_CREAT|O_EXCL, so a planted file or symlink is never
// followed), writes and fsyncs it, renames it over DIR/NAME and fsyncs DIR;
// on any failure the temporary is removed and the target is untouched. The
// file keeps the old file's permission bits (new files: 0666 less umask).
// What is not a regular file is written through, never replaced: "-",
// /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N go to that
// descriptor; a device node or FIFO is opened and written; a symlink to a
// regular file replaces the link's target atomically and keeps the link
// (a dangling symlink is written through, creating its target). Every
// output file of the suite and the tools (results.json, summary.md,
// baselines, verdicts, reports, flame graphs) is written through it.
//
//   absl::Status s = WriteFileAtomically("out/results.json", text);
#ifndef WSBENCH_RECORD_ATOMIC_FILE_H_
#define WSBENCH_RECORD_ATOMIC_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace wsbench::record {

// Writes `content` to `path` as above. Internal error naming the path and
// the step that failed (create, write, fsync, close, rename) with errno's
// text; InvalidArgument when `path` is empty or a directory.
absl::Status WriteFileAtomically(const std::string& path,
                                 std::string_view content);

// Whether WriteFileAtomically(path, ...) can succeed, checked before work
// whose output it is: a written-through target can be opened for writing;
// otherwise a temporary file can be created (and is removed) in the
// directory. Internal error naming the path and errno's text otherwise.
absl::Status CheckWritable(const std::string& path);

// Whether `path` names a descriptor or a file that is written through
// rather than replaced (see above); false for regular files and paths
// that do not exist.
bool IsWrittenThrough(const std::string& path);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_ATOMIC_FILE_H_
