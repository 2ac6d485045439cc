#ifndef SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
#define SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_

#include "query/analytics_queries.h"
#include "shopstream/v1/analytics.grpc.pb.h"

namespace shopstream {

// The gRPC face of the analytics queries. Queries block on PostgreSQL, so
// this is a synchronous service: gRPC's thread pool carries them.
class AnalyticsService : public v1::AnalyticsService::Service {
 public:
  explicit AnalyticsService(const AnalyticsQueries* queries)
      : queries_(queries) {}

  grpc::Status GetSummary(grpc::ServerContext* context,
                          const v1::GetSummaryRequest* request,
                          v1::Summary* response) override;
  grpc::Status GetTimeSeries(grpc::ServerContext* context,
                             const v1::GetTimeSeriesRequest* request,
                             v1::TimeSeries* response) override;
  grpc::Status GetTopProducts(grpc::ServerContext* context,
                              const v1::GetTopProductsRequest* request,
                              v1::TopProducts* response) override;
  grpc::Status GetFunnel(grpc::ServerContext* context,
                         const v1::GetFunnelRequest* request,
                         v1::Funnel* response) override;
  grpc::Status ListEvents(grpc::ServerContext* context,
                          const v1::ListEventsRequest* request,
                          v1::ListEventsResponse* response) override;
  grpc::Status Health(grpc::ServerContext* context,
                      const v1::HealthRequest* request,
                      v1::HealthResponse* response) override;

 protected:
  const AnalyticsQueries* queries() const { return queries_; }

 private:
  const AnalyticsQueries* queries_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
