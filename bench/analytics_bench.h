#ifndef SHOPSTREAM_BENCH_ANALYTICS_BENCH_H_
#define SHOPSTREAM_BENCH_ANALYTICS_BENCH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/analytics_load.h"

namespace shopstream::bench {

struct AnalyticsBenchConfig {
  // libpq conninfo of the server (a maintenance database such as postgres);
  // the benchmark makes databases of its own there.
  std::string server_conninfo;
  // Stored-event counts to measure at, ascending; each stage adds events
  // spread over the same span until the count is reached.
  std::vector<int64_t> sizes = {100000, 1000000, 10000000};
  int iterations = 300;          // per shopstream query and size
  int filtered_iterations = 50;  // per filtered view and size...
  double filtered_seconds = 30;  // ...or fewer, once this much time passed
  int baseline_iterations = 20;  // per full-scan query and size...
  double baseline_seconds = 20;  // ...or fewer, once this much time passed
  int64_t batch_events = 10000;
  int writers = 2;
  // Events loaded into fresh databases with and without rollup
  // maintenance; 0 skips the comparison.
  int64_t ingest_events = 1000000;
  // Measures the events a previous run left in the analytics database (as
  // many as the one size asked) instead of loading them again, so that
  // runs before and after a change read the same data.
  bool reuse_loaded = false;
  // Only the queries whose name contains this (empty: every query).
  std::string queries_matching;
  AnalyticsDataShape shape;
};

struct LatencySummary {
  int samples = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct QueryMeasurement {
  int64_t stored_events = 0;
  std::string query;
  LatencySummary shopstream;
  LatencySummary baseline;  // samples == 0: no baseline for this query
  // The owner analytics target of a dashboard view (p99), if it has one.
  std::optional<double> target_p99_ms;
};

// The 30-day summary's unique sessions against an exact count over the
// raw events.
struct SessionAccuracy {
  int64_t stored_events = 0;
  std::string query;
  int64_t answered = 0;
  bool estimated = false;
  int64_t exact = 0;
};

struct AnalyticsBenchReport {
  std::vector<QueryMeasurement> queries;
  std::vector<SessionAccuracy> sessions;
  std::vector<std::pair<int64_t, LoadResult>> loads;  // stored events after
  LoadResult ingest_with_rollups;
  LoadResult ingest_without_rollups;
  std::string ToMarkdown(const AnalyticsBenchConfig& config) const;
  std::string ToJson() const;
};

absl::StatusOr<AnalyticsBenchReport> RunAnalyticsBench(
    const AnalyticsBenchConfig& config);

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_ANALYTICS_BENCH_H_
