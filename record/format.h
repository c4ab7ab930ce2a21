// Numbers for people: the one short form used by the summary, the compare
// table and the report, so a figure reads the same everywhere.
//
// FormatShort keeps three significant digits with an SI suffix (k, M, G, T)
// at and above 1000: "12.3M", "45.6k", "2.50", "0.0123"; "-" for NaN (a
// missing figure), "inf"/"-inf". FormatMicros is a latency in microseconds
// with three significant digits and no suffix. Pure, thread-safe.
//
//   FormatShort(12345678)  // "12.3M"
//   FormatMicros(0.04567)  // "0.0457"
#ifndef WSBENCH_RECORD_FORMAT_H_
#define WSBENCH_RECORD_FORMAT_H_

#include <string>
#include <string_view>

namespace wsbench::record {

// Rates, counts and any other magnitude.
std::string FormatShort(double value);
// `text` as literal Markdown (GitHub Flavored) text, also inside a table
// cell: backslash, backtick, *, _, [, ], | escaped with a backslash; < and
// & as HTML entities (no tag or entity gets through; a lone > is plain
// text); line breaks as spaces.
std::string MarkdownText(std::string_view text);
// `text` as a Markdown code span: a backtick fence longer than any run of
// backticks inside; | escaped (GFM reads \| in a table cell's code span as
// |); line breaks as spaces.
std::string MarkdownCode(std::string_view text);

// Microseconds: "0" for 0, "-" when not finite, else 3 significant digits
// (at least 0 decimals): 123.456 -> "123", 1.2345 -> "1.23".
std::string FormatMicros(double value);

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_FORMAT_H_
