#include "query/analytics_service.h"

#include "common/caller_status.h"
#include "common/grpc_status.h"
#include "common/request_id.h"
#include "google/protobuf/util/time_util.h"
#include "query/analytics_requests.h"
#include "query/analytics_router.h"
#include "query/csv_export.h"
#include "query/shop_report.h"

namespace shopstream {
namespace {

// What a caller refused for a full queue is told to wait.
constexpr absl::Duration kBusyRetryDelay = absl::Seconds(1);

grpc::Status ToCaller(const grpc::ServerContextBase& context,
                      const absl::Status& status) {
  return ForCaller(ToGrpcStatus(status), RequestIdOf(context));
}

template <typename T>
grpc::Status Answer(const grpc::ServerContextBase& context,
                    absl::StatusOr<T> result, T* response) {
  if (!result.ok()) return ToCaller(context, result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace

AnalyticsService::AnalyticsService(const AnalyticsQueries* queries,
                                   BlockingWorkPool* pool,
                                   WatchOptions watch_options,
                                   const auth::RequestAuthorizer* authorizer,
                                   const DependencyHealth* dependencies,
                                   const PdfPrinter* printer,
                                   const Clock& clock)
    : queries_(queries),
      pool_(pool),
      authorizer_(authorizer),
      dependencies_(dependencies),
      printer_(printer),
      clock_(clock),
      watchers_(
          [this](const v1::GetSummaryRequest& request)
              -> absl::StatusOr<v1::Summary> {
            absl::StatusOr<v1::Summary> summary = Summarize(request);
            // One computation may serve many streams: it gets an id of
            // its own.
            if (!summary.ok()) return ForCaller(summary.status(), "");
            return summary;
          },
          watch_options, clock) {}

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
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, Summarize(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetTimeSeries(
    grpc::CallbackServerContext* context,
    const v1::GetTimeSeriesRequest* request, v1::TimeSeries* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, queries_->TimeSeries(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetTopProducts(
    grpc::CallbackServerContext* context,
    const v1::GetTopProductsRequest* request, v1::TopProducts* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, queries_->TopProducts(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetFunnel(
    grpc::CallbackServerContext* context, const v1::GetFunnelRequest* request,
    v1::Funnel* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, queries_->Funnel(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::ListEvents(
    grpc::CallbackServerContext* context, const v1::ListEventsRequest* request,
    v1::ListEventsResponse* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, queries_->ListEvents(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetEngagement(
    grpc::CallbackServerContext* context,
    const v1::GetEngagementRequest* request, v1::Engagement* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, queries_->Engagement(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetBreakdown(
    grpc::CallbackServerContext* context,
    const v1::GetBreakdownRequest* request, v1::Breakdown* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, queries_->Breakdown(*authorized), response);
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetDataRange(
    grpc::CallbackServerContext* context,
    const v1::GetDataRangeRequest* request, v1::DataRange* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized = Authorized(*context, *request);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    return Answer(*context, queries_->DataRange(*authorized), response);
  });
}

// The exports answer from the same queries as their JSON twins, so the two
// never disagree.
grpc::ServerUnaryReactor* AnalyticsService::ExportTimeSeries(
    grpc::CallbackServerContext* context,
    const v1::GetTimeSeriesRequest* request, google::api::HttpBody* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized =
        Authorized(*context, *request, auth::Credentials::kApiKeyOrLinkTicket);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    absl::StatusOr<v1::TimeSeries> series = queries_->TimeSeries(*authorized);
    if (!series.ok()) return ToCaller(*context, series.status());
    response->set_content_type(kCsvContentType);
    response->set_data(TimeSeriesCsv(*series));
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* AnalyticsService::ExportTopProducts(
    grpc::CallbackServerContext* context,
    const v1::GetTopProductsRequest* request, google::api::HttpBody* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized =
        Authorized(*context, *request, auth::Credentials::kApiKeyOrLinkTicket);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    absl::StatusOr<v1::TopProducts> top = queries_->TopProducts(*authorized);
    if (!top.ok()) return ToCaller(*context, top.status());
    response->set_content_type(kCsvContentType);
    response->set_data(TopProductsCsv(*top));
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* AnalyticsService::GetReport(
    grpc::CallbackServerContext* context, const v1::GetReportRequest* request,
    google::api::HttpBody* response) {
  return OnPool(context, [this, context, request, response] {
    auto authorized =
        Authorized(*context, *request, auth::Credentials::kApiKeyOrLinkTicket);
    if (!authorized.ok()) return ToCaller(*context, authorized.status());
    absl::StatusOr<std::string> pdf = ReportPdf(
        *queries_, printer_, *authorized, clock_.Now(), RequestIdOf(*context));
    if (!pdf.ok()) return ToCaller(*context, pdf.status());
    response->set_content_type(kPdfContentType);
    response->set_data(*std::move(pdf));
    return grpc::Status::OK;
  });
}

grpc::ServerWriteReactor<v1::Summary>* AnalyticsService::WatchSummary(
    grpc::CallbackServerContext* context,
    const v1::GetSummaryRequest* request) {
  absl::StatusOr<auth::Caller> caller =
      Authenticate(*context, *request, auth::Credentials::kApiKeyOrLinkTicket);
  if (!caller.ok()) {
    return SummaryWatchers::Refuse(ToCaller(*context, caller.status()));
  }
  v1::GetSummaryRequest authorized = *request;
  authorized.set_shop_id(caller->shop_id);
  // Bad input is refused before a stream exists, as GetSummary refuses it.
  if (auto range =
          CheckScope(authorized.shop_id(), /*required=*/false,
                     authorized.has_from() ? &authorized.from() : nullptr,
                     authorized.has_to() ? &authorized.to() : nullptr);
      !range.ok()) {
    return SummaryWatchers::Refuse(ToCaller(*context, range.status()));
  }
  if (absl::Status options = CheckSummaryOptions(authorized); !options.ok()) {
    return SummaryWatchers::Refuse(ToCaller(*context, options));
  }
  if (authorizer_ == nullptr) return watchers_.Watch(authorized);
  // The key (a ticket's too: the ticket itself was good once, to open the
  // stream, and counts against its key's share of streams) is checked again
  // before every push, free of charge and from the verifier's cache, so at
  // most once per lookup TTL from PostgreSQL: a revoked key stops receiving
  // within that TTL.
  return watchers_.Watch(authorized, caller->key_id,
                         [authorizer = authorizer_, caller = *caller,
                          request_id = RequestIdOf(*context)] {
                           return ForCaller(authorizer->Recheck(caller),
                                            request_id);
                         });
}

grpc::ServerUnaryReactor* AnalyticsService::CreateLinkTicket(
    grpc::CallbackServerContext* context,
    const v1::CreateLinkTicketRequest* request, v1::LinkTicket* response) {
  // On the pool: the key may have to be looked up in PostgreSQL.
  return OnPool(context, [this, context, request, response] {
    // A ticket cannot make another: it would outlive its own lifetime.
    absl::StatusOr<auth::Caller> caller =
        Authenticate(*context, *request, auth::Credentials::kApiKey);
    if (!caller.ok()) return ToCaller(*context, caller.status());
    if (authorizer_ == nullptr) {
      response->set_shop_id(caller->shop_id);
      return grpc::Status::OK;
    }
    absl::StatusOr<auth::IssuedTicket> ticket =
        authorizer_->IssueLinkTicket(*caller);
    if (!ticket.ok()) return ToCaller(*context, ticket.status());
    response->set_ticket(ticket->text);
    response->set_shop_id(ticket->shop_id);
    *response->mutable_expire_time() =
        google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(
            absl::ToUnixMicros(ticket->expires));
    return grpc::Status::OK;
  });
}

grpc::ServerUnaryReactor* AnalyticsService::Health(
    grpc::CallbackServerContext* context, const v1::HealthRequest* /*request*/,
    v1::HealthResponse* response) {
  // The states are a lookup (DependencyHealth checks on its own thread):
  // answered on gRPC's thread.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(HealthAnswer(
      dependencies_ != nullptr ? dependencies_->States() : DependencyStates(),
      response));
  return reactor;
}

}  // namespace shopstream
