#ifndef SHOPSTREAM_COMMON_CALLER_STATUS_H_
#define SHOPSTREAM_COMMON_CALLER_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace shopstream {

// What a caller outside the system is told of a failure. INTERNAL, UNKNOWN,
// UNAVAILABLE and DATA_LOSS carry the words of whatever failed underneath
// (a driver's "connection to server at 10.0.0.5, port 5432 failed", a
// channel's "failed to connect to all addresses"): the caller gets a generic
// message naming the request id instead, and the full message is logged
// under that id. Other codes are the service's own words to the caller (a
// field and what is wrong with it) and pass unchanged. Details, such as a
// retry delay, are kept. An empty `request_id` gets a fresh one.
grpc::Status ForCaller(const grpc::Status& status,
                       absl::string_view request_id);
absl::Status ForCaller(const absl::Status& status,
                       absl::string_view request_id);

// `status` with its message marked as the service's own words, which
// ForCaller passes unchanged whatever the code: for UNAVAILABLE that means
// "this server lacks a feature", not "something below failed". The mark is
// a google.rpc.ErrorInfo of domain "shopstream" and `reason`
// ("PDF_RENDERING_UNAVAILABLE"), so it survives a hop through the gateway
// and clients can read the reason.
absl::Status CallerFacing(absl::Status status, absl::string_view reason);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_CALLER_STATUS_H_
