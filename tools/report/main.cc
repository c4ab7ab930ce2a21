// wsbench-report: one self-contained HTML report (and/or Markdown) from a
// wsbench results.json, optionally against a baseline and the gate's verdict.
//
//   wsbench-report out/run/results.json --html out/report.html
//   wsbench-report new.json --baseline baselines/x.json --verdict verdict.json
//       --html out/report.html --markdown -
//   wsbench-report out/run/results.json --csv out/run/results.csv
//
// Exit codes: 0 written, 1 cannot write, 2 bad arguments or input.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "record/atomic_file.h"
#include "record/csv.h"
#include "record/results_file.h"
#include "report_html.h"
#include "report_model.h"
#include "thresholds.h"

#ifndef WSBENCH_DEFAULT_THRESHOLDS
#define WSBENCH_DEFAULT_THRESHOLDS ""
#endif

namespace {

constexpr std::string_view kUsage =
    "usage: wsbench-report RESULTS.json [--baseline BASE.json] [--verdict "
    "VERDICT.json]\n"
    "                      [--thresholds FILE] [--noise PCT] [--diff-graph "
    "BENCH=PATH]...\n"
    "                      (--html OUT.html | --markdown OUT.md|- | --csv "
    "OUT.csv|-)...\n"
    "  --csv: the run as CSV, one row per benchmark and metric (median over "
    "the\n"
    "             repetitions, mean, min, max, stddev, cv; "
    "record/csv.h)\n"
    "  --verdict: the JSON written by wsbench-compare --json (the gate's "
    "verdict);\n"
    "             without it a baseline gives a plain change % (not a "
    "statistical verdict)\n"
    "  --thresholds: verdict bands to shade (default: the source tree's "
    "bench/thresholds.json)\n"
    "  --noise: plain change % within +-PCT is shown as noise (default 5)\n"
    "  --diff-graph BENCH=PATH[|TEXT]: link a differential flame graph of "
    "BENCH\n"
    "             (PATH relative to the page; TEXT shown beside it); "
    "repeatable\n";

int Usage(const std::string& message) {
  std::fprintf(stderr, "wsbench-report: %s\n%.*s", message.c_str(), static_cast<int>(kUsage.size()),
               kUsage.data());
  return 2;
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "wsbench-report: %s\n", message.c_str());
  return code;
}

bool Write(const std::string& path, const std::string& text, std::string& error) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0;
  }
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  absl::Status status = wsbench::record::WriteFileAtomically(path, text);
  if (!status.ok()) error = std::string(status.message());
  return status.ok();
}

}  // namespace

int main(int argc, char** argv) {
  namespace report = wsbench::report;
  std::string results_path, baseline_path, verdict_path, html_path,
      markdown_path, csv_path;
  std::string thresholds_path = WSBENCH_DEFAULT_THRESHOLDS;
  bool thresholds_explicit = false;
  std::vector<report::DiffGraphLink> diff_graphs;
  double noise = 5;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string& target) {
      if (i + 1 >= argc) return false;
      target = argv[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--baseline") {
      ok = value(baseline_path);
    } else if (arg == "--verdict") {
      ok = value(verdict_path);
    } else if (arg == "--thresholds") {
      ok = value(thresholds_path);
      thresholds_explicit = true;
    } else if (arg == "--html") {
      ok = value(html_path);
    } else if (arg == "--markdown") {
      ok = value(markdown_path);
    } else if (arg == "--csv") {
      ok = value(csv_path);
    } else if (arg == "--diff-graph") {
      std::string spec;
      ok = value(spec);
      const size_t eq = spec.find('=');
      if (ok && (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())) {
        return Usage("--diff-graph needs BENCHMARK=PATH, got '" + spec + "'");
      }
      if (ok) {
        std::string rest = spec.substr(eq + 1);
        const size_t bar = rest.find('|');
        diff_graphs.push_back(
            {spec.substr(0, eq), rest.substr(0, bar),
             bar == std::string::npos ? "" : rest.substr(bar + 1)});
      }
    } else if (arg == "--noise") {
      std::string text;
      ok = value(text);
      char* end = nullptr;
      noise = ok ? std::strtod(text.c_str(), &end) : 0;
      if (!ok || end == text.c_str() || *end != '\0' || !(noise >= 0 && noise < 1000)) {
        return Usage("--noise needs a percentage, e.g. 5");
      }
    } else if (arg == "-h" || arg == "--help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return 0;
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return Usage("unknown option '" + std::string(arg) + "'");
    } else if (results_path.empty()) {
      results_path = std::string(arg);
    } else {
      return Usage("more than one results file given ('" + std::string(arg) + "')");
    }
    if (!ok) return Usage(std::string(arg) + " needs a value");
  }
  if (results_path.empty()) return Usage("no results file given");
  if (html_path.empty() && markdown_path.empty() && csv_path.empty()) {
    return Usage(
        "give --html OUT.html, --markdown OUT.md and/or --csv OUT.csv");
  }

  auto run = wsbench::record::ReadResultsFile(results_path);
  if (!run.ok()) return Fail(2, std::string(run.status().message()));
  if (!csv_path.empty()) {
    // The run alone: no thresholds, baseline or verdict in it.
    std::string error;
    if (!Write(csv_path, wsbench::record::ResultsCsv(*run), error))
      return Fail(1, error);
    if (csv_path != "-")
      std::fprintf(stderr, "wsbench-report: wrote %s\n", csv_path.c_str());
    if (html_path.empty() && markdown_path.empty()) return 0;
  }
  std::optional<wsbench::record::ResultsFile> baseline;
  if (!baseline_path.empty()) {
    auto base = wsbench::record::ReadResultsFile(baseline_path);
    if (!base.ok()) return Fail(2, std::string(base.status().message()));
    baseline = *std::move(base);
  }
  std::string verdict_text;
  if (!verdict_path.empty()) {
    std::ifstream in(verdict_path, std::ios::binary);
    if (!in) return Fail(2, "cannot read verdict file '" + verdict_path + "'");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    verdict_text = buffer.str();
  }
  std::optional<wsbench::bench::Thresholds> thresholds;
  if (!thresholds_path.empty()) {
    if (!thresholds_explicit && !std::filesystem::exists(thresholds_path)) {
      std::fprintf(stderr, "wsbench-report: note: no thresholds file at %s; bands not shaded\n",
                   thresholds_path.c_str());
    } else {
      auto t = wsbench::bench::Thresholds::Load(thresholds_path);
      if (!t.ok()) return Fail(2, std::string(t.status().message()));
      thresholds = *std::move(t);
    }
  }

  report::ReportInputs inputs;
  inputs.run = &*run;
  inputs.baseline = baseline ? &*baseline : nullptr;
  inputs.verdict_json = verdict_path.empty() ? nullptr : &verdict_text;
  inputs.verdict_path = verdict_path;
  inputs.thresholds = thresholds ? &*thresholds : nullptr;
  inputs.thresholds_path = thresholds_path;
  inputs.noise_pct = noise;
  inputs.diff_graphs = diff_graphs;
  auto built = report::BuildReport(inputs);
  if (!built.ok()) return Fail(2, std::string(built.status().message()));

  std::string error;
  if (!html_path.empty()) {
    if (!Write(html_path, report::RenderHtml(*built), error)) return Fail(1, error);
    if (html_path != "-") std::fprintf(stderr, "wsbench-report: wrote %s\n", html_path.c_str());
  }
  if (!markdown_path.empty()) {
    if (!Write(markdown_path, report::RenderMarkdown(*built), error)) return Fail(1, error);
    if (markdown_path != "-") std::fprintf(stderr, "wsbench-report: wrote %s\n", markdown_path.c_str());
  }
  return 0;
}
