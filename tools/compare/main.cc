// wsbench-compare: compares two wsbench runs and gates regressions.
//
//   wsbench-compare BASE.json NEW.json [options]
//   wsbench-compare ab [options] A1.json B1.json [A2.json B2.json ...]
//                  (judges interleaved runs; tools/ab builds and runs them)
//   wsbench-compare save-baseline RESULTS.json OUT.json [--instructions I.json]
//   wsbench-compare merge RESULTS.json INSTRUCTIONS.json OUT.json
//   wsbench-compare merge-runs OUT.json RUN1.json RUN2.json ...
//
// Options: --config FILE (default: tools/compare/gate.json of the source
// tree), --markdown FILE ('-' = stdout instead of the terminal table),
// --json FILE (verdict), --base-instructions FILE, --new-instructions FILE
// (merge instruction counts before comparing), --color / --no-color.
// Exit: 0 nothing regressed, 1 regression, 2 bad input or usage.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "baseline.h"
#include "code_path.h"
#include "compare.h"
#include "fmt/format.h"
#include "gate_config.h"
#include "render.h"
#include "record/atomic_file.h"
#include "record/results_file.h"
#include "record/validate.h"

#ifndef WSBENCH_DEFAULT_GATE_CONFIG
#define WSBENCH_DEFAULT_GATE_CONFIG ""
#endif

namespace {

using wsbench::compare::GateConfig;
using wsbench::record::ResultsFile;

constexpr char kUsage[] =
    "usage:\n"
    "  wsbench-compare BASE.json NEW.json [--config FILE] [--markdown FILE|-]\n"
    "                  [--json FILE] [--base-instructions FILE]\n"
    "                  [--new-instructions FILE] [--color|--no-color]\n"
    "  wsbench-compare ab [options] A1.json B1.json [A2.json B2.json ...]\n"
    "  wsbench-compare save-baseline RESULTS.json OUT.json [--instructions FILE]\n"
    "                  [--config FILE]\n"
    "  wsbench-compare merge RESULTS.json INSTRUCTIONS.json OUT.json\n"
    "  wsbench-compare merge-runs OUT.json RUN1.json RUN2.json ...\n"
    "(tools/ab REV builds REV and runs the interleaved pairs for `ab`)\n"
    "exit: 0 nothing regressed, 1 regression, 2 bad input or nothing "
    "compared\n";

int Usage(const std::string& why) {
  std::cerr << "wsbench-compare: " << why << "\n" << kUsage;
  return 2;
}

struct Options {
  std::vector<std::string> positional;
  std::string config;
  std::string markdown;
  std::string json;
  std::string base_instructions;
  std::string new_instructions;
  std::string instructions;
  int color = -1;  // -1 auto
};

bool ParseOptions(int argc, char** argv, int first, Options& o, std::string& error) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (arg == "--config") {
      if (!value(o.config)) return false;
    } else if (arg == "--markdown") {
      if (!value(o.markdown)) return false;
    } else if (arg == "--json") {
      if (!value(o.json)) return false;
    } else if (arg == "--base-instructions") {
      if (!value(o.base_instructions)) return false;
    } else if (arg == "--new-instructions") {
      if (!value(o.new_instructions)) return false;
    } else if (arg == "--instructions") {
      if (!value(o.instructions)) return false;
    } else if (arg == "--color") {
      o.color = 1;
    } else if (arg == "--no-color") {
      o.color = 0;
    } else if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      error = "unknown option " + arg;
      return false;
    } else {
      o.positional.push_back(arg);
    }
  }
  return true;
}

bool LoadConfig(const Options& o, GateConfig& config) {
  std::string path = o.config;
  if (path.empty()) {
    path = WSBENCH_DEFAULT_GATE_CONFIG;
    if (path.empty() || access(path.c_str(), R_OK) != 0) {
      config = wsbench::compare::DefaultGateConfig();
      return true;
    }
  }
  auto loaded = wsbench::compare::ReadGateConfig(path);
  if (!loaded.ok()) {
    std::cerr << "wsbench-compare: " << loaded.status().message() << "\n";
    return false;
  }
  config = *std::move(loaded);
  return true;
}

// Reads `path` and checks it is a sane record of a finished run
// (record/validate.h); prints what is wrong and returns false otherwise.
bool Load(const std::string& path, const std::string& instructions,
          ResultsFile& out) {
  auto file = wsbench::record::ReadResultsFile(path);
  if (!file.ok()) {
    std::cerr << "wsbench-compare: " << file.status().message() << "\n";
    return false;
  }
  if (auto s = wsbench::record::CheckRun(*file, {}); !s.ok()) {
    std::cerr << "wsbench-compare: " << s.message() << "\n";
    return false;
  }
  out = *std::move(file);
  if (auto path = wsbench::compare::ReadCodePath(out); !path.ok()) {
    std::cerr << "wsbench-compare: " << path.status().message() << "\n";
    return false;
  }
  if (!instructions.empty()) {
    auto counts = wsbench::record::ReadResultsFile(instructions);
    if (!counts.ok()) {
      std::cerr << "wsbench-compare: " << counts.status().message() << "\n";
      return false;
    }
    if (auto s = wsbench::record::CheckRun(*counts, {}); !s.ok()) {
      std::cerr << "wsbench-compare: " << s.message() << "\n";
      return false;
    }
    if (auto path = wsbench::compare::ReadCodePath(*counts); !path.ok()) {
      std::cerr << "wsbench-compare: " << path.status().message() << "\n";
      return false;
    }
    auto merged = wsbench::compare::MergeInstructions(std::move(out), *counts);
    if (!merged.ok()) {
      std::cerr << "wsbench-compare: " << merged.status().message() << "\n";
      return false;
    }
    out = *std::move(merged);
  }
  return true;
}

int Emit(const wsbench::compare::Comparison& c, const Options& o) {
  bool color = o.color == 1 || (o.color == -1 && isatty(STDOUT_FILENO) &&
                                std::getenv("NO_COLOR") == nullptr);
  if (o.markdown == "-") {
    std::cout << wsbench::compare::RenderMarkdown(c);
  } else {
    std::cout << wsbench::compare::RenderTerminal(c, color);
    if (!o.markdown.empty()) {
      auto s = wsbench::record::WriteFileAtomically(
          o.markdown, wsbench::compare::RenderMarkdown(c));
      if (!s.ok()) {
        std::cerr << "wsbench-compare: " << s.message() << "\n";
        return 2;
      }
    }
  }
  if (!o.json.empty()) {
    auto s = wsbench::record::WriteFileAtomically(o.json,
                                                   wsbench::compare::RenderJson(c));
    if (!s.ok()) {
      std::cerr << "wsbench-compare: " << s.message() << "\n";
      return 2;
    }
  }
  return wsbench::compare::ExitCode(c);
}

int CompareMain(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, 1, o, error)) return Usage(error);
  if (o.positional.size() != 2) return Usage("expected BASE.json NEW.json");
  GateConfig config;
  if (!LoadConfig(o, config)) return 2;
  ResultsFile base, next;
  if (!Load(o.positional[0], o.base_instructions, base)) return 2;
  if (!Load(o.positional[1], o.new_instructions, next)) return 2;
  // A benchmark deleted from NEW must not pass; runs with nothing in common
  // are reported by the comparison itself (NO COMPARISON, exit 2).
  const std::vector<std::string> base_names = base.BenchmarkNames();
  const std::vector<std::string> next_names = next.BenchmarkNames();
  const bool overlap = std::any_of(
      base_names.begin(), base_names.end(), [&](const std::string& name) {
        return std::find(next_names.begin(), next_names.end(), name) !=
               next_names.end();
      });
  if (auto s = wsbench::record::CheckCovers(base, next); overlap && !s.ok()) {
    std::cerr << "wsbench-compare: " << s.message() << "\n";
    return 2;
  }
  return Emit(wsbench::compare::Compare(base, next, config), o);
}

int AbMain(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, 2, o, error)) return Usage(error);
  if (o.positional.size() < 2 || o.positional.size() % 2 != 0) {
    return Usage("ab expects pairs: A1.json B1.json [A2.json B2.json ...]");
  }
  GateConfig config;
  if (!LoadConfig(o, config)) return 2;
  std::vector<ResultsFile> files(o.positional.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (!Load(o.positional[i], "", files[i])) return 2;
  }
  std::vector<std::pair<const ResultsFile*, const ResultsFile*>> pairs;
  for (size_t i = 0; i < files.size(); i += 2) pairs.emplace_back(&files[i], &files[i + 1]);
  return Emit(wsbench::compare::CompareAb(pairs, config), o);
}

int SaveBaselineMain(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, 2, o, error)) return Usage(error);
  if (o.positional.size() != 2) {
    return Usage("save-baseline expects RESULTS.json OUT.json");
  }
  GateConfig config;
  if (!LoadConfig(o, config)) return 2;
  auto status = wsbench::compare::SaveBaseline(o.positional[0], o.instructions,
                                               o.positional[1], config);
  if (!status.ok()) {
    std::cerr << "wsbench-compare: " << status.message() << "\n";
    return 2;
  }
  std::cerr << "wsbench-compare: baseline written to " << o.positional[1] << "\n";
  auto saved = wsbench::record::ReadResultsFile(o.positional[1]);
  auto measured = wsbench::record::ReadResultsFile(o.positional[0]);
  if (saved.ok() && measured.ok()) {
    auto iterations = [](const wsbench::record::ResultsFile& f) {
      int n = 0;
      for (const auto& r : f.runs) n += r.run_type == wsbench::record::RunType::kIteration;
      return n;
    };
    const int kept = iterations(*saved), total = iterations(*measured);
    if (kept < total) {
      std::cerr << fmt::format(
          "wsbench-compare: kept the {} of {} repetitions measured at the machine's "
          "unhindered speed (machine probe {:.1f} us)\n",
          kept, total, wsbench::compare::MedianProbeNs(*saved) / 1e3);
    }
  }
  if (saved.ok() && config.max_contention > 0) {
    double contention = wsbench::compare::Contention(*saved);
    if (contention > config.max_contention) {
      std::cerr << fmt::format(
          "wsbench-compare: warning: the machine was busy while measuring (wall "
          "time {:.2f}x CPU time, limit {}): comparisons against this baseline "
          "will not gate time, only allocs/op and instructions/op; record it "
          "again on an idle machine to gate time\n",
          contention, config.max_contention);
    }
  }
  return 0;
}

int MergeMain(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, 2, o, error)) return Usage(error);
  if (o.positional.size() != 3) {
    return Usage("merge expects RESULTS.json INSTRUCTIONS.json OUT.json");
  }
  ResultsFile merged;
  if (!Load(o.positional[0], o.positional[1], merged)) return 2;
  auto status = wsbench::record::WriteFileAtomically(
      o.positional[2], wsbench::record::WriteResultsJson(merged));
  if (!status.ok()) {
    std::cerr << "wsbench-compare: " << status.message() << "\n";
    return 2;
  }
  return 0;
}

int MergeRunsMain(int argc, char** argv) {
  Options o;
  std::string error;
  if (!ParseOptions(argc, argv, 2, o, error)) return Usage(error);
  if (o.positional.size() < 2) {
    return Usage("merge-runs expects OUT.json RUN1.json [RUN2.json ...]");
  }
  std::vector<ResultsFile> runs(o.positional.size() - 1);
  for (size_t i = 1; i < o.positional.size(); ++i) {
    if (!Load(o.positional[i], "", runs[i - 1])) return 2;
  }
  auto merged = wsbench::compare::MergeRuns(runs);
  if (!merged.ok()) {
    std::cerr << "wsbench-compare: " << merged.status().message() << "\n";
    return 2;
  }
  auto status = wsbench::record::WriteFileAtomically(
      o.positional[0], wsbench::record::WriteResultsJson(*merged));
  if (!status.ok()) {
    std::cerr << "wsbench-compare: " << status.message() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("missing arguments");
  std::string command = argv[1];
  if (command == "ab") return AbMain(argc, argv);
  if (command == "save-baseline") return SaveBaselineMain(argc, argv);
  if (command == "merge") return MergeMain(argc, argv);
  if (command == "merge-runs") return MergeRunsMain(argc, argv);
  return CompareMain(argc, argv);
}
