#ifndef SHOPSTREAM_PROBE_HEALTH_PROBE_H_
#define SHOPSTREAM_PROBE_HEALTH_PROBE_H_

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace shopstream::probe {

// How the probe talks to a gRPC server: plaintext by default. A TLS server
// is usually probed at 127.0.0.1 while its certificate names the Service
// (shopstream-ingest), so `tls_server_name` is the name to verify instead.
struct GrpcProbeOptions {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string tls_server_name;
};

// Asks grpc.health.v1.Health/Check of `target` (host:port) about `service`
// ("" is the whole server). OK only for SERVING; UNAVAILABLE names the
// status or the call's error otherwise.
absl::Status CheckGrpcHealth(const std::string& target,
                             const std::string& service, absl::Duration timeout,
                             const GrpcProbeOptions& options = {});

// GET `http://host:port/path` given as `host:port/path`; OK only for a 2xx
// answer.
absl::Status CheckHttpGet(const std::string& host_port_path,
                          absl::Duration timeout);

}  // namespace shopstream::probe

#endif  // SHOPSTREAM_PROBE_HEALTH_PROBE_H_
