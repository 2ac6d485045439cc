#ifndef SHOPSTREAM_COMMON_CALL_MULTIPLEXER_SERVICE_H_
#define SHOPSTREAM_COMMON_CALL_MULTIPLEXER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "common/internal_rpc_auth.h"
#include "common/metrics.h"
#include "shopstream/internal/v1/multiplex.grpc.pb.h"

namespace shopstream {

using CallMetadata = std::map<std::string, std::string>;

// Initial metadata a CallMultiplexer stream opens with.
inline constexpr char kMultiplexerReadyKey[] = "shopstream-multiplexer";

class ResultOutbox;

// Serves unary methods over CallMultiplexer streams: each stream carries
// many calls, answered in whatever order they finish. Each call is counted
// and logged as the server interceptor (common/rpc_observer.h) counts a
// call of its own, under the method it names, so metrics and logs do not
// depend on how a call arrived.
class CallMultiplexerService final
    : public internal::v1::CallMultiplexer::Service {
 public:
  // A stream opens only for a caller `gate` admits: the calls it carries
  // bring their own API keys, but the stream is an internal RPC.
  explicit CallMultiplexerService(InternalRpcGate gate)
      : gate_(std::move(gate)) {}

  // Runs one call; `done` is called exactly once, from any thread.
  using RawMethod = std::function<void(
      const std::string& request, const CallMetadata& metadata,
      std::function<void(const grpc::Status&, std::string response)> done)>;

  // `path` as gRPC names the method: "/shopstream.v1.IngestService/Ingest".
  void AddMethod(std::string path, RawMethod method);

  // The same for a typed handler, which fills `response` and then calls
  // `done` once. `metadata` is the call's own (credentials travel there).
  template <typename Request, typename Response>
  void AddMethod(
      std::string path,
      std::function<void(const Request& request, const CallMetadata& metadata,
                         Response* response,
                         std::function<void(grpc::Status)> done)>
          handler) {
    AddMethod(std::move(path), [handler](const std::string& bytes,
                                         const CallMetadata& metadata,
                                         auto done) {
      auto request = std::make_shared<Request>();
      if (!request->ParseFromString(bytes)) {
        done(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "cannot parse the request"),
             "");
        return;
      }
      auto response = std::make_shared<Response>();
      handler(*request, metadata, response.get(),
              [request, response, done = std::move(done)](grpc::Status status) {
                done(status, status.ok() ? response->SerializeAsString() : "");
              });
    });
  }

  grpc::Status Calls(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<internal::v1::ResultBatch,
                               internal::v1::CallBatch>* stream) override;

  // Ends every open stream as soon as the calls it carries are answered.
  // Callers hold these streams open for good, so a server that is shutting
  // down would otherwise wait out its whole deadline for them. Calls that
  // arrive meanwhile still reach their methods, which should refuse them.
  void Shutdown();

 private:
  struct Method {
    RawMethod run;
    RpcMethodMetrics* metrics;
  };
  const InternalRpcGate gate_;
  absl::flat_hash_map<std::string, Method> methods_;
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<std::shared_ptr<ResultOutbox>> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_CALL_MULTIPLEXER_SERVICE_H_
