#ifndef SHOPSTREAM_GATEWAY_HTTP_STATUS_H_
#define SHOPSTREAM_GATEWAY_HTTP_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace shopstream::gateway {

// The HTTP status a REST client gets for a gRPC outcome: OK is the route's
// `success_http_code`; codes without a closer HTTP meaning are 500.
int HttpStatusForGrpcCode(grpc::StatusCode code, int success_http_code = 200);

// The same mapping for the gateway's own absl::Status errors (whose codes
// are numbered like gRPC's).
int HttpStatusForStatusCode(absl::StatusCode code, int success_http_code = 200);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_HTTP_STATUS_H_
