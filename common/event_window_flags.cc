#include "common/event_window_flags.h"

#include <algorithm>
#include <cstdint>

#include "absl/flags/flag.h"

ABSL_FLAG(int64_t, max_event_age_days, 3650,
          "Events whose timestamp lies further back are refused (400, "
          "naming timestamp).");
ABSL_FLAG(int64_t, max_event_ahead_minutes, 1440,
          "Events whose timestamp lies further ahead of this server's clock "
          "are refused.");

namespace shopstream {

EventTimeWindow EventTimeWindowFromFlags() {
  return {
      .max_age = absl::Hours(24) *
                 std::max<int64_t>(1, absl::GetFlag(FLAGS_max_event_age_days)),
      .max_ahead = absl::Minutes(
          std::max<int64_t>(0, absl::GetFlag(FLAGS_max_event_ahead_minutes)))};
}

}  // namespace shopstream
