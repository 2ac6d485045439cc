#ifndef SHOPSTREAM_STORAGE_PG_CONNINFO_H_
#define SHOPSTREAM_STORAGE_PG_CONNINFO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace shopstream {

// `conninfo` (keyword=value pairs or a postgresql:// URI) with network
// time limits added where it sets none, since libpq's defaults have none:
// connecting to a host that is gone would wait for TCP's SYN retries
// (about two minutes), and a connection to a host that vanished mid-commit
// would look open until TCP's retransmissions gave up (about 15 minutes),
// holding a writer and its callers all that time. Added: connect_timeout
// 5 s; keepalive probes after 10 s idle, every 5 s, 3 unanswered drop the
// connection; tcp_user_timeout 20 s for data the server never acknowledged.
// Values the caller set win. A string libpq cannot parse is returned as it
// is, for the connection attempt to report.
std::string WithNetworkTimeouts(absl::string_view conninfo);

}  // namespace shopstream

#endif  // SHOPSTREAM_STORAGE_PG_CONNINFO_H_
