#ifndef SHOPSTREAM_INGEST_PROCESSOR_POOL_H_
#define SHOPSTREAM_INGEST_PROCESSOR_POOL_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ingest/event_publisher.h"

namespace shopstream {

// Spreads publishes over several processors and steps around the ones that
// are down: each request goes to the next processor, in turn, whose stream
// is open. With none open the answer is UNAVAILABLE at once.
class ProcessorPool final : public EventPublisher {
 public:
  explicit ProcessorPool(std::vector<std::unique_ptr<EventPublisher>> members)
      : members_(std::move(members)) {}

  void Publish(std::vector<internal::v1::StoredEvent> events,
               std::string request_id, EventLane lane, Done done) override;
  bool Ready() const override;

 private:
  std::vector<std::unique_ptr<EventPublisher>> members_;
  std::atomic<uint64_t> next_{0};
};

// Processor addresses from a comma-separated flag value.
std::vector<std::string> SplitTargets(const std::string& targets);

}  // namespace shopstream

#endif  // SHOPSTREAM_INGEST_PROCESSOR_POOL_H_
