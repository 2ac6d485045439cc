#include "processor/event_partitions.h"

#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/log.h"
#include "rollups/rollup_schema.h"
#include "storage/pg_status.h"

namespace shopstream {

int64_t MonthStartMicros(int64_t micros) {
  const absl::CivilMonth month(
      absl::ToCivilSecond(absl::FromUnixMicros(micros), absl::UTCTimeZone()));
  return absl::ToUnixMicros(absl::FromCivil(month, absl::UTCTimeZone()));
}

bool EnsureEventPartition(pqxx::connection& conn, int64_t month_start) {
  pqxx::work tx(conn);
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kEventPartitionLock);
  const pqxx::result kept = tx.exec_params(
      "SELECT create_event_partition("
      "'epoch'::timestamptz + $1 * interval '1 microsecond')"
      " FROM event_retention WHERE horizon IS NULL"
      " OR horizon <= 'epoch'::timestamptz + $1 * interval '1 microsecond'",
      month_start);
  tx.commit();
  return !kept.empty();
}

absl::Status ApplyRawEventRetention(const std::string& conninfo, absl::Time now,
                                    absl::Duration keep) {
  const int64_t horizon = MonthStartMicros(absl::ToUnixMicros(now - keep));
  return RunPgVoid([&] {
    pqxx::connection conn(conninfo);
    pqxx::work tx(conn);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kEventPartitionLock);
    tx.exec_params(
        "UPDATE event_retention SET horizon = greatest(horizon,"
        " 'epoch'::timestamptz + $1 * interval '1 microsecond')",
        horizon);
    pqxx::result partitions = tx.exec(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = "
        "i.inhrelid"
        " WHERE i.inhparent = 'events'::regclass");
    int dropped = 0;
    int unfolded = 0;
    for (const pqxx::row& row : partitions) {
      const std::string name = row[0].as<std::string>();
      int64_t yyyymm = 0;
      if (name.rfind("events_", 0) != 0 ||
          !absl::SimpleAtoi(name.substr(7), &yyyymm)) {
        continue;
      }
      const absl::CivilMonth next =
          absl::CivilMonth(yyyymm / 100, yyyymm % 100) + 1;
      if (absl::ToUnixMicros(absl::FromCivil(next, absl::UTCTimeZone())) <=
          horizon) {
        // Locked first, so that no append or fold of it is under way while
        // it is checked: a month still holding events the folder has not
        // added to the rollups waits for the next round.
        const std::string table = tx.quote_name(name);
        tx.exec("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        if (!tx.exec(absl::StrCat("SELECT 1 FROM ", table, " e WHERE NOT ",
                                  rollups::kFoldedCondition, " LIMIT 1"))
                 .empty()) {
          ++unfolded;
          continue;
        }
        tx.exec("DROP TABLE " + table);
        ++dropped;
      }
    }
    // Their keys may go: an event for that time can no longer be stored.
    tx.exec_params(
        "DELETE FROM event_keys WHERE occurred_at <"
        " 'epoch'::timestamptz + $1 * interval '1 microsecond'",
        horizon);
    tx.commit();
    if (dropped > 0) {
      LogInfo("raw events dropped", {{"partitions", std::to_string(dropped)}});
    }
    if (unfolded > 0) {
      LogWarning("raw events kept until the folder has added them",
                 {{"partitions", std::to_string(unfolded)}});
    }
  });
}

absl::StatusOr<int64_t> ApplyShopRawRetention(const std::string& conninfo,
                                              absl::Time now) {
  // Rows per delete, so that a large shop's first run holds no long lock.
  constexpr int kRowsPerDelete = 10000;
  const int64_t now_micros = absl::ToUnixMicros(now);
  return RunPg([&] {
    pqxx::connection conn(conninfo);
    pqxx::result shops;
    {
      // Horizons move first, so that no answer reads what is about to go.
      pqxx::work tx(conn);
      shops = tx.exec_params(
          "UPDATE shop_settings SET raw_horizon = greatest(raw_horizon,"
          " date_bin('1 day', 'epoch'::timestamptz + $1 * interval '1"
          " microsecond' - raw_retention_days * interval '1 day',"
          " 'epoch'::timestamptz))"
          " WHERE raw_retention_days IS NOT NULL"
          " RETURNING shop_id, raw_horizon",
          now_micros);
      tx.commit();
    }
    int64_t deleted = 0;
    for (const pqxx::row& shop : shops) {
      while (true) {
        pqxx::work tx(conn);
        const pqxx::result gone = tx.exec_params(
            absl::StrCat(
                "DELETE FROM events d USING (SELECT tableoid, ctid FROM events"
                " e WHERE e.shop_id = $1 AND e.occurred_at < $2 AND ",
                rollups::kFoldedCondition,
                " LIMIT $3) old WHERE d.tableoid = old.tableoid"
                " AND d.ctid = old.ctid RETURNING 1"),
            shop[0].as<std::string>(), shop[1].as<std::string>(),
            kRowsPerDelete);
        tx.commit();
        deleted += static_cast<int64_t>(gone.size());
        if (static_cast<int>(gone.size()) < kRowsPerDelete) break;
      }
    }
    if (deleted > 0) {
      LogInfo("raw events of shops with their own retention deleted",
              {{"events", std::to_string(deleted)}});
    }
    return deleted;
  });
}

}  // namespace shopstream
