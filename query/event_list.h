#ifndef SHOPSTREAM_QUERY_EVENT_LIST_H_
#define SHOPSTREAM_QUERY_EVENT_LIST_H_

#include "absl/status/statusor.h"
#include "shopstream/v1/analytics.pb.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

// ListEvents: stored events of a shop newest first, from raw events (index
// (shop_id, occurred_at)), in pages keyed by the last event's time and id so
// that new events do not shift them.
class EventList {
 public:
  explicit EventList(PgConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest& request) const;

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_EVENT_LIST_H_
