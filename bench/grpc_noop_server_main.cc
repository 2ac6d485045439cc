// shopstream-bench-grpc-noop: the unary gRPC ceiling of make bench. It
// answers IngestService.Ingest with an empty OK at once, on gRPC's callback
// API as ingest does, so that the benchmark's load generator, driving it
// exactly as it drives ingest, measures what gRPC and the client alone take
// on this machine. Runs until SIGTERM or SIGINT.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/keepalive.h"
#include "common/termination.h"
#include "shopstream/v1/ingest.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50061", "Where to listen.");

namespace {

class NoopIngestService final
    : public shopstream::v1::IngestService::CallbackService {
  grpc::ServerUnaryReactor* Ingest(
      grpc::CallbackServerContext* context,
      const shopstream::v1::IngestRequest* /*request*/,
      shopstream::v1::IngestResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

}  // namespace

int main(int argc, char** argv) {
  shopstream::BlockTerminationSignals();
  absl::ParseCommandLine(argc, argv);
  NoopIngestService service;
  grpc::ServerBuilder builder;
  // The load generator's channels may ping as they do ingest's.
  shopstream::AllowClientKeepalive(builder);
  builder.AddListeningPort(absl::GetFlag(FLAGS_address),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::fprintf(stderr, "cannot listen on %s\n",
                 absl::GetFlag(FLAGS_address).c_str());
    return 1;
  }
  shopstream::WaitForTerminationSignal();
  server->Shutdown();
  return 0;
}
