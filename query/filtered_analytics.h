#ifndef SHOPSTREAM_QUERY_FILTERED_ANALYTICS_H_
#define SHOPSTREAM_QUERY_FILTERED_ANALYTICS_H_

#include "absl/status/statusor.h"
#include "query/analytics_filter.h"
#include "query/dimension_analytics.h"
#include "shopstream/v1/analytics.pb.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

// Answers narrowed by a filter, each in one REPEATABLE READ snapshot: from
// the dimension rollups (DimensionAnalytics) where those answer it, else
// from the raw events that match it, refusing a range that reaches before
// what retention kept (INVALID_ARGUMENT naming from). The
// request's own filter is ignored; `filter` is the checked one. Requests
// are otherwise checked as the unfiltered answers check them.
class FilteredAnalytics {
 public:
  explicit FilteredAnalytics(PgConnectionPool* pool)
      : pool_(pool), dimensions_(pool) {}

  absl::StatusOr<v1::Summary> Summary(const v1::GetSummaryRequest& request,
                                      const EventFilter& filter) const;
  absl::StatusOr<v1::TimeSeries> TimeSeries(
      const v1::GetTimeSeriesRequest& request, const EventFilter& filter) const;
  absl::StatusOr<v1::TopProducts> TopProducts(
      const v1::GetTopProductsRequest& request,
      const EventFilter& filter) const;
  // Counts only the matching events, so a session reaches a step through
  // matching events alone.
  absl::StatusOr<v1::Funnel> Funnel(const v1::GetFunnelRequest& request,
                                    const EventFilter& filter) const;

 private:
  PgConnectionPool* pool_;
  DimensionAnalytics dimensions_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_FILTERED_ANALYTICS_H_
