// Tests for tools/flamegraph: folding perf script and callgrind output, the
// folded format, and the SVG rendering (widths proportional to counts, names
// escaped, a well-formed standalone document for any name and any depth).
#include <cmath>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "callgrind_fold.h"
#include "flame_graph_svg.h"
#include "folded_stacks.h"
#include "gtest/gtest.h"
#include "svg_text.h"
#include "xml_check.h"

namespace wsbench::flamegraph {
namespace {

constexpr char kPerfScript[] =
    "wsbench 4242 [001]  12.000001:     250000 cpu-clock:pppH: \n"
    "\t    55d0c0ffee12 wsbench::Broadcaster::Publish(unsigned int, "
    "std::basic_string_view<char, std::char_traits<char> >)+0x1f "
    "(/work/build/wsbench)\n"
    "\t    55d0c0ffe000 main+0x10 (/work/build/wsbench)\n"
    "\t    7f0000000000 __libc_start_call_main+0x80 "
    "(/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\n"
    "wsbench 4242 [001]  12.000005:     250000 cpu-clock:pppH: \n"
    "\t    55d0c0ffee40 wsbench::Broadcaster::Publish(unsigned int, "
    "std::basic_string_view<char, std::char_traits<char> >)+0x4f "
    "(/work/build/wsbench)\n"
    "\t    55d0c0ffe000 main+0x10 (/work/build/wsbench)\n"
    "\t    7f0000000000 __libc_start_call_main+0x80 "
    "(/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\n"
    "wsbench 4242 [001]  12.000009:     250000 cpu-clock:pppH: \n"
    "\tffffffff81636010 clear_page_erms+0x10 ([kernel.kallsyms])\n"
    "\t    7f00000000aa [unknown] (/usr/lib/x86_64-linux-gnu/libc.so.6)\n"
    "\t    55d0c0ffe000 main+0x10 (/work/build/wsbench)\n"
    "\t               0 [unknown] ([unknown])\n"
    "\n"
    "wsbench 4242 [001]  12.000013:     250000 cpu-clock:pppH: \n"
    "\t    55d0c0ffe100 std::vector<int, std::allocator<int> "
    ">::operator[](unsigned long) const+0x3 (/work/build/wsbench)\n"
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
  EXPECT_EQ(stacks->count("wsbench;main;std::vector<int, std::allocator<int> "
                          ">::operator[](unsigned long) const"),
            1u);
}

TEST(FoldPerfScriptTest, RejectsFramesWithoutHeaderAndEmptyInput) {
  absl::StatusOr<FoldedStacks> orphan =
      FoldPerfScript("\t  1234 main+0x1 (/bin/x)\n");
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(std::string(orphan.status().message()).find("line 1"),
            std::string::npos);
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
  EXPECT_NE(std::string(bad.status().message()).find("line 2"),
            std::string::npos);
}

TEST(FoldedFormatTest, RejectsCountsBeyond64Bits) {
  // Two stacks whose sum overflows, and one stack repeated until it does.
  for (const char* text :
       {"a 9223372036854775807\nb 1\n", "a 9223372036854775807\na 1\n"}) {
    absl::StatusOr<FoldedStacks> stacks = ParseFolded(text);
    ASSERT_FALSE(stacks.ok()) << text;
    EXPECT_NE(std::string(stacks.status().message()).find("line 2"),
              std::string::npos);
    EXPECT_NE(std::string(stacks.status().message()).find("64-bit"),
              std::string::npos);
  }
  EXPECT_TRUE(ParseFolded("a 9223372036854775806\nb 1\n").ok());
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
  std::map<std::string, int64_t> want = {{"main", 10},
                                         {"main;work", 30},
                                         {"main;work;helper", 60},
                                         {"main;helper", 20}};
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
      "fn=(2)\ncfn=(3) libc_start\ncalls=1 1\n1 100\ncfn=(4) main\ncalls=1 "
      "1\n1 100\n"
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

TEST(FoldCallgrindTest, RejectsCostsBeyond64BitsAndNonNumbers) {
  absl::StatusOr<FoldedStacks> big = FoldCallgrind(
      "events: Ir\nfn=(1) a\n1 9223372036854775807\n"
      "fn=(2) b\n1 9223372036854775807\n");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(std::string(big.status().message()).find("64-bit"),
            std::string::npos);
  EXPECT_FALSE(FoldCallgrind("events: Ir\nfn=(1) a\n1 nan\n").ok());
  EXPECT_FALSE(FoldCallgrind("events: Ir\nfn=(1) a\n1 inf\n").ok());
  EXPECT_FALSE(FoldCallgrind("events: Ir\nfn=(1) a\n1 -5\n").ok());
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

// The SVG, failing the test when rendering fails.
std::string Render(const FoldedStacks& stacks,
                   const FlameGraphOptions& options) {
  absl::StatusOr<std::string> svg = RenderFlameGraphSvg(stacks, options);
  EXPECT_TRUE(svg.ok()) << svg.status();
  return svg.ok() ? *svg : std::string();
}

TEST(FlameGraphSvgTest, WidthsAreProportionalToCounts) {
  FoldedStacks stacks = {{"main;a", 30}, {"main;b", 10}, {"main;a;c", 60}};
  FlameGraphOptions options;
  options.width = 1020;  // 1000 px usable after 10 px padding each side
  std::string svg = Render(stacks, options);
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
  std::string svg = Render(stacks, options);
  EXPECT_NE(svg.find("std::vector&lt;int&gt;::operator[]&amp;&quot;&#39;"),
            std::string::npos);
  EXPECT_NE(svg.find("broadcast/&lt;medium&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(svg.find("<int>"), std::string::npos);
  EXPECT_EQ(testing::XmlError(svg), "");
}

TEST(FlameGraphSvgTest, IsStandaloneAndWellFormed) {
  FoldedStacks stacks = {{"main;a", 3}, {"main;b;c", 4}, {"other", 1}};
  FlameGraphOptions options;
  options.title = "t (cpu-clock)";
  options.subtitle = "wsbench --profile-time 5";
  std::string svg = Render(stacks, options);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(testing::XmlError(svg), "");
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
  std::string svg = Render(stacks, FlameGraphOptions{});
  std::vector<SvgFrame> frames = Frames(svg);
  for (const SvgFrame& f : frames) EXPECT_NE(f.name, "tiny");
  EXPECT_EQ(frames.size(), 3u);
  // ...but its count stays in the parent.
  EXPECT_NE(svg.find("data-name=\"main\" data-count=\"1000001\""),
            std::string::npos);
}

TEST(FlameGraphSvgTest, NarrowLabelsDropLeadingNamespacesFirst) {
  // Two frames side by side, each half the width: the long qualified name
  // does not fit whole, but its last components do.
  std::string long_name(60, 'n');
  FoldedStacks stacks = {
      {"x::" + long_name + "::(anonymous namespace)::Inner::Run", 1}, {"y", 1}};
  FlameGraphOptions options;
  options.width = 520;
  std::string svg = Render(stacks, options);
  EXPECT_NE(svg.find(">(anonymous namespace)::Inner::Run</text>"),
            std::string::npos)
      << svg;
  EXPECT_EQ(svg.find("\">x::n"), std::string::npos);  // not a <text> label
  options.width = 300;  // narrower: only the last components fit
  svg = Render(stacks, options);
  EXPECT_NE(svg.find(">Inner::Run</text>"), std::string::npos) << svg;
}

TEST(FlameGraphSvgTest, CountsBeyond64BitsAreAnErrorNotAnEmptyGraph) {
  FoldedStacks stacks = {{"a", INT64_MAX}, {"b", 1}};
  absl::StatusOr<std::string> svg =
      RenderFlameGraphSvg(stacks, FlameGraphOptions{});
  ASSERT_FALSE(svg.ok());
  EXPECT_EQ(svg.status().code(), absl::StatusCode::kOutOfRange);
}

TEST(FlameGraphSvgTest, NonAsciiNamesAreCutOnCodePointBoundaries) {
  // "x" then 2-, 3- and 4-byte characters: a cut by byte count lands inside
  // a character wherever the label is cut.
  std::string e_acute, cjk, emoji;
  for (int i = 0; i < 100; ++i) {
    e_acute += "\xC3\xA9";        // U+00E9
    cjk += "\xE6\xBC\xA2";        // U+6F22
    emoji += "\xF0\x9F\x94\xA5";  // U+1F525
  }
  for (int width = 200; width <= 1400; width += 37) {
    FoldedStacks stacks = {
        {"main;x" + e_acute, 50}, {"main;y" + cjk, 30}, {"main;z" + emoji, 20}};
    FlameGraphOptions options;
    options.width = width;
    std::string svg = Render(stacks, options);
    ASSERT_EQ(testing::XmlError(svg), "") << "width " << width;
    EXPECT_EQ(RepairUtf8(svg), svg) << "width " << width;
    EXPECT_NE(svg.find("..</text>"), std::string::npos) << "width " << width;
  }
}

TEST(FlameGraphSvgTest, InvalidBytesInNamesBecomeReplacementCharacters) {
  FoldedStacks stacks = {
      {"main;bad\xFF\xFEname", 10},  // bytes that never occur in UTF-8
      {"main;cut\xF0\x9F\x94", 10},  // a 4-byte sequence cut short
      {"main;surrogate\xED\xA0\x80", 10}, {"main;overlong\xC0\xAF", 10},
      {"main;ctl\x01\x1B[0m", 10},        {"main;nonchar\xEF\xBF\xBF", 10}};
  FlameGraphOptions options;
  options.title = "title \xFF";
  std::string svg = Render(stacks, options);
  EXPECT_EQ(testing::XmlError(svg), "");
  EXPECT_EQ(RepairUtf8(svg), svg);
  EXPECT_NE(svg.find("data-name=\"bad\xEF\xBF\xBD\xEF\xBF\xBDname\""),
            std::string::npos);
  EXPECT_NE(svg.find("data-name=\"cut\xEF\xBF\xBD\""), std::string::npos);
}

TEST(FlameGraphSvgTest, DeepStackIsDrawnWithoutRecursion) {
  std::string stack = "f0";
  for (int i = 1; i < 20000; ++i) stack += ";f" + std::to_string(i);
  FoldedStacks stacks = {{stack, 7}};
  std::string svg = Render(stacks, FlameGraphOptions{});
  EXPECT_EQ(testing::XmlError(svg), "");
  size_t frames = 0;
  for (size_t pos = 0;
       (pos = svg.find("<g class=\"f\"", pos)) != std::string::npos; ++pos) {
    ++frames;
  }
  EXPECT_EQ(frames, 20001u);  // "all" + 20,000 frames
  EXPECT_NE(
      svg.find("data-name=\"f19999\" data-count=\"7\" data-depth=\"20000\""),
      std::string::npos);
}

TEST(SvgTextTest, RepairsInvalidUtf8ByMaximalSubparts) {
  EXPECT_EQ(RepairUtf8("plain \xC3\xA9\xE6\xBC\xA2\xF0\x9F\x94\xA5"),
            "plain \xC3\xA9\xE6\xBC\xA2\xF0\x9F\x94\xA5");
  // A truncated 4-byte sequence is one maximal subpart: one U+FFFD.
  EXPECT_EQ(RepairUtf8("a\xF0\x9F\x94"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  // E0 80 80 (overlong): no valid prefix beyond E0, so three U+FFFD.
  EXPECT_EQ(RepairUtf8("\xE0\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(RepairUtf8("\xC3"), "\xEF\xBF\xBD");  // cut at the end
  EXPECT_EQ(RepairUtf8("\xF4\x90\x80\x80"),       // above U+10FFFF
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(SvgTextTest, TruncatesAndLabelsByCodePoint) {
  const std::string text = "a\xC3\xA9\xE6\xBC\xA2\xF0\x9F\x94\xA5z";
  EXPECT_EQ(CodePointCount(text), 5u);
  EXPECT_EQ(TruncateUtf8(text, 3), "a\xC3\xA9\xE6\xBC\xA2");
  EXPECT_EQ(TruncateUtf8(text, 9), text);
  EXPECT_EQ(TruncateUtf8(text, 0), "");
  EXPECT_EQ(FrameLabel("ns::\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4),
            "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
  EXPECT_EQ(FrameLabel("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4),
            "\xC3\xA9\xC3\xA9..");
  EXPECT_EQ(XmlEscape("<a\x01\xEF\xBF\xBE>"), "&lt;a \xEF\xBF\xBD&gt;");
}

TEST(FlameGraphSvgTest, EmptyInputGivesANoteNotACrash) {
  std::string svg = Render({}, FlameGraphOptions{});
  EXPECT_EQ(testing::XmlError(svg), "");
  EXPECT_NE(svg.find("no samples recorded"), std::string::npos);
  EXPECT_TRUE(Frames(svg).empty());
}

}  // namespace
}  // namespace wsbench::flamegraph
