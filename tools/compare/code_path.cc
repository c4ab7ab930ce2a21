#include "code_path.h"

#include <map>

#include "fmt/format.h"
#include "simdjson.h"

namespace wsbench::compare {

absl::StatusOr<CodePath> ReadCodePath(const record::ResultsFile& file) {
  CodePath out;
  for (const auto& [key, raw] : file.info.extra_fields) {
    if (key != kCodePathField) continue;
    auto bad = [&](std::string_view why) {
      return absl::InvalidArgumentError(fmt::format(
          "{}: context.wsbench.{}: {}", file.path, kCodePathField, why));
    };
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(raw).get(root) != simdjson::SUCCESS) {
      return bad("not valid JSON");
    }
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) {
      return bad("not an object");
    }
    for (auto [field, value] : object) {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) {
        return bad(fmt::format("{}: not a string", std::string_view(field)));
      }
      out.fields.emplace_back(std::string(field), std::string(text));
    }
    out.recorded = true;
  }
  return out;
}

std::vector<std::string> CodePathDifferences(const CodePath& base,
                                             const CodePath& next) {
  std::map<std::string, std::string> theirs(next.fields.begin(),
                                            next.fields.end());
  std::vector<std::string> out;
  for (const auto& [field, value] : base.fields) {
    auto it = theirs.find(field);
    if (it == theirs.end()) {
      out.push_back(fmt::format("{}: {} -> (not recorded)", field, value));
    } else if (it->second != value) {
      out.push_back(fmt::format("{}: {} -> {}", field, value, it->second));
    }
    if (it != theirs.end()) theirs.erase(it);
  }
  for (const auto& [field, value] : next.fields) {
    if (theirs.count(field)) {
      out.push_back(fmt::format("{}: (not recorded) -> {}", field, value));
    }
  }
  return out;
}

}  // namespace wsbench::compare
