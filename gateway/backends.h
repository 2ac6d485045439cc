#ifndef SHOPSTREAM_GATEWAY_BACKENDS_H_
#define SHOPSTREAM_GATEWAY_BACKENDS_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/keepalive.h"
#include "gateway/backend_health.h"
#include "gateway/event_forwarder.h"
#include "gateway/rest_transcoder.h"

namespace shopstream::gateway {

struct BackendOptions {
  // gRPC service full name ("shopstream.v1.IngestService") -> target.
  std::map<std::string, std::string> targets;
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(10);
  // Carry IngestService.Ingest over ingest's EventIngress stream (see
  // event_forwarder.h); false: a unary call per request.
  bool ingest_stream = true;
  // For the channels; null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // Sent on internal RPCs (the EventIngress stream); empty: none (mutual
  // TLS, or the opt-out). See common/internal_rpc_auth.h.
  std::string service_token;
  KeepalivePolicy keepalive;
  // Times the health checks. The calls' deadlines are gRPC's, on the
  // machine's clock.
  const Clock* clock = &Clock::Real();
};

// Who a request comes from, as its backend call carries it on.
struct Caller {
  std::string request_id;
  // "Bearer <key>"; none when the client sent no credential.
  std::optional<std::string> authorization;
  // More metadata: a browser_collect route's page Origin and User-Agent.
  std::vector<std::pair<std::string, std::string>> metadata;

  // As metadata of a call of its own.
  void AddTo(grpc::ClientContext& context) const;
};

// The gRPC side of the gateway: a channel per distinct target, the route's
// method called with the callback API, and the backends' health. Single
// events (IngestService.Ingest) travel on ingest's EventIngress stream
// while it is open; every other call, and those while it is not, is a
// unary call of its own.
class Backends {
 public:
  // Channels for `options.targets`, a stub for every route of `transcoder`.
  static absl::StatusOr<std::unique_ptr<Backends>> Connect(
      BackendOptions options, const RestTranscoder* transcoder);
  ~Backends();  // Stop()s
  Backends(const Backends&) = delete;
  Backends& operator=(const Backends&) = delete;

  // Calls the request's method and turns the outcome into the REST
  // response. `done` runs exactly once, on a gRPC thread or (when the call
  // cannot be made) before Call returns.
  using Done = absl::AnyInvocable<void(RestResponse)>;
  // True when the call waits on ingest's stream for FlushIngestStream:
  // the caller flushes once for every call it makes in a row.
  bool Call(BackendRequest request, Caller caller, Done done);
  void FlushIngestStream() {
    if (forwarder_ != nullptr) forwarder_->Flush();
  }

  // For streaming routes.
  grpc::GenericStub* StubFor(const Route* route) const {
    return stubs_by_route_.at(route);
  }
  // Backend services whose health is not SERVING.
  std::vector<std::string> NotServing() const { return health_->NotServing(); }
  // Whether single events go on ingest's stream now.
  bool IngestStreamReady() const {
    return forwarder_ != nullptr && forwarder_->Ready();
  }

  // Closes the event stream (what it carries is answered UNAVAILABLE) and
  // stops the health checks. Idempotent.
  void Stop();

 private:
  Backends(BackendOptions options, const RestTranscoder* transcoder)
      : options_(std::move(options)), transcoder_(transcoder) {}

  void CallUnary(BackendRequest request, const Caller& caller, Done done);

  const BackendOptions options_;
  const RestTranscoder* const transcoder_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  absl::flat_hash_map<const Route*, grpc::GenericStub*> stubs_by_route_;
  // The route whose calls go on the stream, and the stream.
  const Route* ingest_route_ = nullptr;
  std::unique_ptr<EventForwarder> forwarder_;
  std::unique_ptr<BackendHealth> health_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_BACKENDS_H_
