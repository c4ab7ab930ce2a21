// Tests for tools/flamegraph: folding perf script and callgrind output, the
// folded format, and the SVG rendering (widths proportional to counts, names
// escaped, a well-formed standalone document).
#include <cmath>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "callgrind_fold.h"
#include "flame_graph_svg.h"
#include "folded_stacks.h"
#include "gtest/gtest.h"

namespace wsbench::flamegraph {
namespace {

constexpr char kPerfScript[] =
    "wsbench 4242 [001]  12.000001:     250000 cpu-clock:pppH: \n"
    "\t    55d0c0ffee12 wsbench::Broadcaster::Publish(unsigned int, std::basic_string_view<char, std::char_traits<char> >)+0x1f (/work/build/wsbench)\n"
    "\t    55d0c0ffe000 main+0x10 (/work/build/wsbench)\n"
    "\t    7f0000000000 __libc_start_call_main+0x80 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\n"
    "wsbench 4242 [001]  12.000005:     250000 cpu-clock:pppH: \n"
    "\t    55d0c0ffee40 wsbench::Broadcaster::Publish(unsigned int, std::basic_string_view<char, std::char_traits<char> >)+0x4f (/work/build/wsbench)\n"
    "\t    55d0c0ffe000 main+0x10 (/work/build/wsbench)\n"
    "\t    7f0000000000 __libc_start_call_main+0x80 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\n"
    "wsbench 4242 [001]  12.000009:     250000 cpu-clock:pppH: \n"
    "\tffffffff81636010 clear_page_erms+0x10 ([kernel.kallsyms])\n"
    "\t    7f00000000aa [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\t    55d0c0ffe000 main+0x10 (/work/build/wsbench)\n"
    "\t               0 [unknown] ([unknown])\n"
    "\n"
    "wsbench 4242 [001]  12.000013:     250000 cpu-clock:pppH: \n"
    "\t    55d0c0ffe100 std::vector<int, std::allocator<int> >::operator[](unsigned long) const+0x3 (/work/build/wsbench)\n"
    "\t    55d0c0ffe000 main+0x10 (/work/build/wsbench)\n";

TEST(FoldPerfScriptTest, FoldsSamplesRootFirstAndMergesEqualStacks) {
  absl::StatusOr<FoldedStacks> stacks = FoldPerfScript(kPerfScript);
  ASSERT_TRUE(stacks.ok()) << stacks.status();
  std::map<std::string, int64_t> want = {
      {"__libc_start_call_main;main;wsbench::Broadcaster::Publish", 2},
      {"[unknown];main;[libc.so.6];clear_page_erms_[k]", 1},
      {"main;std::vector<int, std::allocator<int> >::operator[]", 1},
  };
  EXPECT_EQ(*stacks, want);
  EXPECT_EQ(TotalCount(*stacks), 4);
}

TEST(FoldPerfScriptTest, KeepsArgumentsAndAddsCommOnRequest) {
  FoldOptions options;
  options.strip_arguments = false;
  options.include_comm = true;
  absl::StatusOr<FoldedStacks> stacks = FoldPerfScript(kPerfScript, options);
  ASSERT_TRUE(stacks.ok()) << stacks.status();
  EXPECT_EQ(stacks->count(
                "wsbench;main;std::vector<int, std::allocator<int> >::operator[](unsigned long) const"),
            1u);
}

TEST(FoldPerfScriptTest, RejectsFramesWithoutHeaderAndEmptyInput) {
  absl::StatusOr<FoldedStacks> orphan = FoldPerfScript("\t  1234 main+0x1 (/bin/x)\n");
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(std::string(orphan.status().message()).find("line 1"), std::string::npos);
  EXPECT_FALSE(FoldPerfScript("").ok());
  EXPECT_FALSE(FoldPerfScript("\n\n# only comments\n").ok());
}

TEST(FoldPerfScriptTest, SemicolonsInNamesDoNotSplitFrames) {
  absl::StatusOr<FoldedStacks> stacks =
      FoldPerfScript("x 1 1.0: 1 cpu-clock:\n\t 10 a;b+0x1 (/bin/x)\n");
  ASSERT_TRUE(stacks.ok()) << stacks.status();
  EXPECT_EQ(stacks->count("a:b"), 1u);
}

TEST(StripArgumentsTest, RemovesOnlyTheArgumentList) {
  EXPECT_EQ(StripArguments("ns::A<int>::f(int, char) const"), "ns::A<int>::f");
  EXPECT_EQ(StripArguments("X::operator()(int)"), "X::operator()");
  EXPECT_EQ(StripArguments("X::operator()"), "X::operator()");
  EXPECT_EQ(StripArguments("(anonymous namespace)::Run(long, long)"),
            "(anonymous namespace)::Run");
  EXPECT_EQ(StripArguments("g(std::function<void (int)>)"), "g");
  EXPECT_EQ(StripArguments("plain_c_symbol"), "plain_c_symbol");
  EXPECT_EQ(StripArguments("[unknown]"), "[unknown]");
}

TEST(FoldedFormatTest, RoundTripsAndRejectsBadLines) {
  absl::StatusOr<FoldedStacks> stacks = ParseFolded("a;b 3\n\na;c 2\na;b 1\n");
  ASSERT_TRUE(stacks.ok()) << stacks.status();
  EXPECT_EQ(FormatFolded(*stacks), "a;b 4\na;c 2\n");
  EXPECT_EQ(*ParseFolded(FormatFolded(*stacks)), *stacks);
  EXPECT_FALSE(ParseFolded("a;b\n").ok());
  EXPECT_FALSE(ParseFolded("a;b -3\n").ok());
  EXPECT_FALSE(ParseFolded("a;b 3x\n").ok());
  absl::StatusOr<FoldedStacks> bad = ParseFolded("a 1\nb two\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("line 2"), std::string::npos);
}

// A callgrind file by hand: main (self 10) calls work twice (inclusive 90:
// work self 30 + helper 60), and calls helper directly once (inclusive 20).
constexpr char kCallgrind[] =
    "# callgrind format\n"
    "version: 1\n"
    "creator: callgrind-3.19.0\n"
    "positions: line\n"
    "events: Ir\n"
    "summary: 120\n"
    "\n"
    "ob=(1) /bin/x\n"
    "fl=(1) x.cc\n"
    "fn=(1) main\n"
    "1 10\n"
    "cfn=(2) work(int)\n"
    "calls=2 5\n"
    "+2 90\n"
    "cfn=(3) helper\n"
    "calls=1 9\n"
    "* 20\n"
    "fn=(2)\n"
    "5 30\n"
    "cfn=(3)\n"
    "calls=4 9\n"
    "6 60\n"
    "fn=(3)\n"
    "9 80\n"
    "totals: 120\n";

TEST(FoldCallgrindTest, ExpandsTheCallGraphProportionally) {
  absl::StatusOr<FoldedStacks> stacks = FoldCallgrind(kCallgrind);
  ASSERT_TRUE(stacks.ok()) << stacks.status();
  std::map<std::string, int64_t> want = {
      {"main", 10}, {"main;work", 30}, {"main;work;helper", 60}, {"main;helper", 20}};
  EXPECT_EQ(*stacks, want);
  EXPECT_EQ(TotalCount(*stacks), 120);  // equals the file's totals
}

TEST(FoldCallgrindTest, CollapsesRecursionWithoutDoubleCounting) {
  // a -> b -> a: the edges inside the cycle repeat cost already in the self
  // costs (a: 5 over both invocations, b: 10), so the total is 15, not 35.
  constexpr char kRecursive[] =
      "events: Ir\nfn=(1) a\n1 5\ncfn=(2) b\ncalls=1 1\n1 15\n"
      "fn=(2)\n1 10\ncfn=(1)\ncalls=1 1\n1 5\n";
  absl::StatusOr<FoldedStacks> stacks = FoldCallgrind(kRecursive);
  ASSERT_TRUE(stacks.ok()) << stacks.status();
  std::map<std::string, int64_t> want = {{"a", 5}, {"a;b", 10}};
  EXPECT_EQ(*stacks, want);
}

TEST(FoldCallgrindTest, SameNamedFramesInACycleKeepTheirCost) {
  // glibc's two "(below main)" frames merge into one name: start -> below
  // -> libc_start -> below -> main. main's 100 must not be halved.
  constexpr char kBelowMain[] =
      "events: Ir\nfn=(1) start\ncfn=(2) (below main)\ncalls=1 1\n1 100\n"
      "fn=(2)\ncfn=(3) libc_start\ncalls=1 1\n1 100\ncfn=(4) main\ncalls=1 1\n1 100\n"
      "fn=(3)\ncfn=(2)\ncalls=1 1\n1 100\n"
      "fn=(4)\n1 100\n";
  absl::StatusOr<FoldedStacks> stacks = FoldCallgrind(kBelowMain);
  ASSERT_TRUE(stacks.ok()) << stacks.status();
  EXPECT_EQ(TotalCount(*stacks), 100);
  EXPECT_EQ(stacks->at("start;(below main);main"), 100);
}

TEST(FoldCallgrindTest, RejectsOtherText) {
  EXPECT_FALSE(FoldCallgrind("hello\n").ok());
  EXPECT_FALSE(FoldCallgrind("events: Ir\nfn=(1) a\n1 x\n").ok());
  EXPECT_FALSE(FoldCallgrind("events: Ir\nfn=(1) a\n").ok());  // no cost at all
}

// ---- SVG ----

struct SvgFrame {
  std::string name;
  int64_t count;
  int depth;
  double x, width;
};

std::vector<SvgFrame> Frames(const std::string& svg) {
  std::vector<SvgFrame> frames;
  std::regex re(
      "<g class=\"f\" data-name=\"([^\"]*)\" data-count=\"([0-9]+)\" "
      "data-depth=\"([0-9]+)\"><title>[^<]*</title><rect x=\"([0-9.]+)\" "
      "y=\"[0-9.]+\" width=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re);
       it != std::sregex_iterator(); ++it) {
    frames.push_back({(*it)[1], std::stoll((*it)[2]), std::stoi((*it)[3]),
                      std::stod((*it)[4]), std::stod((*it)[5])});
  }
  return frames;
}

// Tags open and close in order (a small XML well-formedness check).
bool TagsBalanced(const std::string& doc) {
  std::vector<std::string> open;
  std::regex tag("<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), tag);
       it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[2];
    if ((*it)[3] == "/") continue;  // self-closing
    if ((*it)[1] == "/") {
      if (open.empty() || open.back() != name) return false;
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  return open.empty();
}

TEST(FlameGraphSvgTest, WidthsAreProportionalToCounts) {
  FoldedStacks stacks = {{"main;a", 30}, {"main;b", 10}, {"main;a;c", 60}};
  FlameGraphOptions options;
  options.width = 1020;  // 1000 px usable after 10 px padding each side
  std::string svg = RenderFlameGraphSvg(stacks, options);
  std::vector<SvgFrame> frames = Frames(svg);
  ASSERT_EQ(frames.size(), 5u);  // all, main, a, c, b
  std::map<std::string, SvgFrame> by_name;
  for (const SvgFrame& f : frames) by_name[f.name] = f;
  EXPECT_EQ(by_name["all"].count, 100);
  EXPECT_EQ(by_name["main"].count, 100);
  EXPECT_EQ(by_name["a"].count, 90);
  EXPECT_EQ(by_name["b"].count, 10);
  EXPECT_EQ(by_name["c"].count, 60);
  for (const SvgFrame& f : frames) {
    EXPECT_NEAR(f.width, f.count * 10.0, 0.01) << f.name;
  }
  EXPECT_EQ(by_name["c"].depth, 3);
  // Children sit side by side inside the parent, sorted by name.
  EXPECT_NEAR(by_name["a"].x, by_name["main"].x, 0.01);
  EXPECT_NEAR(by_name["b"].x, by_name["a"].x + by_name["a"].width, 0.01);
  EXPECT_NE(svg.find("data-total=\"100\""), std::string::npos);
}

TEST(FlameGraphSvgTest, EscapesNamesAndTitle) {
  FoldedStacks stacks = {{"main;std::vector<int>::operator[]&\"'", 5}};
  FlameGraphOptions options;
  options.title = "broadcast/<medium> & co";
  std::string svg = RenderFlameGraphSvg(stacks, options);
  EXPECT_NE(svg.find("std::vector&lt;int&gt;::operator[]&amp;&quot;&#39;"),
            std::string::npos);
  EXPECT_NE(svg.find("broadcast/&lt;medium&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(svg.find("<int>"), std::string::npos);
  EXPECT_TRUE(TagsBalanced(svg));
}

TEST(FlameGraphSvgTest, IsStandaloneAndWellFormed) {
  FoldedStacks stacks = {{"main;a", 3}, {"main;b;c", 4}, {"other", 1}};
  FlameGraphOptions options;
  options.title = "t (cpu-clock)";
  options.subtitle = "wsbench --profile-time 5";
  std::string svg = RenderFlameGraphSvg(stacks, options);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_TRUE(TagsBalanced(svg));
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos);
  // The only URL is the SVG namespace.
  size_t http = svg.find("http");
  ASSERT_NE(http, std::string::npos);
  EXPECT_EQ(svg.compare(http, 26, "http://www.w3.org/2000/svg"), 0);
  EXPECT_EQ(svg.find("http", http + 1), std::string::npos);
  EXPECT_NE(svg.find("t (cpu-clock)"), std::string::npos);
}

TEST(FlameGraphSvgTest, DropsFramesTooNarrowToSee) {
  FoldedStacks stacks = {{"main;big", 1'000'000}, {"main;tiny", 1}};
  std::string svg = RenderFlameGraphSvg(stacks, FlameGraphOptions{});
  std::vector<SvgFrame> frames = Frames(svg);
  for (const SvgFrame& f : frames) EXPECT_NE(f.name, "tiny");
  EXPECT_EQ(frames.size(), 3u);
  // ...but its count stays in the parent.
  EXPECT_NE(svg.find("data-name=\"main\" data-count=\"1000001\""), std::string::npos);
}

TEST(FlameGraphSvgTest, NarrowLabelsDropLeadingNamespacesFirst) {
  // Two frames side by side, each half the width: the long qualified name
  // does not fit whole, but its last components do.
  std::string long_name(60, 'n');
  FoldedStacks stacks = {{"x::" + long_name + "::(anonymous namespace)::Inner::Run", 1},
                         {"y", 1}};
  FlameGraphOptions options;
  options.width = 520;
  std::string svg = RenderFlameGraphSvg(stacks, options);
  EXPECT_NE(svg.find(">(anonymous namespace)::Inner::Run</text>"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("\">x::n"), std::string::npos);  // not a <text> label
  options.width = 300;  // narrower: only the last components fit
  svg = RenderFlameGraphSvg(stacks, options);
  EXPECT_NE(svg.find(">Inner::Run</text>"), std::string::npos) << svg;
}

TEST(FlameGraphSvgTest, EmptyInputGivesANoteNotACrash) {
  std::string svg = RenderFlameGraphSvg({}, FlameGraphOptions{});
  EXPECT_TRUE(TagsBalanced(svg));
  EXPECT_NE(svg.find("no samples recorded"), std::string::npos);
  EXPECT_TRUE(Frames(svg).empty());
}

}  // namespace
}  // namespace wsbench::flamegraph
