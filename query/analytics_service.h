#ifndef SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
#define SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_

#include "query/summary_store.h"
#include "shopstream/v1/analytics.grpc.pb.h"

namespace shopstream {

// The gRPC face of the analytics queries. Queries block on PostgreSQL, so
// this is a synchronous service: gRPC's thread pool carries them.
class AnalyticsService final : public v1::AnalyticsService::Service {
 public:
  explicit AnalyticsService(const SummaryStore* summaries)
      : summaries_(summaries) {}

  grpc::Status GetSummary(grpc::ServerContext* context,
                          const v1::GetSummaryRequest* request,
                          v1::Summary* response) override;
  grpc::Status Health(grpc::ServerContext* context,
                      const v1::HealthRequest* request,
                      v1::HealthResponse* response) override;

 private:
  const SummaryStore* summaries_;
};

// The scope a request asks for, or why it cannot be answered.
absl::StatusOr<SummaryScope> ScopeOf(const v1::GetSummaryRequest& request);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
