#ifndef SHOPSTREAM_INGEST_PROCESSOR_CLIENT_H_
#define SHOPSTREAM_INGEST_PROCESSOR_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/event_outcome.h"
#include "ingest/event_publisher.h"
#include "rpc_stream/stream_client.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"

namespace shopstream {

// Publishes as messages of the processor's EventPipeline.Publish stream:
// one lane per message, one ack per message with a fate per event.
struct PublishTraits {
  using Service = internal::v1::EventPipeline;
  using Request = internal::v1::PublishRequest;
  using Response = internal::v1::PublishAck;
  struct Item {
    std::vector<internal::v1::StoredEvent> events;
    std::string request_id;
    EventLane lane = EventLane::kSingle;
  };
  using Result = EventOutcomes;
  // Where the item's events are in the message, and so their fates in the
  // ack.
  struct Receipt {
    int offset = 0;
    int count = 0;
  };
  static constexpr bool kAnswersWholeMessages = true;

  static void StartCall(Service::Stub& stub, grpc::ClientContext* context,
                        grpc::ClientBidiReactor<Request, Response>* reactor) {
    stub.async()->Publish(context, reactor);
  }
  static int64_t Weight(const Item& item) {
    return static_cast<int64_t>(item.events.size());
  }
  // The processor queues each lane on its own.
  static int MessageClass(const Item& item) {
    return static_cast<int>(item.lane);
  }
  static Receipt Pack(uint64_t id, Item&& item, Request& request);
  static void Seal(uint64_t sequence, Request& request) {
    request.set_sequence(sequence);
  }
  static uint64_t AnsweredMessage(const Response& ack) {
    return ack.sequence();
  }
  static absl::StatusOr<Result> ResultOf(const Response& ack,
                                         const Receipt& receipt);
};

struct ProcessorClientOptions {
  // Names the processor in logs and errors.
  std::string name = "processor";
  // Events per stream message: what waits while a message is being written
  // goes out together in the next one.
  int max_events_per_message = 2000;
  // Events taken but not yet acknowledged; past this Publish answers
  // RESOURCE_EXHAUSTED, so memory stays bounded.
  int64_t max_outstanding_events = 100000;
  absl::Duration max_reconnect_pause = absl::Seconds(1);
  // Messages of a lane sent and not yet acknowledged (see
  // StreamClientOptions::max_unanswered_messages). One: the next message of
  // a lane leaves when the last one's batch is committed, with everything
  // that came meanwhile. Measured against no window (only one write at a
  // time), REST at 64 connections cost ingest about half the CPU per event
  // and the processor a third, with a message per commit instead of one or
  // two events each; two in flight cost more again.
  int max_unacknowledged_messages = 1;
};

// Keeps one Publish stream open to the processor and sends every request
// over it. When the stream breaks, whatever was unacknowledged is answered
// UNAVAILABLE (the client's retry is deduplicated by event id) and the
// stream is reopened.
class ProcessorClient final : public EventPublisher {
 public:
  ProcessorClient(std::shared_ptr<grpc::Channel> channel,
                  ProcessorClientOptions options = {});

  void Start() { stream_.Start(); }
  // Waits up to `grace` for what was taken to be acknowledged, then closes.
  void Stop(absl::Duration grace = absl::Seconds(10)) { stream_.Stop(grace); }

  void Publish(std::vector<internal::v1::StoredEvent> events,
               std::string request_id, EventLane lane, Done done) override;

  bool Ready() const override { return stream_.Ready(); }

 private:
  rpc_stream::StreamClient<PublishTraits> stream_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_PROCESSOR_CLIENT_H_
