#include "record/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace wsbench::record {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool AnyNaN(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(),
                     [](double v) { return std::isnan(v); });
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return kNaN;
  // Below-resolution values (NaN) first: they are smaller than any number.
  std::sort(values.begin(), values.end(), [](double a, double b) {
    return std::isnan(a) ? !std::isnan(b) : !std::isnan(b) && a < b;
  });
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double Mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) /
         static_cast<double>(values.size());
}

double Stddev(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double mean = Mean(values);
  double sq = 0;
  for (double v : values) sq += (v - mean) * (v - mean);
  return std::sqrt(sq / static_cast<double>(values.size() - 1));
}

double Cv(const std::vector<double>& values) {
  const double mean = Mean(values);
  return mean == 0 ? 0 : Stddev(values) / mean;
}

double Min(const std::vector<double>& values) {
  if (values.empty()) return 0;
  if (AnyNaN(values)) return kNaN;
  return *std::min_element(values.begin(), values.end());
}

double Max(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double max = kNaN;
  for (double v : values) {
    if (!std::isnan(v) && !(v <= max)) max = v;
  }
  return max;
}

double Aggregate(std::string_view name, const std::vector<double>& values) {
  if (name == "mean") return Mean(values);
  if (name == "median") return values.empty() ? 0 : Median(values);
  if (name == "stddev") return Stddev(values);
  if (name == "cv") return Cv(values);
  if (name == "min") return Min(values);
  if (name == "max") return Max(values);
  return 0;
}

}  // namespace wsbench::record
