#include "query/analytics_service.h"

#include "common/grpc_status.h"

namespace shopstream {
namespace {

template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status AnalyticsService::GetSummary(grpc::ServerContext* context,
                                          const v1::GetSummaryRequest* request,
                                          v1::Summary* response) {
  return Answer(queries_->Summary(*request), response);
}

grpc::Status AnalyticsService::GetTimeSeries(
    grpc::ServerContext* context, const v1::GetTimeSeriesRequest* request,
    v1::TimeSeries* response) {
  return Answer(queries_->TimeSeries(*request), response);
}

grpc::Status AnalyticsService::GetTopProducts(
    grpc::ServerContext* context, const v1::GetTopProductsRequest* request,
    v1::TopProducts* response) {
  return Answer(queries_->TopProducts(*request), response);
}

grpc::Status AnalyticsService::GetFunnel(grpc::ServerContext* context,
                                         const v1::GetFunnelRequest* request,
                                         v1::Funnel* response) {
  return Answer(queries_->Funnel(*request), response);
}

grpc::Status AnalyticsService::ListEvents(grpc::ServerContext* context,
                                          const v1::ListEventsRequest* request,
                                          v1::ListEventsResponse* response) {
  return Answer(queries_->ListEvents(*request), response);
}

grpc::Status AnalyticsService::Health(grpc::ServerContext* context,
                                      const v1::HealthRequest* request,
                                      v1::HealthResponse* response) {
  response->set_status("healthy");
  return grpc::Status::OK;
}

}  // namespace shopstream
