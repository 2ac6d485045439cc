#ifndef SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_
#define SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_

#include <cstdint>

#include "query/analytics_queries.h"
#include "query/breakdown_queries.h"
#include "query/engagement_queries.h"
#include "query/event_list.h"
#include "query/session_settings.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

struct RollupAnalyticsOptions {
  // A summary over a bounded range of at most this many events counts its
  // unique sessions exactly; beyond, it estimates those of its whole UTC days
  // from per-day sketches. Counting exactly reads up to one session day per
  // event, 1-2 us each, so this bounds its cost to tens of milliseconds
  // (docs/analytics.md).
  int64_t exact_sessions_max_events = 20000;
};

// Answers from the rollups the processor maintains (migrations/0003, 0011,
// 0012, 0014): all-time totals when a range covers everything a shop has,
// else UTC week (products), day, hour and minute rollups for the whole units
// inside a range and raw events for the rest. Unique sessions of a bounded
// range read session days, or per-day sketches when there are many, and raw
// edges; the funnel's sessions come from the session rollups
// (query/engagement_queries.h). Each answer is one REPEATABLE READ snapshot,
// a summary and its comparison one together (the comparison read at the
// same time on a second connection importing it, when one is free).
class RollupAnalytics final : public AnalyticsQueries {
 public:
  explicit RollupAnalytics(PgConnectionPool* pool,
                           RollupAnalyticsOptions options = {})
      : pool_(pool), options_(options) {}

  absl::StatusOr<v1::Summary> Summary(
      const v1::GetSummaryRequest& request) const override;
  // The summary of `request` with, as its comparison's summary, that of
  // `compared` (the request over the compared range, asking for no
  // comparison): one snapshot for both, the totals and tail read once. A
  // refusal of `compared` names its fields as compare_from and compare_to.
  absl::StatusOr<v1::Summary> ComparedSummary(
      const v1::GetSummaryRequest& request,
      const v1::GetSummaryRequest& compared) const;
  absl::StatusOr<v1::TimeSeries> TimeSeries(
      const v1::GetTimeSeriesRequest& request) const override;
  absl::StatusOr<v1::TopProducts> TopProducts(
      const v1::GetTopProductsRequest& request) const override;
  absl::StatusOr<v1::Funnel> Funnel(
      const v1::GetFunnelRequest& request) const override;
  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request) const override {
    return events_.ListEvents(request);
  }
  absl::StatusOr<v1::Engagement> Engagement(
      const v1::GetEngagementRequest& request) const override {
    return engagement_.Engagement(request);
  }
  absl::StatusOr<v1::Breakdown> Breakdown(
      const v1::GetBreakdownRequest& request) const override {
    return breakdown_.Breakdown(request);
  }
  absl::StatusOr<v1::DataRange> DataRange(
      const v1::GetDataRangeRequest& request) const override {
    return engagement_.DataRange(request);
  }

 private:
  PgConnectionPool* pool_;
  const RollupAnalyticsOptions options_;
  const EngagementQueries engagement_{pool_};
  const BreakdownQueries breakdown_{pool_};
  const EventList events_{pool_};
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ROLLUP_ANALYTICS_H_
