#include "summary.h"

#include <algorithm>
#include <cmath>

#include "fingerprint.h"
#include "fmt/format.h"
#include "load_level.h"
#include "record/format.h"

namespace wsbench::bench {
namespace {

std::string Pad(const std::string& text, int width, bool left) {
  const int pad = std::max(0, width - DisplayWidth(text));
  return left ? text + std::string(pad, ' ') : std::string(pad, ' ') + text;
}

// A table: first column = row labels; cells already formatted.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows, SummaryFormat format) {
  std::string out;
  if (format == SummaryFormat::kMarkdown) {
    auto line = [&](const std::vector<std::string>& cells) {
      out += "|";
      for (const std::string& c : cells) out += " " + c + " |";
      out += "\n";
    };
    line(header);
    out += "|";
    for (size_t i = 0; i < header.size(); ++i) out += i == 0 ? "---|" : "---:|";
    out += "\n";
    for (const auto& row : rows) line(row);
    return out;
  }
  std::vector<int> widths(header.size(), 0);
  for (size_t i = 0; i < header.size(); ++i) widths[i] = DisplayWidth(header[i]);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < cells.size(); ++i) {
      l += (i == 0 ? "" : "  ") + Pad(cells[i], widths[i], i == 0);
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += l + "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out;
}

std::string WithMark(const std::string& value, Verdict v, bool terminal) {
  std::string_view mark = VerdictMark(v, terminal);
  return mark.empty() ? value : value + " " + std::string(mark);
}

}  // namespace

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    uint32_t cp = c;
    int len = 1;
    if (c >= 0xF0) { len = 4; cp = c & 0x07; }
    else if (c >= 0xE0) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xC0) { len = 2; cp = c & 0x1F; }
    for (int k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    i += len;
    if (cp == 0xFE0F || cp == 0x200D) continue;
    width += (cp == 0x2705 || cp == 0x274C || cp == 0x26A0 || cp >= 0x1F000) ? 2 : 1;
  }
  return width;
}

std::string RenderSummary(const record::RunInfo& info,
                          const std::vector<BenchmarkResult>& results,
                          const std::vector<record::Degradation>& degradation,
                          const Thresholds* thresholds, SummaryFormat format, bool terminal) {
  const bool md = format == SummaryFormat::kMarkdown;
  const bool marks_terminal = md || terminal;
  std::string out;
  out += md ? "# wsbench summary\n\n" : "\n";
  // Repetitions actually kept: an interrupted benchmark may have fewer.
  std::vector<std::string> short_of;
  for (const BenchmarkResult& r : results) {
    const int64_t kept = static_cast<int64_t>(r.repetitions.size());
    if (!r.error && kept < info.repetitions) {
      short_of.push_back(fmt::format("{} {} of {}", r.name(), kept, info.repetitions));
    }
  }
  const std::string medians_of =
      short_of.empty()
          ? fmt::format("medians of {} repetition(s)", info.repetitions)
          : fmt::format("medians of {} repetition(s), fewer where interrupted ({})",
                        info.repetitions, fmt::join(short_of, ", "));
  out += fmt::format(
      "wsbench {}: {} benchmarks, {}, seed {}; timer {} "
      "(overhead {:.1f} ns per reading pair, subtracted; {:.3f} ticks/ns){}\n",
      SuiteVersion(), results.size(), medians_of, info.seed, info.timer.source,
      info.timer.overhead_ns, info.timer.ticks_per_ns, md ? "" : "");
  if (!info.complete) {
    out += md ? fmt::format("\n**PARTIAL RUN: {}**\n", info.partial_reason)
              : fmt::format("PARTIAL RUN: {}\n", info.partial_reason);
  }
  // Dimensions and levels in order of appearance / level order.
  std::vector<std::string> dims;
  std::vector<std::pair<int, std::string>> levels;
  for (const BenchmarkResult& r : results) {
    if (std::find(dims.begin(), dims.end(), r.dimension) == dims.end()) dims.push_back(r.dimension);
    std::pair<int, std::string> level{r.level_index, r.level};
    if (std::find(levels.begin(), levels.end(), level) == levels.end()) levels.push_back(level);
  }
  std::sort(levels.begin(), levels.end());
  auto find = [&](const std::string& dim, const std::string& level) -> const BenchmarkResult* {
    for (const BenchmarkResult& r : results) {
      if (r.dimension == dim && r.level == level) return &r;
    }
    return nullptr;
  };

  std::vector<std::string> header = {"level"};
  for (const std::string& d : dims) header.push_back(d);
  std::vector<std::vector<std::string>> rate_rows, p95_rows;
  for (const auto& [index, level] : levels) {
    std::vector<std::string> rate_row = {level}, p95_row = {level};
    for (const std::string& d : dims) {
      const BenchmarkResult* r = find(d, level);
      if (r == nullptr) {
        rate_row.push_back("-");
        p95_row.push_back("-");
        continue;
      }
      if (r->repetitions.empty()) {
        rate_row.push_back(r->error ? "FAILED" : "-");
        p95_row.push_back(r->error ? "FAILED" : "-");
        continue;
      }
      const double rate = r->MedianOf(r->primary_rate_key()).value_or(NAN);
      const double p95 = r->MedianOf("p95_us").value_or(NAN);
      Verdict rv = Verdict::kNone, pv = Verdict::kNone;
      // A median below the latency pass's resolution (NaN) is shown as
      // "<res" and judged by the resolution, an upper bound.
      const double resolution =
          r->MedianOf("latency_resolution_us").value_or(NAN);
      const bool below = std::isnan(p95) && r->MedianOf("p95_us").has_value();
      if (thresholds != nullptr) {
        rv = thresholds->ThroughputVerdict(d, rate);
        const double bound = below ? resolution : p95;
        if (!std::isnan(bound))
          pv = thresholds->P95Verdict(d, bound, r->items_per_op);
      }
      std::string rate_text =
          record::FormatShort(rate) + (r->error ? " FAILED" : "");
      std::string p95_text = below ? "<" + record::FormatMicros(resolution)
                                   : record::FormatMicros(p95);
      rate_row.push_back(WithMark(rate_text, rv, marks_terminal));
      p95_row.push_back(WithMark(p95_text, pv, marks_terminal));
    }
    rate_rows.push_back(rate_row);
    p95_rows.push_back(p95_row);
  }

  std::vector<std::string> rate_units;
  for (const std::string& d : dims) {
    for (const BenchmarkResult& r : results) {
      if (r.dimension == d && r.rate_is_items) {
        rate_units.push_back(fmt::format("{}: {}/s", d, r.item_unit.empty() ? "items" : r.item_unit));
        break;
      }
    }
  }
  std::string units_note;
  for (size_t i = 0; i < rate_units.size(); ++i) units_note += (i ? ", " : "; ") + rate_units[i];
  out += fmt::format("\n{}Throughput (ops/s{}; median){}\n\n", md ? "## " : "", units_note,
                     md ? "" : ":");
  out += RenderTable(header, rate_rows, format);
  out += fmt::format("\n{}P95 latency (µs per op; median){}\n\n", md ? "## " : "", md ? "" : ":");
  out += RenderTable(header, p95_rows, format);

  // Per-dimension notes: degradation, allocations, latency batching, op notes.
  out += fmt::format("\n{}Per dimension{}\n\n", md ? "## " : "", md ? "" : ":");
  for (const std::string& d : dims) {
    std::string line = (md ? "- **" : "  ") + d + (md ? "**: " : ": ");
    auto deg = std::find_if(degradation.begin(), degradation.end(),
                            [&](const record::Degradation& x) { return x.dimension == d; });
    if (deg != degradation.end()) {
      const Verdict v = thresholds == nullptr
                            ? Verdict::kNone
                            : thresholds->DegradationVerdict(d, deg->pct);
      line += fmt::format(
          "degradation {} ({} -> {})",
          WithMark(fmt::format("{:.1f}%", deg->pct), v, marks_terminal),
          deg->lowest_level, deg->highest_level);
    } else {
      line += "degradation n/a (one level run)";
    }
    double max_allocs = -1;
    int64_t min_batch = 0, max_batch = 0;
    bool any_limited = false;
    std::string note;
    for (const BenchmarkResult& r : results) {
      if (r.dimension != d) continue;
      if (!r.ops_note.empty()) note = r.ops_note;
      if (auto a = r.MedianOf("allocs_per_op")) max_allocs = std::max(max_allocs, *a);
      for (const RepetitionResult& rep : r.repetitions) {
        auto it = rep.numbers.find("latency_batch");
        if (it != rep.numbers.end()) {
          const int64_t b = static_cast<int64_t>(it->second);
          min_batch = min_batch == 0 ? b : std::min(min_batch, b);
          max_batch = std::max(max_batch, b);
        }
        auto lim = rep.bools.find("timer_limited");
        if (lim != rep.bools.end() && lim->second) any_limited = true;
      }
    }
    if (max_allocs >= 0) line += fmt::format("; allocs/op up to {}", record::FormatMicros(max_allocs));
    if (max_batch > 0) {
      line += min_batch == max_batch ? fmt::format("; latency batch {} op(s)", max_batch)
                                     : fmt::format("; latency batch {}..{} ops", min_batch, max_batch);
      if (max_batch > 1) line += " (percentiles are per-op means of batches)";
    }
    if (any_limited) line += "; timer-limited at some levels (batch capped)";
    if (!note.empty()) line += "; " + note;
    // The highest level's memory bound (see memory_probe.h) and any reference
    // shares (<name>_share_pct: a reference measured in the same run, e.g.
    // bare simdjson, against the timed pass).
    const BenchmarkResult* top = nullptr;
    for (const BenchmarkResult& r : results) {
      if (r.dimension == d && !r.error &&
          (top == nullptr || r.level_index > top->level_index)) {
        top = &r;
      }
    }
    if (top != nullptr) {
      const auto bound = top->MedianOf("memory_bound_ops_per_second");
      const auto pct = top->MedianOf("ops_vs_memory_bound_pct");
      const auto working_set = top->MedianOf("working_set_bytes");
      if (bound && pct && working_set) {
        line += fmt::format(
            "; {}: ops at {:.3g}% of the memory bound ({} ops/s: one random "
            "line of a "
            "{:.1f} MiB working set per op)",
            top->level, *pct, record::FormatShort(*bound), *working_set / (1 << 20));
      }
      if (!top->repetitions.empty()) {
        for (const auto& [key, value] : top->repetitions.front().numbers) {
          if (!key.ends_with("_share_pct")) continue;
          std::string shares;
          for (const BenchmarkResult& r : results) {
            if (r.dimension != d || r.error) continue;
            if (const auto v = r.MedianOf(key)) {
              const Verdict verdict =
                  thresholds == nullptr
                      ? Verdict::kNone
                      : thresholds->CounterVerdict(d, key, *v);
              shares +=
                  fmt::format("{}{} {}", shares.empty() ? "" : ", ", r.level,
                              WithMark(fmt::format("{:.0f}%", *v), verdict,
                                       marks_terminal));
            }
          }
          line += fmt::format("; {} time as a share of the op's: {}",
                              key.substr(0, key.size() - 10), shares);
        }
      }
    }
    out += line + "\n";
  }
  auto bottleneck = std::find_if(degradation.begin(), degradation.end(),
                                 [](const record::Degradation& x) { return x.bottleneck; });
  out += "\n";
  if (bottleneck != degradation.end()) {
    out += fmt::format("{}Bottleneck: {} (degrades {:.1f}% from {} to {}){}\n", md ? "**" : "",
                       bottleneck->dimension, bottleneck->pct, bottleneck->lowest_level,
                       bottleneck->highest_level, md ? "**" : "");
  } else {
    out += "Bottleneck: n/a (needs two or more levels)\n";
  }
  out += fmt::format("{}Wall time {:.1f} s, peak RSS {:.0f} MiB{}\n", md ? "\n" : "",
                     info.wall_seconds, info.peak_rss_bytes / (1024.0 * 1024.0),
                     md ? "" : "");
  if (!md) {
    out += fmt::format("Marks: {} excellent (target met), {} good, {} poor (bench/thresholds.json)\n",
                       VerdictMark(Verdict::kExcellent, terminal), VerdictMark(Verdict::kGood, terminal),
                       VerdictMark(Verdict::kPoor, terminal));
  } else {
    out += "\nMarks: ✅ excellent (target met), ⚠️ good, ❌ poor (bench/thresholds.json)\n";
  }
  return out;
}

}  // namespace wsbench::bench
