#ifndef SHOPSTREAM_COMMON_RPC_OBSERVER_H_
#define SHOPSTREAM_COMMON_RPC_OBSERVER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/metrics.h"

namespace shopstream {

// Whether a finished call is worth a log line: always with --log_requests,
// otherwise only when the server itself failed.
bool ShouldLogRpc(grpc::StatusCode code);

// Counts a finished call in `metrics` and logs it when ShouldLogRpc.
// `request_id` is read only when the line is written.
template <typename RequestIdFn>
void ObserveRpc(RpcMethodMetrics& metrics, const grpc::Status& status,
                absl::Duration elapsed, RequestIdFn request_id);

// Counts and logs every call of the server it is installed on, whatever
// the service or handler style, so no handler repeats that code.
class RpcObserverFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

// ---- implementation ----

void LogRpc(const RpcMethodMetrics& metrics, const grpc::Status& status,
            absl::Duration elapsed, absl::string_view request_id);

template <typename RequestIdFn>
void ObserveRpc(RpcMethodMetrics& metrics, const grpc::Status& status,
                absl::Duration elapsed, RequestIdFn request_id) {
  metrics.Record(status.error_code(), elapsed);
  if (ShouldLogRpc(status.error_code())) {
    LogRpc(metrics, status, elapsed, request_id());
  }
}

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_RPC_OBSERVER_H_
