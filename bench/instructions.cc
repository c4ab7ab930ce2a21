#include "instructions.h"

#include <gnu/libc-version.h>
#include <libdeflate.h>
#include <openssl/crypto.h>
#include <valgrind/callgrind.h>
#include <zlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fingerprint.h"
#include "fmt/format.h"
#include "load_level.h"
#include "record/atomic_file.h"
#include "record/json.h"
#include "record/results_file.h"
#include "simdjson.h"
#include "workload.h"
#include "wsbench/unmask.h"

namespace wsbench::bench {
namespace {

struct InstructionsOptions {
  std::vector<std::string> levels = {"light"};
  std::vector<std::string> dimensions;  // empty = all registered
  uint64_t seed = WorkloadOptions{}.seed;
  std::string manifest;
  bool dry_run = false;
  // Run-time dispatch pinned before any workload is built ("" = the CPU's
  // choice): a simdjson implementation and an unmask kernel.
  std::string pin_simdjson;
  std::string pin_unmask;
};

std::vector<std::string> SplitCommas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::string Quote(std::string_view s) { return record::JsonQuote(s); }

constexpr char kUsage[] =
    "usage: valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \\\n"
    "         wsbench --instructions --manifest FILE [--levels light] "
    "[--dimensions a,b] [--seed N]\n"
    "         [--pin-simdjson NAME] [--pin-unmask NAME] [--dry-run]\n"
    "(tools/instructions runs this and writes instructions.json)\n";

int ParseFlags(int argc, char** argv, InstructionsOptions& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    bool has_inline = eq != std::string::npos && arg.rfind("--", 0) == 0;
    std::string name = has_inline ? arg.substr(0, eq) : arg;
    auto take = [&]() -> bool {
      if (has_inline) {
        value = arg.substr(eq + 1);
        return true;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "wsbench --instructions: %s needs a value\n%s",
                     name.c_str(), kUsage);
        return false;
      }
      value = argv[++i];
      return true;
    };
    if (name == "--instructions") continue;
    if (name == "--dry-run") {
      o.dry_run = true;
    } else if (name == "--levels") {
      if (!take()) return 2;
      o.levels = SplitCommas(value);
    } else if (name == "--dimensions") {
      if (!take()) return 2;
      o.dimensions = SplitCommas(value);
    } else if (name == "--manifest") {
      if (!take()) return 2;
      o.manifest = value;
    } else if (name == "--pin-simdjson") {
      if (!take()) return 2;
      o.pin_simdjson = value;
    } else if (name == "--pin-unmask") {
      if (!take()) return 2;
      o.pin_unmask = value;
    } else if (name == "--seed") {
      if (!take()) return 2;
      char* end = nullptr;
      o.seed = std::strtoull(value.c_str(), &end, 0);
      if (value.empty() || *end != '\0') {
        std::fprintf(stderr, "wsbench --instructions: bad --seed '%s'\n",
                     value.c_str());
        return 2;
      }
    } else if (name == "-h" || name == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "wsbench --instructions: unknown flag '%s'\n%s",
                   arg.c_str(), kUsage);
      return 2;
    }
  }
  if (o.levels.empty()) {
    std::fprintf(stderr, "wsbench --instructions: --levels is empty\n");
    return 2;
  }
  return 0;
}

#if defined(__x86_64__) || defined(__i386__)
// The CPU as the program sees it (under valgrind: valgrind's virtual CPU):
// vendor and brand string from cpuid.
std::string CpuidName() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0, &a, &b, &c, &d) == 0) return "unknown";
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  char brand[49] = {};
  if (__get_cpuid(0x80000000, &a, &b, &c, &d) != 0 && a >= 0x80000004) {
    for (unsigned i = 0; i < 3; ++i) {
      unsigned r[4];
      __get_cpuid(0x80000002 + i, &r[0], &r[1], &r[2], &r[3]);
      std::memcpy(brand + 16 * i, r, 16);
    }
  }
  std::string out = vendor;
  std::string_view name(brand);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  if (!name.empty()) out += " " + std::string(name);
  return out;
}

// The features a run-time dispatch here (simdjson, glibc's string functions,
// zlib/libdeflate checksums, our unmasking) decides on, as the program sees them.
std::string CpuFeatures() {
  __builtin_cpu_init();
  std::string out;
  auto add = [&](const char* name, bool has) {
    if (has) out += (out.empty() ? "" : " ") + std::string(name);
  };
  add("sse4.2", __builtin_cpu_supports("sse4.2"));
  add("popcnt", __builtin_cpu_supports("popcnt"));
  add("pclmul", __builtin_cpu_supports("pclmul"));
  add("avx", __builtin_cpu_supports("avx"));
  add("avx2", __builtin_cpu_supports("avx2"));
  add("bmi", __builtin_cpu_supports("bmi"));
  add("bmi2", __builtin_cpu_supports("bmi2"));
  add("avx512f", __builtin_cpu_supports("avx512f"));
  add("avx512bw", __builtin_cpu_supports("avx512bw"));
  add("avx512vl", __builtin_cpu_supports("avx512vl"));
  add("avx512vbmi2", __builtin_cpu_supports("avx512vbmi2"));
  add("avx512vnni", __builtin_cpu_supports("avx512vnni"));
  add("vpclmulqdq", __builtin_cpu_supports("vpclmulqdq"));
  return out;
}
#else
std::string CpuidName() { return "unknown"; }
std::string CpuFeatures() { return ""; }
#endif

// Pins simdjson's run-time dispatch to `name`. A warning (and the CPU's
// choice) when this CPU cannot run it: the code path then records what ran.
void PinSimdjson(const std::string& name) {
  const simdjson::implementation* impl =
      simdjson::get_available_implementations()[name];
  if (impl == nullptr) {
    std::fprintf(stderr,
                 "wsbench --instructions: warning: simdjson has no "
                 "implementation '%s'; keeping '%s'\n",
                 name.c_str(),
                 simdjson::get_active_implementation()->name().c_str());
  } else if (!impl->supported_by_runtime_system()) {
    std::fprintf(stderr,
                 "wsbench --instructions: warning: this CPU cannot run "
                 "simdjson's '%s'; keeping '%s'\n",
                 name.c_str(),
                 simdjson::get_active_implementation()->name().c_str());
  } else {
    simdjson::get_active_implementation() = impl;
  }
}

void PinUnmask(const std::string& name) {
  if (absl::Status s = SetUnmaskKernel(name); !s.ok()) {
    std::fprintf(stderr, "wsbench --instructions: warning: %s; keeping '%s'\n",
                 std::string(s.message()).c_str(),
                 std::string(ActiveUnmaskKernelName()).c_str());
  }
}

struct Measured {
  std::string name;
  std::string dimension;
  std::string level;
  int64_t ops = 0;
  std::string ops_note;
};

// What decides the instructions a run executes besides our own code: the
// CPU the program sees and every run-time dispatch that reads it, the
// libraries' versions, the compiler and flags (see wsbench-compare's
// code-path rule). tools/instructions adds valgrind's version.
std::string CodePathJson(const record::Fingerprint& f) {
  std::string glibc = gnu_get_libc_version();
  if (const char* tunables = std::getenv("GLIBC_TUNABLES")) {
    glibc += std::string(" GLIBC_TUNABLES=") + tunables;
  }
  const std::vector<std::pair<const char*, std::string>> fields = {
      {"cpu", CpuidName()},
      {"cpu_features", CpuFeatures()},
      {"simdjson", simdjson::get_active_implementation()->name()},
      {"simdjson_version",
       fmt::format("{}.{}.{}", int{simdjson::SIMDJSON_VERSION_MAJOR},
                   int{simdjson::SIMDJSON_VERSION_MINOR},
                   int{simdjson::SIMDJSON_VERSION_REVISION})},
      {"unmask", std::string(ActiveUnmaskKernelName())},
      {"glibc", glibc},
      {"zlib", zlibVersion()},
      {"libdeflate", LIBDEFLATE_VERSION_STRING},
      {"openssl", OpenSSL_version(OPENSSL_VERSION)},
      {"compiler", f.compiler},
      {"cxx_flags", f.cxx_flags},
      {"build_type", f.build_type},
  };
  record::JsonObject out;
  for (const auto& [key, value] : fields) out.Add(key, Quote(value));
  return out.Close();
}

}  // namespace

int InstructionsMain(int argc, char** argv) {
  InstructionsOptions o;
  if (int code = ParseFlags(argc, argv, o)) return code;
  if (!RUNNING_ON_VALGRIND && !o.dry_run) {
    std::fprintf(stderr,
                 "wsbench --instructions: not running under valgrind; use "
                 "tools/instructions (or pass --dry-run)\n");
    return 2;
  }
  if (!o.pin_simdjson.empty()) PinSimdjson(o.pin_simdjson);
  if (!o.pin_unmask.empty()) PinUnmask(o.pin_unmask);
  std::vector<LoadLevel> levels;
  for (const std::string& name : o.levels) {
    absl::StatusOr<LoadLevel> level = FindLoadLevel(name);
    if (!level.ok()) {
      std::fprintf(stderr, "wsbench --instructions: --levels: %s\n",
                   std::string(level.status().message()).c_str());
      return 2;
    }
    levels.push_back(*level);
  }
  std::vector<Dimension> dimensions = Dimensions();
  std::sort(dimensions.begin(), dimensions.end(),
            [](const Dimension& a, const Dimension& b) { return a.name < b.name; });
  if (o.dimensions.empty()) {
    // The end-to-end dimensions wait on sockets and child processes: their
    // instruction counts are not a property of the code alone.
    dimensions.erase(
        std::remove_if(dimensions.begin(), dimensions.end(),
                       [](const Dimension& d) { return d.opt_in; }),
        dimensions.end());
  } else {
    for (const std::string& want : o.dimensions) {
      bool known = std::any_of(dimensions.begin(), dimensions.end(),
                               [&](const Dimension& d) { return d.name == want; });
      if (!known) {
        std::fprintf(stderr, "wsbench --instructions: unknown dimension '%s'\n",
                     want.c_str());
        return 2;
      }
    }
    dimensions.erase(
        std::remove_if(dimensions.begin(), dimensions.end(),
                       [&](const Dimension& d) {
                         return std::find(o.dimensions.begin(), o.dimensions.end(),
                                          std::string(d.name)) == o.dimensions.end();
                       }),
        dimensions.end());
  }

  WorkloadOptions wopts;
  wopts.seed = o.seed;
  std::vector<Measured> measured;
  for (const Dimension& dimension : dimensions) {
    for (const LoadLevel& level : levels) {
      std::string name = fmt::format("{}/{}", dimension.name, level.name);
      std::unique_ptr<Workload> w = dimension.factory();
      auto fail = [&](const char* step, const absl::Status& s) {
        std::fprintf(stderr, "wsbench --instructions: %s: %s failed: %s\n",
                     name.c_str(), step, std::string(s.message()).c_str());
        return 1;
      };
      if (absl::Status s = w->Setup(level, wopts); !s.ok()) return fail("Setup", s);
      const int64_t ops = w->ops();
      // Warm-up pass: lazy initialisation and first-touch growth happen here.
      if (absl::Status s = w->Reset(); !s.ok()) return fail("Reset", s);
      w->Run(0, ops);
      if (absl::Status s = w->Verify(); !s.ok()) return fail("Verify", s);
      if (absl::Status s = w->Reset(); !s.ok()) return fail("Reset", s);
      CALLGRIND_START_INSTRUMENTATION;
      CALLGRIND_TOGGLE_COLLECT;
      w->Run(0, ops);
      CALLGRIND_TOGGLE_COLLECT;
      CALLGRIND_STOP_INSTRUMENTATION;
      CALLGRIND_DUMP_STATS_AT(name.c_str());
      if (absl::Status s = w->Verify(); !s.ok()) return fail("Verify", s);
      measured.push_back({name, std::string(dimension.name),
                          std::string(level.name), ops, w->ops_note()});
      std::fprintf(stderr, "wsbench --instructions: %s: %lld ops\n", name.c_str(),
                   static_cast<long long>(ops));
    }
  }

  // The manifest: results.json-shaped, counts filled in by tools/instructions.
  record::Fingerprint f = CurrentFingerprint();
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  record::ResultsFile manifest;
  manifest.context_fields.emplace_back("executable",
                                       Quote(argc > 0 ? argv[0] : "wsbench"));
  record::RunInfo& info = manifest.info;
  info.kind = "instructions";
  info.version = SuiteVersion();
  info.complete = true;
  info.command_line = command_line;
  info.seed = o.seed;
  info.repetitions = 1;
  info.invalid_share = wopts.invalid_share;
  info.fingerprint = f;
  for (const LoadLevel& l : levels) info.levels.emplace_back(l.name);
  for (const Dimension& d : dimensions) info.dimensions.emplace_back(d.name);
  info.extra_fields.emplace_back("code_path", CodePathJson(f));
  for (const Measured& m : measured) {
    record::BenchmarkRun& run = manifest.runs.emplace_back();
    run.name = run.run_name = m.name;
    run.dimension = m.dimension;
    run.level = m.level;
    run.numbers = {{"repetitions", 1}, {"iterations", 1},
                   {"ops", static_cast<double>(m.ops)}};
    run.strings = {{"ops_note", m.ops_note}, {"callgrind_dump", m.name}};
  }
  const std::string out = record::WriteResultsJson(manifest);
  if (o.manifest.empty() || o.manifest == "-") {
    std::fputs(out.c_str(), stdout);
  } else {
    if (absl::Status st = record::WriteFileAtomically(o.manifest, out);
        !st.ok()) {
      std::fprintf(stderr, "wsbench --instructions: %s\n",
                   std::string(st.message()).c_str());
      return 2;
    }
  }
  return 0;
}

}  // namespace wsbench::bench
