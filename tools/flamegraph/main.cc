// wsbench-flamegraph: folded stacks (or `perf script` output) -> standalone
// SVG flame graph. Debian packages no FlameGraph, so this is ours.
//
//   perf script -i perf.data > perf.txt
//   wsbench-flamegraph --perf-script perf.txt --folded-out out.folded
//       --title "broadcast/medium (cpu-clock)" -o flame.svg
//
// Exit codes: 0 ok, 1 the output could not be written, 2 bad flags or bad
// input (unreadable, malformed, or counts beyond 64 bits; the message on
// stderr names the file and what is wrong).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "callgrind_fold.h"
#include "flame_graph_svg.h"
#include "folded_stacks.h"

namespace {

constexpr std::string_view kUsage =
    "usage: wsbench-flamegraph (--perf-script FILE | --folded FILE | "
    "--callgrind FILE)\n"
    "                          [-o OUT.svg] [--folded-out OUT.folded]\n"
    "                          [--title TEXT] [--subtitle TEXT] [--count-name "
    "NAME]\n"
    "                          [--width PIXELS] [--keep-arguments] "
    "[--include-comm]\n"
    "  FILE may be '-' for stdin; without -o the SVG goes to stdout.\n";

int Usage(std::string_view message) {
  std::fprintf(stderr, "wsbench-flamegraph: %.*s\n%.*s",
               static_cast<int>(message.size()), message.data(),
               static_cast<int>(kUsage.size()), kUsage.data());
  return 2;
}

bool ReadAll(const std::string& path, std::string& out) {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    buffer << in.rdbuf();
  }
  out = buffer.str();
  return true;
}

bool WriteAll(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fg = wsbench::flamegraph;
  std::string perf_script, folded, callgrind, out = "-", folded_out;
  fg::FlameGraphOptions options;
  fg::FoldOptions fold_options;
  bool count_name_set = false;
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
    } else if (arg == "-o" || arg == "--out") {
      ok = value(out);
    } else if (arg == "--folded-out") {
      ok = value(folded_out);
    } else if (arg == "--title") {
      ok = value(options.title);
    } else if (arg == "--subtitle") {
      ok = value(options.subtitle);
    } else if (arg == "--count-name") {
      ok = value(options.count_name);
      count_name_set = true;
    } else if (arg == "--width") {
      std::string w;
      ok = value(w);
      char* end = nullptr;
      options.width = ok ? std::strtod(w.c_str(), &end) : 0;
      if (!ok || end == w.c_str() || *end != '\0' || options.width < 100 ||
          options.width > 100000) {
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
  int inputs = !perf_script.empty() + !folded.empty() + !callgrind.empty();
  if (inputs != 1) {
    return Usage("give exactly one of --perf-script, --folded, --callgrind");
  }
  const std::string& in_path = !perf_script.empty() ? perf_script
                               : !folded.empty()    ? folded
                                                    : callgrind;
  std::string text;
  if (!ReadAll(in_path, text)) {
    std::fprintf(stderr, "wsbench-flamegraph: cannot read '%s'\n",
                 in_path.c_str());
    return 2;
  }
  absl::StatusOr<fg::FoldedStacks> stacks =
      !perf_script.empty() ? fg::FoldPerfScript(text, fold_options)
      : !folded.empty()    ? fg::ParseFolded(text)
                           : fg::FoldCallgrind(text, fold_options);
  if (!stacks.ok()) {
    std::fprintf(stderr, "wsbench-flamegraph: %s: %s\n", in_path.c_str(),
                 std::string(stacks.status().message()).c_str());
    return 2;
  }
  if (!callgrind.empty() && !count_name_set)
    options.count_name = "instructions";
  if (!folded_out.empty() && !WriteAll(folded_out, fg::FormatFolded(*stacks))) {
    std::fprintf(stderr, "wsbench-flamegraph: cannot write '%s'\n",
                 folded_out.c_str());
    return 1;
  }
  absl::StatusOr<std::string> svg = fg::RenderFlameGraphSvg(*stacks, options);
  if (!svg.ok()) {
    std::fprintf(stderr, "wsbench-flamegraph: %s: %s\n", in_path.c_str(),
                 std::string(svg.status().message()).c_str());
    return 2;
  }
  if (!WriteAll(out, *svg)) {
    std::fprintf(stderr, "wsbench-flamegraph: cannot write '%s'\n",
                 out.c_str());
    return 1;
  }
  return 0;
}
