#include "common/health_reporter.h"

#include <grpcpp/health_check_service_interface.h>

#include "common/log.h"
#include "common/metrics.h"

namespace shopstream {

HealthReporter::HealthReporter(grpc::Server* server,
                               std::vector<std::string> services, Check check,
                               absl::Duration interval, const Clock& clock)
    : health_(server->GetHealthCheckService()),
      services_(std::move(services)),
      check_(std::move(check)),
      interval_(interval),
      clock_(clock) {
  thread_ = std::thread([this] { Loop(); });
}

HealthReporter::~HealthReporter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void HealthReporter::Loop() {
  while (true) {
    const absl::Status status = check_();
    if (status.ok() != (reported_ == 1)) {
      if (status.ok()) {
        LogInfo("serving");
      } else {
        LogWarning("not serving", {{"error", std::string(status.message())}});
      }
    }
    Report(status.ok());
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

void HealthReporter::Report(bool serving) {
  if (reported_ == (serving ? 1 : 0)) return;
  reported_ = serving ? 1 : 0;
  ServingGauge().Set(serving ? 1 : 0);
  if (health_ == nullptr) return;
  health_->SetServingStatus("", serving);
  for (const std::string& service : services_) {
    health_->SetServingStatus(service, serving);
  }
}

}  // namespace shopstream
