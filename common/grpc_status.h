#ifndef SHOPSTREAM_COMMON_GRPC_STATUS_H_
#define SHOPSTREAM_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace shopstream {

// The two status types share their codes; these carry code, message and
// payloads across, in the one place that knows both. Payloads travel as the
// details of a google.rpc.Status, the way gRPC clients read them.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Tells the caller when a retry may succeed, as a google.rpc.RetryInfo.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
// The RetryInfo's delay, if the status carries one.
std::optional<absl::Duration> RetryDelayOf(const absl::Status& status);
std::optional<absl::Duration> RetryDelayOf(const grpc::Status& status);

// Carries a whole message beside the error, for callers that want more
// than its text: a failed health check's answer, for one.
absl::Status WithMessageDetail(absl::Status status,
                               const google::protobuf::Message& message);
// The serialized message of type `full_name` ("shopstream.v1.Foo") that
// the status carries, if any.
std::optional<std::string> MessageDetailOf(const grpc::Status& status,
                                           absl::string_view full_name);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_GRPC_STATUS_H_
