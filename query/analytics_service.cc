#include "query/analytics_service.h"

#include "absl/strings/str_cat.h"
#include "common/event_validator.h"
#include "common/grpc_status.h"
#include "query/csv_export.h"

namespace shopstream {
namespace {

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

absl::StatusOr<SummaryScope> ScopeOf(const v1::GetSummaryRequest& request) {
  SummaryScope scope;
  if (request.shop_id().size() > kMaxShopIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("shop_id: at most ", kMaxShopIdBytes, " bytes"));
  }
  scope.shop_id = request.shop_id();
  if (request.has_from()) scope.from = ToTime(request.from());
  if (request.has_to()) scope.to = ToTime(request.to());
  if (scope.from && scope.to && *scope.to < *scope.from) {
    return absl::InvalidArgumentError("to: must not be before from");
  }
  return scope;
}

AnalyticsService::AnalyticsService(const SummaryStore* summaries,
                                   WatchOptions watch_options)
    : summaries_(summaries),
      watchers_(
          [this](const v1::GetSummaryRequest& request) {
            return Summarize(request);
          },
          watch_options) {}

absl::StatusOr<v1::Summary> AnalyticsService::Summarize(
    const v1::GetSummaryRequest& request) const {
  auto scope = ScopeOf(request);
  if (!scope.ok()) return scope.status();
  auto counts = summaries_->Load(*scope);
  if (!counts.ok()) return counts.status();
  return BuildSummary(*counts);
}

grpc::Status AnalyticsService::GetSummary(grpc::ServerContext* context,
                                          const v1::GetSummaryRequest* request,
                                          v1::Summary* response) {
  absl::StatusOr<v1::Summary> summary = Summarize(*request);
  if (!summary.ok()) return ToGrpcStatus(summary.status());
  *response = *std::move(summary);
  return grpc::Status::OK;
}

// The exports answer from the same handlers as their JSON twins, so the two
// never disagree.
grpc::Status AnalyticsService::ExportTimeSeries(
    grpc::ServerContext* context, const v1::GetTimeSeriesRequest* request,
    google::api::HttpBody* response) {
  v1::TimeSeries series;
  if (grpc::Status status = GetTimeSeries(context, request, &series);
      !status.ok()) {
    return status;
  }
  response->set_content_type(kCsvContentType);
  response->set_data(TimeSeriesCsv(series));
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::ExportTopProducts(
    grpc::ServerContext* context, const v1::GetTopProductsRequest* request,
    google::api::HttpBody* response) {
  v1::TopProducts top;
  if (grpc::Status status = GetTopProducts(context, request, &top);
      !status.ok()) {
    return status;
  }
  response->set_content_type(kCsvContentType);
  response->set_data(TopProductsCsv(top));
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::Summary>* AnalyticsService::WatchSummary(
    grpc::CallbackServerContext* context,
    const v1::GetSummaryRequest* request) {
  if (absl::StatusOr<SummaryScope> scope = ScopeOf(*request); !scope.ok()) {
    return SummaryWatchers::Refuse(ToGrpcStatus(scope.status()));
  }
  return watchers_.Watch(*request);
}

grpc::Status AnalyticsService::Health(grpc::ServerContext* context,
                                      const v1::HealthRequest* request,
                                      v1::HealthResponse* response) {
  response->set_status("healthy");
  return grpc::Status::OK;
}

}  // namespace shopstream
