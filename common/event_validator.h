#ifndef SHOPSTREAM_COMMON_EVENT_VALIDATOR_H_
#define SHOPSTREAM_COMMON_EVENT_VALIDATOR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/traffic_context.h"
#include "shopstream/internal/v1/pipeline.pb.h"
#include "shopstream/v1/event.pb.h"

namespace shopstream {

// The stored type of an event as the API names it; a name without a type
// is a custom event. INVALID_ARGUMENT naming event_type otherwise.
absl::StatusOr<internal::v1::EventType> EventTypeOf(const v1::Event& event);

// Limits on an event's strings, in bytes.
inline constexpr size_t kMaxIdBytes = 128;
inline constexpr size_t kMaxShopIdBytes = 64;
inline constexpr char kDefaultShopId[] = "default";

// How far from its arrival an event's timestamp may lie. Every month an
// event falls in gets a partition of the events table, so an open range
// would let one client create thousands of them, for every shop to plan
// queries over.
struct EventTimeWindow {
  absl::Duration max_age = absl::Hours(24 * 3650);
  absl::Duration max_ahead = absl::Hours(24);
};

// Turns a client's event into the form it is stored in, or explains, naming
// the field, why it cannot be stored. Fills in defaults: a fresh UUID for a
// missing event_id, "default" for a missing shop_id. Normalises the
// traffic context (common/traffic_context.h); with a `classifier`, the
// browser and OS families come from the event's user_agent.
class EventValidator {
 public:
  explicit EventValidator(EventTimeWindow window = {},
                          const UserAgentClassifier* classifier = nullptr)
      : window_(window), classifier_(classifier) {}

  // As arriving now, on the machine's clock.
  absl::StatusOr<internal::v1::StoredEvent> Validate(
      const v1::Event& event) const {
    return Validate(event, absl::Now());
  }
  // As arriving at `now`.
  absl::StatusOr<internal::v1::StoredEvent> Validate(const v1::Event& event,
                                                     absl::Time now) const;

  // Whether `event`, already in its stored form, holds to the same rules,
  // as arriving at `now`: the processor asks, trusting no sender to have
  // validated. The error names the field.
  absl::Status Check(const internal::v1::StoredEvent& event,
                     absl::Time now) const;

 private:
  absl::Status CheckOccurredAt(int64_t micros, absl::Time now) const;
  // The context and custom fields of `event` into `stored`.
  absl::Status TakeContext(const v1::Event& event,
                           internal::v1::StoredEvent& stored) const;

  EventTimeWindow window_;
  const UserAgentClassifier* classifier_;
};

// At most `max_bytes`, and no NUL (PostgreSQL text cannot hold it, and
// libpq would cut a parameter short at it); the error names `field`.
absl::Status CheckTextField(absl::string_view field, const std::string& value,
                            size_t max_bytes);

// A time-ordered (version 7) UUID in its lower-case text form, made at
// `now`.
std::string NewEventId(absl::Time now);
inline std::string NewEventId() { return NewEventId(absl::Now()); }

// Exact cents for an amount with at most two decimals, as it arrives in a
// double (99.99 is not exact in binary, but is the double nearest 9999/100).
absl::StatusOr<int64_t> AmountToCents(double amount);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_EVENT_VALIDATOR_H_
