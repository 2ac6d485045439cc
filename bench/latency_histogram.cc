#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace shopstream::bench {
namespace {

// Values below 2^kSubBucketBits are their own bucket; above, each power of
// two is split into kHalf linear sub-buckets.
constexpr int kSubBucketBits = 7;
constexpr int64_t kSubBucketCount = int64_t{1} << kSubBucketBits;  // 128
constexpr int64_t kHalf = kSubBucketCount / 2;                     // 64
// The largest int64 has its top bit at 62: exponent 62 - 7 + 1 = 56.
constexpr int kBucketCount = (62 - kSubBucketBits + 2) * kHalf + kHalf;

// For a value >= kSubBucketCount: how far it is shifted to land in
// [kHalf, kSubBucketCount).
int Exponent(int64_t value) {
  const int top_bit = 63 - std::countl_zero(static_cast<uint64_t>(value));
  return top_bit - kSubBucketBits + 1;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

int LatencyHistogram::BucketIndex(int64_t value) {
  if (value < kSubBucketCount)
    return static_cast<int>(std::max<int64_t>(value, 0));
  const int exponent = Exponent(value);
  return static_cast<int>(exponent * kHalf + (value >> exponent));
}

int64_t LatencyHistogram::BucketLowerBound(int index) {
  if (index < kSubBucketCount) return index;
  const int exponent = static_cast<int>(index / kHalf) - 1;
  return (index % kHalf + kHalf) << exponent;
}

int64_t LatencyHistogram::BucketUpperBound(int index) {
  if (index < kSubBucketCount) return index;
  const int exponent = static_cast<int>(index / kHalf) - 1;
  return BucketLowerBound(index) + (int64_t{1} << exponent) - 1;
}

void LatencyHistogram::Record(int64_t value) {
  value = std::max<int64_t>(value, 0);
  ++buckets_[BucketIndex(value)];
  min_ = count_ == 0 ? value : std::min(min_, value);
  max_ = std::max(max_, value);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

int64_t LatencyHistogram::ValueAtPercentile(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  // The rank of the value we want, 1-based: p50 of 2 values is the first.
  const int64_t rank = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(percent / 100.0 * count_)));
  int64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      return std::clamp(BucketUpperBound(static_cast<int>(i)), min_, max_);
    }
  }
  return max_;
}

}  // namespace shopstream::bench
