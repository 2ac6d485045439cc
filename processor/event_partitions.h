#ifndef SHOPSTREAM_PROCESSOR_EVENT_PARTITIONS_H_
#define SHOPSTREAM_PROCESSOR_EVENT_PARTITIONS_H_

#include <cstdint>
#include <pqxx/connection>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace shopstream {

// Raw events live in one partition per UTC month (migrations/0004).
// Writers make partitions as events need them and retention drops old
// ones; both hold this advisory lock while they do, so a partition is
// never made for a month retention is dropping.
inline constexpr int64_t kEventPartitionLock =
    0x73686f7073747270;  // "shopstrp"

// The start of the UTC month holding `micros`, in microseconds.
int64_t MonthStartMicros(int64_t micros);

// Makes the partition for the month starting at `month_start` (see
// MonthStartMicros) unless it exists or the month is older than the
// retention horizon; false for such a month. Throws (libpqxx) on failure.
bool EnsureEventPartition(pqxx::connection& conn, int64_t month_start);

// Drops the raw events of every month that ended before the UTC month of
// `now - keep` and refuses later arrivals for that time. Rollups stay.
absl::Status ApplyRawEventRetention(const std::string& conninfo, absl::Time now,
                                    absl::Duration keep);

// Each shop's own retention (shop_settings.raw_retention_days): moves the
// shop's horizon to the UTC day of `now - days`, then deletes the shop's
// raw events before it that the rollups hold (events still in the tail
// wait for the next round), a bounded number of rows per transaction.
// Rollups stay. Returns how many events it deleted.
absl::StatusOr<int64_t> ApplyShopRawRetention(const std::string& conninfo,
                                              absl::Time now);

}  // namespace shopstream

#endif  // SHOPSTREAM_PROCESSOR_EVENT_PARTITIONS_H_
