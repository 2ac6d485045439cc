#include "common/rpc_observer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/request_id.h"

namespace shopstream {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RpcObserver final : public grpc::experimental::Interceptor {
 public:
  explicit RpcObserver(grpc::experimental::ServerRpcInfo* info)
      : info_(info),
        metrics_(RpcMetricsFor(info->method() != nullptr ? info->method()
                                                         : "/unknown/unknown")),
        // A latency for the metrics: the machine's clock, not a Clock.
        started_(absl::Now()) {}

  // A call the client cancelled never sends a status. The call's context
  // is being destroyed by now, so its request id is not read.
  ~RpcObserver() override {
    if (observed_) return;
    ObserveRpc(metrics_, grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"),
               absl::Now() - started_, [] { return std::string(); });
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Observe(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Observe(const grpc::Status& status) {
    observed_ = true;
    ObserveRpc(metrics_, status, absl::Now() - started_,
               [this] { return RequestIdOf(*info_->server_context()); });
  }

  grpc::experimental::ServerRpcInfo* const info_;
  RpcMethodMetrics& metrics_;
  const absl::Time started_;
  bool observed_ = false;
};

}  // namespace

bool ShouldLogRpc(grpc::StatusCode code) {
  return LogRequests() || code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS;
}

void LogRpc(const RpcMethodMetrics& metrics, const grpc::Status& status,
            absl::Duration elapsed, absl::string_view request_id) {
  LogFields fields = {
      {"request_id", std::string(request_id)},
      {"rpc", metrics.path()},
      {"code", absl::StrCat(status.error_code())},
      {"duration_ms", absl::StrCat(absl::ToDoubleMilliseconds(elapsed))}};
  if (!status.ok()) fields.emplace_back("error", status.error_message());
  Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "rpc", fields);
}

grpc::experimental::Interceptor* RpcObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new RpcObserver(info);
}

}  // namespace shopstream
