#ifndef SHOPSTREAM_ROLLUPS_SESSION_ERASER_H_
#define SHOPSTREAM_ROLLUPS_SESSION_ERASER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace shopstream::rollups {

struct ErasedSession {
  int64_t events = 0;  // raw events deleted
  // Rollup tables whose rows over the session's days were rewritten.
  int64_t tables_rebuilt = 0;
};

// A data-subject request: deletes one session's raw events and every row
// that names the session (shop_sessions, shop_session_days,
// shop_session_stats), then rewrites the rollups of the days its events
// fell on from the events that remain, in one transaction while no fold
// runs. The events' keys stay (they hold
// no session), so a retried copy of an erased event is a duplicate, not
// stored again. Days whose raw events retention already dropped keep their
// counts, which name no session.
class SessionEraser {
 public:
  explicit SessionEraser(std::string conninfo);

  // INVALID_ARGUMENT naming shop or session when either is empty.
  absl::StatusOr<ErasedSession> Erase(const std::string& shop,
                                      const std::string& session) const;

 private:
  const std::string conninfo_;
};

}  // namespace shopstream::rollups

#endif  // SHOPSTREAM_ROLLUPS_SESSION_ERASER_H_
