// Validation of a client message's "data" (relayed as raw JSON text, so it
// must be valid JSON) on MessageParser's fast path, after simdjson has
// bracket-matched it.
//
// Containers are checked by walking simdjson's stage-1 structural index (the
// offsets of every {}[],: and of every string and scalar start) with a
// grammar state machine, plus an escape scan of the text and a grammar check
// of each scalar atom: about 8 instructions per structural instead of a second
// pass over every byte (RFC 8259 sections 2-7; escapes are checked
// syntactically, not unescaped; stage 1 has already checked UTF-8, control
// characters and string closing). Scalars are checked on demand.
//
// Internal to wsbench::core. Thread-compatible: one per MessageParser.
#ifndef WSBENCH_CORE_JSON_DATA_VALIDATOR_INTERNAL_H_
#define WSBENCH_CORE_JSON_DATA_VALIDATOR_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "simdjson.h"

namespace wsbench::internal {

// RFC 8259 section 6 number grammar on a raw token, which may carry trailing
// whitespace (as simdjson's raw_json_token does).
bool IsJsonNumber(std::string_view token);

class DataValidator {
 public:
  // Objects and arrays nested deeper than `max_depth` (the root object is
  // depth 1) fail.
  explicit DataValidator(uint32_t max_depth);

  // Validates the container `data` ('{' or '[' through its matching close)
  // inside the message [buf, buf + n) that `parser` last iterated. Containers
  // nested more than `limit` deep (data itself is 1) fail. Allocation-free.
  bool ValidateContainer(const simdjson::ondemand::parser& parser,
                         const char* buf, size_t n, std::string_view data,
                         uint32_t limit);

  // Validates an on-demand value completely without materializing it:
  // strings are unescaped only when they hold an escape, numbers are checked
  // against the grammar instead of converted. `depth` is the nesting depth a
  // container here would have. Returns simdjson's error, or DEPTH_ERROR.
  simdjson::error_code Validate(simdjson::ondemand::value value,
                                uint32_t depth);

 private:
  uint32_t max_depth_;
  // ValidateContainer's container kinds by depth (1: object).
  std::vector<uint8_t> stack_;
};

}  // namespace wsbench::internal

#endif  // WSBENCH_CORE_JSON_DATA_VALIDATOR_INTERNAL_H_
