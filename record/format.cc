#include "record/format.h"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"

namespace wsbench::record {

std::string FormatShort(double value) {
  if (std::isnan(value)) return "-";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  const double a = std::fabs(value);
  struct Suffix {
    double scale;
    const char* name;
  };
  static constexpr Suffix kSuffixes[] = {
      {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
  for (const Suffix& s : kSuffixes) {
    if (a >= s.scale) {
      const double x = value / s.scale;
      const int decimals = std::fabs(x) >= 100 ? 0 : std::fabs(x) >= 10 ? 1 : 2;
      return fmt::format("{:.{}f}{}", x, decimals, s.name);
    }
  }
  if (a == 0) return "0";
  if (a >= 100) return fmt::format("{:.0f}", value);
  if (a >= 10) return fmt::format("{:.1f}", value);
  if (a >= 1) return fmt::format("{:.2f}", value);
  // Three significant digits below 1: 0.123, 0.0123, ...
  const int decimals =
      std::min(9, 2 - static_cast<int>(std::floor(std::log10(a))));
  return fmt::format("{:.{}f}", value, decimals);
}

std::string MarkdownText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
        out += '\\';
        out += c;
        break;
      case '<':
        out += "&lt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string MarkdownCode(std::string_view text) {
  std::string body;
  size_t run = 0, longest = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (c == '|') {
      body += "\\|";
    } else if (c == '\n' || c == '\r') {
      body += ' ';
    } else {
      body += c;
    }
  }
  const std::string fence(longest + 1, '`');
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

std::string FormatMicros(double value) {
  if (!std::isfinite(value)) return "-";
  if (value == 0) return "0";
  const int magnitude =
      static_cast<int>(std::floor(std::log10(std::abs(value))));
  const int decimals = std::max(0, 2 - magnitude);
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace wsbench::record
