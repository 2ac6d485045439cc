#ifndef SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
#define SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_

#include "absl/functional/any_invocable.h"
#include "auth/request_authorizer.h"
#include "common/clock.h"
#include "common/dependency_health.h"
#include "query/analytics_queries.h"
#include "query/blocking_work_pool.h"
#include "query/pdf_printer.h"
#include "query/summary_watchers.h"
#include "shopstream/v1/analytics.grpc.pb.h"

namespace shopstream {

// The gRPC face of the analytics queries, on gRPC's callback API. The
// unary methods block on PostgreSQL (and, for a key not in the cache, on
// its lookup), so their work runs on `pool`, never on gRPC's callback
// threads; when the pool's queue is full they answer RESOURCE_EXHAUSTED
// with a retry delay at once. WatchSummary is a stream, since watchers
// wait far longer than any thread should (see summary_watchers.h).
//
// With an authorizer every method but Health needs a read key and answers
// for the key's shop only: a request naming no shop gets the key's shop,
// one naming another shop PERMISSION_DENIED. WatchSummary, the CSV
// exports and the PDF report, which browsers open from URLs, take a link
// ticket instead (CreateLinkTicket). Failures from below (PostgreSQL) reach the
// caller as a generic message with the request id (see common/caller_status.h).
class AnalyticsService final : public v1::AnalyticsService::CallbackService {
 public:
  // A null authorizer means authentication is off. `dependencies`, when
  // set, are what Health reports (PostgreSQL); without, Health is healthy.
  // Without a `printer` GetReport answers UNAVAILABLE. `clock` spaces the
  // watchers' pushes and dates reports.
  AnalyticsService(const AnalyticsQueries* queries, BlockingWorkPool* pool,
                   WatchOptions watch_options = {},
                   const auth::RequestAuthorizer* authorizer = nullptr,
                   const DependencyHealth* dependencies = nullptr,
                   const PdfPrinter* printer = nullptr,
                   const Clock& clock = Clock::Real());

  grpc::ServerUnaryReactor* GetSummary(grpc::CallbackServerContext* context,
                                       const v1::GetSummaryRequest* request,
                                       v1::Summary* response) override;
  grpc::ServerUnaryReactor* GetTimeSeries(
      grpc::CallbackServerContext* context,
      const v1::GetTimeSeriesRequest* request,
      v1::TimeSeries* response) override;
  grpc::ServerUnaryReactor* GetTopProducts(
      grpc::CallbackServerContext* context,
      const v1::GetTopProductsRequest* request,
      v1::TopProducts* response) override;
  grpc::ServerUnaryReactor* GetFunnel(grpc::CallbackServerContext* context,
                                      const v1::GetFunnelRequest* request,
                                      v1::Funnel* response) override;
  grpc::ServerUnaryReactor* ListEvents(
      grpc::CallbackServerContext* context,
      const v1::ListEventsRequest* request,
      v1::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* GetEngagement(
      grpc::CallbackServerContext* context,
      const v1::GetEngagementRequest* request,
      v1::Engagement* response) override;
  grpc::ServerUnaryReactor* GetBreakdown(grpc::CallbackServerContext* context,
                                         const v1::GetBreakdownRequest* request,
                                         v1::Breakdown* response) override;
  grpc::ServerUnaryReactor* GetDataRange(grpc::CallbackServerContext* context,
                                         const v1::GetDataRangeRequest* request,
                                         v1::DataRange* response) override;
  grpc::ServerUnaryReactor* ExportTimeSeries(
      grpc::CallbackServerContext* context,
      const v1::GetTimeSeriesRequest* request,
      google::api::HttpBody* response) override;
  grpc::ServerUnaryReactor* ExportTopProducts(
      grpc::CallbackServerContext* context,
      const v1::GetTopProductsRequest* request,
      google::api::HttpBody* response) override;
  // A PDF of the summary, days and top products; the rendering holds a
  // thread of the pool for its duration (seconds).
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context,
                                      const v1::GetReportRequest* request,
                                      google::api::HttpBody* response) override;
  grpc::ServerWriteReactor<v1::Summary>* WatchSummary(
      grpc::CallbackServerContext* context,
      const v1::GetSummaryRequest* request) override;
  grpc::ServerUnaryReactor* CreateLinkTicket(
      grpc::CallbackServerContext* context,
      const v1::CreateLinkTicketRequest* request,
      v1::LinkTicket* response) override;
  grpc::ServerUnaryReactor* Health(grpc::CallbackServerContext* context,
                                   const v1::HealthRequest* request,
                                   v1::HealthResponse* response) override;

  // What GetSummary answers; WatchSummary pushes the same.
  absl::StatusOr<v1::Summary> Summarize(
      const v1::GetSummaryRequest& request) const;

  // Commit notices go here; stop them before the server shuts down.
  SummaryWatchers& watchers() { return watchers_; }

 private:
  // Whom the call acts for, for the shop `request` names (or none).
  template <typename Request>
  absl::StatusOr<auth::Caller> Authenticate(
      const grpc::ServerContextBase& context, const Request& request,
      auth::Credentials accepted) const;

  // `request` with its shop_id set to the shop the call may read: the one
  // it names or, when it names none, the key's shop.
  template <typename Request>
  absl::StatusOr<Request> Authorized(
      const grpc::ServerContextBase& context, const Request& request,
      auth::Credentials accepted = auth::Credentials::kApiKey) const;

  // Runs `work` on the pool and finishes the call with its status.
  grpc::ServerUnaryReactor* OnPool(grpc::CallbackServerContext* context,
                                   absl::AnyInvocable<grpc::Status()> work);

  const AnalyticsQueries* queries_;
  BlockingWorkPool* pool_;
  const auth::RequestAuthorizer* authorizer_;
  const DependencyHealth* dependencies_;
  const PdfPrinter* printer_;
  const Clock& clock_;
  SummaryWatchers watchers_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
