// shopstream-health-probe: the container health check of the shopstream
// images. Debian has no gRPC health probe and the runtime image has no curl;
// exit status 0 means healthy.
//   shopstream-health-probe --grpc=127.0.0.1:50051
//   shopstream-health-probe --http_get=127.0.0.1:8080/readyz
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "probe/health_probe.h"

ABSL_FLAG(std::string, grpc, "", "host:port of a gRPC server to ask.");
ABSL_FLAG(std::string, grpc_service, "",
          "Service name to ask about; empty means the whole server.");
ABSL_FLAG(std::string, http_get, "", "host:port/path to GET instead.");
ABSL_FLAG(int, timeout_ms, 2000, "Deadline of the check.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string grpc_target = absl::GetFlag(FLAGS_grpc);
  const std::string http_get = absl::GetFlag(FLAGS_http_get);
  if (grpc_target.empty() == http_get.empty()) {
    std::fprintf(stderr, "give exactly one of --grpc and --http_get\n");
    return 2;
  }
  const absl::Duration timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  const absl::Status status =
      grpc_target.empty()
          ? shopstream::probe::CheckHttpGet(http_get, timeout)
          : shopstream::probe::CheckGrpcHealth(
                grpc_target, absl::GetFlag(FLAGS_grpc_service), timeout);
  if (!status.ok()) {
    std::fprintf(stderr, "unhealthy: %s\n",
                 std::string(status.message()).c_str());
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}
