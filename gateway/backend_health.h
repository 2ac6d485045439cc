#ifndef SHOPSTREAM_GATEWAY_BACKEND_HEALTH_H_
#define SHOPSTREAM_GATEWAY_BACKEND_HEALTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace shopstream::gateway {

// What the gateway's /readyz answers from: every `interval` of `clock` it
// asks each
// backend's standard health service (grpc.health.v1.Health/Check) about
// the service the gateway calls there, off the request path, so a
// readiness probe costs no backend call.
class BackendHealth {
 public:
  // `backends`: gRPC service full name and the channel it is served on.
  BackendHealth(
      std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>>
          backends,
      absl::Duration interval = absl::Milliseconds(500),
      absl::Duration timeout = absl::Seconds(1),
      const Clock& clock = Clock::Real());
  ~BackendHealth();  // Stop()s
  BackendHealth(const BackendHealth&) = delete;
  BackendHealth& operator=(const BackendHealth&) = delete;

  // The services whose last check did not answer SERVING (all of them
  // before the first check); empty when every backend is ready.
  std::vector<std::string> NotServing() const;

  void Stop();

 private:
  struct Backend {
    std::string service;
    std::unique_ptr<grpc::health::v1::Health::Stub> stub;
    bool serving = false;
  };

  void Loop();

  const absl::Duration interval_;
  const absl::Duration timeout_;
  const Clock& clock_;
  std::vector<Backend> backends_;  // `serving` guarded by mu_
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_BACKEND_HEALTH_H_
