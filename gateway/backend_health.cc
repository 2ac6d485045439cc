#include "gateway/backend_health.h"

#include "absl/time/clock.h"
#include "common/log.h"

namespace shopstream::gateway {

BackendHealth::BackendHealth(
    std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>>
        backends,
    absl::Duration interval, absl::Duration timeout, const Clock& clock)
    : interval_(interval), timeout_(timeout), clock_(clock) {
  for (auto& [service, channel] : backends) {
    backends_.push_back({service, grpc::health::v1::Health::NewStub(channel)});
  }
  thread_ = std::thread([this] { Loop(); });
}

BackendHealth::~BackendHealth() { Stop(); }

void BackendHealth::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> BackendHealth::NotServing() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> services;
  for (const Backend& backend : backends_) {
    if (!backend.serving) services.push_back(backend.service);
  }
  return services;
}

void BackendHealth::Loop() {
  while (true) {
    for (Backend& backend : backends_) {
      grpc::ClientContext context;
      // gRPC keeps its deadlines on the machine's clock.
      context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
      grpc::health::v1::HealthCheckRequest request;
      request.set_service(backend.service);
      grpc::health::v1::HealthCheckResponse response;
      const grpc::Status status =
          backend.stub->Check(&context, request, &response);
      const bool serving =
          status.ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      absl::MutexLock lock(&mu_);
      if (serving != backend.serving) {
        LogInfo(serving ? "backend ready" : "backend not ready",
                {{"service", backend.service},
                 {"error", status.ok() ? "" : status.error_message()}});
      }
      backend.serving = serving;
    }
    absl::MutexLock lock(&mu_);
    const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_;
    };
    if (clock_.AwaitWithDeadline(mu_, absl::Condition(&stopping),
                                 clock_.Now() + interval_)) {
      return;
    }
  }
}

}  // namespace shopstream::gateway
