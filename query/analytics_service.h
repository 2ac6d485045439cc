#ifndef SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
#define SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_

#include "auth/request_authorizer.h"
#include "query/summary_store.h"
#include "shopstream/v1/analytics.grpc.pb.h"

namespace shopstream {

// The gRPC face of the analytics queries. Queries block on PostgreSQL, so
// this is a synchronous service: gRPC's thread pool carries them.
//
// With an authorizer every method but Health needs a read key and answers
// for the key's shop only: a request naming no shop gets the key's shop,
// one naming another shop PERMISSION_DENIED.
class AnalyticsService final : public v1::AnalyticsService::Service {
 public:
  // A null authorizer means authentication is off.
  explicit AnalyticsService(const SummaryStore* summaries,
                            const auth::RequestAuthorizer* authorizer = nullptr)
      : summaries_(summaries), authorizer_(authorizer) {}

  grpc::Status GetSummary(grpc::ServerContext* context,
                          const v1::GetSummaryRequest* request,
                          v1::Summary* response) override;
  grpc::Status Health(grpc::ServerContext* context,
                      const v1::HealthRequest* request,
                      v1::HealthResponse* response) override;

 private:
  // The shop the call may read: `requested_shop` or, when that is empty,
  // the key's shop (still empty when authentication is off).
  absl::StatusOr<std::string> AuthorizedShop(
      const grpc::ServerContext& context,
      absl::string_view requested_shop) const;

  const SummaryStore* summaries_;
  const auth::RequestAuthorizer* authorizer_;
};

// The scope a request asks for, or why it cannot be answered.
absl::StatusOr<SummaryScope> ScopeOf(const v1::GetSummaryRequest& request);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
