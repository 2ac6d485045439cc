#ifndef SHOPSTREAM_PROBE_HEALTH_PROBE_H_
#define SHOPSTREAM_PROBE_HEALTH_PROBE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace shopstream::probe {

// Asks grpc.health.v1.Health/Check of `target` (host:port) about `service`
// ("" is the whole server). OK only for SERVING; UNAVAILABLE names the
// status or the call's error otherwise.
absl::Status CheckGrpcHealth(const std::string& target,
                             const std::string& service,
                             absl::Duration timeout);

// GET `http://host:port/path` given as `host:port/path`; OK only for a 2xx
// answer.
absl::Status CheckHttpGet(const std::string& host_port_path,
                          absl::Duration timeout);

}  // namespace shopstream::probe

#endif  // SHOPSTREAM_PROBE_HEALTH_PROBE_H_
