#ifndef SHOPSTREAM_QUERY_TIME_BUCKETS_H_
#define SHOPSTREAM_QUERY_TIME_BUCKETS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// Instants are whole microseconds since the epoch, as events store them.
// A range [from, to) of timestamps with nanoseconds holds exactly the
// microseconds [CeilMicros(from), CeilMicros(to)).
int64_t CeilMicros(absl::Time t);

// Where the numbers for a stretch of time come from: raw events or one of
// the UTC-aligned rollups. Weeks start on Monday 00:00 UTC; only products
// have them.
enum class Source { kRaw = 0, kMinute = 1, kHour = 2, kDay = 3, kWeek = 4 };
constexpr int kSourceCount = 5;

// How long one bucket of a rollup source is (1 for raw).
int64_t SourceUnitMicros(Source source);

struct Segment {
  int64_t begin = 0;  // microseconds, inclusive
  int64_t end = 0;    // exclusive
  int bucket = 0;     // index of the answer's bucket it belongs to
};

// Cuts ranges into the coarsest pieces the rollups can answer exactly: whole
// UTC days from the day rollup, whole hours around them, whole minutes
// around those, and raw events for what is left at sub-minute edges.
class RangePlan {
 public:
  // `allowed[source]`: whether that source may be used; raw always is.
  explicit RangePlan(std::array<bool, kSourceCount> allowed)
      : allowed_(allowed) {}

  void Add(int64_t begin, int64_t end, int bucket);

  // Pieces per source in time order; adjacent rollup pieces merged even
  // across buckets (their rows are binned by bucket start later).
  const std::vector<Segment>& segments(Source source) const {
    return segments_[static_cast<int>(source)];
  }

 private:
  void Split(int64_t begin, int64_t end, int bucket, int level);
  void Append(int level, int64_t begin, int64_t end, int bucket);

  const std::array<bool, kSourceCount> allowed_;
  std::array<std::vector<Segment>, kSourceCount> segments_;
};

// Bucket edges (UTC instants, microseconds) of the local calendar buckets
// of `zone` that meet [from, to): the first is the edge at or before
// `from`, the last the first edge at or after `to`. An edge is an instant
// at which local time is on a bucket boundary: a repeated local hour gives
// two hour buckets, a skipped one none. RESOURCE_EXHAUSTED past
// `max_buckets`.
absl::StatusOr<std::vector<int64_t>> BucketEdges(int64_t from, int64_t to,
                                                 v1::BucketSize size,
                                                 const absl::TimeZone& zone,
                                                 int max_buckets);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_TIME_BUCKETS_H_
