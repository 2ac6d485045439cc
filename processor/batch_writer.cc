#include "processor/batch_writer.h"

#include <optional>
#include <pqxx/pqxx>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/commit_notice.h"
#include "processor/event_partitions.h"
#include "storage/pg_status.h"

namespace shopstream {
namespace {

std::string Key(const std::string& shop_id, const std::string& event_id) {
  return absl::StrCat(shop_id.size(), ":", shop_id, event_id);
}

std::optional<std::string> NullIfEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

constexpr char kCounts[] =
    "count(*) FILTER (WHERE event_type = 1),"
    " count(*) FILTER (WHERE event_type = 2),"
    " count(*) FILTER (WHERE event_type = 3),"
    " coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0)";
constexpr char kExtremes[] =
    ", max(order_amount_cents) FILTER (WHERE event_type = 3),"
    " min(order_amount_cents) FILTER (WHERE event_type = 3)";
constexpr char kAddCounts[] =
    "page_views = r.page_views + excluded.page_views,"
    " add_to_carts = r.add_to_carts + excluded.add_to_carts,"
    " purchases = r.purchases + excluded.purchases,"
    " revenue_cents = r.revenue_cents + excluded.revenue_cents";
constexpr char kMergeExtremes[] =
    ", max_purchase_cents ="
    " greatest(r.max_purchase_cents, excluded.max_purchase_cents),"
    " min_purchase_cents ="
    " least(r.min_purchase_cents, excluded.min_purchase_cents)";

std::string ShopBucketUpsert(const char* table, const char* stride) {
  return absl::StrCat("INSERT INTO ", table, " AS r SELECT shop_id, date_bin('",
                      stride, "', occurred_at, 'epoch'::timestamptz), ",
                      kCounts, kExtremes,
                      " FROM inserted_events GROUP BY 1, 2 ORDER BY 1, 2"
                      " ON CONFLICT (shop_id, bucket_start) DO UPDATE SET ",
                      kAddCounts, kMergeExtremes);
}

// Every statement groups, so each rollup row is touched once, and sorts by
// key, so concurrent writers lock shared rows in one order.
const std::vector<std::string>& RollupStatements() {
  static const std::vector<std::string> statements = {
      ShopBucketUpsert("shop_minute_rollup", "1 minute"),
      ShopBucketUpsert("shop_hour_rollup", "1 hour"),
      ShopBucketUpsert("shop_day_rollup", "1 day"),
      absl::StrCat(
          "INSERT INTO product_day_rollup AS r SELECT shop_id,"
          " date_bin('1 day', occurred_at, 'epoch'::timestamptz), product_id, ",
          kCounts,
          " FROM inserted_events WHERE product_id IS NOT NULL"
          " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
          " ON CONFLICT (shop_id, bucket_start, product_id) DO UPDATE SET ",
          kAddCounts),
      // Product totals, sessions and shop totals in one statement: the
      // shop's top product is offered from the product rows just updated.
      absl::StrCat(
          "WITH products AS (INSERT INTO product_totals AS r"
          " SELECT shop_id, product_id, ",
          kCounts,
          " FROM inserted_events WHERE product_id IS NOT NULL"
          " GROUP BY 1, 2 ORDER BY 1, 2"
          " ON CONFLICT (shop_id, product_id) DO UPDATE SET ",
          kAddCounts,
          " RETURNING shop_id, product_id, page_views),"
          " leaders AS (SELECT DISTINCT ON (shop_id) shop_id, product_id,"
          " page_views FROM products WHERE page_views > 0"
          " ORDER BY shop_id, page_views DESC, product_id COLLATE \"C\"),"
          " new_sessions AS ("
          " INSERT INTO shop_sessions SELECT DISTINCT shop_id, session_id"
          " FROM inserted_events WHERE session_id IS NOT NULL ORDER BY 1, 2"
          " ON CONFLICT DO NOTHING RETURNING shop_id),"
          " session_counts AS (SELECT shop_id, count(*) AS n FROM new_sessions"
          " GROUP BY shop_id),"
          " totals AS (SELECT shop_id, min(occurred_at) AS first_at,"
          " max(occurred_at) AS last_at, ",
          kCounts, kExtremes,
          " FROM inserted_events GROUP BY shop_id)"
          " INSERT INTO shop_totals AS r SELECT t.*, coalesce(s.n, 0),"
          " l.product_id, coalesce(l.page_views, 0)"
          " FROM totals t LEFT JOIN session_counts s USING (shop_id)"
          " LEFT JOIN leaders l USING (shop_id)"
          " ORDER BY t.shop_id"
          " ON CONFLICT (shop_id) DO UPDATE SET"
          " first_event_at = least(r.first_event_at, excluded.first_event_at),"
          " last_event_at = greatest(r.last_event_at, excluded.last_event_at),"
          " sessions = r.sessions + excluded.sessions,"
          " top_product_id = CASE WHEN excluded.top_product_views >"
          " r.top_product_views OR (excluded.top_product_views ="
          " r.top_product_views AND excluded.top_product_id COLLATE \"C\" <"
          " r.top_product_id COLLATE \"C\") THEN excluded.top_product_id"
          " ELSE r.top_product_id END,"
          " top_product_views ="
          " greatest(r.top_product_views, excluded.top_product_views), ",
          kAddCounts, kMergeExtremes),
  };
  return statements;
}

}  // namespace

BatchWriter::BatchWriter(std::string conninfo)
    : conninfo_(std::move(conninfo)) {}

BatchWriter::~BatchWriter() = default;

void BatchWriter::EnsureConnected() {
  if (conn_ != nullptr && conn_->is_open()) return;
  conn_.reset();
  auto conn = std::make_unique<pqxx::connection>(conninfo_);
  pqxx::nontransaction tx(*conn);
  // Timestamps travel as whole microseconds so nothing is lost on the way.
  tx.exec(
      "CREATE TEMP TABLE IF NOT EXISTS staging_events ("
      " shop_id text, event_id text, event_type smallint,"
      " occurred_at_micros bigint, product_id text, session_id text,"
      " order_amount_cents bigint) ON COMMIT DELETE ROWS");
  // The rows this transaction actually inserted: the only ones rollups
  // may count.
  tx.exec(
      "CREATE TEMP TABLE IF NOT EXISTS inserted_events ("
      " shop_id text, event_id text, event_type smallint,"
      " occurred_at timestamptz, product_id text, session_id text,"
      " order_amount_cents bigint) ON COMMIT DELETE ROWS");
  conn_ = std::move(conn);
}

absl::StatusOr<std::vector<bool>> BatchWriter::Write(
    const std::vector<const internal::v1::StoredEvent*>& events) {
  if (events.empty()) return std::vector<bool>();
  auto inserted = RunPg([&] {
    EnsureConnected();
    for (const auto* e : events) {
      const int64_t month = MonthStartMicros(e->occurred_at_micros());
      if (partitions_.insert(month).second) EnsureEventPartition(*conn_, month);
    }
    pqxx::work tx(*conn_);
    {
      pqxx::stream_to copy(
          tx, "staging_events",
          std::vector<std::string>{"shop_id", "event_id", "event_type",
                                   "occurred_at_micros", "product_id",
                                   "session_id", "order_amount_cents"});
      for (const auto* e : events) {
        std::optional<int64_t> cents;
        if (e->has_order_amount_cents()) cents = e->order_amount_cents();
        copy << std::make_tuple(
            e->shop_id(), e->event_id(), static_cast<int>(e->event_type()),
            e->occurred_at_micros(), NullIfEmpty(e->product_id()),
            NullIfEmpty(e->session_id()), cents);
      }
      copy.complete();
    }
    // One row per key (retries in one batch are the same event), claimed
    // in event_keys; only rows whose key this batch claimed are stored and
    // counted. Sorted, so writers that meet on the same keys take their
    // locks in one order and wait for each other instead of deadlocking.
    tx.exec(
        "WITH candidates AS MATERIALIZED ("
        " SELECT DISTINCT ON (shop_id, event_id) shop_id, event_id, event_type,"
        // bigint * interval goes through a double: seconds and microseconds
        // apart stay exact for every year 1 to 9999.
        " 'epoch'::timestamptz + (occurred_at_micros / 1000000) * interval '1 "
        "second'"
        " + (occurred_at_micros % 1000000) * interval '1 microsecond'"
        " AS occurred_at, product_id, session_id, order_amount_cents"
        " FROM staging_events ORDER BY shop_id, event_id),"
        " claimed AS (INSERT INTO event_keys (shop_id, event_id, occurred_at)"
        " SELECT shop_id, event_id, occurred_at FROM candidates"
        " ORDER BY shop_id, event_id"
        " ON CONFLICT (shop_id, event_id) DO NOTHING RETURNING shop_id, "
        "event_id),"
        " fresh AS (INSERT INTO events (shop_id, event_id, event_type,"
        " occurred_at, product_id, session_id, order_amount_cents)"
        " SELECT c.* FROM candidates c JOIN claimed USING (shop_id, event_id)"
        " RETURNING shop_id, event_id, event_type, occurred_at, product_id,"
        " session_id, order_amount_cents)"
        " INSERT INTO inserted_events SELECT * FROM fresh");
    pqxx::result rows =
        tx.exec("SELECT shop_id, event_id FROM inserted_events");
    if (!rows.empty()) {
      for (const std::string& sql : RollupStatements()) tx.exec(sql);
    }
    absl::flat_hash_map<std::string, int> fresh;
    fresh.reserve(rows.size());
    absl::flat_hash_set<std::string> shops;
    for (const auto& row : rows) {
      std::string shop_id = row[0].as<std::string>();
      ++fresh[Key(shop_id, row[1].as<std::string>())];
      shops.insert(std::move(shop_id));
    }
    // Watchers of these shops hear of it once the batch is committed, and
    // not at all if it is not; duplicates change nothing worth announcing.
    for (const std::string& payload : EncodeCommitNotices(
             std::vector<std::string>(shops.begin(), shops.end()))) {
      tx.exec_params("SELECT pg_notify($1, $2)", kCommitNoticeChannel, payload);
    }
    tx.commit();
    return fresh;
  });
  if (!inserted.ok()) {
    if (inserted.status().code() == absl::StatusCode::kUnavailable) {
      conn_.reset();
    }
    // A month may have been refused or dropped since: ask again next time.
    partitions_.clear();
    return inserted.status();
  }
  // Each stored key was stored by exactly one event of the batch: the first
  // one to claim it; the others are duplicates.
  std::vector<bool> duplicate(events.size(), true);
  for (size_t i = 0; i < events.size(); ++i) {
    auto it = inserted->find(Key(events[i]->shop_id(), events[i]->event_id()));
    if (it != inserted->end() && it->second > 0) {
      --it->second;
      duplicate[i] = false;
    }
  }
  return duplicate;
}

absl::Status BatchWriter::DeadLetter(const internal::v1::StoredEvent& event,
                                     const std::string& reason) {
  absl::Status status = RunPgVoid([&] {
    EnsureConnected();
    pqxx::work tx(*conn_);
    // Escaped, because what PostgreSQL refused may be what the text
    // columns cannot hold.
    tx.exec_params(
        "INSERT INTO dead_letter_events"
        " (shop_id, event_id, event_text, payload, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        absl::CEscape(event.shop_id()), absl::CEscape(event.event_id()),
        absl::CEscape(event.ShortDebugString()),
        pqxx::binarystring(event.SerializeAsString()), absl::CEscape(reason));
    tx.commit();
  });
  if (status.code() == absl::StatusCode::kUnavailable) conn_.reset();
  return status;
}

}  // namespace shopstream
