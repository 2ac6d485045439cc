#ifndef SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_
#define SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_

#include "query/analytics_queries.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

// Answers from the rollups the processor maintains (migrations/0003):
// all-time totals when a range covers everything a shop has, else UTC day,
// hour and minute rollups for the whole units inside a range and raw events
// for the sub-minute rest. Unique sessions of a bounded range, the funnel
// and the event list read raw events. Each answer is one REPEATABLE READ
// snapshot.
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
