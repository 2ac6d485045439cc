#ifndef SHOPSTREAM_QUERY_ANALYTICS_ROUTER_H_
#define SHOPSTREAM_QUERY_ANALYTICS_ROUTER_H_

#include "absl/status/status.h"
#include "query/analytics_queries.h"
#include "query/filtered_analytics.h"
#include "query/rollup_analytics.h"

namespace shopstream {

// Checks a summary request's filter and comparison (INVALID_ARGUMENT naming
// the field), for WatchSummary to refuse before a stream exists.
absl::Status CheckSummaryOptions(const v1::GetSummaryRequest& request);

// The analytics API: requests without a filter go to `unfiltered` as they
// are, those with one to `filtered`; a comparison asked for is a second
// answer of the same kind over the compared range, in its own snapshot,
// but for an unfiltered summary's, which shares the answer's.
class AnalyticsRouter final : public AnalyticsQueries {
 public:
  AnalyticsRouter(const RollupAnalytics* unfiltered,
                  const FilteredAnalytics* filtered)
      : unfiltered_(unfiltered), filtered_(filtered) {}

  absl::StatusOr<v1::Summary> Summary(
      const v1::GetSummaryRequest& request) const override;
  absl::StatusOr<v1::TimeSeries> TimeSeries(
      const v1::GetTimeSeriesRequest& request) const override;
  absl::StatusOr<v1::TopProducts> TopProducts(
      const v1::GetTopProductsRequest& request) const override;
  absl::StatusOr<v1::Funnel> Funnel(
      const v1::GetFunnelRequest& request) const override;
  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request) const override {
    return unfiltered_->ListEvents(request);
  }
  // These answer their own filters and comparisons.
  absl::StatusOr<v1::Engagement> Engagement(
      const v1::GetEngagementRequest& request) const override {
    return unfiltered_->Engagement(request);
  }
  absl::StatusOr<v1::Breakdown> Breakdown(
      const v1::GetBreakdownRequest& request) const override {
    return unfiltered_->Breakdown(request);
  }
  absl::StatusOr<v1::DataRange> DataRange(
      const v1::GetDataRangeRequest& request) const override {
    return unfiltered_->DataRange(request);
  }

 private:
  const RollupAnalytics* unfiltered_;
  const FilteredAnalytics* filtered_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_ROUTER_H_
