#include "summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "fingerprint.h"
#include "fmt/format.h"
#include "latency_pass.h"
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

// Why a percentile's median is null, if it is.
enum class Missing { kNo, kBelowResolution, kTooFewSamples };

Missing WhyMissing(const BenchmarkResult& r, const std::string& key) {
  const std::optional<double> median = r.MedianOf(key);
  if (!median || !std::isnan(*median)) return Missing::kNo;
  for (const RepetitionResult& rep : r.repetitions) {
    auto it = rep.bools.find(record::TooFewSamplesKey(key));
    if (it != rep.bools.end() && it->second) return Missing::kTooFewSamples;
  }
  return Missing::kBelowResolution;
}

// A latency figure's median as text: "0.412", "≤0.010" (at or below the
// timer's resolution, 0.010 µs), "n/a" (too few samples) or "-".
std::string LatencyText(const BenchmarkResult& r, const std::string& key) {
  switch (WhyMissing(r, key)) {
    case Missing::kBelowResolution:
      return "≤" +
             record::FormatMicros(r.MedianOf("latency_resolution_us").value_or(NAN));
    case Missing::kTooFewSamples:
      return "n/a";
    case Missing::kNo:
      break;
  }
  return record::FormatMicros(r.MedianOf(key).value_or(NAN));
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
      "(overhead {:.1f} ns per reading pair, subtracted; resolution {:.1f} ns; "
      "{:.3f} ticks/ns){}\n",
      SuiteVersion(), results.size(), medians_of, info.seed, info.timer.source,
      info.timer.overhead_ns, info.timer.resolution_ns, info.timer.ticks_per_ns,
      md ? "" : "");
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
      // A median at or below the latency pass's resolution (NaN) is shown
      // as "≤res" and judged by the resolution, an upper bound.
      const bool below = WhyMissing(*r, "p95_us") == Missing::kBelowResolution;
      if (thresholds != nullptr) {
        rv = thresholds->ThroughputVerdict(d, rate);
        const double bound =
            below ? r->MedianOf("latency_resolution_us").value_or(NAN) : p95;
        if (!std::isnan(bound)) {
          pv = thresholds->P95Verdict(d, bound, r->items_per_op);
        }
      }
      std::string rate_text =
          record::FormatShort(rate) + (r->error ? " FAILED" : "");
      std::string p95_text = LatencyText(*r, "p95_us");
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
  out += fmt::format(
      "\n{}P95 latency (µs per op, each op timed alone; median){}\n\n",
      md ? "## " : "", md ? "" : ":");
  out += RenderTable(header, p95_rows, format);
  out += fmt::format(
      "\n≤x: at or below the timer's resolution (x µs), not resolved; the "
      "throughput pass's mean per op is beside it in the tail table{}\n",
      md ? "." : "");

  // Tail latency at each dimension's highest level run: every percentile
  // with the sample count behind it.
  std::vector<std::string> tail_header = {"dimension", "level", "P50", "P95",
                                          "P99",       "P99.9", "max", "mean",
                                          "samples",   "rule"};
  std::vector<std::vector<std::string>> tail_rows;
  for (const std::string& d : dims) {
    const BenchmarkResult* top = nullptr;
    for (const BenchmarkResult& r : results) {
      if (r.dimension == d && !r.repetitions.empty() &&
          (top == nullptr || r.level_index > top->level_index)) {
        top = &r;
      }
    }
    if (top == nullptr) continue;
    std::string rule = "-";
    for (const RepetitionResult& rep : top->repetitions) {
      if (auto it = rep.strings.find("latency_rule"); it != rep.strings.end()) {
        rule = it->second;
      }
    }
    const double samples = top->MedianOf("latency_samples").value_or(NAN);
    tail_rows.push_back(
        {d, top->level, LatencyText(*top, "p50_us"),
         LatencyText(*top, "p95_us"), LatencyText(*top, "p99_us"),
         LatencyText(*top, "p999_us"), LatencyText(*top, "max_us"),
         record::FormatMicros(top->MedianOf("real_time").value_or(NAN) / 1000.0),
         std::isnan(samples) ? "-" : fmt::format("{:.0f}", samples), rule});
  }
  if (!tail_rows.empty()) {
    out += fmt::format(
        "\n{}Tail latency at each dimension's highest level (µs per op; "
        "median; mean = throughput pass){}\n\n",
        md ? "## " : "", md ? "" : ":");
    out += RenderTable(tail_header, tail_rows, format);
    bool concurrent = false;  // a rule other than single_op in the table
    for (const std::vector<std::string>& row : tail_rows) {
      concurrent |= row.back() != "-" && !row.back().starts_with("single_op");
    }
    out += fmt::format(
        "\nn/a: too few samples (P99.9 needs {}); rule single_op = each "
        "sample one op timed alone; single_op:X = only the op's part X{}{}\n",
        MinSamplesFor(99.9),
        concurrent ? "; per_connection:X, per_message:X, per_publish:X = each "
                     "sample one connection's (message's, publish's) X, "
                     "stamped while the pass's other ops ran (concurrent "
                     "ops over sockets)"
                   : "",
        md ? "." : "");
  }

  // Per-dimension notes: degradation, allocations, latency, op notes.
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
    std::string note;
    std::vector<std::string> p95_below;  // levels
    std::map<std::string, std::string>
        extra;  // series -> "P95 x µs per unit at level"
    for (const BenchmarkResult& r : results) {
      if (r.dimension != d) continue;
      if (!r.ops_note.empty()) note = r.ops_note;
      if (auto a = r.MedianOf("allocs_per_op")) max_allocs = std::max(max_allocs, *a);
      if (WhyMissing(r, "p95_us") == Missing::kBelowResolution) {
        p95_below.push_back(r.level);
      }
      for (const RepetitionResult& rep : r.repetitions) {
        for (const auto& [key, unit] : rep.strings) {
          constexpr std::string_view kUnit = "_latency_unit";
          if (key.size() <= kUnit.size() ||
              !std::string_view(key).ends_with(kUnit))
            continue;
          const std::string series = key.substr(0, key.size() - kUnit.size());
          extra[series] =
              fmt::format("{} P50/P95/P99 {}/{}/{} µs {} (at {})", series,
                          LatencyText(r, series + "_p50_us"),
                          LatencyText(r, series + "_p95_us"),
                          LatencyText(r, series + "_p99_us"), unit, r.level);
        }
      }
    }
    if (max_allocs >= 0) line += fmt::format("; allocs/op up to {}", record::FormatMicros(max_allocs));
    if (!p95_below.empty()) {
      std::string levels;
      for (const std::string& l : p95_below)
        levels += (levels.empty() ? "" : ", ") + l;
      line +=
          fmt::format("; P95 at or below the timer's resolution at {}", levels);
    }
    for (const auto& [series, text] : extra) line += "; " + text;
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
          // Only the shares the driver derived from a "<name>_ns_per_op"
          // reference (other counters may end in _share_pct too).
          if (!key.ends_with("_share_pct")) continue;
          const std::string reference =
              key.substr(0, key.size() - 10) + "_ns_per_op";
          if (top->repetitions.front().numbers.count(reference) == 0) continue;
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
      // Other banded counters (e.g. e2e_messages' one-in-flight round trip
      // rtt1_p99_us), per level with their verdicts.
      const DimensionThresholds* bands =
          thresholds == nullptr ? nullptr : thresholds->Find(d);
      for (const auto& [key, unused] :
           bands == nullptr ? decltype(bands->counters)() : bands->counters) {
        if (key.ends_with("_share_pct")) continue;
        std::string values;
        for (const BenchmarkResult& r : results) {
          if (r.dimension != d || r.error) continue;
          if (const auto v = r.MedianOf(key)) {
            // No figure (e.g. a P99 with too few samples): no verdict.
            values += fmt::format(
                "{}{} {}", values.empty() ? "" : ", ", r.level,
                std::isnan(*v)
                    ? std::string("n/a")
                    : WithMark(fmt::format("{:.3g}", *v),
                               thresholds->CounterVerdict(d, key, *v),
                               marks_terminal));
          }
        }
        if (!values.empty()) line += fmt::format("; {}: {}", key, values);
      }
      // The loopback ping-pong floor measured beside an e2e latency.
      const auto floor50 = top->MedianOf("loopback_rtt_p50_us");
      const auto floor99 = top->MedianOf("loopback_rtt_p99_us");
      if (floor50 && floor99) {
        line += fmt::format(
            "; {}: loopback TCP ping-pong floor P50 {:.3g} us, P99 {:.3g} us",
            top->level, *floor50, *floor99);
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
