#ifndef SHOPSTREAM_QUERY_BREAKDOWN_QUERIES_H_
#define SHOPSTREAM_QUERY_BREAKDOWN_QUERIES_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "shopstream/v1/analytics.pb.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

struct BreakdownOptions {
  // Rows holding at most this many events over a range count their
  // sessions exactly from raw events; beyond, the whole UTC days' sessions
  // come from per-day sketches (as the summary's unique sessions).
  int64_t exact_sessions_max_events = 20000;
};

// GetBreakdown: rows per value of one traffic dimension, from
// shop_dimension_day_rollup for the whole UTC days of the range,
// shop_dimension_hour_rollup for whole hours at its edges, raw events for
// the rest, plus the raw tail the folder has not folded yet, in one
// REPEATABLE READ snapshot.
class BreakdownQueries {
 public:
  explicit BreakdownQueries(PgConnectionPool* pool,
                            BreakdownOptions options = {})
      : pool_(pool), options_(options) {}

  absl::StatusOr<v1::Breakdown> Breakdown(
      const v1::GetBreakdownRequest& request) const;

 private:
  PgConnectionPool* pool_;
  const BreakdownOptions options_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_BREAKDOWN_QUERIES_H_
