#ifndef SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_
#define SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_

#include "query/analytics_queries.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

// For the pool RollupAnalytics runs on. Its statements read a few thousand
// rows, but the raw-event branch of a statement can be estimated at most of
// the events; at 10M events that made PostgreSQL start parallel workers
// (top products 23-33 ms with them, 14-17 ms without) and JIT-compile the
// plan (about 90 of 112 ms).
inline constexpr char kAnalyticsSessionSettings[] =
    "SET max_parallel_workers_per_gather = 0; SET jit = off";

// Answers from the rollups the processor maintains (migrations/0003, 0011,
// 0012): all-time totals when a range covers everything a shop has, else
// UTC week (products), day, hour and minute rollups for the whole units
// inside a range and raw events for the rest. Unique sessions of a bounded
// range read session days and raw edges; the funnel and the event list read
// raw events. Each answer is one REPEATABLE READ snapshot.
class RollupAnalytics final : public AnalyticsQueries {
 public:
  explicit RollupAnalytics(PgConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<v1::Summary> Summary(
      const v1::GetSummaryRequest& request) const override;
  absl::StatusOr<v1::TimeSeries> TimeSeries(
      const v1::GetTimeSeriesRequest& request) const override;
  absl::StatusOr<v1::TopProducts> TopProducts(
      const v1::GetTopProductsRequest& request) const override;
  absl::StatusOr<v1::Funnel> Funnel(
      const v1::GetFunnelRequest& request) const override;
  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request) const override;

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_
