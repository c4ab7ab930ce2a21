// Read access to simdjson's on-demand stage-1 output, which simdjson 3.0.1
// keeps in a private member (ondemand::parser::implementation): the
// structural index, the offsets of every {}[],: and of every string and
// scalar start in the message the parser last iterated, and the kernels
// simdjson selected for this CPU. MessageParser reads the message's fields
// and checks its grammar over the index instead of re-reading every byte.
//
// Explicit instantiation may name private members ([temp.spec.general]/6),
// so this reads the member without changing simdjson; if a future simdjson
// renames it, this fails to compile. Include from one .cc only (the explicit
// instantiation below is a definition).
#ifndef WSBENCH_CORE_SIMDJSON_STAGE1_INTERNAL_H_
#define WSBENCH_CORE_SIMDJSON_STAGE1_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <span>

#include "simdjson.h"

namespace wsbench::internal {

using StageOnePtr =
    std::unique_ptr<simdjson::internal::dom_parser_implementation>
        simdjson::ondemand::parser::*;
StageOnePtr StageOneMember();
template <StageOnePtr kMember>
struct StageOneAccess {
  friend StageOnePtr StageOneMember() { return kMember; }
};
template struct StageOneAccess<&simdjson::ondemand::parser::implementation>;

// The stage-1 state of `parser`: the run-time selected kernels (e.g. its
// parse_string, which unescapes one string) and the last message's index.
inline const simdjson::internal::dom_parser_implementation& StageOne(
    const simdjson::ondemand::parser& parser) {
  return *(parser.*StageOneMember());
}

// The structural index of the message `parser` last iterated (one offset per
// structural, in order).
inline std::span<const uint32_t> StructuralIndex(
    const simdjson::ondemand::parser& parser) {
  const simdjson::internal::dom_parser_implementation& stage1 =
      StageOne(parser);
  return {stage1.structural_indexes.get(), stage1.n_structural_indexes};
}

}  // namespace wsbench::internal

#endif  // WSBENCH_CORE_SIMDJSON_STAGE1_INTERNAL_H_
