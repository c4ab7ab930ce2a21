#include "report_html.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "record/format.h"
#include "svg_chart.h"

namespace wsbench::report {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

constexpr char kCss[] = R"css(
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --card: #f6f8fa; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; padding: 18px 20px; font-size: 14px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 2px; }
.sub, .note { color: var(--muted); }
.sub { margin: 0; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: bold; }
.status.ok { background: #dafbe1; color: #1a7f37; } .status.partial { background: #fff1e5; color: #bc4c00; }
.verdict { border-radius: 8px; padding: 10px 16px; margin: 14px 0 4px; border: 1px solid; }
.verdict.pass { background: #dafbe1; border-color: #4ac26b; }
.verdict.fail { background: #ffebe9; border-color: #ff8182; }
.verdict.plain { background: #f6f8fa; border-color: var(--line); }
.verdict .big { font-size: 20px; font-weight: bold; margin-right: 10px; }
.verdict ul { margin: 4px 0 0; padding-left: 20px; color: var(--muted); }
.diffs { margin-top: 6px; } .diffs ul { color: var(--fg); }
.grid { display: flex; flex-wrap: wrap; gap: 14px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; width: 664px; }
.card .charts { display: flex; gap: 4px; }
.card .meta { color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.legend-row { color: var(--muted); font-size: 12px; margin: 6px 0; }
.sw { display: inline-block; width: 12px; height: 10px; border: 1px solid #0002; vertical-align: middle; margin: 0 3px 0 10px; }
svg.chart { background: #fff; border-radius: 4px; }
svg text { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; fill: var(--fg); }
.ctitle { font-size: 12px; font-weight: bold; }
.legend { font-size: 10px; } .legend tspan { stroke: none; }
.tick { font-size: 10px; fill: var(--muted) !important; }
.note { font-size: 12px; }
.plot { fill: none; stroke: var(--line); }
.grid line, line.grid { stroke: #eaeef2; }
polyline.line { fill: none; stroke-width: 2; }
.dashed { stroke-dasharray: 5 3; stroke-width: 1.5; }
.s-tp { stroke: #0a6e8a; fill: #0a6e8a; }
.s-p50 { stroke: #3b82f6; fill: #3b82f6; }
.s-p95 { stroke: #e8590c; fill: #e8590c; }
.s-p99 { stroke: #8f1d1d; fill: #8f1d1d; }
.s-base { stroke: #8c959f; fill: #8c959f; }
.b-exc { fill: #2da44e; fill-opacity: 0.13; }
.b-good { fill: #d4a72c; fill-opacity: 0.16; }
.b-poor { fill: #cf222e; fill-opacity: 0.09; }
.sw.b-exc { background: #2da44e22; } .sw.b-good { background: #d4a72c29; } .sw.b-poor { background: #cf222e17; }
.blabel, .bvalue { font-size: 12px; }
.c-reg { fill: #cf222e; } .c-imp { fill: #2da44e; } .c-noise { fill: #afb8c1; }
.c-ungated { fill: #f5a3a8; } .c-deg { fill: #6e8fb3; } .c-bottleneck { fill: #cf222e; }
.sw.c-reg { background: #cf222e; } .sw.c-imp { background: #2da44e; } .sw.c-noise { background: #afb8c1; }
.sw.c-ungated { background: #f5a3a8; }
line.zero { stroke: #57606a; } line.ref { stroke: #cf222e; stroke-dasharray: 4 3; }
.reflabel { font-size: 10px; fill: #cf222e !important; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px; text-align: right; }
th { background: var(--card); } td:first-child, th:first-child { text-align: left; }
td.v-excellent { color: #1a7f37; } td.v-good { color: #9a6700; } td.v-poor { color: #cf222e; font-weight: bold; }
tr.failed td { color: #cf222e; }
dl { display: grid; grid-template-columns: max-content auto; gap: 3px 16px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; background: var(--card);
       padding: 2px 5px; border-radius: 4px; word-break: break-all; }
)css";

std::string Attr(std::string_view bench, std::string_view metric, double value) {
  return fmt::format(" data-bench=\"{}\" data-metric=\"{}\" data-value=\"{}\"", Escape(bench),
                     Escape(metric), ExactNumber(value));
}

std::string Pct(double v) {
  if (!std::isfinite(v)) return "-";
  return fmt::format("{:+.1f}%", v);
}

// Mark for a verdict string, plain text (the page may be printed).
std::string VerdictMark(std::string_view v) {
  // Glyphs DejaVu Sans has (colour emoji fonts are often missing offline).
  if (v == "excellent") return "✔ excellent";
  if (v == "good") return "⚠ good";
  if (v == "poor") return "✘ poor";
  return v.empty() || v == "none" ? "" : std::string(v);
}

const BenchmarkSummary* BaselineOf(const Report& r, const std::string& name) {
  auto it = r.baseline.find(name);
  return it == r.baseline.end() ? nullptr : &it->second;
}

std::string DimensionCard(const Report& r, const DimensionSummary& d) {
  const size_t n = r.levels.size();
  // Per-level scale for per-item P95 bands (items per op varies by level).
  std::vector<double> item_scale(n, 1.0);
  for (size_t i : d.benchmarks) {
    const BenchmarkSummary& b = r.benchmarks[i];
    if (d.p95_per_item && b.items_per_op > 0) item_scale[b.level_index] = b.items_per_op;
  }

  LineChart tp;
  tp.title = "throughput, " + d.rate_unit() + " (log)";
  tp.unit = d.rate_unit();
  tp.x_labels = r.levels;
  Series rate{d.rate_unit(), d.rate_key(), "s-tp", false, {}};
  Series base_rate{"baseline", d.rate_key(), "s-base", true, {}, false};
  for (size_t i : d.benchmarks) {
    const BenchmarkSummary& b = r.benchmarks[i];
    rate.points.push_back({b.level_index, b.Value(d.rate_key()), b.name});
    if (const BenchmarkSummary* base = BaselineOf(r, b.name)) {
      base_rate.points.push_back({b.level_index, base->Value(d.rate_key()), b.name});
    }
  }
  tp.series.push_back(rate);
  if (!base_rate.points.empty()) tp.series.push_back(base_rate);
  if (d.throughput_bands) {
    double good = d.throughput_bands->good, exc = d.throughput_bands->excellent;
    tp.bands.push_back({"b-poor", fmt::format("poor: below {} {}", ShortNumber(good), tp.unit),
                        std::vector<double>(n, 0), std::vector<double>(n, good)});
    tp.bands.push_back({"b-good", fmt::format("good: {} to {} {}", ShortNumber(good), ShortNumber(exc), tp.unit),
                        std::vector<double>(n, good), std::vector<double>(n, exc)});
    tp.bands.push_back({"b-exc", fmt::format("excellent: at least {} {}", ShortNumber(exc), tp.unit),
                        std::vector<double>(n, exc), std::vector<double>(n, kInf)});
  }

  // What a latency point is: one op (or the op's named part) timed alone.
  const BenchmarkSummary& first_run = r.benchmarks[d.benchmarks.front()];
  const std::string& rule = first_run.latency_rule;
  const size_t part = rule.find(':');
  LineChart lat;
  lat.title = part == std::string::npos || rule.find(" | ") != std::string::npos
                  ? "latency per op, µs (log)"
                  : "latency per " + rule.substr(part + 1) + ", µs (log)";
  lat.unit = "µs";
  lat.x_labels = r.levels;
  Series p50{"P50", "p50_us", "s-p50", false, {}}, p95{"P95", "p95_us", "s-p95", false, {}},
      p99{"P99", "p99_us", "s-p99", false, {}};
  Series base_p95{"base P95", "p95_us", "s-base", true, {}, false};
  for (size_t i : d.benchmarks) {
    const BenchmarkSummary& b = r.benchmarks[i];
    p50.points.push_back({b.level_index, b.p50_us, b.name});
    p95.points.push_back({b.level_index, b.p95_us, b.name});
    p99.points.push_back({b.level_index, b.p99_us, b.name});
    const BenchmarkSummary* base = BaselineOf(r, b.name);
    if (base != nullptr && base->latency_rule == b.latency_rule) {
      base_p95.points.push_back({b.level_index, base->p95_us, b.name});
    }
  }
  lat.series = {p50, p95, p99};
  if (!base_p95.points.empty()) lat.series.push_back(base_p95);
  if (d.p95_bands) {
    std::vector<double> zero(n, 0), exc(n), good(n), inf(n, kInf);
    for (size_t i = 0; i < n; ++i) {
      exc[i] = d.p95_bands->excellent * item_scale[i];
      good[i] = d.p95_bands->good * item_scale[i];
    }
    std::string per = d.p95_per_item ? fmt::format(" per {}", d.item_unit.empty() ? "item" : d.item_unit) : "";
    lat.bands.push_back({"b-exc", fmt::format("P95 excellent: at most {} µs{}",
                                              ShortNumber(d.p95_bands->excellent), per), zero, exc});
    lat.bands.push_back({"b-good", fmt::format("P95 good: at most {} µs{}",
                                               ShortNumber(d.p95_bands->good), per), exc, good});
    lat.bands.push_back({"b-poor", "P95 poor", good, inf});
  }

  std::string meta;
  if (d.degradation) {
    meta += fmt::format("degradation {} → {}: <b>{}</b>{}", Escape(d.degradation->lowest_level),
                        Escape(d.degradation->highest_level), Pct(d.degradation->pct),
                        d.degradation->bottleneck ? " (the bottleneck)" : "");
  }
  const BenchmarkSummary& first = r.benchmarks[d.benchmarks.front()];
  if (!first.ops_note.empty()) meta += (meta.empty() ? "" : " · ") + Escape(first.ops_note);
  if (d.p95_per_item) meta += (meta.empty() ? "" : " · ") + std::string("P95 bands scale with ") +
                              Escape(d.item_unit.empty() ? "items" : d.item_unit) + " per op";
  if (!rule.empty()) {
    meta += (meta.empty() ? "" : " · ") + std::string("latency: ") +
            (rule.rfind("single_op", 0) == 0 &&
                     rule.find(" | ") == std::string::npos
                 ? "each sample one op timed alone"
                 : "rule " + Escape(rule));
  }
  std::string below_levels;
  for (size_t i : d.benchmarks) {
    const BenchmarkSummary& b = r.benchmarks[i];
    if (b.p50_below || b.p95_below || b.p99_below) {
      below_levels += (below_levels.empty() ? "" : ", ") + Escape(b.level);
    }
  }
  if (!below_levels.empty()) {
    meta += fmt::format(
        " · percentiles at or below the timer's resolution ({} µs) are not "
        "plotted: {}",
        ShortNumber(first_run.latency_resolution_us), below_levels);
  }
  int failed = 0;
  for (size_t i : d.benchmarks) failed += r.benchmarks[i].failed ? 1 : 0;
  if (failed > 0) meta += fmt::format(" · <b class=\"v-poor\">{} failed</b>", failed);

  return fmt::format(
      "<div class=\"card\" data-dimension=\"{0}\"><h3>{0}</h3><div class=\"meta\">{1}</div>"
      "<div class=\"charts\">{2}{3}</div></div>\n",
      Escape(d.name), meta.empty() ? "&nbsp;" : meta, RenderLineChart(tp), RenderLineChart(lat));
}

// Links to the differential flame graphs: where each benchmark got slower.
std::string DiffGraphList(const Report& r) {
  if (r.diff_graphs.empty()) return "";
  std::string out =
      "<div class=\"diffs\"><b>Where it got slower</b> (differential flame "
      "graphs of instructions per op inside Run, base vs new; red grew, blue "
      "shrank):<ul>";
  for (const DiffGraphLink& d : r.diff_graphs) {
    out += fmt::format(
        "<li data-bench=\"{0}\"><a href=\"{1}\">{0}</a>{2}</li>",
        Escape(d.benchmark), Escape(d.href),
        d.summary.empty() ? "" : " — " + Escape(d.summary));
  }
  return out + "</ul></div>";
}

std::string VerdictSection(const Report& r) {
  if (!r.has_baseline && !r.verdict.statistical) return DiffGraphList(r);
  const GateVerdict& v = r.verdict;
  std::string out;
  std::string revs = fmt::format("base {} → new {}", Escape(v.base_revision.substr(0, 12)),
                                 Escape(v.new_revision.substr(0, 12)));
  if (v.statistical) {
    bool pass = v.exit_code == 0 && v.regressions == 0;
    out += fmt::format(
        "<section class=\"verdict {}\" data-regressions=\"{}\" data-improvements=\"{}\">"
        "<span class=\"big\">{}</span> {} gated regression{}, {} improvement{} "
        "<span class=\"note\">(wsbench-compare: Mann-Whitney U test and bootstrap interval; {}; {})</span>",
        pass ? "pass" : "fail", v.regressions, v.improvements,
        pass ? "✔ Gate passed" : "✘ Gate failed", v.regressions, v.regressions == 1 ? "" : "s",
        v.improvements, v.improvements == 1 ? "" : "s", Escape(v.source), revs);
  } else {
    out += fmt::format(
        "<section class=\"verdict plain\" data-regressions=\"{}\" data-improvements=\"{}\">"
        "<span class=\"big\">Change vs baseline</span> {} metric{} worse and {} better by more "
        "than {}% <span class=\"note\">(plain change of medians: <b>not a statistical verdict</b>; "
        "run wsbench-compare for the gate and pass --verdict; {})</span>",
        v.regressions, v.improvements, v.regressions, v.regressions == 1 ? "" : "s",
        v.improvements, fmt::format("{:g}", r.noise_pct), revs);
  }
  std::vector<std::string> notes = v.notes;
  if (!v.fingerprint_mismatches.empty()) {
    std::string fields;
    for (const std::string& f : v.fingerprint_mismatches) fields += (fields.empty() ? "" : ", ") + f;
    notes.insert(notes.begin(), "machine or build differs (" + fields +
                                    "): time metrics are not comparable");
  }
  if (!notes.empty()) {
    out += "<ul>";
    for (const std::string& note : notes) out += "<li>" + Escape(note) + "</li>";
    out += "</ul>";
  }
  out += DiffGraphList(r);
  out += "</section>\n";
  return out;
}

std::string ChangeSection(const Report& r) {
  if (r.changes.empty()) return "";
  std::string out = "<section><h2>Change vs baseline</h2>\n";
  out += fmt::format("<p class=\"note\">baseline: <code>{}</code>. {}</p>\n",
                     Escape(r.baseline_path.empty() ? "(from the verdict file)" : r.baseline_path),
                     r.verdict.statistical
                         ? "Colours are the gate's verdicts; pale red: regressed but not gated "
                           "(the note says why)."
                         : fmt::format("Colours: beyond ±{}% of the baseline's median; "
                                       "grey within it. Not a statistical verdict.",
                                       fmt::format("{:g}", r.noise_pct)));
  out += "<div class=\"legend-row\"><span class=\"sw c-reg\"></span>regression"
         "<span class=\"sw c-imp\"></span>improvement<span class=\"sw c-noise\"></span>noise";
  if (r.verdict.statistical) out += "<span class=\"sw c-ungated\"></span>regressed, not gated";
  out += "</div>\n<div class=\"grid\">";
  for (const char* group : {"throughput", "p95"}) {
    BarChart chart;
    chart.diverging = true;
    chart.width = 660;
    chart.title = std::string_view(group) == "p95"
                      ? "P95 latency change % (positive = slower)"
                      : "throughput change % (positive = faster)";
    for (const ChangeRow& row : r.changes) {
      bool is_rate = row.metric.find("per_second") != std::string::npos;
      if (std::string_view(group) == "p95" ? row.metric != "p95_us" : !is_rate) continue;
      if (row.cls == ChangeClass::kNew || row.cls == ChangeClass::kMissing) continue;
      // No change to draw (e.g. a percentile sampled by another rule, or
      // below the timer's resolution): listed below with its note instead.
      if (!std::isfinite(row.change_pct)) continue;
      Bar bar;
      // A benchmark may have both rates (broadcast: publishes and deliveries).
      bar.label = row.metric == "items_per_second" ? row.benchmark + " (items/s)" : row.benchmark;
      bar.value = row.change_pct;
      bar.key = row.benchmark;
      bar.metric = row.metric + ":change_pct";
      bar.text = Pct(row.change_pct);
      bar.css = row.cls == ChangeClass::kRegressed ? (row.gated ? "c-reg" : "c-ungated")
                : row.cls == ChangeClass::kImproved ? "c-imp"
                                                    : "c-noise";
      bar.tooltip = fmt::format("{} {}: {} → {} ({}){}{}", row.benchmark, row.label,
                                ShortNumber(row.base), ShortNumber(row.next), Pct(row.change_pct),
                                row.p_value >= 0 ? fmt::format(", p = {:.3g}", row.p_value) : "",
                                row.note.empty() ? "" : "; " + row.note);
      chart.bars.push_back(bar);
    }
    if (!chart.bars.empty()) out += "<div>" + RenderBarChart(chart) + "</div>";
  }
  out += "</div>\n";
  std::string listed;
  for (const ChangeRow& row : r.changes) {
    if (row.cls == ChangeClass::kNew || row.cls == ChangeClass::kMissing) {
      listed += fmt::format("<li data-bench=\"{}\" data-change=\"{}\">{}: {}</li>", Escape(row.benchmark),
                            ChangeClassName(row.cls), Escape(row.benchmark),
                            row.cls == ChangeClass::kNew ? "new (not in the baseline)"
                                                         : "missing (in the baseline only)");
    } else if (!std::isfinite(row.change_pct) && !row.note.empty()) {
      listed += fmt::format("<li data-bench=\"{}\">{} {}: {}</li>",
                            Escape(row.benchmark), Escape(row.benchmark),
                            Escape(row.label), Escape(row.note));
    }
  }
  if (!listed.empty()) out += "<ul class=\"note\">" + listed + "</ul>\n";
  out += "</section>\n";
  return out;
}

std::string DegradationSection(const Report& r) {
  BarChart chart;
  chart.title = "degradation %: 1 − throughput at the highest level run / at the lowest";
  chart.width = 900;
  chart.label_width = 330;
  chart.reference_lines = {20};
  chart.reference_label = "target ≤ 20%";
  for (const DimensionSummary& d : r.dimensions) {
    if (!d.degradation) continue;
    const record::Degradation& g = *d.degradation;
    Bar bar;
    bar.label = fmt::format("{}{} ({}→{})", g.bottleneck ? "◀ bottleneck: " : "", d.name,
                            g.lowest_level, g.highest_level);
    bar.value = g.pct;
    bar.css = g.bottleneck ? "c-bottleneck" : "c-deg";
    bar.text = Pct(g.pct);
    bar.key = d.name;
    bar.metric = "degradation_pct";
    bar.tooltip = fmt::format("{}: {} from {} to {}{}", d.name, Pct(g.pct), g.lowest_level,
                              g.highest_level, g.bottleneck ? " (the bottleneck)" : "");
    chart.bars.push_back(bar);
  }
  std::string out = "<section><h2>Degradation under load</h2>\n";
  if (chart.bars.empty()) {
    out += "<p class=\"note\">No degradation figures: a dimension needs at least two levels.</p>";
  } else {
    out += RenderBarChart(chart);
    out += "<p class=\"note\">Negative: throughput grows with load (e.g. more deliveries per "
           "publish). The bottleneck is the dimension that degrades most.</p>";
  }
  return out + "</section>\n";
}

std::string NumbersTable(const Report& r) {
  std::string out =
      "<section><h2>All numbers (medians over repetitions)</h2>\n<table class=\"numbers\">"
      "<tr><th>benchmark</th><th>reps</th><th>ops/s</th><th>items/s</th><th>P50 µs</th>"
      "<th>P95 µs</th><th>P99 µs</th><th>allocs/op</th><th>verdict</th>";
  // (≤x: at or below the timer's resolution x; see the latency rule per
  // dimension.)
  if (r.has_baseline) out += "<th>base rate</th><th>base P95 µs</th>";
  out += "</tr>\n";
  for (const DimensionSummary& d : r.dimensions) {
    for (size_t i : d.benchmarks) {
      const BenchmarkSummary& b = r.benchmarks[i];
      auto cell = [&](std::string_view metric, double v) {
        return fmt::format("<td{}>{}</td>", std::isfinite(v) ? Attr(b.name, metric, v) : "",
                           ShortNumber(v));
      };
      out += fmt::format("<tr{}><td>{}{}</td><td>{}</td>", b.failed ? " class=\"failed\"" : "",
                         Escape(b.name), b.failed ? " (failed: " + Escape(b.error_message) + ")" : "",
                         b.repetitions);
      out += cell("ops_per_second", b.ops_per_second);
      std::string items = std::isfinite(b.items_per_second) && b.items_per_op > 0
                              ? cell("items_per_second", b.items_per_second)
                              : "<td>-</td>";
      if (b.items_per_op > 0 && !b.item_unit.empty()) {
        items.insert(items.size() - 5, " " + Escape(b.item_unit) + "/s");
      }
      out += items;
      // At or below the resolution: "≤res", never a number of its own.
      auto latency = [&](std::string_view metric, double v, bool below) {
        return below ? fmt::format("<td class=\"below\">≤{}</td>",
                                   ShortNumber(b.latency_resolution_us))
                     : cell(metric, v);
      };
      out += latency("p50_us", b.p50_us, b.p50_below) +
             latency("p95_us", b.p95_us, b.p95_below) +
             latency("p99_us", b.p99_us, b.p99_below);
      out += cell("allocs_per_op", b.allocs_per_op);
      out += fmt::format("<td class=\"v-{}\">{}</td>", Escape(b.verdict), VerdictMark(b.verdict));
      if (r.has_baseline) {
        const BenchmarkSummary* base = BaselineOf(r, b.name);
        double rate = base ? base->Value(d.rate_key()) : std::nan("");
        double p95 = base ? base->p95_us : std::nan("");
        out += fmt::format("<td>{}</td><td>{}</td>", ShortNumber(rate), ShortNumber(p95));
      }
      out += "</tr>\n";
    }
  }
  return out + "</table></section>\n";
}

std::string MachineSection(const Report& r) {
  const record::RunInfo& info = r.run.info;
  const record::Fingerprint& fp = info.fingerprint;
  std::string out = "<section><h2>Machine, build and command</h2>\n<dl>";
  auto row = [&](std::string_view key, const std::string& value) {
    out += fmt::format("<dt>{}</dt><dd>{}</dd>", Escape(key), value);
  };
  row("command line", "<code data-field=\"command_line\">" + Escape(info.command_line) + "</code>");
  row("CPU", Escape(fp.cpu_model) + fmt::format(" · {} cores", fp.cores));
  row("compiler", Escape(fp.compiler));
  row("flags", "<code>" + Escape(fp.cxx_flags) + "</code> (" + Escape(fp.build_type) + ")");
  row("git revision", "<code>" + Escape(fp.git_revision) + "</code>" + (fp.git_dirty ? " (dirty tree)" : ""));
  row("timer", fmt::format("{} · overhead {} ns (subtracted) · {} ticks/ns", Escape(info.timer.source),
                           ShortNumber(info.timer.overhead_ns), ShortNumber(info.timer.ticks_per_ns)));
  row("seed · repetitions", fmt::format("{} · {}", info.seed, info.repetitions));
  row("wall time · peak RSS", fmt::format("{:.2f} s · {:.1f} MiB", info.wall_seconds,
                                           info.peak_rss_bytes / (1024.0 * 1024.0)));
  for (const auto& [key, raw] : r.run.context_fields) {
    if (key == "date" || key == "host_name" || key == "library_build_type" || key == "num_cpus" ||
        key == "mhz_per_cpu") {
      std::string value = raw;
      if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
      row("benchmark " + key, Escape(value));
    }
  }
  row("results file", "<code>" + Escape(r.run.path) + "</code>");
  if (!r.thresholds_source.empty()) row("thresholds", "<code>" + Escape(r.thresholds_source) + "</code>");
  if (r.has_baseline) {
    const record::Fingerprint& bf = r.baseline_info.fingerprint;
    row("baseline", "<code>" + Escape(r.baseline_path) + "</code> · " + Escape(bf.cpu_model) +
                        fmt::format(" · {} cores · ", bf.cores) + Escape(bf.compiler) + " · <code>" +
                        Escape(bf.git_revision.substr(0, 12)) + "</code>");
  }
  return out + "</dl></section>\n";
}

std::string Header(const Report& r) {
  const record::RunInfo& info = r.run.info;
  std::string date;
  for (const auto& [key, raw] : r.run.context_fields) {
    if (key == "date" && raw.size() >= 2) date = raw.substr(1, raw.size() - 2);
  }
  std::string status =
      info.complete ? "<span class=\"status ok\">complete</span>"
                    : "<span class=\"status partial\">partial: " + Escape(info.partial_reason) + "</span>";
  return fmt::format(
      "<header><h1>wsbench report</h1><p class=\"sub\">{} · revision <code>{}</code>{} · {} "
      "benchmark(s), {} dimension(s), levels {} · {}</p></header>\n",
      Escape(date), Escape(info.fingerprint.git_revision.substr(0, 12)),
      info.fingerprint.git_dirty ? " (dirty)" : "", r.benchmarks.size(), r.dimensions.size(),
      Escape(r.levels.empty() ? "" : r.levels.front() + " … " + r.levels.back()), status);
}

}  // namespace

int EstimatedPageHeight(const Report& r) {
  int h = 110;                                     // header
  if (r.has_baseline || r.verdict.statistical) h += 110;
  // Cards, two per row; taller when the level names are turned.
  const LineChart chart;
  const double x_extra =
      LayOutXLabels(r.levels, chart.width - 60).extra_height;
  h += 90 + static_cast<int>((r.dimensions.size() + 1) / 2) *
                (292 + static_cast<int>(x_extra));
  h += 140 + static_cast<int>(r.dimensions.size()) * 22;            // degradation
  if (!r.changes.empty()) {
    int rows = 0;
    for (const ChangeRow& c : r.changes) rows += c.metric == "p95_us" ? 1 : 0;
    h += 130 + rows * 22 + 60;
  }
  h += 90 + static_cast<int>(r.benchmarks.size()) * 23;  // table
  h += 330;                                              // machine
  return h;
}

std::string RenderHtml(const Report& r) {
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"wsbench-page-height\" content=\"{}\">\n"
      "<title>wsbench report {}</title>\n<style>{}</style>\n</head>\n<body>\n",
      EstimatedPageHeight(r), Escape(r.run.info.fingerprint.git_revision.substr(0, 12)), kCss);
  html += Header(r);
  html += VerdictSection(r);
  html += "<section><h2>Throughput and latency by load level</h2>\n";
  html += "<div class=\"legend-row\">thresholds (" +
          Escape(r.thresholds_source.empty() ? "none given" : r.thresholds_source) +
          "): <span class=\"sw b-exc\"></span>excellent<span class=\"sw b-good\"></span>good"
          "<span class=\"sw b-poor\"></span>poor · points are medians over repetitions";
  if (r.has_baseline) html += " · dashed grey: the baseline";
  html += " · hover a point for its value</div>\n<div class=\"grid\">\n";
  for (const DimensionSummary& d : r.dimensions) html += DimensionCard(r, d);
  html += "</div></section>\n";
  html += DegradationSection(r);
  html += ChangeSection(r);
  html += NumbersTable(r);
  html += MachineSection(r);
  html +=
      "<p class=\"note\">Written by wsbench --out or wsbench-report: one "
      "self-contained file, no scripts.</p>\n";
  html += "</body>\n</html>\n";
  return html;
}

// A percentile for the Markdown table: "≤res" at or below the resolution.
std::string LatencyCell(const BenchmarkSummary& b, double us, bool below) {
  return below ? "≤" + ShortNumber(b.latency_resolution_us) : ShortNumber(us);
}

std::string RenderMarkdown(const Report& r) {
  const record::RunInfo& info = r.run.info;
  // Text from the files is escaped: a '|' or HTML in a name, a reason or a
  // command line cannot break a table or reach a renderer.
  using record::MarkdownCode;
  using record::MarkdownText;
  std::string md = fmt::format(
      "# wsbench report\n\nrevision {}{} · {} · {}\n\n",
      MarkdownCode(info.fingerprint.git_revision.substr(0, 12)),
      info.fingerprint.git_dirty ? " (dirty)" : "",
      info.complete ? "complete" : "partial: " + MarkdownText(info.partial_reason),
      MarkdownCode(info.command_line));
  if (r.has_baseline || r.verdict.statistical) {
    const GateVerdict& v = r.verdict;
    if (v.statistical) {
      md += fmt::format("**Gate: {}** — {} gated regression(s), {} improvement(s) (wsbench-compare, {})\n\n",
                        v.exit_code == 0 && v.regressions == 0 ? "passed" : "FAILED", v.regressions,
                        v.improvements, v.source);
    } else {
      md += fmt::format("**Change vs baseline** (plain change of medians, not a statistical verdict): "
                        "{} worse, {} better beyond ±{}%\n\n",
                        v.regressions, v.improvements, fmt::format("{:g}", r.noise_pct));
    }
  }
  if (!r.diff_graphs.empty()) {
    md += "Where it got slower (differential flame graphs):\n";
    for (const DiffGraphLink& d : r.diff_graphs) {
      md += fmt::format("- [{}]({}){}\n", MarkdownText(d.benchmark), d.href,
                        d.summary.empty() ? "" : " — " + MarkdownText(d.summary));
    }
    md += "\n";
  }
  md += "| benchmark | rate | P50 µs | P95 µs | P99 µs | allocs/op | verdict |";
  md += r.has_baseline ? " change (rate) | change (P95) |\n|---|---|---|---|---|---|---|---|---|\n"
                       : "\n|---|---|---|---|---|---|---|\n";
  for (const DimensionSummary& d : r.dimensions) {
    for (size_t i : d.benchmarks) {
      const BenchmarkSummary& b = r.benchmarks[i];
      md += fmt::format("| {} | {} {} | {} | {} | {} | {} | {} |", MarkdownText(b.name),
                        ShortNumber(b.Value(d.rate_key())), d.rate_unit(),
                        LatencyCell(b, b.p50_us, b.p50_below),
                        LatencyCell(b, b.p95_us, b.p95_below),
                        LatencyCell(b, b.p99_us, b.p99_below),
                        ShortNumber(b.allocs_per_op), VerdictMark(b.verdict));
      if (r.has_baseline) {
        std::string rate = "-", p95 = "-";
        for (const ChangeRow& c : r.changes) {
          if (c.benchmark != b.name) continue;
          std::string text = Pct(c.change_pct);
          if (c.cls == ChangeClass::kRegressed) text += " ❌";
          if (c.cls == ChangeClass::kImproved) text += " ✅";
          if (c.metric == d.rate_key()) rate = text;
          if (c.metric == "p95_us") p95 = text;
        }
        md += fmt::format(" {} | {} |", rate, p95);
      }
      md += "\n";
    }
  }
  md += "\n| dimension | degradation | levels |\n|---|---|---|\n";
  for (const DimensionSummary& d : r.dimensions) {
    if (!d.degradation) continue;
    md += fmt::format("| {}{} | {} | {} → {} |\n", MarkdownText(d.name),
                      d.degradation->bottleneck ? " (bottleneck)" : "", Pct(d.degradation->pct),
                      MarkdownText(d.degradation->lowest_level),
                      MarkdownText(d.degradation->highest_level));
  }
  const record::Fingerprint& fp = info.fingerprint;
  md += fmt::format("\n{} · {} cores · {} · {} ({})\n", MarkdownText(fp.cpu_model), fp.cores,
                    MarkdownText(fp.compiler), MarkdownCode(fp.cxx_flags),
                    MarkdownText(fp.build_type));
  return md;
}

absl::StatusOr<std::string> RenderRunReport(std::string_view results_json,
                                            const bench::Thresholds* thresholds,
                                            const std::string& thresholds_path) {
  absl::StatusOr<record::ResultsFile> run =
      record::ParseResults(results_json, "results.json");
  if (!run.ok()) return run.status();
  ReportInputs inputs;
  inputs.run = &*run;
  inputs.thresholds = thresholds;
  inputs.thresholds_path = thresholds_path;
  absl::StatusOr<Report> report = BuildReport(inputs);
  if (!report.ok()) return report.status();
  return RenderHtml(*report);
}

}  // namespace wsbench::report
