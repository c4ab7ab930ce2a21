#include "histogram.h"

#include <algorithm>
#include <cmath>

namespace wsbench::bench {

Histogram::Histogram() : counts_(new uint64_t[kBucketCount]()) {}

void Histogram::Clear() {
  std::fill(counts_.get(), counts_.get() + kBucketCount, uint64_t{0});
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

uint64_t Histogram::BucketLow(int index) {
  if (index < static_cast<int>(kSubBuckets)) return static_cast<uint64_t>(index);
  const int shift = (index - static_cast<int>(kSubBuckets)) / static_cast<int>(kSubBuckets);
  const uint64_t sub = static_cast<uint64_t>(index) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t Histogram::BucketWidth(int index) {
  if (index < static_cast<int>(kSubBuckets)) return 1;
  const int shift = (index - static_cast<int>(kSubBuckets)) / static_cast<int>(kSubBuckets);
  return uint64_t{1} << shift;
}

double Histogram::Percentile(double pct) const {
  if (count_ == 0) return 0;
  pct = std::clamp(pct, 0.0, 100.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(pct / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  // The extremes are known exactly.
  if (rank == count_) return static_cast<double>(max_);
  if (rank == 1) return static_cast<double>(min_);
  uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      // Values in the bucket span [low, low + width - 1].
      const double low = static_cast<double>(BucketLow(i));
      const double mid = low + (static_cast<double>(BucketWidth(i)) - 1.0) / 2.0;
      return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace wsbench::bench
