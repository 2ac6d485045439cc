// shopstream-health-probe: the container health check of the shopstream
// images. Debian has no gRPC health probe and the runtime image has no curl;
// exit status 0 means healthy.
//   shopstream-health-probe --grpc=127.0.0.1:50051
//   shopstream-health-probe --http_get=127.0.0.1:8080/readyz
// Like the services it reads SHOPSTREAM_<FLAG> variables, so inside a
// service's container it takes that service's client TLS settings
// (SHOPSTREAM_TLS_CA_FILE, SHOPSTREAM_TLS_CLIENT_CERT_FILE, ...) unchanged.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "common/flags.h"
#include "common/tls_credentials.h"
#include "probe/health_probe.h"

ABSL_FLAG(std::string, grpc, "", "host:port of a gRPC server to ask.");
ABSL_FLAG(std::string, grpc_service, "",
          "Service name to ask about; empty means the whole server.");
ABSL_FLAG(std::string, http_get, "", "host:port/path to GET instead.");
ABSL_FLAG(int, timeout_ms, 2000, "Deadline of the check.");
ABSL_FLAG(std::string, tls_server_name, "",
          "With --tls_ca_file: the name the server's certificate must carry, "
          "when it is not the host of --grpc (say 127.0.0.1).");

int main(int argc, char** argv) {
  shopstream::ParseFlagsAndEnvironment(argc, argv);
  const std::string grpc_target = absl::GetFlag(FLAGS_grpc);
  const std::string http_get = absl::GetFlag(FLAGS_http_get);
  if (grpc_target.empty() == http_get.empty()) {
    std::fprintf(stderr, "give exactly one of --grpc and --http_get\n");
    return 2;
  }
  const absl::Duration timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  absl::Status status;
  if (grpc_target.empty()) {
    status = shopstream::probe::CheckHttpGet(http_get, timeout);
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
        shopstream::GrpcChannelCredentials();
    status =
        credentials.ok()
            ? shopstream::probe::CheckGrpcHealth(
                  grpc_target, absl::GetFlag(FLAGS_grpc_service), timeout,
                  {.credentials = *credentials,
                   .tls_server_name = absl::GetFlag(FLAGS_tls_server_name)})
            : credentials.status();
  }
  if (!status.ok()) {
    std::fprintf(stderr, "unhealthy: %s\n",
                 std::string(status.message()).c_str());
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
