// Tests for tools/report: the HTML is self-contained and well formed, and
// every number it shows matches the input JSON (fixtures in
// tools/report/testdata: a 4-dimension x 4-level run, a baseline and a
// wsbench-compare verdict).
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "report_html.h"
#include "report_model.h"
#include "record/results_file.h"
#include "simdjson.h"
#include "svg_chart.h"
#include "thresholds.h"

namespace wsbench::report {
namespace {

const std::string kDir = std::string(WSBENCH_TESTDATA_DIR) + "/../../tools/report/testdata/";
const std::string kThresholds = std::string(WSBENCH_TESTDATA_DIR) + "/../../bench/thresholds.json";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

record::ResultsFile Load(const std::string& name) {
  auto file = record::ReadResultsFile(kDir + name);
  EXPECT_TRUE(file.ok()) << file.status();
  return file.ok() ? *file : record::ResultsFile{};
}

// Independent of the report: median of the iterations' values.
double MedianOf(const record::ResultsFile& f, const std::string& bench, const std::string& key) {
  std::vector<double> v = f.RepetitionValues(bench, key);
  std::sort(v.begin(), v.end());
  if (v.empty()) return NAN;
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct DataPoint {
  std::string bench, metric;
  double value;
};

std::vector<DataPoint> DataPoints(const std::string& html) {
  std::vector<DataPoint> out;
  std::regex re("data-bench=\"([^\"]*)\" data-metric=\"([^\"]*)\" data-value=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it) {
    out.push_back({(*it)[1], (*it)[2], std::stod((*it)[3])});
  }
  return out;
}

// Open/close tags balance (HTML void elements excepted).
bool TagsBalanced(const std::string& doc, std::string* where) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "input", "link"};
  std::vector<std::string> open;
  std::regex tag("<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>");
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), tag); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[2];
    if ((*it)[3] == "/" || kVoid.count(name)) continue;
    if ((*it)[1] == "/") {
      if (open.empty() || open.back() != name) {
        *where = "</" + name + "> at " + std::to_string(it->position()) + " closes <" +
                 (open.empty() ? "" : open.back()) + ">";
        return false;
      }
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  if (!open.empty()) *where = "unclosed <" + open.back() + ">";
  return open.empty();
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = Load("results.json");
    base_ = Load("baseline.json");
    auto t = bench::Thresholds::Load(kThresholds);
    ASSERT_TRUE(t.ok()) << t.status();
    thresholds_ = *t;
    verdict_text_ = ReadText(kDir + "verdict.json");
    ASSERT_FALSE(verdict_text_.empty());
  }

  Report Build(bool baseline, bool verdict, bool thresholds = true) {
    ReportInputs in;
    in.run = &run_;
    in.baseline = baseline ? &base_ : nullptr;
    in.verdict_json = verdict ? &verdict_text_ : nullptr;
    in.verdict_path = "verdict.json";
    in.thresholds = thresholds ? &thresholds_ : nullptr;
    in.thresholds_path = "bench/thresholds.json";
    auto r = BuildReport(in);
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  }

  record::ResultsFile run_, base_;
  bench::Thresholds thresholds_;
  std::string verdict_text_;
};

TEST_F(ReportTest, HtmlIsSelfContainedAndWellFormed) {
  std::string html = RenderHtml(Build(true, true));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  std::string where;
  EXPECT_TRUE(TagsBalanced(html, &where)) << where;
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  // The only URLs are the SVG namespace.
  for (size_t at = html.find("http"); at != std::string::npos; at = html.find("http", at + 1)) {
    EXPECT_EQ(html.compare(at, 26, "http://www.w3.org/2000/svg"), 0) << html.substr(at, 60);
  }
  // One chart pair per dimension.
  for (const char* dim : {"broadcast", "messages", "permissions", "compression"}) {
    EXPECT_NE(html.find(std::string("data-dimension=\"") + dim + "\""), std::string::npos) << dim;
  }
}

TEST_F(ReportTest, EveryNumberMatchesTheJson) {
  std::string html = RenderHtml(Build(true, false));
  std::vector<DataPoint> points = DataPoints(html);
  ASSERT_GT(points.size(), 100u);
  std::set<std::pair<std::string, std::string>> seen;
  for (const DataPoint& p : points) {
    seen.insert({p.bench, p.metric});
    if (p.metric == "degradation_pct") {
      bool found = false;
      for (const auto& d : run_.degradation) {
        if (d.dimension == p.bench) {
          EXPECT_DOUBLE_EQ(p.value, d.pct);
          found = true;
        }
      }
      EXPECT_TRUE(found) << p.bench;
    } else if (p.metric.size() > 11 && p.metric.substr(p.metric.size() - 11) == ":change_pct") {
      std::string key = p.metric.substr(0, p.metric.size() - 11);
      double want = (MedianOf(run_, p.bench, key) / MedianOf(base_, p.bench, key) - 1) * 100;
      EXPECT_NEAR(p.value, want, 1e-9 * std::fabs(want) + 1e-12) << p.bench << " " << key;
    } else {
      EXPECT_DOUBLE_EQ(p.value, MedianOf(run_, p.bench, p.metric)) << p.bench << " " << p.metric;
    }
  }
  // Every benchmark shows its rate and latencies, and every dimension its
  // degradation.
  for (const std::string& name : run_.BenchmarkNames()) {
    std::string rate = name.rfind("broadcast/", 0) == 0 ? "items_per_second" : "ops_per_second";
    for (const std::string& metric : {rate, std::string("p50_us"), std::string("p95_us"),
                                      std::string("p99_us"), std::string("allocs_per_op")}) {
      EXPECT_TRUE(seen.count({name, metric})) << name << " " << metric;
    }
    EXPECT_TRUE(seen.count({name, rate + ":change_pct"})) << name;
    // P95 is compared only where both files sampled it by the same rule
    // (the baseline fixture's messages flipped between batch sizes 1 and 16).
    const bool same_rule = base_.LatencyRule(name) == run_.LatencyRule(name);
    EXPECT_EQ(seen.count({name, "p95_us:change_pct"}), same_rule ? 1u : 0u)
        << name;
    if (!same_rule) {
      EXPECT_NE(html.find(name + " P95: not compared: latency rule differs"),
                std::string::npos)
          << name;
    }
  }
  for (const auto& d : run_.degradation) EXPECT_TRUE(seen.count({d.dimension, "degradation_pct"}));
}

TEST_F(ReportTest, TableTextShowsTheSameNumbersAsTheData) {
  std::string html = RenderHtml(Build(false, false));
  std::regex cell("<td data-bench=\"([^\"]*)\" data-metric=\"([^\"]*)\" data-value=\"([^\"]*)\">([^<]*)</td>");
  int cells = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), cell); it != std::sregex_iterator(); ++it) {
    std::string text = (*it)[4];
    std::string shown = ShortNumber(std::stod((*it)[3]));
    EXPECT_EQ(text.substr(0, shown.size()), shown) << (*it)[1] << " " << (*it)[2];
    ++cells;
  }
  EXPECT_EQ(cells, 16 * 5 + 8);  // 16 benchmarks x 5 numbers + items/s for broadcast, compression
}

TEST_F(ReportTest, VerdictFileDrivesTheBannerAndBarColours) {
  std::string html = RenderHtml(Build(true, true));
  simdjson::dom::parser parser;
  simdjson::dom::element verdict = parser.parse(verdict_text_);
  int64_t regressions = verdict["regressions"].get_int64();
  int64_t improvements = verdict["improvements"].get_int64();
  EXPECT_NE(html.find("class=\"verdict fail\" data-regressions=\"" + std::to_string(regressions) +
                      "\" data-improvements=\"" + std::to_string(improvements) + "\""),
            std::string::npos);
  EXPECT_NE(html.find("Gate failed"), std::string::npos);
  // Each bar's value is the row's change_pct, and its colour the row's verdict.
  int checked = 0;
  for (simdjson::dom::object row : verdict["rows"].get_array()) {
    std::string bench{std::string_view(row["benchmark"])};
    std::string metric{std::string_view(row["metric"])};
    std::string v{std::string_view(row["verdict"])};
    bool gated = bool(row["gated"]);
    double change = double(row["change_pct"]);
    std::string css = v == "regressed" ? (gated ? "c-reg" : "c-ungated") : v == "improved" ? "c-imp" : "c-noise";
    std::regex bar("<g class=\"bar\" data-bench=\"" + bench + "\" data-metric=\"" + metric +
                   ":change_pct\" data-value=\"([^\"]*)\"><title>[^<]*</title><text[^>]*>[^<]*</text><rect class=\"([a-z-]+)\"");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(html, m, bar)) << bench << " " << metric;
    EXPECT_DOUBLE_EQ(std::stod(m[1]), change);
    EXPECT_EQ(m[2], css) << bench << " " << metric;
    ++checked;
  }
  EXPECT_EQ(checked, 32);
}

TEST_F(ReportTest, PlainChangeIsLabelledAsNotAStatisticalVerdict) {
  Report r = Build(true, false);
  EXPECT_FALSE(r.verdict.statistical);
  std::string html = RenderHtml(r);
  EXPECT_NE(html.find("not a statistical verdict"), std::string::npos);
  EXPECT_EQ(html.find("Gate failed"), std::string::npos);
  EXPECT_EQ(html.find("Gate passed"), std::string::npos);
  // messages got ~20% slower in the fixture: regressions; permissions faster.
  int reg = 0, imp = 0;
  for (const ChangeRow& c : r.changes) {
    if (c.benchmark.rfind("messages/", 0) == 0 && c.metric == "ops_per_second") {
      EXPECT_EQ(c.cls, ChangeClass::kRegressed) << c.benchmark;
    }
    if (c.benchmark.rfind("permissions/", 0) == 0 && c.metric == "ops_per_second") {
      EXPECT_EQ(c.cls, ChangeClass::kImproved) << c.benchmark;
    }
    reg += c.cls == ChangeClass::kRegressed;
    imp += c.cls == ChangeClass::kImproved;
  }
  EXPECT_EQ(r.verdict.regressions, reg);
  EXPECT_EQ(r.verdict.improvements, imp);
  EXPECT_NE(html.find("data-regressions=\"" + std::to_string(reg) + "\""), std::string::npos);
}

TEST_F(ReportTest, BottleneckThresholdsAndMachineAreShown) {
  std::string html = RenderHtml(Build(false, false));
  EXPECT_NE(html.find("data-bench=\"permissions\" data-metric=\"degradation_pct\""), std::string::npos);
  std::regex bottleneck("data-bench=\"([a-z]+)\" data-metric=\"degradation_pct\"[^>]*>"
                        "<title>[^<]*</title><text[^>]*>[^<]*</text><rect class=\"c-bottleneck\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(html, m, bottleneck));
  EXPECT_EQ(m[1], "permissions");  // the fixture's bottleneck
  // Bands shaded from the thresholds file, one set per chart with bands.
  EXPECT_NE(html.find("<polygon class=\"b-exc\""), std::string::npos);
  EXPECT_NE(html.find("excellent: at least 5.00M ops/s"), std::string::npos);  // messages
  // The exact command line, escaped, and the fingerprint.
  EXPECT_NE(html.find("build/release/bench/wsbench --quick --out out/run &lt;&amp;&gt; &quot;x&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"), std::string::npos);
  EXPECT_NE(html.find("9f1c2ab0d4e5f60718293a4b5c6d7e8f90a1b2c3"), std::string::npos);

  std::string bare = RenderHtml(Build(false, false, /*thresholds=*/false));
  EXPECT_EQ(bare.find("<polygon"), std::string::npos);
  EXPECT_EQ(bare.find("Change vs baseline"), std::string::npos);
}

TEST_F(ReportTest, MarkdownHasARowPerBenchmark) {
  std::string md = RenderMarkdown(Build(true, false));
  for (const std::string& name : run_.BenchmarkNames()) {
    EXPECT_NE(md.find("| " + name + " | "), std::string::npos) << name;
  }
  EXPECT_NE(md.find("| permissions (bottleneck) | +21.1% |"), std::string::npos);
  EXPECT_NE(md.find("not a statistical verdict"), std::string::npos);
}

TEST_F(ReportTest, BadVerdictFileIsAnErrorNamingIt) {
  std::string bad = "{\"regressions\": 1}";
  ReportInputs in;
  in.run = &run_;
  in.verdict_json = &bad;
  in.verdict_path = "v.json";
  auto r = BuildReport(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("v.json"), std::string::npos);
  std::string not_json = "nope";
  in.verdict_json = &not_json;
  EXPECT_FALSE(BuildReport(in).ok());
  EXPECT_FALSE(BuildReport(ReportInputs{}).ok());
}

TEST(SvgChartTest, NumbersFormatAndEscape) {
  EXPECT_EQ(ShortNumber(1234567), "1.23M");
  EXPECT_EQ(ShortNumber(45600), "45.6k");
  EXPECT_EQ(ShortNumber(0.0123), "0.0123");
  EXPECT_EQ(ShortNumber(2.5), "2.50");
  EXPECT_EQ(ShortNumber(NAN), "-");
  EXPECT_EQ(ExactNumber(0.1), "0.1");
  EXPECT_EQ(std::stod(ExactNumber(1.0 / 3)), 1.0 / 3);
  EXPECT_EQ(Escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(SvgChartTest, LogAxisPutsLargerValuesHigher) {
  LineChart c;
  c.x_labels = {"a", "b", "c"};
  c.series.push_back({"rate", "ops_per_second", "s-tp", false, {{0, 1e3, "x/a"}, {1, 1e5, "x/b"}, {2, 1e4, "x/c"}}});
  std::string svg = RenderLineChart(c);
  std::regex re("cx=\"([0-9.]+)\" cy=\"([0-9.]+)\" r=\"3\" data-bench=\"x/([a-c])\"");
  std::map<std::string, double> cy;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it) {
    cy[(*it)[3]] = std::stod((*it)[2]);
  }
  ASSERT_EQ(cy.size(), 3u);
  EXPECT_LT(cy["b"], cy["c"]);
  EXPECT_LT(cy["c"], cy["a"]);
  // Log scale: equal ratios are equal distances.
  EXPECT_NEAR(cy["a"] - cy["c"], cy["c"] - cy["b"], 0.15);
  std::string where;
  EXPECT_TRUE(TagsBalanced(svg, &where)) << where;
}

TEST(SvgChartTest, EightLevelNamesAreTurnedAndDoNotOverlap) {
  LineChart c;
  c.x_labels = {"minimal", "light",     "low",     "medium",
                "high",    "very_high", "extreme", "maximum"};
  for (int i = 0; i < 8; ++i) {
    c.series.push_back({"rate",
                        "ops_per_second",
                        "s-tp",
                        false,
                        {{i, 1e3 * (i + 1), "x/" + c.x_labels[i]}}});
  }
  const std::string svg = RenderLineChart(c);
  std::regex label(
      "<text class=\"tick xlabel\" x=\"([0-9.]+)\" y=\"([0-9.]+)\" "
      "text-anchor=\"end\" transform=\"rotate\\(-40 ");
  std::vector<double> xs, ys;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), label);
       it != std::sregex_iterator(); ++it) {
    xs.push_back(std::stod((*it)[1]));
    ys.push_back(std::stod((*it)[2]));
  }
  ASSERT_EQ(xs.size(), 8u) << svg;
  // Turned 40 degrees, neighbouring labels are parallel lines this far
  // apart: more than the 10 px font's line height.
  const double slot = xs[1] - xs[0];
  EXPECT_GT(slot * std::sin(40 * M_PI / 180), 12.0);
  // The chart grows by what the longest turned label needs below the axis.
  const XLabelLayout layout = LayOutXLabels(c.x_labels, c.width - 60);
  EXPECT_TRUE(layout.rotated);
  EXPECT_GT(layout.extra_height, 0);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("height=\"([0-9]+)\"")));
  const double height = std::stod(m[1]);
  EXPECT_EQ(height, c.height + layout.extra_height);
  const double drop =
      9 * kTickCharWidth * std::sin(40 * M_PI / 180);  // "very_high"
  EXPECT_LE(ys[5] + drop, height);

  // Four levels (the quick run) fit side by side, straight.
  c.x_labels = {"minimal", "light", "low", "medium"};
  c.series.resize(4);
  const std::string quick = RenderLineChart(c);
  EXPECT_EQ(quick.find("rotate("), std::string::npos);
  EXPECT_NE(quick.find("height=\"220\""), std::string::npos);
  EXPECT_FALSE(LayOutXLabels(c.x_labels, c.width - 60).rotated);
}

TEST_F(ReportTest, DiffGraphLinksAreShownWithTheVerdict) {
  ReportInputs in;
  in.run = &run_;
  in.baseline = &base_;
  in.verdict_json = &verdict_text_;
  in.verdict_path = "verdict.json";
  in.diff_graphs = {{"messages/low", "diff/messages_low/diff.svg",
                     "wsbench::X<int>::Parse +25 instructions/op"}};
  absl::StatusOr<Report> r = BuildReport(in);
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string html = RenderHtml(*r);
  EXPECT_NE(html.find("<li data-bench=\"messages/low\"><a "
                      "href=\"diff/messages_low/diff.svg\">messages/low</a> — "
                      "wsbench::X&lt;int&gt;::Parse +25 instructions/op</li>"),
            std::string::npos);
  std::string where;
  EXPECT_TRUE(TagsBalanced(html, &where)) << where;
  // Inside the verdict's box.
  EXPECT_LT(html.find("class=\"verdict fail\""),
            html.find("Where it got slower"));
  const std::string md = RenderMarkdown(*r);
  EXPECT_NE(md.find("- [messages/low](diff/messages_low/diff.svg) — "
                    "wsbench::X&lt;int>::Parse +25 instructions/op"),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace wsbench::report
