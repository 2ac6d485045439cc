#ifndef SHOPSTREAM_GATEWAY_EVENT_STREAM_H_
#define SHOPSTREAM_GATEWAY_EVENT_STREAM_H_

#include <string>

#include "absl/strings/string_view.h"

namespace shopstream::gateway {

// Server-Sent Events framing (the WHATWG HTML "text/event-stream" format),
// which is how server-streaming methods reach browsers' EventSource.

inline constexpr char kEventStreamContentType[] = "text/event-stream";

// A comment line: ignored by clients, keeps proxies from timing out an idle
// stream.
inline constexpr char kEventStreamKeepAlive[] = ": keep-alive\n\n";

// One event: an "event:" line unless `event` is empty, then a "data:" line
// per line of `data`, then the blank line that dispatches it.
std::string EventStreamEvent(absl::string_view event, absl::string_view data);

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_EVENT_STREAM_H_
