#ifndef SHOPSTREAM_COMMON_DEPENDENCY_HEALTH_H_
#define SHOPSTREAM_COMMON_DEPENDENCY_HEALTH_H_

#include <grpcpp/support/status.h>

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "shopstream/v1/ingest.pb.h"

namespace shopstream {

// A dependency's name ("postgres") and whether it is up.
using DependencyStates = std::vector<std::pair<std::string, bool>>;

// The answer of a service's Health call from the states of what it needs:
// "healthy" and OK when every one is up, else "unhealthy" and UNAVAILABLE
// naming those that are down. Either way the response lists each state
// ("up" or "down"); on failure it also travels in the status's details, so
// that the gateway can send it as the body of its 503.
grpc::Status HealthAnswer(const DependencyStates& states,
                          v1::HealthResponse* response);

// Checks what a service needs (its database, say) on a thread of its own
// every `interval` of `clock`, so that a health answer costs a lookup however
// often it is asked, and a dependency that hangs does not hold it. Changes are
// logged with the failed check's error. Thread-safe.
class DependencyHealth {
 public:
  struct Dependency {
    std::string name;
    std::function<absl::Status()> check;
  };

  explicit DependencyHealth(std::vector<Dependency> dependencies,
                            absl::Duration interval = absl::Milliseconds(500),
                            const Clock& clock = Clock::Real());
  ~DependencyHealth();  // stops checking
  DependencyHealth(const DependencyHealth&) = delete;
  DependencyHealth& operator=(const DependencyHealth&) = delete;

  // In the order given; one not checked yet is down.
  DependencyStates States() const;

 private:
  void Loop();

  const std::vector<Dependency> dependencies_;
  const absl::Duration interval_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  DependencyStates states_ ABSL_GUARDED_BY(mu_);
  bool checked_once_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_DEPENDENCY_HEALTH_H_
