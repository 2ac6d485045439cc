#include "bench/latency_histogram.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace shopstream::bench {
namespace {

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 0);
  EXPECT_EQ(histogram.max(), 0);
  EXPECT_EQ(histogram.min(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (int v = 1; v <= 100; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.count(), 100);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 50);
  EXPECT_EQ(histogram.ValueAtPercentile(90), 90);
  EXPECT_EQ(histogram.ValueAtPercentile(99), 99);
  EXPECT_EQ(histogram.ValueAtPercentile(100), 100);
  EXPECT_EQ(histogram.ValueAtPercentile(0), 1);
  EXPECT_EQ(histogram.min(), 1);
  EXPECT_EQ(histogram.max(), 100);
}

TEST(LatencyHistogramTest, LargeValuesAreWithinRelativeError) {
  LatencyHistogram histogram;
  for (int64_t v = 1; v <= 1'000'000; ++v) histogram.Record(v);
  for (double percent : {50.0, 90.0, 99.0, 99.9}) {
    const double exact = percent / 100.0 * 1'000'000;
    const int64_t reported = histogram.ValueAtPercentile(percent);
    EXPECT_GE(reported, exact) << percent;
    EXPECT_LE(reported, exact * (1 + 1.0 / 64)) << percent;
  }
  EXPECT_EQ(histogram.ValueAtPercentile(100), 1'000'000);
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndNarrow) {
  for (int index = 1; index < 3000; ++index) {
    EXPECT_EQ(LatencyHistogram::BucketLowerBound(index),
              LatencyHistogram::BucketUpperBound(index - 1) + 1)
        << index;
    const int64_t low = LatencyHistogram::BucketLowerBound(index);
    const int64_t width = LatencyHistogram::BucketUpperBound(index) - low + 1;
    EXPECT_LE(width * 64, std::max<int64_t>(low, 64)) << index;
    EXPECT_EQ(LatencyHistogram::BucketIndex(low), index);
    EXPECT_EQ(LatencyHistogram::BucketIndex(
                  LatencyHistogram::BucketUpperBound(index)),
              index);
  }
}

TEST(LatencyHistogramTest, HugeAndNegativeValuesDoNotCrash) {
  LatencyHistogram histogram;
  histogram.Record(-5);
  histogram.Record(INT64_MAX);
  EXPECT_EQ(histogram.min(), 0);
  EXPECT_EQ(histogram.max(), INT64_MAX);
  EXPECT_EQ(histogram.ValueAtPercentile(50), 0);
  EXPECT_EQ(histogram.ValueAtPercentile(100), INT64_MAX);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (int64_t v = 0; v < 5000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 7);
    all.Record(v * 7);
  }
  LatencyHistogram merged;
  merged.Merge(a);
  merged.Merge(b);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (double percent : {0.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(merged.ValueAtPercentile(percent),
              all.ValueAtPercentile(percent));
  }
}

TEST(LatencyHistogramTest, OutlierShowsInTailOnly) {
  LatencyHistogram histogram;
  for (int i = 0; i < 999; ++i) histogram.Record(1000);
  histogram.Record(2'000'000);
  EXPECT_LE(histogram.ValueAtPercentile(99), 1000 * (1 + 1.0 / 64));
  EXPECT_EQ(histogram.ValueAtPercentile(99.95), 2'000'000);
  EXPECT_EQ(histogram.max(), 2'000'000);
}

}  // namespace
}  // namespace shopstream::bench
