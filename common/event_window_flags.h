#ifndef SHOPSTREAM_COMMON_EVENT_WINDOW_FLAGS_H_
#define SHOPSTREAM_COMMON_EVENT_WINDOW_FLAGS_H_

#include "common/event_validator.h"

namespace shopstream {

// The window of --max_event_age_days and --max_event_ahead_minutes. Ingest
// and the processor both check events against it, so the flags live here
// once: a processor with a wider window than its ingest would take what
// ingest refuses from anyone who holds the service token.
EventTimeWindow EventTimeWindowFromFlags();

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_EVENT_WINDOW_FLAGS_H_
