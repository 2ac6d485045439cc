#ifndef SHOPSTREAM_COMMON_EVENT_OUTCOME_H_
#define SHOPSTREAM_COMMON_EVENT_OUTCOME_H_

#include <string>
#include <vector>

namespace shopstream {

// What became of one event of a committed publish.
enum class EventFate {
  kStored,
  // Its (shop_id, event_id) was stored before; it was not counted again.
  kDuplicate,
  // PostgreSQL refused its content; it is kept in dead_letter_events for
  // operators and counted nowhere.
  kDeadLettered,
  // The processor's validation refused it; nothing was stored.
  kRefused,
};

struct EventOutcome {
  EventFate fate = EventFate::kStored;
  std::string reason;  // why it was dead-lettered or refused
};

using EventOutcomes = std::vector<EventOutcome>;

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_EVENT_OUTCOME_H_
