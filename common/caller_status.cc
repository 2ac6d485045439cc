#include "common/caller_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/log.h"
#include "common/request_id.h"
#include "google/rpc/error_details.pb.h"

namespace shopstream {
namespace {

constexpr char kErrorInfoType[] = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr char kOwnDomain[] = "shopstream";

bool IsCallerFacing(const absl::Status& status) {
  const auto payload = status.GetPayload(kErrorInfoType);
  google::rpc::ErrorInfo info;
  return payload.has_value() && info.ParseFromString(std::string(*payload)) &&
         info.domain() == kOwnDomain;
}

bool MayCarryInternals(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal ||
         code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kUnavailable ||
         code == absl::StatusCode::kDataLoss;
}

std::string GenericMessage(absl::StatusCode code,
                           absl::string_view request_id) {
  return code == absl::StatusCode::kUnavailable
             ? absl::StrCat("service unavailable; retry later (request id ",
                            request_id, ")")
             : absl::StrCat("internal error (request id ", request_id, ")");
}

}  // namespace

absl::Status ForCaller(const absl::Status& status,
                       absl::string_view request_id) {
  if (!MayCarryInternals(status.code()) || IsCallerFacing(status)) {
    return status;
  }
  const std::string id =
      request_id.empty() ? NewRequestId() : std::string(request_id);
  const std::string message = GenericMessage(status.code(), id);
  // Already told (a service's answer passing through the gateway).
  if (status.message() == message) return status;
  LogWarning("failure hidden from the caller",
             {{"request_id", id},
              {"code", absl::StatusCodeToString(status.code())},
              {"error", std::string(status.message())}});
  absl::Status generic(status.code(), message);
  status.ForEachPayload(
      [&generic](absl::string_view type_url, const absl::Cord& payload) {
        generic.SetPayload(type_url, payload);
      });
  return generic;
}

grpc::Status ForCaller(const grpc::Status& status,
                       absl::string_view request_id) {
  if (!MayCarryInternals(static_cast<absl::StatusCode>(status.error_code()))) {
    return status;
  }
  return ToGrpcStatus(ForCaller(FromGrpcStatus(status), request_id));
}

absl::Status CallerFacing(absl::Status status, absl::string_view reason) {
  google::rpc::ErrorInfo info;
  info.set_domain(kOwnDomain);
  info.set_reason(std::string(reason));
  status.SetPayload(kErrorInfoType, absl::Cord(info.SerializeAsString()));
  return status;
}

}  // namespace shopstream
