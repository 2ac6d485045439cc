#ifndef SHOPSTREAM_BENCH_POSTGRES_CHECKS_H_
#define SHOPSTREAM_BENCH_POSTGRES_CHECKS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/event_factory.h"

namespace shopstream::bench {

// Whether PostgreSQL holds exactly the events a run was told are committed.
struct AckCheck {
  int64_t acked = 0;
  int64_t rows_for_shop = 0;
  // Acknowledged ids that are not stored: lost events.
  int64_t missing = 0;
  bool pass() const { return missing == 0 && rows_for_shop == acked; }
};

// A durable-write ceiling or naive baseline measured on the same server.
struct WriteRateResult {
  int64_t events = 0;
  double seconds = 0;
  double events_per_second = 0;
  double latency_avg_ms = 0;  // pgbench only
};

// What the COPY ceiling copies into, for the report.
inline constexpr char kCopyCeilingTableDescription[] =
    "an unpartitioned table with `events`' columns and indexes ((shop_id, "
    "occurred_at) B-tree, append_xid BRIN, filled in as the processor does) "
    "and PRIMARY KEY (shop_id, event_id), the key the store claims in "
    "`event_keys`";

class PostgresChecks {
 public:
  explicit PostgresChecks(std::string conninfo)
      : conninfo_(std::move(conninfo)) {}

  // Counts the shop's rows and anti-joins the acked ids (COPYed into a temp
  // table) against them.
  absl::StatusOr<AckCheck> CheckAcked(
      const std::string& shop_id, const std::string& id_prefix,
      const std::vector<std::vector<uint64_t>>& acked_sequences) const;

  // COPYs `events` generated events into a fresh table shaped like `events`
  // and keyed like the store (CreateEventsLikeTable), committing every
  // `rows_per_commit` rows, as the durable ceiling of what any ingest design
  // could store. The table is dropped afterwards.
  absl::StatusOr<WriteRateResult> MeasureCopyCeiling(int64_t events,
                                                     int64_t rows_per_commit,
                                                     const EventMix& mix) const;

  // Creates (empty) kCopyCeilingTableDescription's table, for the COPY
  // ceiling and the naive INSERT baseline; DropTable removes it.
  absl::Status CreateEventsLikeTable(const std::string& table) const;
  absl::StatusOr<int64_t> CountShopEvents(const std::string& shop_id) const;
  absl::Status DropTable(const std::string& table) const;

  const std::string& conninfo() const { return conninfo_; }

 private:
  std::string conninfo_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_POSTGRES_CHECKS_H_
