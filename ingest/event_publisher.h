#ifndef SHOPSTREAM_INGEST_EVENT_PUBLISHER_H_
#define SHOPSTREAM_INGEST_EVENT_PUBLISHER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/event_outcome.h"
#include "shopstream/internal/v1/pipeline.pb.h"

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

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_EVENT_PUBLISHER_H_
