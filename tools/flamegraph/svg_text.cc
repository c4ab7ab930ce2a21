#include "svg_text.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wsbench/utf8.h"

namespace wsbench::flamegraph {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at p[0, n), or minus the length of
// its maximal invalid subpart (at least 1 byte).
int SequenceAt(const uint8_t* p, size_t n) {
  const int len = internal::Utf8SequenceLength(p[0]);
  if (len == 0) return -1;
  int k = 1;  // p[0, k) is a valid prefix
  while (k < len && static_cast<size_t>(k) < n) {
    bool ok = k + 1 < len ? internal::IsValidUtf8Prefix(p, k + 1)
                          : (p[k] & 0xC0) == 0x80;
    if (!ok) break;
    ++k;
  }
  return k == len ? len : -k;
}

bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

std::string RepairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    int len = SequenceAt(p + i, text.size() - i);
    if (len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      i += -len;
    }
  }
  return out;
}

size_t CodePointCount(std::string_view text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return !IsContinuation(c); });
}

std::string_view TruncateUtf8(std::string_view text, size_t max_code_points) {
  size_t seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsContinuation(text[i])) continue;
    if (seen == max_code_points) return text.substr(0, i);
    ++seen;
  }
  return text;
}

std::string XmlEscape(std::string_view text) {
  const std::string valid = RepairUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size(); ++i) {
    char c = valid[i];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' &&
            c != '\r') {
          out += ' ';  // C0 controls are not allowed in XML 1.0
        } else if (c == '\xEF' && i + 2 < valid.size() &&
                   valid[i + 1] == '\xBF' &&
                   (valid[i + 2] == '\xBE' || valid[i + 2] == '\xBF')) {
          out += kReplacement;  // U+FFFE, U+FFFF: not XML characters
          i += 2;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string FrameLabel(std::string_view name, int fits) {
  if (fits < 1) fits = 1;
  const size_t width = static_cast<size_t>(fits);
  if (CodePointCount(name) <= width) return std::string(name);
  // Top-level "::" separators (outside <...> and (...)).
  std::vector<size_t> cuts;
  int depth = 0;
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    char c = name[i];
    if (c == '<' || c == '(') ++depth;
    if ((c == '>' || c == ')') && depth > 0) --depth;
    if (depth == 0 && c == ':' && name[i + 1] == ':') {
      cuts.push_back(i + 2);
      ++i;
    }
  }
  for (size_t cut : cuts) {
    std::string_view rest = name.substr(cut);
    if (CodePointCount(rest) <= width) return std::string(rest);
  }
  std::string_view tail = cuts.empty() ? name : name.substr(cuts.back());
  std::string label(TruncateUtf8(tail, std::max(1, fits - 2)));
  return label + "..";
}

}  // namespace wsbench::flamegraph
