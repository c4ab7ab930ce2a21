#include "record/json.h"

#include <cmath>

#include "fmt/format.h"

namespace wsbench::record {

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string JsonQuote(std::string_view text) {
  return "\"" + JsonEscape(text) + "\"";
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  return fmt::format("{}", value);
}

std::string JsonStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += JsonQuote(values[i]);
  }
  return out + "]";
}

JsonObject& JsonObject::Add(std::string_view key, std::string_view raw_json) {
  if (indent_ > 0) {
    out_ += empty_ ? "\n" : ",\n";
    out_.append(static_cast<size_t>(indent_), ' ');
  } else if (!empty_) {
    out_ += ", ";
  }
  empty_ = false;
  out_ += JsonQuote(key);
  out_ += ": ";
  out_ += raw_json;
  return *this;
}

std::string JsonObject::Close() {
  if (indent_ > 0 && !empty_) {
    out_ += "\n";
    out_.append(static_cast<size_t>(indent_ > 2 ? indent_ - 2 : 0), ' ');
  }
  out_ += "}";
  return std::move(out_);
}

}  // namespace wsbench::record
