// Small inline-SVG charts for the HTML report: a line chart over categories
// (the load levels) with an optional log y axis and shaded bands, and
// horizontal bar charts (plain and diverging around zero).
//
// Every plotted value is written into the SVG twice: as visible text or a
// <title> tooltip for people, and as data-bench / data-metric / data-value
// attributes (shortest round-trip form) so tests can check each number
// against the input JSON. Output uses CSS classes (styled by the page) and
// no scripts or external references. Pure functions; thread-safe.
//
//   LineChart c;
//   c.title = "throughput (ops/s)"; c.x_labels = {"minimal", "light"};
//   c.series.push_back({"ops/s", "ops_per_second", "s-tp", false,
//                       {{0, 1.2e6, "messages/minimal"}}});
//   std::string svg = RenderLineChart(c);
#ifndef WSBENCH_BENCH_SVG_CHART_H_
#define WSBENCH_BENCH_SVG_CHART_H_

#include <string>
#include <string_view>
#include <vector>

namespace wsbench::report {

struct ChartPoint {
  int x = 0;           // index into x_labels
  double value = 0;
  std::string bench;   // "broadcast/medium", for data-bench
};

struct Series {
  std::string name;    // legend text
  std::string metric;  // data-metric ("p95_us")
  std::string css;     // class for stroke/fill colour
  bool dashed = false;
  std::vector<ChartPoint> points;
  bool data = true;    // false: decoration (e.g. the baseline), no data-value
};

// A shaded region between two curves (one value per x label; +inf / -inf or
// out-of-range values are clipped to the plot area).
struct Band {
  std::string css;
  std::string label;   // tooltip
  std::vector<double> lo, hi;
};

struct LineChart {
  std::string title;
  std::string unit;    // appended in tooltips ("ops/s", "µs")
  std::vector<std::string> x_labels;
  std::vector<Series> series;
  std::vector<Band> bands;
  bool log_y = true;
  double width = 318, height = 220;
};

// The rendered chart is `height` tall, plus XLabelLayout::extra_height when
// the x labels are turned to fit.
std::string RenderLineChart(const LineChart& chart);

// How a line chart's x labels are placed: side by side, centred under their
// points, while the longest fits its slot (plot width / labels, at
// kTickCharWidth px per character); otherwise each turned kXLabelAngle
// degrees, ending under its point, and the chart `extra_height` px taller.
inline constexpr double kTickCharWidth = 6;  // 10 px sans-serif, generous
inline constexpr double kXLabelAngle = 40;
struct XLabelLayout {
  bool rotated = false;
  double extra_height = 0;
};
XLabelLayout LayOutXLabels(const std::vector<std::string>& labels,
                           double plot_width);

struct Bar {
  std::string label;   // row label ("broadcast", "messages/low P95")
  double value = 0;    // bar length, in the axis unit (% here)
  std::string css;     // colour class
  std::string text;    // printed beside the bar ("-12.3%")
  std::string tooltip;
  // data attributes: data-bench=key, data-metric=metric, data-value=value.
  std::string key;
  std::string metric;
};

struct BarChart {
  std::string title;
  std::vector<Bar> bars;
  bool diverging = false;             // zero in the middle, symmetric range
  std::vector<double> reference_lines;  // e.g. the 20% degradation target
  std::string reference_label;
  double min_extent = 10;             // the axis covers at least +-this
  double width = 660;
  double row_height = 22;
  double label_width = 190;
};

std::string RenderBarChart(const BarChart& chart);

// Shortest decimal that round-trips (the data-value form).
std::string ExactNumber(double v);
// record::FormatShort: SI suffix and 3 significant digits, "1.23M",
// "45.6k", "0.0123"; "-" for NaN.
std::string ShortNumber(double v);
// Escapes &, <, >, " and ' for HTML/XML text and attributes.
std::string Escape(std::string_view text);

}  // namespace wsbench::report

#endif  // WSBENCH_BENCH_SVG_CHART_H_
