#include "common/grpc_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace shopstream {
namespace {

constexpr char kRetryInfoType[] = "type.googleapis.com/google.rpc.RetryInfo";
constexpr char kTypeUrlPrefix[] = "type.googleapis.com/";

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  status.ForEachPayload(
      [&details](absl::string_view type_url, const absl::Cord& payload) {
        google::protobuf::Any* any = details.add_details();
        any->set_type_url(std::string(type_url));
        any->set_value(std::string(payload));
      });
  if (details.details().empty()) {
    return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                        std::string(status.message()));
  }
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()),
                      details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  google::rpc::Status details;
  // Details that do not parse are dropped: they only ever add to the code
  // and message.
  if (!status.error_details().empty() &&
      details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      converted.SetPayload(any.type_url(), absl::Cord(any.value()));
    }
  }
  return converted;
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  google::rpc::RetryInfo info;
  const int64_t seconds = absl::IDivDuration(delay, absl::Seconds(1), &delay);
  info.mutable_retry_delay()->set_seconds(seconds);
  info.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(delay)));
  status.SetPayload(kRetryInfoType, absl::Cord(info.SerializeAsString()));
  return status;
}

std::optional<absl::Duration> RetryDelayOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kRetryInfoType);
  google::rpc::RetryInfo info;
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload)) ||
      !info.has_retry_delay()) {
    return std::nullopt;
  }
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

std::optional<absl::Duration> RetryDelayOf(const grpc::Status& status) {
  if (status.error_details().empty()) return std::nullopt;
  return RetryDelayOf(FromGrpcStatus(status));
}

absl::Status WithMessageDetail(absl::Status status,
                               const google::protobuf::Message& message) {
  status.SetPayload(
      absl::StrCat(kTypeUrlPrefix, message.GetDescriptor()->full_name()),
      absl::Cord(message.SerializeAsString()));
  return status;
}

std::optional<std::string> MessageDetailOf(const grpc::Status& status,
                                           absl::string_view full_name) {
  if (status.error_details().empty()) return std::nullopt;
  const auto payload = FromGrpcStatus(status).GetPayload(
      absl::StrCat(kTypeUrlPrefix, full_name));
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

}  // namespace shopstream
