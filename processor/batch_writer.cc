#include "processor/batch_writer.h"

#include <optional>
#include <pqxx/pqxx>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/commit_notice.h"
#include "processor/event_partitions.h"
#include "storage/pg_status.h"

namespace shopstream {
namespace {

// Appends `text` as an element of a PostgreSQL array literal.
void AppendQuoted(std::string& array, const std::string& text) {
  array += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') array += '\\';
    array += c;
  }
  array += '"';
}

// The array literal of one text column of the batch; `nullable` columns
// store an empty string as NULL.
template <typename Field>
std::string TextArray(
    const std::vector<const internal::v1::StoredEvent*>& events, Field field,
    bool nullable) {
  std::string array = "{";
  for (const auto* e : events) {
    if (array.size() > 1) array += ',';
    const std::string& text = field(*e);
    if (nullable && text.empty()) {
      array += "NULL";
    } else {
      AppendQuoted(array, text);
    }
  }
  array += '}';
  return array;
}

// The array literal of one integer column; nullopt is NULL.
template <typename Field>
std::string IntegerArray(
    const std::vector<const internal::v1::StoredEvent*>& events, Field field) {
  std::string array = "{";
  for (const auto* e : events) {
    if (array.size() > 1) array += ',';
    const std::optional<int64_t> value = field(*e);
    if (value.has_value()) {
      absl::StrAppend(&array, *value);
    } else {
      array += "NULL";
    }
  }
  array += '}';
  return array;
}

constexpr char kCounts[] =
    "count(*) FILTER (WHERE event_type = 1) AS page_views,"
    " count(*) FILTER (WHERE event_type = 2) AS add_to_carts,"
    " count(*) FILTER (WHERE event_type = 3) AS purchases,"
    " coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0)"
    " AS revenue_cents";
constexpr char kExtremes[] =
    ", max(order_amount_cents) FILTER (WHERE event_type = 3)"
    " AS max_purchase_cents,"
    " min(order_amount_cents) FILTER (WHERE event_type = 3)"
    " AS min_purchase_cents";
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

// Adds per-bucket sums (shop_id, bucket_start, counts, extremes) to a shop
// rollup table.
std::string ShopBucketUpsert(const char* table, absl::string_view source) {
  return absl::StrCat("INSERT INTO ", table, " AS r ", source,
                      " ON CONFLICT (shop_id, bucket_start) DO UPDATE SET ",
                      kAddCounts, kMergeExtremes);
}

// Minute sums rolled up to a coarser bucket.
std::string CoarserBuckets(const char* stride) {
  return absl::StrCat("SELECT shop_id, date_bin('", stride,
                      "', bucket_start, 'epoch'::timestamptz), sum(page_views),"
                      " sum(add_to_carts), sum(purchases), sum(revenue_cents),"
                      " max(max_purchase_cents), min(min_purchase_cents)"
                      " FROM minutes GROUP BY 1, 2 ORDER BY 1, 2");
}

// The whole batch as one statement, so it is planned once per connection,
// costs one round trip and commits on its own: claim each key, store the
// claimed events, add them to every rollup, announce their shops on commit,
// and return the batch positions (from 1) that were not stored: duplicates.
//
// The events are aggregated once per (shop, minute) and per (shop, day,
// product); hours, days, product weeks, product totals and shop totals are
// summed from those few rows instead of from every event. Every upsert sorts
// by key, so concurrent writers lock shared rollup rows in one order and wait
// for each other instead of deadlocking; they meet the tables in one order
// too, the statement being the same.
std::string WriteBatchStatement() {
  return absl::StrCat(
      // $2..$8: the batch's columns as arrays, one element per event.
      "WITH batch AS MATERIALIZED (SELECT * FROM unnest($2::text[],"
      " $3::text[], $4::smallint[], $5::bigint[], $6::text[], $7::text[],"
      " $8::bigint[]) WITH ORDINALITY AS b(shop_id, event_id, event_type,"
      " occurred_at_micros, product_id, session_id, order_amount_cents,"
      " batch_index)),"
      // One row per key (retries in one batch are the same event): the
      // first in the batch.
      " candidates AS MATERIALIZED ("
      " SELECT DISTINCT ON (shop_id, event_id) batch_index, shop_id, event_id,"
      " event_type,"
      // bigint * interval goes through a double: seconds and microseconds
      // apart stay exact for every year 1 to 9999.
      " 'epoch'::timestamptz + (occurred_at_micros / 1000000) * interval '1 "
      "second'"
      " + (occurred_at_micros % 1000000) * interval '1 microsecond'"
      " AS occurred_at, product_id, session_id, order_amount_cents"
      " FROM batch ORDER BY shop_id, event_id, batch_index),"
      " claimed AS (INSERT INTO event_keys (shop_id, event_id, occurred_at)"
      " SELECT shop_id, event_id, occurred_at FROM candidates"
      " ORDER BY shop_id, event_id"
      " ON CONFLICT (shop_id, event_id) DO NOTHING"
      " RETURNING shop_id, event_id),"
      // Only rows whose key this batch claimed are stored and counted.
      " fresh AS MATERIALIZED (SELECT c.* FROM candidates c"
      " JOIN claimed USING (shop_id, event_id)),"
      " stored AS (INSERT INTO events (shop_id, event_id, event_type,"
      " occurred_at, product_id, session_id, order_amount_cents)"
      " SELECT shop_id, event_id, event_type, occurred_at, product_id,"
      " session_id, order_amount_cents FROM fresh),"
      " minutes AS MATERIALIZED (SELECT shop_id,"
      " date_bin('1 minute', occurred_at, 'epoch'::timestamptz)"
      " AS bucket_start, ",
      kCounts, kExtremes,
      ", min(occurred_at) AS first_at, max(occurred_at) AS last_at"
      " FROM fresh GROUP BY 1, 2),"
      " minute_rollup AS (",
      ShopBucketUpsert(
          "shop_minute_rollup",
          "SELECT shop_id, bucket_start, page_views, add_to_carts, purchases,"
          " revenue_cents, max_purchase_cents, min_purchase_cents"
          " FROM minutes ORDER BY 1, 2"),
      "), hour_rollup AS (",
      ShopBucketUpsert("shop_hour_rollup", CoarserBuckets("1 hour")),
      "), day_rollup AS (",
      ShopBucketUpsert("shop_day_rollup", CoarserBuckets("1 day")),
      "), product_days AS MATERIALIZED (SELECT shop_id,"
      " date_bin('1 day', occurred_at, 'epoch'::timestamptz) AS bucket_start,"
      " product_id, ",
      kCounts,
      " FROM fresh WHERE product_id IS NOT NULL GROUP BY 1, 2, 3),"
      " product_day_rollup AS (INSERT INTO product_day_rollup AS r"
      " SELECT * FROM product_days ORDER BY 1, 2, 3"
      " ON CONFLICT (shop_id, bucket_start, product_id) DO UPDATE SET ",
      kAddCounts,
      "),"
      // Weeks start on Monday 00:00 UTC, as the query side cuts them.
      " product_week_rollup AS (INSERT INTO product_week_rollup AS r"
      " SELECT shop_id, date_bin('7 days', bucket_start,"
      " '1970-01-05 00:00:00+00'::timestamptz), product_id, sum(page_views),"
      " sum(add_to_carts), sum(purchases), sum(revenue_cents)"
      " FROM product_days GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
      " ON CONFLICT (shop_id, bucket_start, product_id) DO UPDATE SET ",
      kAddCounts,
      "),"
      // The shop's top product is offered from the product rows just
      // updated.
      " products AS (INSERT INTO product_totals AS r"
      " SELECT shop_id, product_id, sum(page_views), sum(add_to_carts),"
      " sum(purchases), sum(revenue_cents) FROM product_days"
      " GROUP BY 1, 2 ORDER BY 1, 2"
      " ON CONFLICT (shop_id, product_id) DO UPDATE SET ",
      kAddCounts,
      " RETURNING shop_id, product_id, page_views),"
      " leaders AS (SELECT DISTINCT ON (shop_id) shop_id, product_id,"
      " page_views FROM products WHERE page_views > 0"
      " ORDER BY shop_id, page_views DESC, product_id COLLATE \"C\"),"
      " new_sessions AS ("
      " INSERT INTO shop_sessions SELECT DISTINCT shop_id, session_id"
      " FROM fresh WHERE session_id IS NOT NULL ORDER BY 1, 2"
      " ON CONFLICT DO NOTHING RETURNING shop_id),"
      " session_days AS (INSERT INTO shop_session_days"
      " SELECT DISTINCT shop_id,"
      " date_bin('1 day', occurred_at, 'epoch'::timestamptz), session_id"
      " FROM fresh WHERE session_id IS NOT NULL ORDER BY 1, 2, 3"
      " ON CONFLICT DO NOTHING),"
      " session_counts AS (SELECT shop_id, count(*) AS n FROM new_sessions"
      " GROUP BY shop_id),"
      " totals AS (SELECT shop_id, min(first_at) AS first_at,"
      " max(last_at) AS last_at, sum(page_views) AS page_views,"
      " sum(add_to_carts) AS add_to_carts, sum(purchases) AS purchases,"
      " sum(revenue_cents) AS revenue_cents,"
      " max(max_purchase_cents) AS max_purchase_cents,"
      " min(min_purchase_cents) AS min_purchase_cents"
      " FROM minutes GROUP BY shop_id),"
      " shop_totals_rollup AS (INSERT INTO shop_totals AS r"
      " SELECT t.*, coalesce(s.n, 0), l.product_id, coalesce(l.page_views, 0)"
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
      kAddCounts, kMergeExtremes,
      "),"
      // Watchers of these shops hear of it once the batch is committed, and
      // not at all if it is not; duplicates change nothing worth
      // announcing. One payload per shop: ids are at most 64 bytes, far
      // below NOTIFY's limit.
      " notices AS (SELECT pg_notify($1, octet_length(shop_id) || ':' ||"
      " shop_id) FROM (SELECT DISTINCT shop_id FROM minutes) s)"
      // The uncorrelated count runs once, before any row is returned.
      " SELECT s.batch_index FROM batch s"
      " WHERE (SELECT count(*) FROM notices) >= 0"
      " AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.batch_index = "
      "s.batch_index)");
}

constexpr char kWriteBatch[] = "shopstream_write_batch";

}  // namespace

BatchWriter::BatchWriter(std::string conninfo)
    : conninfo_(std::move(conninfo)) {}

BatchWriter::~BatchWriter() = default;

void BatchWriter::EnsureConnected() {
  if (conn_ != nullptr && conn_->is_open()) return;
  conn_.reset();
  auto conn = std::make_unique<pqxx::connection>(conninfo_);
  // The batch statement's plan does not depend on the arrays' contents:
  // plan it once, not at every call.
  pqxx::nontransaction tx(*conn);
  tx.exec("SET plan_cache_mode = force_generic_plan");
  tx.commit();
  conn->prepare(kWriteBatch, WriteBatchStatement());
  conn_ = std::move(conn);
}

absl::StatusOr<std::vector<bool>> BatchWriter::Write(
    const std::vector<const internal::v1::StoredEvent*>& events) {
  if (events.empty()) return std::vector<bool>();
  using internal::v1::StoredEvent;
  std::optional<int64_t> dropped_month;
  auto duplicates = RunPg([&] {
    EnsureConnected();
    for (const auto* e : events) {
      const int64_t month = MonthStartMicros(e->occurred_at_micros());
      if (partitions_.contains(month)) continue;
      if (!EnsureEventPartition(*conn_, month)) {
        dropped_month = month;
        return std::vector<int64_t>();
      }
      partitions_.insert(month);
    }
    // One statement, so it is one transaction without BEGIN and COMMIT.
    pqxx::nontransaction tx(*conn_);
    pqxx::result rows = tx.exec_prepared(
        kWriteBatch, kCommitNoticeChannel,
        TextArray(
            events,
            [](const StoredEvent& e) -> const std::string& {
              return e.shop_id();
            },
            false),
        TextArray(
            events,
            [](const StoredEvent& e) -> const std::string& {
              return e.event_id();
            },
            false),
        IntegerArray(events,
                     [](const StoredEvent& e) -> std::optional<int64_t> {
                       return static_cast<int64_t>(e.event_type());
                     }),
        IntegerArray(events,
                     [](const StoredEvent& e) -> std::optional<int64_t> {
                       return e.occurred_at_micros();
                     }),
        TextArray(
            events,
            [](const StoredEvent& e) -> const std::string& {
              return e.product_id();
            },
            true),
        TextArray(
            events,
            [](const StoredEvent& e) -> const std::string& {
              return e.session_id();
            },
            true),
        IntegerArray(events,
                     [](const StoredEvent& e) -> std::optional<int64_t> {
                       if (!e.has_order_amount_cents()) return std::nullopt;
                       return e.order_amount_cents();
                     }));
    std::vector<int64_t> positions;
    positions.reserve(rows.size());
    for (const auto& row : rows) positions.push_back(row[0].as<int64_t>());
    return positions;
  });
  if (dropped_month.has_value()) {
    // Said the way validation would, since only this event's time is wrong;
    // the committer isolates it and keeps it aside.
    return absl::InvalidArgumentError(absl::StrCat(
        "timestamp: the raw events of ",
        absl::FormatTime("%Y-%m", absl::FromUnixMicros(*dropped_month),
                         absl::UTCTimeZone()),
        " are no longer kept (raw event retention)"));
  }
  if (!duplicates.ok()) {
    if (duplicates.status().code() == absl::StatusCode::kUnavailable) {
      conn_.reset();
    }
    // A month may have been refused or dropped since: ask again next time.
    partitions_.clear();
    return duplicates.status();
  }
  std::vector<bool> duplicate(events.size(), false);
  for (int64_t position : *duplicates) duplicate[position - 1] = true;
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
