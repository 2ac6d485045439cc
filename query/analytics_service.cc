#include "query/analytics_service.h"

#include "common/grpc_status.h"
#include "google/protobuf/util/time_util.h"
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
absl::StatusOr<auth::Caller> AnalyticsService::Authenticate(
    const grpc::ServerContextBase& context, const Request& request,
    auth::Credentials accepted) const {
  if (authorizer_ == nullptr) return auth::Caller{.shop_id = request.shop_id()};
  return authorizer_->AuthorizeCaller(
      auth::AuthorizationOf(context.client_metadata()), auth::Scope::kRead,
      request.shop_id(), /*cost=*/1, accepted);
}

template <typename Request>
absl::StatusOr<Request> AnalyticsService::Authorized(
    const grpc::ServerContextBase& context, const Request& request,
    auth::Credentials accepted) const {
  absl::StatusOr<auth::Caller> caller =
      Authenticate(context, request, accepted);
  if (!caller.ok()) return caller.status();
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
  auto authorized =
      Authorized(*context, *request, auth::Credentials::kApiKeyOrLinkTicket);
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
  auto authorized =
      Authorized(*context, *request, auth::Credentials::kApiKeyOrLinkTicket);
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
  absl::StatusOr<auth::Caller> caller =
      Authenticate(*context, *request, auth::Credentials::kApiKeyOrLinkTicket);
  if (!caller.ok()) {
    return SummaryWatchers::Refuse(ToGrpcStatus(caller.status()));
  }
  v1::GetSummaryRequest authorized = *request;
  authorized.set_shop_id(caller->shop_id);
  // Bad input is refused before a stream exists, as GetSummary refuses it.
  if (auto range =
          CheckScope(authorized.shop_id(), /*required=*/false,
                     authorized.has_from() ? &authorized.from() : nullptr,
                     authorized.has_to() ? &authorized.to() : nullptr);
      !range.ok()) {
    return SummaryWatchers::Refuse(ToGrpcStatus(range.status()));
  }
  if (authorizer_ == nullptr) return watchers_.Watch(authorized);
  // The key (a ticket's too: the ticket itself was good once, to open the
  // stream, and counts against its key's share of streams) is checked again
  // before every push, free of charge and from the verifier's cache, so at
  // most once per lookup TTL from PostgreSQL: a revoked key stops receiving
  // within that TTL.
  return watchers_.Watch(authorized, caller->key_id,
                         [authorizer = authorizer_, caller = *caller] {
                           return authorizer->Recheck(caller);
                         });
}

grpc::Status AnalyticsService::CreateLinkTicket(
    grpc::ServerContext* context, const v1::CreateLinkTicketRequest* request,
    v1::LinkTicket* response) {
  // A ticket cannot make another: it would outlive its own lifetime.
  absl::StatusOr<auth::Caller> caller =
      Authenticate(*context, *request, auth::Credentials::kApiKey);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (authorizer_ == nullptr) {
    response->set_shop_id(caller->shop_id);
    return grpc::Status::OK;
  }
  absl::StatusOr<auth::IssuedTicket> ticket =
      authorizer_->IssueLinkTicket(*caller);
  if (!ticket.ok()) return ToGrpcStatus(ticket.status());
  response->set_ticket(ticket->text);
  response->set_shop_id(ticket->shop_id);
  *response->mutable_expire_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
          absl::ToUnixMicros(ticket->expires));
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::Health(grpc::ServerContext* context,
                                      const v1::HealthRequest* request,
                                      v1::HealthResponse* response) {
  response->set_status("healthy");
  return grpc::Status::OK;
}

}  // namespace shopstream
