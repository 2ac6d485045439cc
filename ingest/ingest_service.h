#ifndef SHOPSTREAM_INGEST_INGEST_SERVICE_H_
#define SHOPSTREAM_INGEST_INGEST_SERVICE_H_

#include <atomic>
#include <optional>
#include <string>

#include "auth/request_authorizer.h"
#include "common/clock.h"
#include "common/dependency_health.h"
#include "common/event_validator.h"
#include "ingest/event_publisher.h"
#include "shopstream/v1/ingest.grpc.pb.h"

namespace shopstream {

inline constexpr int kMaxEventsPerBatch = 1000;
// A page queues little: what it sends at once stays small.
inline constexpr int kMaxEventsPerCollect = 50;

// What a browser_collect call carries besides its key (see
// gateway/browser_collect.h): the page's Origin and User-Agent.
struct PageContext {
  std::optional<std::string> origin;
  std::string user_agent;
};

// What ingest does with a call, however it arrived (a gRPC call of its own,
// or an item of the gateway's EventIngress stream): validate, publish, and
// answer through `done` only after the publisher has committed the events.
//
// With an authorizer, every call but Health needs a write key, and events
// are stored under the key's shop: an event naming no shop gets it, an
// event naming another shop is refused (PERMISSION_DENIED for Ingest and
// IngestBatch, a rejected event in StreamEvents).
class IngestHandler {
 public:
  using Done = std::function<void(grpc::Status)>;
  using Authorization = std::optional<std::string>;

  // A null authorizer means authentication is off. `dependencies`, when
  // set, are reported by Health beside the processor (PostgreSQL, which
  // holds the API keys and where the events go). A `classifier` (which
  // must outlive the handler) gives events with a user_agent their
  // browser and OS families; without one they keep neither. Events arrive
  // at `clock`'s now: it checks their time window and stamps collected ones.
  explicit IngestHandler(EventPublisher* publisher,
                         const auth::RequestAuthorizer* authorizer = nullptr,
                         EventTimeWindow window = {},
                         const DependencyHealth* dependencies = nullptr,
                         const UserAgentClassifier* classifier = nullptr,
                         const Clock& clock = Clock::Real())
      : publisher_(publisher),
        authorizer_(authorizer),
        validator_(window, classifier),
        dependencies_(dependencies),
        clock_(clock) {}

  // `authorization` is the call's "authorization" metadata; `request_id`
  // the caller's x-request-id (or empty), which travels with the events to
  // the processor. Failures from below (the processor, PostgreSQL) reach
  // the caller as a generic message with the request id (see
  // common/caller_status.h).
  void Ingest(const v1::IngestRequest& request,
              const Authorization& authorization, std::string request_id,
              v1::IngestResponse* response, Done done);
  void IngestBatch(const v1::IngestBatchRequest& request,
                   const Authorization& authorization, std::string request_id,
                   v1::IngestBatchResponse* response, Done done);
  // Events from a shop's page with a collect key bound to `page.origin`.
  // Each event's time is now (visitors' clocks are not trusted), its
  // user_agent the page's, its shop the key's. Valid events are stored
  // even when others are rejected.
  void Collect(const v1::CollectRequest& request,
               const Authorization& authorization, const PageContext& page,
               std::string request_id, v1::CollectResponse* response,
               Done done);
  // Healthy when events can be taken now: the processor is reachable and
  // every dependency is up; UNAVAILABLE naming what is down (see
  // common/dependency_health.h).
  grpc::Status Health(v1::HealthResponse* response) const;

  // Publishes valid events and counts what became of each in
  // shopstream_events_total.
  void Publish(std::vector<internal::v1::StoredEvent> events,
               std::string request_id, EventLane lane,
               EventPublisher::Done done);
  // Counts an event that failed validation.
  static void CountRejected(const v1::Event& event);
  // On shutdown: new calls are answered UNAVAILABLE (so callers retry
  // elsewhere or later) and health turns unhealthy; calls already taken
  // finish. The gRPC server refuses new calls by itself, but items on the
  // gateway's open streams reach the handler.
  void StopTaking() { taking_ = false; }

  EventPublisher* publisher() const { return publisher_; }
  const EventValidator& validator() const { return validator_; }
  const Clock& clock() const { return clock_; }
  // The shop a write call acts for ("" when authentication is off).
  absl::StatusOr<std::string> Authorize(const Authorization& authorization,
                                        absl::string_view requested_shop,
                                        double cost) const;

 private:
  EventPublisher* publisher_;
  const auth::RequestAuthorizer* authorizer_;
  EventValidator validator_;
  const DependencyHealth* dependencies_;
  const Clock& clock_;
  std::atomic<bool> taking_{true};
};

// The gRPC face of IngestHandler. Callback handlers: no thread waits while
// an event is being committed.
class IngestService final : public v1::IngestService::CallbackService {
 public:
  explicit IngestService(IngestHandler* handler) : handler_(handler) {}

  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* context,
                                   const v1::IngestRequest* request,
                                   v1::IngestResponse* response) override;
  grpc::ServerUnaryReactor* IngestBatch(
      grpc::CallbackServerContext* context,
      const v1::IngestBatchRequest* request,
      v1::IngestBatchResponse* response) override;
  grpc::ServerReadReactor<v1::Event>* StreamEvents(
      grpc::CallbackServerContext* context,
      v1::StreamEventsResponse* response) override;
  grpc::ServerUnaryReactor* Collect(grpc::CallbackServerContext* context,
                                    const v1::CollectRequest* request,
                                    v1::CollectResponse* response) override;
  grpc::ServerUnaryReactor* Health(grpc::CallbackServerContext* context,
                                   const v1::HealthRequest* request,
                                   v1::HealthResponse* response) override;

 private:
  IngestHandler* handler_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_INGEST_SERVICE_H_
