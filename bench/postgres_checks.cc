#include "bench/postgres_checks.h"

#include <chrono>
#include <optional>
#include <pqxx/pqxx>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/pg_status.h"

namespace shopstream::bench {

absl::StatusOr<AckCheck> PostgresChecks::CheckAcked(
    const std::string& shop_id, const std::string& id_prefix,
    const std::vector<std::vector<uint64_t>>& acked_sequences) const {
  return RunPg([&] {
    pqxx::connection connection(conninfo_);
    pqxx::work tx(connection);
    tx.exec0("CREATE TEMP TABLE acked_ids (event_id text) ON COMMIT DROP");
    AckCheck check;
    {
      pqxx::stream_to copy(tx, "acked_ids",
                           std::vector<std::string>{"event_id"});
      for (size_t worker = 0; worker < acked_sequences.size(); ++worker) {
        for (uint64_t sequence : acked_sequences[worker]) {
          copy << std::make_tuple(
              BenchEventId(id_prefix, static_cast<int>(worker), sequence));
          ++check.acked;
        }
      }
      copy.complete();
    }
    const std::string shop = tx.quote(shop_id);
    check.rows_for_shop =
        tx.exec1("SELECT count(*) FROM events WHERE shop_id = " + shop)[0]
            .as<int64_t>();
    check.missing =
        tx.exec1(
              "SELECT count(*) FROM acked_ids a WHERE NOT EXISTS (SELECT 1 "
              "FROM events e WHERE e.shop_id = " +
              shop + " AND e.event_id = a.event_id)")[0]
            .as<int64_t>();
    tx.commit();
    return check;
  });
}

absl::Status PostgresChecks::CreateEventsLikeTable(
    const std::string& table) const {
  return RunPgVoid([&] {
    pqxx::connection connection(conninfo_);
    pqxx::work tx(connection);
    tx.exec0("DROP TABLE IF EXISTS " + tx.quote_name(table));
    // INCLUDING ALL copies the (shop_id, occurred_at) and append_xid
    // indexes; the key that event_keys holds for the partitioned `events`
    // is added here, so the ceiling pays the same index maintenance and
    // uniqueness check as storing an event. append_xid gets what the
    // processor stores in it, so rows and BRIN summaries are the same size.
    tx.exec0("CREATE TABLE " + tx.quote_name(table) +
             " (LIKE events INCLUDING ALL, PRIMARY KEY (shop_id, event_id))");
    tx.exec0("ALTER TABLE " + tx.quote_name(table) +
             " ALTER COLUMN append_xid SET DEFAULT"
             " pg_current_xact_id()::text::bigint");
    tx.commit();
  });
}

absl::Status PostgresChecks::DropTable(const std::string& table) const {
  return RunPgVoid([&] {
    pqxx::connection connection(conninfo_);
    pqxx::work tx(connection);
    tx.exec0("DROP TABLE IF EXISTS " + tx.quote_name(table));
    tx.commit();
  });
}

absl::StatusOr<WriteRateResult> PostgresChecks::MeasureCopyCeiling(
    int64_t events, int64_t rows_per_commit, const EventMix& mix) const {
  const std::string table = "bench_copy_ceiling";
  if (absl::Status s = CreateEventsLikeTable(table); !s.ok()) return s;
  // Rows are generated before the clock starts: the ceiling is the
  // database's, not our formatting's.
  using Row = std::tuple<std::string, std::string, int, std::string,
                         std::string, std::string, std::optional<int64_t>>;
  std::vector<Row> rows;
  rows.reserve(static_cast<size_t>(events));
  EventFactory factory(mix, "bench-copy-ceiling", "copy", 0);
  v1::Event event;
  for (int64_t i = 0; i < events; ++i) {
    factory.Next(&event);
    const int type = event.event_type() == "page_view"     ? 1
                     : event.event_type() == "add_to_cart" ? 2
                                                           : 3;
    std::optional<int64_t> cents;
    if (event.has_order_amount()) {
      cents = static_cast<int64_t>(event.order_amount() * 100 + 0.5);
    }
    rows.emplace_back(
        event.shop_id(), event.event_id(), type,
        absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00",
                         absl::FromUnixSeconds(event.timestamp().seconds()),
                         absl::UTCTimeZone()),
        event.product_id(), event.session_id(), cents);
  }
  auto result = RunPg([&] {
    pqxx::connection connection(conninfo_);
    const auto start = std::chrono::steady_clock::now();
    for (int64_t first = 0; first < events; first += rows_per_commit) {
      pqxx::work tx(connection);
      pqxx::stream_to copy(
          tx, table,
          std::vector<std::string>{"shop_id", "event_id", "event_type",
                                   "occurred_at", "product_id", "session_id",
                                   "order_amount_cents"});
      const int64_t last = std::min(events, first + rows_per_commit);
      for (int64_t i = first; i < last; ++i) copy << rows[i];
      copy.complete();
      tx.commit();
    }
    WriteRateResult rate;
    rate.events = events;
    rate.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    rate.events_per_second = rate.seconds > 0 ? events / rate.seconds : 0;
    return rate;
  });
  (void)DropTable(table);
  return result;
}

absl::StatusOr<int64_t> PostgresChecks::CountShopEvents(
    const std::string& shop_id) const {
  int64_t count = 0;
  absl::Status status = RunPgVoid([&] {
    pqxx::connection conn(conninfo_);
    pqxx::work tx(conn);
    count = tx.exec_params1("SELECT count(*) FROM events WHERE shop_id = $1",
                            shop_id)[0]
                .as<int64_t>();
  });
  if (!status.ok()) return status;
  return count;
}

}  // namespace shopstream::bench
