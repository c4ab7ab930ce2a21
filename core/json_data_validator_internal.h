// Grammar checks of a client message on MessageParser's fast path, over
// simdjson's stage-1 output: the structural index (the offsets of every
// {}[],: and of every string and scalar start, in order) of a message whose
// UTF-8, string closing and control characters stage 1 has already checked.
//
// Values are checked by walking the structural index with a grammar state
// machine (about 8 instructions per structural instead of a second pass over
// every byte; RFC 8259 sections 2-7), each scalar atom against its grammar
// (true/false/null/number), and the string escapes by one scan of the message
// for backslashes (escapes are checked syntactically, not unescaped).
//
// Internal to wsbench::core. Thread-compatible: one per MessageParser.
#ifndef WSBENCH_CORE_JSON_DATA_VALIDATOR_INTERNAL_H_
#define WSBENCH_CORE_JSON_DATA_VALIDATOR_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace wsbench::internal {

// Checks every backslash in [p, end) starts one of the RFC 8259 section 7
// escapes ("\\" pairs consumed together). Over a whole message that stage 1
// accepted, this checks the escapes of every string: a backslash outside a
// string sits in an atom, which CheckScalar refuses.
bool CheckEscapes(const uint8_t* p, const uint8_t* end);

// Whether the scalar atom (true, false, null or a number) starting at p ends
// exactly at whitespace or at `next`, the next structural of the message
// (which must exist: the scan stops by it unguarded).
bool CheckScalar(const uint8_t* p, const uint8_t* next);

class DataValidator {
 public:
  // Walk accepts `limit` up to max(max_depth, 2).
  explicit DataValidator(uint32_t max_depth);

  // Checks the grammar of the JSON value whose first structural is *t in a
  // structural index ending at `end` (offsets into `bytes`), containers
  // nested at most `limit` deep (the value itself is 1). Returns the
  // structural after the value, or nullptr when the value is malformed, too
  // deep, or is not followed by another structural (inside a message's root
  // object a value always is). Strings are not looked into (CheckEscapes).
  // Allocation-free.
  const uint32_t* Walk(const uint8_t* bytes, const uint32_t* t,
                       const uint32_t* end, uint32_t limit);

  // Like Walk, but a container is only bracket-matched (any brackets close
  // any; no grammar or depth check); a scalar is checked as by Walk.
  const uint32_t* Skip(const uint8_t* bytes, const uint32_t* t,
                       const uint32_t* end);

 private:
  // Container kinds by depth (1: object) for walks deeper than 64 levels.
  std::vector<uint8_t> stack_;
};

}  // namespace wsbench::internal

#endif  // WSBENCH_CORE_JSON_DATA_VALIDATOR_INTERNAL_H_
