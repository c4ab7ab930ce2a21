// JSON text for the run record: string escaping and numbers, one way for
// every file wsbench writes (results.json, baselines, verdicts, manifests).
//
// Strings are escaped per RFC 8259 section 7 (quote, backslash and control
// characters; everything else, UTF-8 included, is copied). Numbers use the
// shortest form that reads back to the same double; JSON has no NaN or
// infinity, so those are written as null. Pure functions, thread-safe.
//
//   std::string member = JsonQuote("name") + ": " + JsonNumber(1.5);
#ifndef WSBENCH_RECORD_JSON_H_
#define WSBENCH_RECORD_JSON_H_

#include <string>
#include <string_view>

namespace wsbench::record {

// `text` with quotes, backslashes and control characters escaped, without
// surrounding quotes.
std::string JsonEscape(std::string_view text);
// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);
// `value` in shortest round-trip form; "null" when not finite.
std::string JsonNumber(double value);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_JSON_H_
