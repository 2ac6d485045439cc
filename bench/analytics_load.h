#ifndef SHOPSTREAM_BENCH_ANALYTICS_LOAD_H_
#define SHOPSTREAM_BENCH_ANALYTICS_LOAD_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shopstream/internal/v1/pipeline.pb.h"

namespace shopstream::bench {

// The stored events the analytics benchmark queries: several shops (the
// first takes most events), a fixed time span whatever the count, events in
// time order with a few minutes of jitter, as live traffic arrives.
struct AnalyticsDataShape {
  absl::Time end = absl::FromUnixSeconds(1767225600);  // 2026-01-01 UTC
  absl::Duration span = absl::Hours(24 * 90);
  int shops = 4;
  int main_shop_percent = 70;
  int products = 1000;
  int events_per_session = 5;
};

// Makes batch `batch` (of `batch_events`) of a load of `total` events
// spread over the shape's span; `stage` keeps ids of separate loads apart.
std::vector<internal::v1::StoredEvent> MakeAnalyticsBatch(
    const AnalyticsDataShape& shape, int stage, int64_t total,
    int64_t batch_events, int64_t batch);

// How a batch reaches PostgreSQL: the processor's BatchWriter and then the
// folder (rollups included), or the pre-rollup statements, for the
// ingestion comparison.
enum class WritePath { kBatchWriter, kWithoutRollups };

struct LoadResult {
  int64_t events = 0;
  double seconds = 0;       // appends and folds
  double fold_seconds = 0;  // of which folding what was appended
  double events_per_second() const {
    return seconds > 0 ? events / seconds : 0;
  }
};

// Loads `total` events with `writers` threads, each with its own connection
// and writer, in batches of `batch_events`.
absl::StatusOr<LoadResult> LoadAnalyticsEvents(const std::string& conninfo,
                                               const AnalyticsDataShape& shape,
                                               int stage, int64_t total,
                                               int64_t batch_events,
                                               int writers, WritePath path);

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_ANALYTICS_LOAD_H_
