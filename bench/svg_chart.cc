#include "svg_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "record/format.h"

namespace wsbench::report {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A "nice" step (1, 2 or 5 x 10^k) giving about `count` ticks over `span`.
double NiceStep(double span, int count) {
  if (span <= 0) return 1;
  double raw = span / count;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double nice = norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10;
  return nice * mag;
}

}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string ExactNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);  // shortest round-trip representation
}

std::string ShortNumber(double v) { return record::FormatShort(v); }

XLabelLayout LayOutXLabels(const std::vector<std::string>& labels,
                           double plot_width) {
  XLabelLayout layout;
  if (labels.empty()) return layout;
  size_t longest = 0;
  for (const std::string& label : labels) {
    // Code points, not bytes: a label's width on the page.
    size_t chars = 0;
    for (char c : label) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    longest = std::max(longest, chars);
  }
  const double slot = plot_width / static_cast<double>(labels.size());
  const double text_width = static_cast<double>(longest) * kTickCharWidth;
  if (text_width + 4 <= slot) return layout;
  layout.rotated = true;
  const double angle = kXLabelAngle * std::numbers::pi / 180;
  // The turned label's drop below the axis, less the room the straight
  // label row already had.
  layout.extra_height =
      std::max(0.0, std::ceil(text_width * std::sin(angle) + 4 - 8));
  return layout;
}

std::string RenderLineChart(const LineChart& chart) {
  const double left = 50, right = 10, top = 40, bottom = 22;
  const double pw = chart.width - left - right, ph = chart.height - top - bottom;
  const int n = std::max<int>(1, static_cast<int>(chart.x_labels.size()));
  // Level names side by side overlap once they are wider than their slot
  // (eight levels in a 318 px chart): then they are turned 40 degrees and
  // the chart grows downwards by what the turned labels need.
  const XLabelLayout x_layout = LayOutXLabels(chart.x_labels, pw);
  const double total_height = chart.height + x_layout.extra_height;

  // The y range: the data, plus band edges not too far from it.
  double vmin = kInf, vmax = -kInf;
  for (const Series& s : chart.series) {
    for (const ChartPoint& p : s.points) {
      if (!std::isfinite(p.value) || (chart.log_y && p.value <= 0)) continue;
      vmin = std::min(vmin, p.value);
      vmax = std::max(vmax, p.value);
    }
  }
  bool empty = !(vmin <= vmax);
  if (empty) {
    vmin = 1;
    vmax = 10;
  }
  for (const Band& b : chart.bands) {
    for (const auto* edge : {&b.lo, &b.hi}) {
      for (double v : *edge) {
        if (!std::isfinite(v) || v <= 0) continue;
        if (v >= vmin / 30 && v <= vmax * 30) {
          vmin = std::min(vmin, v);
          vmax = std::max(vmax, v);
        }
      }
    }
  }
  double lo, hi;
  if (chart.log_y) {
    lo = std::pow(10, std::floor(std::log10(vmin)));
    hi = std::pow(10, std::ceil(std::log10(vmax)));
    if (hi <= lo) hi = lo * 10;
  } else {
    lo = std::min(0.0, vmin);
    double step = NiceStep(vmax - lo, 4);
    hi = std::ceil(vmax * 1.05 / step) * step;
    if (hi <= lo) hi = lo + 1;
  }
  auto ymap = [&](double v) {
    double t;
    if (chart.log_y) {
      v = std::clamp(v > 0 ? v : lo, lo, hi);
      t = (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    } else {
      v = std::clamp(v, lo, hi);
      t = (v - lo) / (hi - lo);
    }
    return top + ph * (1 - t);
  };
  auto xmap = [&](int i) { return left + (i + 0.5) * pw / n; };

  std::string svg = fmt::format(
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" "
      "height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\">"
      "<title>{2}</title>\n",
      chart.width, total_height, Escape(chart.title));
  svg += fmt::format("<text class=\"ctitle\" x=\"{:.1f}\" y=\"16\">{}</text>\n", left,
                     Escape(chart.title));
  // Legend, right-aligned on the title line.
  {
    std::string legend;
    for (const Series& s : chart.series) {
      legend += fmt::format("<tspan class=\"{}\">{} {}</tspan> ", Escape(s.css),
                            s.dashed ? "- -" : "—", Escape(s.name));
    }
    svg += fmt::format("<text class=\"legend\" x=\"{:.1f}\" y=\"30\">{}</text>\n", left, legend);
  }
  // Bands first, so lines draw over them.
  for (const Band& b : chart.bands) {
    if (b.lo.size() != chart.x_labels.size() || b.hi.size() != chart.x_labels.size() ||
        chart.x_labels.empty()) {
      continue;
    }
    std::string pts = fmt::format("{:.1f},{:.1f} ", left, ymap(b.hi.front()));
    for (int i = 0; i < n; ++i) pts += fmt::format("{:.1f},{:.1f} ", xmap(i), ymap(b.hi[i]));
    pts += fmt::format("{:.1f},{:.1f} ", left + pw, ymap(b.hi.back()));
    pts += fmt::format("{:.1f},{:.1f} ", left + pw, ymap(b.lo.back()));
    for (int i = n - 1; i >= 0; --i) pts += fmt::format("{:.1f},{:.1f} ", xmap(i), ymap(b.lo[i]));
    pts += fmt::format("{:.1f},{:.1f}", left, ymap(b.lo.front()));
    svg += fmt::format("<polygon class=\"{}\" points=\"{}\"><title>{}</title></polygon>\n",
                       Escape(b.css), pts, Escape(b.label));
  }
  // Axes and grid.
  svg += fmt::format("<rect class=\"plot\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>\n",
                     left, top, pw, ph);
  std::vector<double> ticks;
  if (chart.log_y) {
    int decades = static_cast<int>(std::lround(std::log10(hi / lo)));
    int every = decades > 6 ? 2 : 1;
    for (int d = 0; d <= decades; d += every) ticks.push_back(lo * std::pow(10, d));
  } else {
    double step = NiceStep(hi - lo, 4);
    for (double v = lo; v <= hi + step / 2; v += step) ticks.push_back(v);
  }
  for (double t : ticks) {
    double y = ymap(t);
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n",
        left, y, left + pw, y, left - 4, y + 3.5, ShortNumber(t));
  }
  for (int i = 0; i < static_cast<int>(chart.x_labels.size()); ++i) {
    if (x_layout.rotated) {
      const double x = xmap(i) + 3, y = top + ph + 11;
      svg += fmt::format(
          "<text class=\"tick xlabel\" x=\"{0:.1f}\" y=\"{1:.1f}\" "
          "text-anchor=\"end\" transform=\"rotate({2:.0f} {0:.1f} {1:.1f})\">"
          "{3}</text>\n",
          x, y, -kXLabelAngle, Escape(chart.x_labels[i]));
    } else {
      svg += fmt::format(
          "<text class=\"tick xlabel\" x=\"{:.1f}\" y=\"{:.1f}\" "
          "text-anchor=\"middle\">{}</text>\n",
          xmap(i), top + ph + 14, Escape(chart.x_labels[i]));
    }
  }
  if (empty) {
    svg += fmt::format("<text class=\"note\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">no data</text>\n",
                       left + pw / 2, top + ph / 2);
  }
  // Series: a polyline and a marker per point.
  for (const Series& s : chart.series) {
    std::vector<ChartPoint> pts = s.points;
    std::erase_if(pts, [&](const ChartPoint& p) {
      return !std::isfinite(p.value) || (chart.log_y && p.value <= 0);
    });
    std::sort(pts.begin(), pts.end(),
              [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
    if (pts.size() > 1) {
      std::string line;
      for (const ChartPoint& p : pts) line += fmt::format("{:.1f},{:.1f} ", xmap(p.x), ymap(p.value));
      svg += fmt::format("<polyline class=\"line {}{}\" points=\"{}\"/>\n", Escape(s.css),
                         s.dashed ? " dashed" : "", line);
    }
    for (const ChartPoint& p : pts) {
      std::string data;
      if (s.data) {
        data = fmt::format(" data-bench=\"{}\" data-metric=\"{}\" data-value=\"{}\"",
                           Escape(p.bench), Escape(s.metric), ExactNumber(p.value));
      }
      svg += fmt::format(
          "<circle class=\"pt {}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\"{}><title>{} {}: {} {}</title></circle>\n",
          Escape(s.css), xmap(p.x), ymap(p.value), s.dashed ? 2 : 3, data, Escape(p.bench),
          Escape(s.name), ShortNumber(p.value), Escape(chart.unit));
    }
  }
  svg += "</svg>";
  return svg;
}

std::string RenderBarChart(const BarChart& chart) {
  const double top = 28, bottom = 26;
  const double plot_left = chart.label_width, plot_right = chart.width - 16;
  const double height = top + chart.bars.size() * chart.row_height + bottom;
  double lo = 0, hi = 0;
  for (const Bar& b : chart.bars) {
    if (!std::isfinite(b.value)) continue;
    lo = std::min(lo, b.value);
    hi = std::max(hi, b.value);
  }
  for (double r : chart.reference_lines) {
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  if (chart.diverging) {
    double m = std::max({std::fabs(lo), std::fabs(hi), chart.min_extent});
    lo = -m;
    hi = m;
  } else {
    hi = std::max(hi, lo + chart.min_extent);
  }
  // Room for the value text beside the bar ends.
  double span = hi - lo;
  if (lo < 0) lo -= span * 0.2;
  if (hi > 0) hi += span * 0.2;
  auto xmap = [&](double v) {
    return plot_left + (std::clamp(v, lo, hi) - lo) / (hi - lo) * (plot_right - plot_left);
  };
  std::string svg = fmt::format(
      "<svg class=\"chart bars\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" "
      "height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" role=\"img\"><title>{2}</title>\n",
      chart.width, height, Escape(chart.title));
  svg += fmt::format("<text class=\"ctitle\" x=\"{:.1f}\" y=\"16\">{}</text>\n", 4.0,
                     Escape(chart.title));
  // Ticks.
  double step = NiceStep(hi - lo, 6);
  for (double t = std::ceil(lo / step) * step; t <= hi; t += step) {
    double x = xmap(t);
    svg += fmt::format(
        "<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text class=\"tick\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}%</text>\n",
        x, top - 4, x, height - bottom + 2, x, height - bottom + 16,
        ShortNumber(std::fabs(t) < step / 1e6 ? 0 : t));
  }
  for (double r : chart.reference_lines) {
    double x = xmap(r);
    svg += fmt::format(
        "<line class=\"ref\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>"
        "<text class=\"reflabel\" x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
        x, top - 4, x, height - bottom + 2, x + 3, top + 6, Escape(chart.reference_label));
  }
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& b = chart.bars[i];
    double y = top + i * chart.row_height;
    double x0 = xmap(0), x1 = std::isfinite(b.value) ? xmap(b.value) : x0;
    double bx = std::min(x0, x1), bw = std::max(1.0, std::fabs(x1 - x0));
    svg += fmt::format(
        "<g class=\"bar\" data-bench=\"{}\" data-metric=\"{}\" data-value=\"{}\"><title>{}</title>"
        "<text class=\"blabel\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>"
        "<rect class=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/>"
        "<text class=\"bvalue\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\">{}</text></g>\n",
        Escape(b.key), Escape(b.metric), ExactNumber(b.value), Escape(b.tooltip),
        plot_left - 6, y + chart.row_height * 0.68, Escape(b.label), Escape(b.css), bx,
        y + 3, bw, chart.row_height - 6, b.value < 0 ? bx - 4 : bx + bw + 4,
        y + chart.row_height * 0.68, b.value < 0 ? "end" : "start", Escape(b.text));
  }
  double x0 = xmap(0);
  svg += fmt::format("<line class=\"zero\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>\n",
                     x0, top - 4, x0, height - bottom + 2);
  svg += "</svg>";
  return svg;
}

}  // namespace wsbench::report
