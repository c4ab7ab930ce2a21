// Tests for tools/flamegraph's differential flame graph: built from two
// callgrind call graphs whose difference is known (one function, +25
// instructions per op), checked through a real XML parser: frame colours,
// the numbers in the tooltips, the growth list; well-formed for any name.
#include "diff_flame_graph.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "callgrind_fold.h"
#include "folded_stacks.h"
#include "gtest/gtest.h"
#include "xml_check.h"

namespace wsbench::flamegraph {
namespace {

using testing::ParseXml;
using testing::XmlElement;
using testing::XmlError;

constexpr char kRun[] =
    "wsbench::bench::(anonymous namespace)::PermissionsWorkload::Run";
constexpr char kPublish[] = "wsbench::Broadcaster::Publish";
constexpr char kParse[] =
    "wsbench::Nachrichtenpr\xC3\xBC"
    "fer::Parse";
constexpr char kCheck[] = "wsbench::Rbac::Check<std::pair<int, char> >";

FoldedStacks LoadCallgrind(const std::string& name) {
  std::ifstream in(std::string(WSBENCH_FLAMEGRAPH_TESTDATA) + "/" + name);
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<FoldedStacks> stacks = FoldCallgrind(text.str());
  EXPECT_TRUE(stacks.ok()) << name << ": " << stacks.status();
  return stacks.ok() ? *stacks : FoldedStacks{};
}

// A drawn frame or growth row as the browser sees it.
struct Shown {
  std::map<std::string, std::string> attributes;
  std::string tooltip;  // the <title> text
  std::string fill;     // the <rect>'s fill (frames)
};

// The <g> elements of `svg` with class `cls`, by data-name.
std::map<std::string, Shown> Groups(const std::string& svg,
                                    const std::string& cls) {
  std::map<std::string, Shown> out;
  std::vector<XmlElement> elements = ParseXml(svg);
  for (const XmlElement& g : elements) {
    if (g.name != "g" || g.attributes.count("class") == 0 ||
        g.attributes.at("class") != cls) {
      continue;
    }
    Shown shown;
    shown.attributes = g.attributes;
    for (int child : g.children) {
      const XmlElement& c = elements[child];
      if (c.name == "title") shown.tooltip = c.text;
      if (c.name == "rect") shown.fill = c.attributes.at("fill");
    }
    out[g.attributes.at("data-name")] = shown;
  }
  return out;
}

DiffOptions PerOp(double ops) {
  DiffOptions options;
  options.base_ops = options.new_ops = ops;
  options.title = "permissions/light: base vs new";
  return options;
}

TEST(DiffFlameGraphTest, KnownRegressionIsRedWithExactTooltipsAndTopsTheList) {
  FoldedStacks base = LoadCallgrind("base.callgrind");
  FoldedStacks next = LoadCallgrind("new.callgrind");
  absl::StatusOr<std::string> svg =
      RenderDiffFlameGraphSvg(base, next, PerOp(1000));
  ASSERT_TRUE(svg.ok()) << svg.status();
  ASSERT_EQ(XmlError(*svg), "");

  std::map<std::string, Shown> frames = Groups(*svg, "f");
  ASSERT_EQ(frames.size(), 5u);  // all, Run, Publish, Check, Parse
  // Check grew by 25 instructions per op, and with it every caller: the
  // largest change, full red. Parse did not change: grey.
  for (const char* name : {"all", kRun, kPublish, kCheck}) {
    EXPECT_EQ(frames[name].fill, "rgb(255,0,0)") << name;
    EXPECT_EQ(frames[name].attributes["data-delta"], "25.0000") << name;
  }
  EXPECT_EQ(frames[kParse].fill, "rgb(221,221,221)");
  EXPECT_EQ(frames[kParse].attributes["data-delta"], "0.0000");

  // Tooltips: base, new and change per op.
  EXPECT_EQ(frames[kCheck].tooltip,
            std::string(kCheck) +
                "\nbase 20.0 instructions/op, new 45.0, change +25.0 "
                "(+125.0%)");
  EXPECT_EQ(frames[kPublish].tooltip,
            std::string(kPublish) +
                "\nbase 50.0 instructions/op, new 75.0, change +25.0 "
                "(+50.0%)");
  EXPECT_EQ(frames[kParse].tooltip,
            std::string(kParse) +
                "\nbase 30.0 instructions/op, new 30.0, change 0 (+0.0%)");
  EXPECT_EQ(frames["all"].attributes["data-base"], "81.0000");
  EXPECT_EQ(frames["all"].attributes["data-new"], "106.0000");

  // Widths come from the new profile: Check is 45/106 of the root.
  std::vector<XmlElement> elements = ParseXml(*svg);
  std::map<std::string, double> width;
  for (const XmlElement& e : elements) {
    if (e.name == "rect" && e.parent >= 0 &&
        elements[e.parent].attributes.count("data-name")) {
      width[elements[e.parent].attributes.at("data-name")] =
          std::stod(e.attributes.at("width"));
    }
  }
  EXPECT_NEAR(width[kCheck] / width["all"], 45.0 / 106, 1e-3);
  EXPECT_NEAR(width[kParse] / width["all"], 30.0 / 106, 1e-3);

  // The growth list: Check alone (its callers' own code did not change),
  // 100% of the regression.
  std::map<std::string, Shown> growth = Groups(*svg, "growth");
  ASSERT_EQ(growth.size(), 1u);
  EXPECT_EQ(growth[kCheck].attributes["data-rank"], "1");
  EXPECT_EQ(growth[kCheck].attributes["data-delta"], "25.0000");
  EXPECT_EQ(growth[kCheck].attributes["data-share"], "1.0000");

  absl::StatusOr<DiffSummary> summary = SummarizeDiff(base, next, PerOp(1000));
  ASSERT_TRUE(summary.ok());
  EXPECT_DOUBLE_EQ(summary->base_total, 81);
  EXPECT_DOUBLE_EQ(summary->new_total, 106);
  ASSERT_EQ(summary->growth.size(), 1u);
  EXPECT_EQ(summary->growth[0].name, kCheck);
  EXPECT_DOUBLE_EQ(summary->growth[0].self_delta(), 25);
  EXPECT_DOUBLE_EQ(summary->growth[0].share, 1.0);
  EXPECT_DOUBLE_EQ(summary->growth[0].base_inclusive, 20);
  EXPECT_DOUBLE_EQ(summary->growth[0].new_inclusive, 45);

  const std::string markdown = FormatGrowthMarkdown(*summary, PerOp(1000));
  EXPECT_NE(markdown.find("base 81.0, new 106.0 instructions/op: +25.0 "
                          "(+30.9%)"),
            std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("| 1 | wsbench::Rbac::Check&lt;std::pair&lt;int, "
                          "char> > | 20.0 -> 45.0 | +25.0 | 100.0% |"),
            std::string::npos)
      << markdown;
}

TEST(DiffFlameGraphTest, ShrinkageIsBlueAndIntensityFollowsTheChange) {
  // Per op (ops = 10): grow +10, shrink -5, steady 0; net +5.
  FoldedStacks base = {
      {"main;grow", 100}, {"main;shrink", 100}, {"main;steady", 100}};
  FoldedStacks next = {
      {"main;grow", 200}, {"main;shrink", 50}, {"main;steady", 100}};
  absl::StatusOr<std::string> svg =
      RenderDiffFlameGraphSvg(base, next, PerOp(10));
  ASSERT_TRUE(svg.ok()) << svg.status();
  std::map<std::string, Shown> frames = Groups(*svg, "f");
  EXPECT_EQ(frames["grow"].fill, "rgb(255,0,0)");        // the largest: +10
  EXPECT_EQ(frames["shrink"].fill, "rgb(110,110,255)");  // -5: half
  EXPECT_EQ(frames["steady"].fill, "rgb(221,221,221)");
  EXPECT_EQ(frames["main"].fill, "rgb(255,110,110)");  // +5
  EXPECT_EQ(frames["shrink"].tooltip,
            "shrink\nbase 10.0 instructions/op, new 5.0, change -5.0 (-50.0%)");
  // Growth beyond the net regression: 10 of a net 5 is 200%.
  std::map<std::string, Shown> growth = Groups(*svg, "growth");
  ASSERT_EQ(growth.size(), 1u);
  EXPECT_EQ(growth["grow"].attributes["data-share"], "2.0000");
  EXPECT_EQ(DiffColour(-10, 10, 0.1), "rgb(0,0,255)");
  EXPECT_EQ(DiffColour(0.05, 10, 0.1), "rgb(221,221,221)");
}

TEST(DiffFlameGraphTest, RemovedCodeIsReportedAndAFasterRunHasNoShares) {
  FoldedStacks base = {{"main;old", 40}, {"main;kept", 60}};
  FoldedStacks next = {{"main;kept", 60}, {"main;added", 10}};
  absl::StatusOr<DiffSummary> summary = SummarizeDiff(base, next, PerOp(1));
  ASSERT_TRUE(summary.ok());
  EXPECT_DOUBLE_EQ(summary->removed, 40);
  ASSERT_EQ(summary->growth.size(), 1u);
  EXPECT_EQ(summary->growth[0].name, "added");
  EXPECT_TRUE(std::isnan(summary->growth[0].share));  // the total shrank
  absl::StatusOr<std::string> svg =
      RenderDiffFlameGraphSvg(base, next, PerOp(1));
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(Groups(*svg, "f").count("old"), 0u);  // no width in the new run
  EXPECT_NE(svg->find("code only in the base (not drawn): 40.0"),
            std::string::npos);
}

TEST(DiffFlameGraphTest, SameInputsGiveTheSameBytes) {
  FoldedStacks base = LoadCallgrind("base.callgrind");
  FoldedStacks next = LoadCallgrind("new.callgrind");
  absl::StatusOr<std::string> a =
      RenderDiffFlameGraphSvg(base, next, PerOp(1000));
  absl::StatusOr<std::string> b =
      RenderDiffFlameGraphSvg(base, next, PerOp(1000));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(DiffFlameGraphTest, WellFormedForAnyFunctionName) {
  std::mt19937 rng(16);
  std::vector<std::string> names = {
      "std::map<std::string, std::vector<int>>::operator[]",
      "a&b<c>\"d'e",
      "\xE6\xBC\xA2\xE5\xAD\x97::\xF0\x9F\x94\xA5",
      "bad\xFF\xFE",
      "cut\xE6\xBC",
      "ctl\x01\x1B[31m",
      "]]>",
      "<!--",
      "&#0;",
      "&amp;"};
  for (int i = 0; i < 200; ++i) {
    std::string name(1 + rng() % 40, ' ');
    for (char& c : name) c = static_cast<char>(rng() % 256);
    for (char& c : name) {
      if (c == ';' || c == '\n' || c == '\0') c = 'x';
    }
    names.push_back(name);
  }
  FoldedStacks base, next;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string stack =
        "main;" + names[i] + ";" + names[(i * 7) % names.size()];
    base[stack] = 100 + static_cast<int64_t>(i);
    next[stack] = 100 + static_cast<int64_t>(rng() % 300);
  }
  for (double width : {300.0, 1200.0, 5000.0}) {
    DiffOptions options = PerOp(3);
    options.width = width;
    options.top = 20;
    options.title = names[2] + names[3];
    absl::StatusOr<std::string> svg =
        RenderDiffFlameGraphSvg(base, next, options);
    ASSERT_TRUE(svg.ok());
    EXPECT_EQ(XmlError(*svg), "") << "width " << width;
    size_t rows = 0;
    for (XmlElement& e : ParseXml(*svg)) {
      rows += e.name == "g" && e.attributes["class"] == "growth";
    }
    EXPECT_EQ(rows, 20u);  // more than 20 functions grew; the top 20 shown
  }
}

TEST(DiffFlameGraphTest, RejectsBadOpsAndOverflow) {
  FoldedStacks ok = {{"a", 1}};
  DiffOptions options;
  options.base_ops = 0;
  EXPECT_FALSE(SummarizeDiff(ok, ok, options).ok());
  options.base_ops = std::nan("");
  EXPECT_FALSE(RenderDiffFlameGraphSvg(ok, ok, options).ok());
  FoldedStacks huge = {{"a", INT64_MAX}, {"b", 1}};
  absl::StatusOr<DiffSummary> s = SummarizeDiff(huge, ok, DiffOptions{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("base"), std::string::npos);
}

}  // namespace
}  // namespace wsbench::flamegraph
