#ifndef SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
#define SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_

#include "query/summary_store.h"
#include "query/summary_watchers.h"
#include "shopstream/v1/analytics.grpc.pb.h"

namespace shopstream {

// The gRPC face of the analytics queries. Queries block on PostgreSQL, so
// the unary methods are synchronous and gRPC's thread pool carries them;
// WatchSummary is a callback stream, since watchers wait far longer than
// any thread should (see summary_watchers.h).
class AnalyticsService final
    : public v1::AnalyticsService::WithCallbackMethod_WatchSummary<
          v1::AnalyticsService::Service> {
 public:
  explicit AnalyticsService(const SummaryStore* summaries,
                            WatchOptions watch_options = {});

  grpc::Status GetSummary(grpc::ServerContext* context,
                          const v1::GetSummaryRequest* request,
                          v1::Summary* response) override;
  grpc::Status ExportTimeSeries(grpc::ServerContext* context,
                                const v1::GetTimeSeriesRequest* request,
                                google::api::HttpBody* response) override;
  grpc::Status ExportTopProducts(grpc::ServerContext* context,
                                 const v1::GetTopProductsRequest* request,
                                 google::api::HttpBody* response) override;
  grpc::ServerWriteReactor<v1::Summary>* WatchSummary(
      grpc::CallbackServerContext* context,
      const v1::GetSummaryRequest* request) override;
  grpc::Status Health(grpc::ServerContext* context,
                      const v1::HealthRequest* request,
                      v1::HealthResponse* response) override;

  // What GetSummary answers; WatchSummary pushes the same.
  absl::StatusOr<v1::Summary> Summarize(
      const v1::GetSummaryRequest& request) const;

  // Commit notices go here; stop them before the server shuts down.
  SummaryWatchers& watchers() { return watchers_; }

 private:
  const SummaryStore* summaries_;
  SummaryWatchers watchers_;
};

// The scope a request asks for, or why it cannot be answered.
absl::StatusOr<SummaryScope> ScopeOf(const v1::GetSummaryRequest& request);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_SERVICE_H_
