// wsbench-flamegraph: profiles -> standalone SVG flame graphs. Debian
// packages no FlameGraph, so this is ours.
//
//   perf script -i perf.data > perf.txt
//   wsbench-flamegraph --perf-script perf.txt --folded-out out.folded
//       --title "broadcast/medium (cpu-clock)" -o flame.svg
//   wsbench-flamegraph --diff base.callgrind new.callgrind --base-ops 20000
//       --new-ops 20000 --growth-out growth.md -o diff.svg
//
// Exit codes: 0 ok, 1 an output could not be written, 2 bad flags or bad
// input (unreadable, malformed, or counts beyond 64 bits; the message on
// stderr names the file and what is wrong).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "callgrind_fold.h"
#include "diff_flame_graph.h"
#include "flame_graph_svg.h"
#include "folded_stacks.h"
#include "record/atomic_file.h"
#include "record/read_file.h"

namespace {

namespace fg = wsbench::flamegraph;

constexpr std::string_view kUsage =
    "usage: wsbench-flamegraph (--perf-script FILE | --folded FILE |\n"
    "                           --callgrind FILE) [-o OUT.svg]\n"
    "                          [--folded-out OUT.folded] [--title TEXT]\n"
    "                          [--subtitle TEXT] [--count-name NAME]\n"
    "                          [--width PIXELS] [--keep-arguments]\n"
    "                          [--include-comm]\n"
    "       wsbench-flamegraph --diff BASE NEW [-o OUT.svg]\n"
    "                          [--base-ops N --new-ops N | --normalize]\n"
    "                          [--growth-out OUT.md] [--top N] [--title TEXT]\n"
    "                          [--subtitle TEXT] [--count-name NAME]\n"
    "                          [--width PIXELS] [--keep-arguments]\n"
    "  FILE may be '-' for stdin; without -o the SVG goes to stdout.\n"
    "  --diff draws NEW with frames coloured by the change from BASE (red\n"
    "  grew, blue shrank) and lists the functions whose self count grew\n"
    "  most. BASE and NEW are folded stacks, callgrind output or perf script\n"
    "  output, each recognised by its content. --base-ops/--new-ops divide\n"
    "  the counts by the operations each profile covers (per-op figures);\n"
    "  --normalize instead scales BASE to NEW's total (samples from runs of\n"
    "  different length). --growth-out writes the growth list as Markdown.\n";

int Usage(std::string_view message) {
  std::fprintf(stderr, "wsbench-flamegraph: %.*s\n%.*s",
               static_cast<int>(message.size()), message.data(),
               static_cast<int>(kUsage.size()), kUsage.data());
  return 2;
}

bool ReadAll(const std::string& path, std::string& out) {
  absl::StatusOr<std::string> text = wsbench::record::ReadFileToString(path);
  if (!text.ok()) return false;
  out = *std::move(text);
  return true;
}

// Writes `text` to stdout for "-", else with the record's writer: atomically
// for a regular file, through to a device, FIFO or symlink's target.
bool WriteOutput(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0;
  }
  absl::Status status = wsbench::record::WriteFileAtomically(path, text);
  if (!status.ok()) {
    std::fprintf(stderr, "wsbench-flamegraph: %s\n",
                 std::string(status.message()).c_str());
    return false;
  }
  return true;
}

enum class Format { kFolded, kCallgrind, kPerfScript };

// callgrind output has an `events:` line; perf script output has indented
// frame lines; anything else is read as folded stacks.
Format Detect(std::string_view text) {
  bool indented = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, 7) == "events:") return Format::kCallgrind;
    if (!line.empty() && (line[0] == '\t' || line[0] == ' ') &&
        line.find_first_not_of(" \t\r") != std::string_view::npos) {
      indented = true;
    }
  }
  return indented ? Format::kPerfScript : Format::kFolded;
}

absl::StatusOr<fg::FoldedStacks> Fold(Format format, std::string_view text,
                                      const fg::FoldOptions& options) {
  switch (format) {
    case Format::kPerfScript:
      return fg::FoldPerfScript(text, options);
    case Format::kCallgrind:
      return fg::FoldCallgrind(text, options);
    case Format::kFolded:
      break;
  }
  return fg::ParseFolded(text);
}

// Reads and folds one input; prints the error (naming `path`) on failure.
bool Load(const std::string& path, Format format, bool detect,
          const fg::FoldOptions& options, fg::FoldedStacks& stacks,
          Format* detected = nullptr) {
  std::string text;
  if (!ReadAll(path, text)) {
    std::fprintf(stderr, "wsbench-flamegraph: cannot read '%s'\n",
                 path.c_str());
    return false;
  }
  if (detect) format = Detect(text);
  if (detected != nullptr) *detected = format;
  absl::StatusOr<fg::FoldedStacks> folded = Fold(format, text, options);
  if (!folded.ok()) {
    std::fprintf(stderr, "wsbench-flamegraph: %s: %s\n", path.c_str(),
                 std::string(folded.status().message()).c_str());
    return false;
  }
  stacks = std::move(*folded);
  return true;
}

bool ParsePositive(const std::string& text, double& value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end && std::isfinite(value) && value > 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string perf_script, folded, callgrind, out = "-", folded_out;
  std::string diff_base, diff_new, growth_out;
  std::string title, subtitle, count_name, base_ops, new_ops;
  bool normalize = false;
  int top = 10;
  double width = 1200;
  fg::FoldOptions fold_options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string& target) {
      if (i + 1 >= argc) return false;
      target = argv[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--perf-script") {
      ok = value(perf_script);
    } else if (arg == "--folded") {
      ok = value(folded);
    } else if (arg == "--callgrind") {
      ok = value(callgrind);
    } else if (arg == "--diff") {
      ok = value(diff_base) && value(diff_new);
      if (!ok) return Usage("--diff needs two files: BASE NEW");
    } else if (arg == "-o" || arg == "--out") {
      ok = value(out);
    } else if (arg == "--folded-out") {
      ok = value(folded_out);
    } else if (arg == "--growth-out") {
      ok = value(growth_out);
    } else if (arg == "--title") {
      ok = value(title);
    } else if (arg == "--subtitle") {
      ok = value(subtitle);
    } else if (arg == "--count-name") {
      ok = value(count_name);
    } else if (arg == "--base-ops") {
      ok = value(base_ops);
    } else if (arg == "--new-ops") {
      ok = value(new_ops);
    } else if (arg == "--normalize") {
      normalize = true;
    } else if (arg == "--top") {
      std::string t;
      ok = value(t);
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), top);
      if (!ok || ec != std::errc() || ptr != t.data() + t.size() || top < 0 ||
          top > 1000) {
        return Usage("--top needs a whole number between 0 and 1000");
      }
    } else if (arg == "--width") {
      std::string w;
      ok = value(w);
      if (!ok || !ParsePositive(w, width) || width < 100 || width > 100000) {
        return Usage("--width needs a number of pixels between 100 and 100000");
      }
    } else if (arg == "--keep-arguments") {
      fold_options.strip_arguments = false;
    } else if (arg == "--include-comm") {
      fold_options.include_comm = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return 0;
    } else {
      return Usage("unknown argument '" + std::string(arg) + "'");
    }
    if (!ok) return Usage(std::string(arg) + " needs a value");
  }

  if (!diff_base.empty()) {
    if (!perf_script.empty() || !folded.empty() || !callgrind.empty() ||
        !folded_out.empty()) {
      return Usage(
          "--diff takes its two inputs alone (no --perf-script, "
          "--folded, --callgrind or --folded-out)");
    }
    fg::DiffOptions options;
    if (normalize && (!base_ops.empty() || !new_ops.empty())) {
      return Usage("--normalize and --base-ops/--new-ops exclude each other");
    }
    if (base_ops.empty() != new_ops.empty()) {
      return Usage("give both --base-ops and --new-ops");
    }
    if (!base_ops.empty() && (!ParsePositive(base_ops, options.base_ops) ||
                              !ParsePositive(new_ops, options.new_ops))) {
      return Usage("--base-ops and --new-ops need positive numbers");
    }
    fg::FoldedStacks base, next;
    Format base_format = Format::kFolded, new_format = Format::kFolded;
    if (!Load(diff_base, Format::kFolded, true, fold_options, base,
              &base_format) ||
        !Load(diff_new, Format::kFolded, true, fold_options, next,
              &new_format)) {
      return 2;
    }
    options.per_op = !base_ops.empty();
    if (normalize) {
      // base / base_ops then has the new profile's total.
      int64_t base_total = fg::TotalCount(base);
      int64_t new_total = fg::TotalCount(next);
      if (base_total > 0 && new_total > 0) {
        options.base_ops =
            static_cast<double>(base_total) / static_cast<double>(new_total);
      }
    }
    options.count_name = !count_name.empty() ? count_name
                         : (base_format == Format::kCallgrind &&
                            new_format == Format::kCallgrind)
                             ? "instructions"
                             : "samples";
    options.title = title.empty() ? "Differential flame graph" : title;
    options.subtitle = subtitle;
    options.top = top;
    options.width = width;
    absl::StatusOr<std::string> svg =
        fg::RenderDiffFlameGraphSvg(base, next, options);
    absl::StatusOr<fg::DiffSummary> summary =
        fg::SummarizeDiff(base, next, options);
    if (!svg.ok() || !summary.ok()) {
      std::fprintf(
          stderr, "wsbench-flamegraph: %s vs %s: %s\n", diff_base.c_str(),
          diff_new.c_str(),
          std::string((svg.ok() ? summary.status() : svg.status()).message())
              .c_str());
      return 2;
    }
    if (!growth_out.empty() &&
        !WriteOutput(growth_out, fg::FormatGrowthMarkdown(*summary, options))) {
      return 1;
    }
    return WriteOutput(out, *svg) ? 0 : 1;
  }

  int inputs = !perf_script.empty() + !folded.empty() + !callgrind.empty();
  if (inputs != 1) {
    return Usage(
        "give exactly one of --perf-script, --folded, --callgrind, --diff");
  }
  if (!growth_out.empty() || normalize || !base_ops.empty() ||
      !new_ops.empty()) {
    return Usage(
        "--growth-out, --normalize, --base-ops and --new-ops need "
        "--diff");
  }
  const std::string& in_path = !perf_script.empty() ? perf_script
                               : !folded.empty()    ? folded
                                                    : callgrind;
  const Format format = !perf_script.empty() ? Format::kPerfScript
                        : !folded.empty()    ? Format::kFolded
                                             : Format::kCallgrind;
  fg::FoldedStacks stacks;
  if (!Load(in_path, format, false, fold_options, stacks)) return 2;
  fg::FlameGraphOptions options;
  if (!title.empty()) options.title = title;
  options.subtitle = subtitle;
  options.width = width;
  if (!count_name.empty()) {
    options.count_name = count_name;
  } else if (format == Format::kCallgrind) {
    options.count_name = "instructions";
  }
  absl::StatusOr<std::string> svg = fg::RenderFlameGraphSvg(stacks, options);
  if (!svg.ok()) {
    std::fprintf(stderr, "wsbench-flamegraph: %s: %s\n", in_path.c_str(),
                 std::string(svg.status().message()).c_str());
    return 2;
  }
  if (!folded_out.empty() &&
      !WriteOutput(folded_out, fg::FormatFolded(stacks))) {
    return 1;
  }
  return WriteOutput(out, *svg) ? 0 : 1;
}
