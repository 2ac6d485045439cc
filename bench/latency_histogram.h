#ifndef SHOPSTREAM_BENCH_LATENCY_HISTOGRAM_H_
#define SHOPSTREAM_BENCH_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace shopstream::bench {

// A log-linear histogram of non-negative integer values (the benchmark
// records microseconds), in the spirit of HdrHistogram: values below 128 are
// exact, larger ones fall into buckets no wider than 1/64 of their value, so
// a reported percentile is within 1.6% above the true one. Recording is O(1)
// and allocation-free; one histogram per thread, merged at the end.
class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative values are recorded as 0.
  void Record(int64_t value);
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }

  // The smallest recorded-bucket bound such that at least `percent`% of the
  // values are <= it, never above max(). 0 when empty. `percent` is clamped
  // to [0, 100]; 100 gives max().
  int64_t ValueAtPercentile(double percent) const;

  // Exposed for the tests: the bucket a value falls in and its bounds.
  static int BucketIndex(int64_t value);
  static int64_t BucketLowerBound(int index);
  static int64_t BucketUpperBound(int index);

 private:
  std::vector<int64_t> buckets_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_LATENCY_HISTOGRAM_H_
