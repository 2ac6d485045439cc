#ifndef SHOPSTREAM_GATEWAY_EVENT_FORWARDER_H_
#define SHOPSTREAM_GATEWAY_EVENT_FORWARDER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rpc_stream/stream_client.h"
#include "shopstream/internal/v1/ingress.grpc.pb.h"
#include "shopstream/v1/ingest.pb.h"

namespace shopstream::gateway {

// IngestService.Ingest calls as items of ingest's EventIngress stream (see
// proto/shopstream/internal/v1/ingress.proto).
struct ForwardTraits {
  using Service = internal::v1::EventIngress;
  using Request = internal::v1::ForwardRequest;
  using Response = internal::v1::ForwardResponse;
  struct Item {
    v1::IngestRequest request;
    std::optional<std::string> authorization;
    std::string request_id;
  };
  using Result = v1::IngestResponse;
  struct Receipt {};
  static constexpr bool kAnswersWholeMessages = false;

  static void StartCall(Service::Stub& stub, grpc::ClientContext* context,
                        grpc::ClientBidiReactor<Request, Response>* reactor) {
    stub.async()->Forward(context, reactor);
  }
  static int64_t Weight(const Item&) { return 1; }
  static int MessageClass(const Item&) { return 0; }
  static Receipt Pack(uint64_t id, Item&& item, Request& request);
  static void Seal(uint64_t, Request&) {}
  template <typename F>
  static void ForEachResult(Response& response, F&& f) {
    for (internal::v1::ForwardResult& result : *response.mutable_results()) {
      f(result.id(), ResultOf(result));
    }
  }
  static absl::StatusOr<Result> ResultOf(internal::v1::ForwardResult& result);
};

// Carries the gateway's single events to ingest over one long-lived
// stream, many to a message. While no stream is open (ingest down or
// starting, or refusing the service token) Ready() is false and callers
// make plain unary calls instead.
class EventForwarder {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<v1::IngestResponse>)>;

  EventForwarder(std::shared_ptr<grpc::Channel> channel,
                 rpc_stream::StreamClientOptions options)
      : client_(std::move(channel), std::move(options)) {}

  void Start() { client_.Start(); }
  // Answers what is outstanding UNAVAILABLE and closes the stream.
  void Stop() { client_.Stop(); }
  bool Ready() const { return client_.Ready(); }

  // `done` runs exactly once, on a gRPC thread or (when refused) before
  // Forward returns: with ingest's answer, or as StreamClient says.
  // With `write` false the event waits for Flush (or the next write).
  void Forward(v1::IngestRequest request,
               std::optional<std::string> authorization, std::string request_id,
               absl::Time deadline, Done done, bool write = true) {
    client_.Submit(
        {std::move(request), std::move(authorization), std::move(request_id)},
        deadline, std::move(done), write);
  }
  void Flush() { client_.Flush(); }

 private:
  rpc_stream::StreamClient<ForwardTraits> client_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_EVENT_FORWARDER_H_
