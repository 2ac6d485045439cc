#include "query/analytics_service.h"

#include "common/grpc_status.h"
#include "query/analytics_requests.h"
#include "query/csv_export.h"

namespace shopstream {
namespace {

template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

AnalyticsService::AnalyticsService(const AnalyticsQueries* queries,
                                   WatchOptions watch_options,
                                   const auth::RequestAuthorizer* authorizer)
    : queries_(queries),
      authorizer_(authorizer),
      watchers_(
          [this](const v1::GetSummaryRequest& request) {
            return Summarize(request);
          },
          watch_options) {}

template <typename Request>
absl::StatusOr<Request> AnalyticsService::Authorized(
    const grpc::ServerContextBase& context, const Request& request,
    std::string* key_id) const {
  if (authorizer_ == nullptr) return request;
  absl::StatusOr<auth::Caller> caller = authorizer_->AuthorizeCaller(
      auth::AuthorizationOf(context.client_metadata()), auth::Scope::kRead,
      request.shop_id());
  if (!caller.ok()) return caller.status();
  if (key_id != nullptr) *key_id = caller->key_id;
  Request authorized = request;
  authorized.set_shop_id(std::move(caller->shop_id));
  return authorized;
}

absl::StatusOr<v1::Summary> AnalyticsService::Summarize(
    const v1::GetSummaryRequest& request) const {
  return queries_->Summary(request);
}

grpc::Status AnalyticsService::GetSummary(grpc::ServerContext* context,
                                          const v1::GetSummaryRequest* request,
                                          v1::Summary* response) {
  auto authorized = Authorized(*context, *request);
  if (!authorized.ok()) return ToGrpcStatus(authorized.status());
  return Answer(Summarize(*authorized), response);
}

grpc::Status AnalyticsService::GetTimeSeries(
    grpc::ServerContext* context, const v1::GetTimeSeriesRequest* request,
    v1::TimeSeries* response) {
  auto authorized = Authorized(*context, *request);
  if (!authorized.ok()) return ToGrpcStatus(authorized.status());
  return Answer(queries_->TimeSeries(*authorized), response);
}

grpc::Status AnalyticsService::GetTopProducts(
    grpc::ServerContext* context, const v1::GetTopProductsRequest* request,
    v1::TopProducts* response) {
  auto authorized = Authorized(*context, *request);
  if (!authorized.ok()) return ToGrpcStatus(authorized.status());
  return Answer(queries_->TopProducts(*authorized), response);
}

grpc::Status AnalyticsService::GetFunnel(grpc::ServerContext* context,
                                         const v1::GetFunnelRequest* request,
                                         v1::Funnel* response) {
  auto authorized = Authorized(*context, *request);
  if (!authorized.ok()) return ToGrpcStatus(authorized.status());
  return Answer(queries_->Funnel(*authorized), response);
}

grpc::Status AnalyticsService::ListEvents(grpc::ServerContext* context,
                                          const v1::ListEventsRequest* request,
                                          v1::ListEventsResponse* response) {
  auto authorized = Authorized(*context, *request);
  if (!authorized.ok()) return ToGrpcStatus(authorized.status());
  return Answer(queries_->ListEvents(*authorized), response);
}

// The exports answer from the same queries as their JSON twins, so the two
// never disagree.
grpc::Status AnalyticsService::ExportTimeSeries(
    grpc::ServerContext* context, const v1::GetTimeSeriesRequest* request,
    google::api::HttpBody* response) {
  auto authorized = Authorized(*context, *request);
  if (!authorized.ok()) return ToGrpcStatus(authorized.status());
  absl::StatusOr<v1::TimeSeries> series = queries_->TimeSeries(*authorized);
  if (!series.ok()) return ToGrpcStatus(series.status());
  response->set_content_type(kCsvContentType);
  response->set_data(TimeSeriesCsv(*series));
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::ExportTopProducts(
    grpc::ServerContext* context, const v1::GetTopProductsRequest* request,
    google::api::HttpBody* response) {
  auto authorized = Authorized(*context, *request);
  if (!authorized.ok()) return ToGrpcStatus(authorized.status());
  absl::StatusOr<v1::TopProducts> top = queries_->TopProducts(*authorized);
  if (!top.ok()) return ToGrpcStatus(top.status());
  response->set_content_type(kCsvContentType);
  response->set_data(TopProductsCsv(*top));
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::Summary>* AnalyticsService::WatchSummary(
    grpc::CallbackServerContext* context,
    const v1::GetSummaryRequest* request) {
  std::string key_id;
  auto authorized = Authorized(*context, *request, &key_id);
  if (!authorized.ok()) {
    return SummaryWatchers::Refuse(ToGrpcStatus(authorized.status()));
  }
  // Bad input is refused before a stream exists, as GetSummary refuses it.
  if (auto range =
          CheckScope(authorized->shop_id(), /*required=*/false,
                     authorized->has_from() ? &authorized->from() : nullptr,
                     authorized->has_to() ? &authorized->to() : nullptr);
      !range.ok()) {
    return SummaryWatchers::Refuse(ToGrpcStatus(range.status()));
  }
  if (authorizer_ == nullptr) return watchers_.Watch(*authorized);
  // The key is checked again before every push (free of charge, and from
  // the verifier's cache, so at most once per lookup TTL from PostgreSQL):
  // a revoked key stops receiving within that TTL.
  return watchers_.Watch(
      *authorized, key_id,
      [authorizer = authorizer_,
       authorization = auth::AuthorizationOf(context->client_metadata()),
       shop = authorized->shop_id()] {
        return authorizer
            ->Authorize(authorization, auth::Scope::kRead, shop, /*cost=*/0)
            .status();
      });
}

grpc::Status AnalyticsService::Health(grpc::ServerContext* context,
                                      const v1::HealthRequest* request,
                                      v1::HealthResponse* response) {
  response->set_status("healthy");
  return grpc::Status::OK;
}

}  // namespace shopstream
