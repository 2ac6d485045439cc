#ifndef SHOPSTREAM_QUERY_ENGAGEMENT_QUERIES_H_
#define SHOPSTREAM_QUERY_ENGAGEMENT_QUERIES_H_

#include <array>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/statusor.h"
#include "shopstream/v1/analytics.pb.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

struct EngagementOptions {
  // A range with at most this many sessions gets its exact median, read
  // from one row per session; beyond, the median comes from the duration
  // buckets of its days (docs/analytics.md gives the error).
  int64_t exact_median_max_sessions = 20000;
};

// GetEngagement and GetDataRange, from the session engagement rollups
// (rollups/engagement_schema.h) plus the raw tail the folder has not
// folded yet, in one REPEATABLE READ snapshot per answer, so that an
// acknowledged event counts at once. Sessions are counted in the range
// where their first event is and measured whole.
class EngagementQueries {
 public:
  explicit EngagementQueries(PgConnectionPool* pool,
                             EngagementOptions options = {})
      : pool_(pool), options_(options) {}

  absl::StatusOr<v1::Engagement> Engagement(
      const v1::GetEngagementRequest& request) const;

  absl::StatusOr<v1::DataRange> DataRange(
      const v1::GetDataRangeRequest& request) const;

 private:
  PgConnectionPool* pool_;
  const EngagementOptions options_;
};

// The sessions of `shop` that reached each funnel step (page view, add to
// cart, purchase) in order within [from, to) (microseconds), as
// docs/analytics.md defines them, from the session rollups, the tail and
// the raw events of sessions crossing the range's ends, in `tx`'s
// snapshot. Throws what libpqxx throws.
std::array<int64_t, 3> LoadFunnelSessions(pqxx::transaction_base& tx,
                                          const std::string& shop, int64_t from,
                                          int64_t to);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ENGAGEMENT_QUERIES_H_
