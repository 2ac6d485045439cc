#include "query/analytics_service.h"

#include "common/grpc_status.h"
#include "query/analytics_requests.h"
#include "query/csv_export.h"

namespace shopstream {
namespace {

// What a caller refused for a full queue is told to wait.
constexpr absl::Duration kBusyRetryDelay = absl::Seconds(1);

template <typename T>
grpc::Status Answer(absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

AnalyticsService::AnalyticsService(const AnalyticsQueries* queries,
                                   BlockingWorkPool* pool,
                                   WatchOptions watch_options,
                                   const auth::RequestAuthorizer* authorizer)
    : queries_(queries),
      pool_(pool),
      authorizer_(authorizer),
      watchers_(
          [this](const v1::GetSummaryRequest& request) {
            return Summarize(request);
          },
          watch_options) {}

template <typename Request>
absl::StatusOr<Request> AnalyticsService::Authorized(
    const grpc::ServerContextBase& context, const Request& request) const {
  if (authorizer_ == nullptr) return request;
  absl::StatusOr<std::string> shop =
      authorizer_->Authorize(auth::AuthorizationOf(context.client_metadata()),
                             auth::Scope::kRead, request.shop_id());
  if (!shop.ok()) return shop.status();
  Request authorized = request;
  authorized.set_shop_id(*std::move(shop));
  return authorized;
}

absl::StatusOr<v1::Summary> AnalyticsService::Summarize(
    const v1::GetSummaryRequest& request) const {
  return queries_->Summary(request);
}

grpc::ServerUnaryReactor* AnalyticsService::OnPool(
    grpc::CallbackServerContext* context,
    absl::AnyInvocable<grpc::Status()> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool taken =
      pool_->TrySubmit([context, reactor, work = std::move(work)]() mutable {
        // A caller that gave up while its call waited is not worth a query.
        if (context->IsCancelled()) {
          reactor->Finish(grpc::Status::CANCELLED);
          return;
        }
        reactor->Finish(work());
      });
  if (!taken) {
    reactor->Finish(ToGrpcStatus(
        WithRetryDelay(absl::ResourceExhaustedError(
                           "the query service is busy; retry after a pause"),
                       kBusyRetryDelay)));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AnalyticsService::GetSummary(
    grpc::CallbackServerContext* context, const v1::GetSummaryRequest* request,
    v1::Summary* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToGrpcStatus(authorized.status());
    return Answer(Summarize(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetTimeSeries(
    grpc::CallbackServerContext* context,
    const v1::GetTimeSeriesRequest* request, v1::TimeSeries* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToGrpcStatus(authorized.status());
    return Answer(queries_->TimeSeries(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetTopProducts(
    grpc::CallbackServerContext* context,
    const v1::GetTopProductsRequest* request, v1::TopProducts* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToGrpcStatus(authorized.status());
    return Answer(queries_->TopProducts(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetFunnel(
    grpc::CallbackServerContext* context, const v1::GetFunnelRequest* request,
    v1::Funnel* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToGrpcStatus(authorized.status());
    return Answer(queries_->Funnel(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::ListEvents(
    grpc::CallbackServerContext* context, const v1::ListEventsRequest* request,
    v1::ListEventsResponse* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToGrpcStatus(authorized.status());
    return Answer(queries_->ListEvents(*authorized), response);
  });
}

// The exports answer from the same queries as their JSON twins, so the two
// never disagree.
grpc::ServerUnaryReactor* AnalyticsService::ExportTimeSeries(
    grpc::CallbackServerContext* context,
    const v1::GetTimeSeriesRequest* request, google::api::HttpBody* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToGrpcStatus(authorized.status());
    absl::StatusOr<v1::TimeSeries> series = queries_->TimeSeries(*authorized);
    if (!series.ok()) return ToGrpcStatus(series.status());
    response->set_content_type(kCsvContentType);
    response->set_data(TimeSeriesCsv(*series));
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* AnalyticsService::ExportTopProducts(
    grpc::CallbackServerContext* context,
    const v1::GetTopProductsRequest* request, google::api::HttpBody* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToGrpcStatus(authorized.status());
    absl::StatusOr<v1::TopProducts> top = queries_->TopProducts(*authorized);
    if (!top.ok()) return ToGrpcStatus(top.status());
    response->set_content_type(kCsvContentType);
    response->set_data(TopProductsCsv(*top));
    return grpc::Status::OK;
  });
}

grpc::ServerWriteReactor<v1::Summary>* AnalyticsService::WatchSummary(
    grpc::CallbackServerContext* context,
    const v1::GetSummaryRequest* request) {
  auto authorized = Authorized(*context, *request);
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
      *authorized,
      [authorizer = authorizer_,
       authorization = auth::AuthorizationOf(context->client_metadata()),
       shop = authorized->shop_id()] {
        return authorizer
            ->Authorize(authorization, auth::Scope::kRead, shop, /*cost=*/0)
            .status();
      });
}

grpc::ServerUnaryReactor* AnalyticsService::Health(
    grpc::CallbackServerContext* context, const v1::HealthRequest* request,
    v1::HealthResponse* response) {
  response->set_status("healthy");
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace shopstream
