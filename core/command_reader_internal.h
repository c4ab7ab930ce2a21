// MessageParser's fast path: one message read into a Command from
// simdjson's stage-1 structural index.
//
// Stage 1 (simdjson, run-time selected kernels) indexes the message and checks
// its UTF-8, string closing and control characters; the root object's fields
// are then read in document order from the index, every value's grammar
// checked on the way (DataValidator::Walk: the root object's own, "data",
// unknown fields, non-integer ids), so each structural is visited once; the
// escapes of every string are checked by one scan of the message. Strings the
// command keeps (type, channel names, a string id) are views of the message
// unless they hold an escape; those are unescaped by simdjson's parse_string.
//
// Internal to wsbench::core (the one includer of simdjson_stage1_internal.h).
#ifndef WSBENCH_CORE_COMMAND_READER_INTERNAL_H_
#define WSBENCH_CORE_COMMAND_READER_INTERNAL_H_

#include <cstddef>
#include <cstdint>

#include "core/json_data_validator_internal.h"
#include "simdjson.h"
#include "wsbench/message.h"
#include "wsbench/message_parser.h"

namespace wsbench::internal {

// Reads the message [buf, buf + n) (kMessagePadding readable bytes after it;
// n <= what `parser` was allocated for) into `out`. `strings` receives the
// unescaped strings: room for n + 4 * kMessagePadding bytes. Returns kOk, or a
// provisional code recorded with its field and offset in `error`, with
// `simd_error` set to a simdjson error naming the reason, for the error path
// (which re-checks UTF-8 and JSON syntax) to confirm or replace.
MessageError ReadCommand(const ParserOptions& options,
                         simdjson::ondemand::parser& parser,
                         DataValidator& validator, uint8_t* strings,
                         const char* buf, size_t n, Command& out,
                         MessageErrorInfo& error,
                         simdjson::error_code& simd_error);

}  // namespace wsbench::internal

#endif  // WSBENCH_CORE_COMMAND_READER_INTERNAL_H_
