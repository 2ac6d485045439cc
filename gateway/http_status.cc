#include "gateway/http_status.h"

namespace shopstream::gateway {

int HttpStatusForGrpcCode(grpc::StatusCode code, int success_http_code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return success_http_code;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    // The request is sound but the state refuses it (a dead letter already
    // replayed): a retry as it is will not help.
    case grpc::StatusCode::FAILED_PRECONDITION:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    // A method declared in the API that this backend does not implement
    // yet: clients can tell "not here" from "broken".
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

int HttpStatusForStatusCode(absl::StatusCode code, int success_http_code) {
  return HttpStatusForGrpcCode(static_cast<grpc::StatusCode>(code),
                               success_http_code);
}

}  // namespace shopstream::gateway
