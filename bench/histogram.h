// A latency histogram with bounded relative error and fixed memory.
//
// HdrHistogram's idea, sized for one benchmark's latency pass: values are
// unsigned integers (the suite records picoseconds per op) placed in
// log-linear buckets. Values below kSubBuckets (128) get one bucket each
// (exact); above, each power-of-two range [2^k, 2^(k+1)) is split into 128
// equal buckets, so a bucket is at most 1/128 of its lower bound wide and a
// percentile reported as the bucket's midpoint is within 0.4% of the
// recorded value (clamped to the exact min and max). Memory is a fixed
// array of 7,424 64-bit counts (58 KiB) allocated by the constructor;
// Record() never allocates and is O(1) (a bit scan and an increment).
// Thread-safety: none; one histogram per thread.
//
//   wsbench::bench::Histogram h;
//   for (uint64_t ps : samples) h.Record(ps);
//   double p95 = h.Percentile(95.0);
#ifndef WSBENCH_BENCH_HISTOGRAM_H_
#define WSBENCH_BENCH_HISTOGRAM_H_

#include <bit>
#include <cstdint>
#include <memory>

namespace wsbench::bench {

class Histogram {
 public:
  // log2 of the buckets per power of two; 2^-kSubBucketBits is the bound on
  // a bucket's relative width.
  static constexpr int kSubBucketBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;
  static constexpr int kBucketCount =
      static_cast<int>(kSubBuckets + (64 - kSubBucketBits) * kSubBuckets);
  // Worst-case relative error of Percentile() (half a bucket's width).
  static constexpr double kMaxRelativeError = 1.0 / (2.0 * kSubBuckets);

  Histogram();
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Record(uint64_t value) {
    ++counts_[BucketIndex(value)];
    ++count_;
    sum_ += static_cast<double>(value);
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void Clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / count_; }

  // The value at or below which `pct` percent of the recorded values lie
  // (nearest rank: the ceil(pct/100 * count)-th smallest), as the midpoint
  // of its bucket clamped to [min, max]. 0 when empty; pct is clamped to
  // [0, 100].
  double Percentile(double pct) const;

  // Bucket arithmetic, public for tests.
  static int BucketIndex(uint64_t value) {
    if (value < kSubBuckets) return static_cast<int>(value);
    const int k = 63 - std::countl_zero(value);  // floor(log2(value)) >= 7
    const int shift = k - kSubBucketBits;
    const uint64_t sub = (value >> shift) - kSubBuckets;  // [0, 128)
    return static_cast<int>(kSubBuckets + shift * kSubBuckets + sub);
  }
  static uint64_t BucketLow(int index);
  static uint64_t BucketWidth(int index);

 private:
  std::unique_ptr<uint64_t[]> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace wsbench::bench

#endif  // WSBENCH_BENCH_HISTOGRAM_H_
