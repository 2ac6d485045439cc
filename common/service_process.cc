#include "common/service_process.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "common/keepalive.h"
#include "common/log.h"
#include "common/rpc_observer.h"
#include "common/termination.h"
#include "common/tls_credentials.h"

ABSL_FLAG(int, grpc_max_concurrent_streams, 1000,
          "Concurrent calls (HTTP/2 streams) per client connection.");
ABSL_FLAG(int, grpc_max_message_bytes, 4 << 20,
          "Largest request message a gRPC server accepts.");

namespace shopstream {

void InitServiceProcess(absl::string_view service_name) {
  BlockTerminationSignals();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  SetLogService(service_name);
}

std::unique_ptr<grpc::Server> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      GrpcServerCredentials();
  if (!credentials.ok()) {
    LogError("cannot listen",
             {{"address", address},
              {"error", std::string(credentials.status().message())}});
    return nullptr;
  }
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             absl::GetFlag(FLAGS_grpc_max_concurrent_streams));
  builder.SetMaxReceiveMessageSize(absl::GetFlag(FLAGS_grpc_max_message_bytes));
  AllowClientKeepalive(builder);
  builder.AddListeningPort(address, *credentials);
  for (grpc::Service* service : services) builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<RpcObserverFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    LogError("cannot listen", {{"address", address}});
  } else {
    LogInfo("serving", {{"address", address}});
  }
  return server;
}

}  // namespace shopstream
