#include "render.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "fmt/format.h"
#include "record/format.h"
#include "record/json.h"

namespace wsbench::compare {
namespace {

using record::JsonNumber;
using record::JsonQuote;

std::string Pct(double v) {
  if (!std::isfinite(v)) return "-";
  return fmt::format("{:+.1f}%", v);
}

std::string Ci(const MetricRow& row) {
  if (!row.has_ci) return "-";
  return fmt::format("[{:+.1f}, {:+.1f}]%", row.ci_lo_pct, row.ci_hi_pct);
}

std::string PValue(const MetricRow& row) {
  if (row.p_value < 0) return "-";
  if (row.p_value < 0.001) return "<0.001";
  return fmt::format("{:.3f}", row.p_value);
}

std::string VerdictText(const MetricRow& row) {
  std::string text(VerdictName(row.verdict));
  if (!row.gated && (row.verdict == Verdict::kRegressed ||
                     row.verdict == Verdict::kImproved)) {
    text += " (not gated)";
  }
  return text;
}

std::vector<std::array<std::string, 9>> Cells(const Comparison& c) {
  std::vector<std::array<std::string, 9>> cells;
  for (const MetricRow& row : c.rows) {
    cells.push_back({row.benchmark, row.label, FormatValue(row.base, row.unit),
                     FormatValue(row.next, row.unit), Pct(row.change_pct),
                     PValue(row), Ci(row), VerdictText(row), row.note});
  }
  return cells;
}

constexpr std::array<const char*, 9> kHeader = {
    "benchmark", "metric", "base", "new", "change", "p", "95% CI", "verdict",
    "note"};

}  // namespace

std::string FormatValue(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "-";
  if (unit == "ops/s" || unit == "items/s") return record::FormatShort(v);
  if (v == std::floor(v) && std::fabs(v) < 1e9) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 100) return fmt::format("{:.1f}", v);
  return fmt::format("{:.3g}", v);
}

std::string SummaryLine(const Comparison& c) {
  if (c.regressions == 0 && !c.no_comparison.empty()) {
    return fmt::format("wsbench-compare ({}): NO COMPARISON (exit 2): {}",
                       c.mode, c.no_comparison);
  }
  std::string verdict = c.regressions > 0 ? "FAIL" : "PASS";
  return fmt::format(
      "wsbench-compare ({}): {}: {} regression{}, {} improvement{} over {} "
      "benchmarks (base {}{}, new {}{})",
      c.mode, verdict, c.regressions, c.regressions == 1 ? "" : "s",
      c.improvements, c.improvements == 1 ? "" : "s", c.compared_benchmarks,
      c.base_path, c.base_revision.empty() ? "" : " @" + c.base_revision.substr(0, 12),
      c.next_path, c.next_revision.empty() ? "" : " @" + c.next_revision.substr(0, 12));
}

std::string RenderTerminal(const Comparison& c, bool color) {
  auto cells = Cells(c);
  std::array<size_t, 9> width{};
  for (size_t i = 0; i < kHeader.size(); ++i) width[i] = std::string(kHeader[i]).size();
  for (const auto& row : cells) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  auto line = [&](const auto& row) {
    std::string out;
    for (size_t i = 0; i < row.size(); ++i) {
      std::string cell(row[i]);
      bool right = i >= 2 && i <= 6;
      std::string pad(width[i] - cell.size(), ' ');
      if (i) out += "  ";
      out += right ? pad + cell : (i + 1 == row.size() ? cell : cell + pad);
    }
    return out;
  };
  std::string out = SummaryLine(c) + "\n";
  for (const auto& note : c.notes) out += "  note: " + note + "\n";
  std::array<std::string, 9> header;
  for (size_t i = 0; i < kHeader.size(); ++i) header[i] = kHeader[i];
  out += line(header) + "\n";
  for (size_t r = 0; r < cells.size(); ++r) {
    const MetricRow& row = c.rows[r];
    std::string text = line(cells[r]);
    if (color) {
      const char* code = nullptr;
      if (row.verdict == Verdict::kRegressed) code = row.gated ? "\033[1;31m" : "\033[33m";
      if (row.verdict == Verdict::kImproved) code = "\033[32m";
      if (row.verdict == Verdict::kMissing || row.verdict == Verdict::kNew) code = "\033[36m";
      if (code) text = code + text + "\033[0m";
    }
    out += text + "\n";
  }
  return out;
}

std::string RenderMarkdown(const Comparison& c) {
  // Names, paths and notes come from the files: escaped so that a '|' or
  // HTML in them cannot break the table or reach a renderer.
  using record::MarkdownText;
  std::string out = "### " + MarkdownText(SummaryLine(c)) + "\n\n";
  for (const auto& note : c.notes) out += "- " + MarkdownText(note) + "\n";
  if (!c.notes.empty()) out += "\n";
  out += "| benchmark | metric | base | new | change | p | 95% CI | verdict | note |\n";
  out += "|---|---|--:|--:|--:|--:|--:|---|---|\n";
  auto cells = Cells(c);
  for (size_t r = 0; r < cells.size(); ++r) {
    const MetricRow& row = c.rows[r];
    std::string verdict = MarkdownText(cells[r][7]);
    if (row.verdict == Verdict::kRegressed && row.gated) verdict = "**REGRESSED**";
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                       MarkdownText(cells[r][0]), MarkdownText(cells[r][1]),
                       MarkdownText(cells[r][2]), MarkdownText(cells[r][3]),
                       MarkdownText(cells[r][4]), MarkdownText(cells[r][5]),
                       MarkdownText(cells[r][6]), verdict,
                       MarkdownText(cells[r][8]));
  }
  return out;
}

std::string RenderJson(const Comparison& c) {
  std::string out = "{\n";
  out += fmt::format("  \"mode\": {},\n", JsonQuote(c.mode));
  out += fmt::format("  \"base\": {},\n  \"new\": {},\n", JsonQuote(c.base_path),
                     JsonQuote(c.next_path));
  out += fmt::format("  \"base_revision\": {},\n  \"new_revision\": {},\n",
                     JsonQuote(c.base_revision), JsonQuote(c.next_revision));
  out += "  \"fingerprint_mismatches\": [";
  for (size_t i = 0; i < c.fingerprint_mismatches.size(); ++i) {
    out += (i ? ", " : "") + JsonQuote(c.fingerprint_mismatches[i]);
  }
  out += "],\n";
  out += "  \"code_path_differences\": [";
  for (size_t i = 0; i < c.code_path_differences.size(); ++i) {
    out += (i ? ", " : "") + JsonQuote(c.code_path_differences[i]);
  }
  out += "],\n";
  out += fmt::format("  \"instructions_gated\": {},\n",
                     c.code_path_differences.empty() ? "true" : "false");
  out += fmt::format("  \"no_comparison\": {},\n",
                     c.no_comparison.empty() ? "null" : JsonQuote(c.no_comparison));
  out += fmt::format("  \"time_gated\": {},\n",
                     c.fingerprint_mismatches.empty() && !c.busy ? "true" : "false");
  out += fmt::format("  \"busy\": {},\n  \"base_contention\": {},\n"
                     "  \"new_contention\": {},\n",
                     c.busy ? "true" : "false", JsonNumber(c.base_contention),
                     JsonNumber(c.next_contention));
  out += fmt::format(
      "  \"base_probe_ns\": {},\n  \"new_probe_ns\": {},\n"
      "  \"probe_dropped_base\": {},\n  \"probe_dropped_new\": {},\n"
      "  \"probe_total_base\": {},\n  \"probe_total_new\": {},\n"
      "  \"probe_ungated_rows\": {},\n",
      JsonNumber(c.base_probe_ns), JsonNumber(c.next_probe_ns), c.probe_dropped_base,
      c.probe_dropped_next, c.probe_total_base, c.probe_total_next, c.probe_ungated_rows);
  out += fmt::format("  \"compared_benchmarks\": {},\n", c.compared_benchmarks);
  out += fmt::format("  \"regressions\": {},\n  \"improvements\": {},\n",
                     c.regressions, c.improvements);
  out += fmt::format("  \"exit_code\": {},\n", ExitCode(c));
  out += "  \"notes\": [";
  for (size_t i = 0; i < c.notes.size(); ++i) {
    out += (i ? ", " : "") + JsonQuote(c.notes[i]);
  }
  out += "],\n  \"rows\": [";
  for (size_t i = 0; i < c.rows.size(); ++i) {
    const MetricRow& r = c.rows[i];
    out += i ? ",\n    " : "\n    ";
    out += fmt::format(
        "{{\"benchmark\": {}, \"metric\": {}, \"label\": {}, \"kind\": {}, "
        "\"base\": {}, \"new\": {}, \"change_pct\": {}, \"p_value\": {}, "
        "\"ci_lo_pct\": {}, \"ci_hi_pct\": {}, \"base_n\": {}, \"new_n\": {}, "
        "\"verdict\": {}, \"gated\": {}, \"note\": {}}}",
        JsonQuote(r.benchmark), JsonQuote(r.metric), JsonQuote(r.label),
        r.kind == MetricKind::kTime ? "\"time\"" : "\"deterministic\"",
        JsonNumber(r.base), JsonNumber(r.next), JsonNumber(r.change_pct),
        r.p_value < 0 ? "null" : JsonNumber(r.p_value),
        r.has_ci ? JsonNumber(r.ci_lo_pct) : "null",
        r.has_ci ? JsonNumber(r.ci_hi_pct) : "null", r.base_n, r.next_n,
        JsonQuote(VerdictName(r.verdict)), r.gated ? "true" : "false",
        JsonQuote(r.note));
  }
  out += "\n  ]\n}\n";
  return out;
}

}  // namespace wsbench::compare
