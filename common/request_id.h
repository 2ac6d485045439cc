#ifndef SHOPSTREAM_COMMON_REQUEST_ID_H_
#define SHOPSTREAM_COMMON_REQUEST_ID_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace shopstream {

// The HTTP header and gRPC metadata key that carries a request's id through
// every service it touches, so their log lines can be joined.
inline constexpr char kRequestIdKey[] = "x-request-id";

// Longer ids are replaced: they end up in every log line.
inline constexpr size_t kMaxRequestIdBytes = 128;

// Whether a caller's id can be used as is: not empty, not too long, and
// printable ASCII (gRPC metadata refuses anything else).
bool IsUsableRequestId(absl::string_view id);

// A fresh id: 32 lower-case hex digits.
std::string NewRequestId();

// The caller's id from gRPC metadata, or empty.
std::string RequestIdOf(const grpc::ServerContextBase& context);
std::string RequestIdOf(const std::map<std::string, std::string>& metadata);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_REQUEST_ID_H_
