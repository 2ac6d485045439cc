#ifndef SHOPSTREAM_BENCH_EVENT_SENDER_H_
#define SHOPSTREAM_BENCH_EVENT_SENDER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "shopstream/v1/event.pb.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace shopstream::bench {

// What became of the events of one call (one RPC, one stream, one HTTP
// request).
struct SendOutcome {
  // Per event: committed, as far as the answer says.
  std::vector<bool> acked;
  // Events the service refused one by one (batch or stream results).
  int64_t rejected = 0;
  // Why the other unacknowledged events failed, e.g. "grpc:UNAVAILABLE" or
  // "http:503"; empty when every event is accounted for.
  std::string error;

  void Reset(size_t events) {
    acked.assign(events, false);
    rejected = 0;
    error.clear();
  }
};

// One client connection's way of delivering events. Each worker thread owns
// one sender; Send blocks until the answer (or a timeout).
class EventSender {
 public:
  virtual ~EventSender() = default;
  virtual void Send(const std::vector<v1::Event>& events,
                    SendOutcome* outcome) = 0;
};

// A connection's way of delivering events without a thread of its own, so
// the load generator's threads do not compete with the services for the
// machine's cores. Send starts one call and returns; `done` runs on the
// sender's io_context once every event of the call is answered (or has
// timed out), never inside Send. One call at a time.
class AsyncEventSender {
 public:
  virtual ~AsyncEventSender() = default;
  // `events` need only live through Send; `outcome` until `done`.
  virtual void Send(const std::vector<v1::Event>& events, SendOutcome* outcome,
                    std::function<void()> done) = 0;
};

enum class Transport { kGrpcUnary, kGrpcBatch, kGrpcStream, kRest };

absl::string_view TransportName(Transport transport);

// Creates the sender of worker `worker`.
using SenderFactory = std::function<std::unique_ptr<EventSender>(int worker)>;
// Creates the sender of worker `worker`, its callbacks running on `io`.
using AsyncSenderFactory = std::function<std::unique_ptr<AsyncEventSender>(
    int worker, boost::asio::io_context& io)>;

// gRPC channels that do not share a TCP connection: one HTTP/2 connection
// for every caller would measure that connection, not the service.
std::vector<std::shared_ptr<grpc::Channel>> MakeIndependentChannels(
    const std::string& target, int count, const std::string& key = "");

// Batch and stream calls, each worker blocking on its call: they carry
// hundreds of events, so a thread per call costs little per event. Workers
// are spread over `channels` round-robin.
SenderFactory GrpcSenderFactory(
    Transport transport, std::vector<std::shared_ptr<grpc::Channel>> channels,
    absl::Duration timeout);

// An event type ingest refuses, which a poisoned batch carries.
inline constexpr char kPoisonEventType[] = "poison";

// IngestBatch calls of which one event each has kPoisonEventType, so that
// ingest refuses that one and stores the others: a shop sending poison. The
// refused event is counted as rejected, the others as usual.
SenderFactory PoisonedBatchSenderFactory(
    std::vector<std::shared_ptr<grpc::Channel>> channels,
    absl::Duration timeout);

// Unary calls, one Ingest per event, on gRPC's callback API; workers are
// spread over `channels` round-robin.
AsyncSenderFactory GrpcUnarySenderFactory(
    std::vector<std::shared_ptr<grpc::Channel>> channels,
    absl::Duration timeout);

// One HTTP/1.1 keep-alive connection per worker to `host_port`, POSTing each
// event to `path` (normally /v1/events).
AsyncSenderFactory RestSenderFactory(std::string host_port, std::string path,
                                     absl::Duration timeout,
                                     std::string key = "");

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_EVENT_SENDER_H_
