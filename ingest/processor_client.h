#ifndef SHOPSTREAM_INGEST_PROCESSOR_CLIENT_H_
#define SHOPSTREAM_INGEST_PROCESSOR_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/event_outcome.h"
#include "shopstream/internal/v1/pipeline.grpc.pb.h"

namespace shopstream {

// Which queue events wait in at the processor: single events (a call per
// event) are committed ahead of bulk ones (batch and stream calls).
enum class EventLane { kSingle, kBulk };

// Something that commits validated events and says what became of each.
// Ingest's handlers talk to this, not to gRPC.
class EventPublisher {
 public:
  using Done = std::function<void(const absl::Status& status,
                                  const EventOutcomes& outcomes)>;
  virtual ~EventPublisher() = default;
  // `done` runs exactly once, on any thread, possibly before Publish returns.
  // `request_id` (may be empty) travels with the events so the processor's
  // log of their commit names it.
  virtual void Publish(std::vector<internal::v1::StoredEvent> events,
                       std::string request_id, EventLane lane, Done done) = 0;
  // Whether Publish can succeed now; health checks report it.
  virtual bool Ready() const = 0;
};

struct ProcessorClientOptions {
  // Events per stream message: what waits while a message is being written
  // goes out together in the next one.
  int max_events_per_message = 2000;
  // When fewer than `linger_submissions` wait and the last message left
  // less than `linger` ago, the sender waits out the rest of `linger`:
  // every message costs thread hand-offs on both ends, and under load a
  // short wait buys far fewer messages.
  int linger_submissions = 64;
  absl::Duration linger = absl::Microseconds(2000);
  // Events taken but not yet acknowledged; past this Publish answers
  // RESOURCE_EXHAUSTED, so memory stays bounded.
  int64_t max_outstanding_events = 100000;
  absl::Duration max_reconnect_pause = absl::Seconds(1);
};

// Keeps one Publish stream open to the processor and multiplexes every
// request over it. When the stream breaks, whatever was unacknowledged is
// answered UNAVAILABLE (the client's retry is deduplicated by event id) and
// the stream is reopened.
class ProcessorClient final : public EventPublisher {
 public:
  ProcessorClient(std::shared_ptr<grpc::Channel> channel,
                  ProcessorClientOptions options = {});
  ~ProcessorClient() override;  // Stop()s

  void Start();
  // Waits up to `grace` for what was taken to be acknowledged, then closes.
  void Stop(absl::Duration grace = absl::Seconds(10));

  void Publish(std::vector<internal::v1::StoredEvent> events,
               std::string request_id, EventLane lane, Done done) override;

  bool Ready() const override;

 private:
  struct Pending {
    std::vector<internal::v1::StoredEvent> events;
    std::string request_id;
    EventLane lane;
    Done done;
  };
  // Keeps outstanding_events_ and its gauge (summed over every client of
  // the process) in step.
  void AddOutstanding(int64_t events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  using Stream = grpc::ClientReaderWriter<internal::v1::PublishRequest,
                                          internal::v1::PublishAck>;

  void ConnectionLoop();
  // Sends until the stream breaks or Stop; returns with nothing in flight.
  void ServeStream(grpc::ClientContext& context, Stream& stream);
  void ReadAcks(Stream* stream);
  void FailInFlight(const absl::Status& status);

  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<internal::v1::EventPipeline::Stub> stub_;
  const ProcessorClientOptions options_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::vector<Pending>> in_flight_
      ABSL_GUARDED_BY(mu_);
  int64_t outstanding_events_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  bool stream_broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_write_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  std::thread connection_thread_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_PROCESSOR_CLIENT_H_
