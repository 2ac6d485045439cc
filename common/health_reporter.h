#ifndef SHOPSTREAM_COMMON_HEALTH_REPORTER_H_
#define SHOPSTREAM_COMMON_HEALTH_REPORTER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace shopstream {

// Keeps the standard gRPC health service (grpc.health.v1.Health) of a server
// truthful: every `interval` of `clock` it asks `check` whether the
// dependencies the process needs are reachable, and reports SERVING or
// NOT_SERVING for the server as a whole ("") and for each of `services`.
// Changes are logged and mirrored in the shopstream_serving gauge.
class HealthReporter {
 public:
  using Check = std::function<absl::Status()>;

  HealthReporter(grpc::Server* server, std::vector<std::string> services,
                 Check check, absl::Duration interval = absl::Milliseconds(500),
                 const Clock& clock = Clock::Real());
  ~HealthReporter();  // stops polling
  HealthReporter(const HealthReporter&) = delete;
  HealthReporter& operator=(const HealthReporter&) = delete;

 private:
  void Loop();
  void Report(bool serving);

  grpc::HealthCheckServiceInterface* const health_;
  const std::vector<std::string> services_;
  const Check check_;
  const absl::Duration interval_;
  const Clock& clock_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int reported_ = -1;  // -1 nothing yet, else the last `serving`
  std::thread thread_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_HEALTH_REPORTER_H_
