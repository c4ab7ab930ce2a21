// JSON text for the run record: string escaping and numbers, one way for
// every file wsbench writes (results.json, baselines, verdicts, manifests).
//
// Strings are escaped per RFC 8259 section 7 (quote, backslash and control
// characters; everything else, UTF-8 included, is copied). Numbers use the
// shortest form that reads back to the same double; JSON has no NaN or
// infinity, so those are written as null. Pure functions, thread-safe.
//
//   std::string member = JsonQuote("name") + ": " + JsonNumber(1.5);
//
//   JsonObject o(/*indent=*/4);  // members on their own lines, 4 spaces in
//   o.Add("name", JsonQuote("x")).Add("n", JsonNumber(1));
//   std::string text = o.Close();  // {"name": "x", "n": 1}
#ifndef WSBENCH_RECORD_JSON_H_
#define WSBENCH_RECORD_JSON_H_

#include <string>
#include <string_view>
#include <vector>

namespace wsbench::record {

// `text` with quotes, backslashes and control characters escaped, without
// surrounding quotes.
std::string JsonEscape(std::string_view text);
// `text` as a JSON string literal, quotes included.
std::string JsonQuote(std::string_view text);
// `value` in shortest round-trip form; "null" when not finite.
std::string JsonNumber(double value);
// `values` as a JSON array of strings on one line: ["a", "b"].
std::string JsonStringArray(const std::vector<std::string>& values);

// Builds one JSON object member by member from already-encoded values.
// indent > 0: each member on its own line, `indent` spaces in, and the
// closing brace on its own line `indent - 2` spaces in; indent 0: one line,
// members separated by ", ".
class JsonObject {
 public:
  explicit JsonObject(int indent = 0) : indent_(indent) {}
  // Appends `"key": raw_json`; `raw_json` must already be valid JSON.
  JsonObject& Add(std::string_view key, std::string_view raw_json);
  // The object's text, braces included; the builder is spent after it.
  std::string Close();

 private:
  int indent_;
  std::string out_ = "{";
  bool empty_ = true;
};

}  // namespace wsbench::record

#endif  // WSBENCH_RECORD_JSON_H_
