#include "query/analytics_service.h"

#include "absl/strings/str_cat.h"
#include "common/event_validator.h"
#include "common/grpc_status.h"

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

absl::StatusOr<std::string> AnalyticsService::AuthorizedShop(
    const grpc::ServerContext& context,
    absl::string_view requested_shop) const {
  if (authorizer_ == nullptr) return std::string(requested_shop);
  return authorizer_->Authorize(
      auth::AuthorizationOf(context.client_metadata()), auth::Scope::kRead,
      requested_shop);
}

grpc::Status AnalyticsService::GetSummary(grpc::ServerContext* context,
                                          const v1::GetSummaryRequest* request,
                                          v1::Summary* response) {
  absl::StatusOr<std::string> shop =
      AuthorizedShop(*context, request->shop_id());
  if (!shop.ok()) return ToGrpcStatus(shop.status());
  v1::GetSummaryRequest authorized = *request;
  authorized.set_shop_id(*shop);
  auto scope = ScopeOf(authorized);
  if (!scope.ok()) return ToGrpcStatus(scope.status());
  auto counts = summaries_->Load(*scope);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  *response = BuildSummary(*counts);
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::Health(grpc::ServerContext* context,
                                      const v1::HealthRequest* request,
                                      v1::HealthResponse* response) {
  response->set_status("healthy");
  return grpc::Status::OK;
}

}  // namespace shopstream
