#ifndef SHOPSTREAM_COMMON_GRPC_STATUS_H_
#define SHOPSTREAM_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace shopstream {

// The two status types share their codes; these carry code and message
// across, in the one place that knows both.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_GRPC_STATUS_H_
