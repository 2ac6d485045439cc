#ifndef SHOPSTREAM_QUERY_ANALYTICS_QUERIES_H_
#define SHOPSTREAM_QUERY_ANALYTICS_QUERIES_H_

#include "absl/status/statusor.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// The analytics API's answers, requests validated included (INVALID_ARGUMENT
// naming the field). The gRPC service and the CSV export call the same
// implementation, so a spreadsheet shows what the API shows.
class AnalyticsQueries {
 public:
  virtual ~AnalyticsQueries() = default;

  virtual absl::StatusOr<v1::Summary> Summary(
      const v1::GetSummaryRequest& request) const = 0;
  virtual absl::StatusOr<v1::TimeSeries> TimeSeries(
      const v1::GetTimeSeriesRequest& request) const = 0;
  virtual absl::StatusOr<v1::TopProducts> TopProducts(
      const v1::GetTopProductsRequest& request) const = 0;
  virtual absl::StatusOr<v1::Funnel> Funnel(
      const v1::GetFunnelRequest& request) const = 0;
  virtual absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request) const = 0;
  virtual absl::StatusOr<v1::Engagement> Engagement(
      const v1::GetEngagementRequest& request) const = 0;
  virtual absl::StatusOr<v1::Breakdown> Breakdown(
      const v1::GetBreakdownRequest& request) const = 0;
  virtual absl::StatusOr<v1::DataRange> DataRange(
      const v1::GetDataRangeRequest& request) const = 0;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_QUERIES_H_
