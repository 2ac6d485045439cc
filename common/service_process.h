#ifndef SHOPSTREAM_COMMON_SERVICE_PROCESS_H_
#define SHOPSTREAM_COMMON_SERVICE_PROCESS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace shopstream {

// What every shopstream binary does first thing in main, before any thread
// starts: termination signals go to WaitForTerminationSignal, logs carry the
// service's name, and Abseil's mutex deadlock detection is off.
//
// Debian's Abseil is built with deadlock detection on; it records a graph
// node per mutex and a stack per lock, and gRPC locks absl::Mutex many
// times per call. It showed as a tenth of the gateway's CPU under load.
void InitServiceProcess(absl::string_view service_name);

// Starts a gRPC server on `address` with `services`, the standard health
// service, server reflection, and the interceptor that counts and logs every
// call (common/rpc_observer.h); logs that it serves; null (logged) when it
// cannot listen.
std::unique_ptr<grpc::Server> StartGrpcServer(
    const std::string& address, const std::vector<grpc::Service*>& services);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_SERVICE_PROCESS_H_
