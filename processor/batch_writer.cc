#include "processor/batch_writer.h"

#include <algorithm>
#include <optional>
#include <pqxx/pqxx>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// A nullable text column from a StoredEvent accessor.
std::string TextColumn(
    const std::vector<const internal::v1::StoredEvent*>& events,
    const std::string& (internal::v1::StoredEvent::*accessor)() const) {
  return TextArray(
      events,
      [accessor](const internal::v1::StoredEvent& e) -> const std::string& {
        return (e.*accessor)();
      },
      true);
}

// `text` as a JSON string.
void AppendJsonString(std::string& json, const std::string& text) {
  json += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      json += '\\';
      json += static_cast<char>(c);
    } else if (c < 0x20) {
      absl::StrAppendFormat(&json, "\\u%04x", c);
    } else {
      json += static_cast<char>(c);
    }
  }
  json += '"';
}

// The properties column: each event's properties as a JSON object, names
// sorted; NULL for events without.
std::string PropertiesArray(
    const std::vector<const internal::v1::StoredEvent*>& events) {
  std::string array = "{";
  for (const auto* e : events) {
    if (array.size() > 1) array += ',';
    if (e->properties().empty()) {
      array += "NULL";
      continue;
    }
    std::vector<std::pair<std::string, std::string>> sorted(
        e->properties().begin(), e->properties().end());
    std::sort(sorted.begin(), sorted.end());
    std::string json = "{";
    for (const auto& [name, value] : sorted) {
      if (json.size() > 1) json += ',';
      AppendJsonString(json, name);
      json += ':';
      AppendJsonString(json, value);
    }
    json += '}';
    AppendQuoted(array, json);
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

// The whole batch as one statement, so it is planned once per connection,
// costs one round trip and commits on its own: claim each key, store the
// claimed events with the id of this transaction (the folder adds them to
// the rollups later, rollups/rollup_folder.h), announce their shops on
// commit, and return the batch positions (from 1) that were not stored:
// duplicates. Nothing here touches a rollup, so appends of different shops
// never wait for each other.
std::string WriteBatchStatement() {
  return
      // $2..$18: the batch's columns as arrays, one element per event.
      "WITH batch AS MATERIALIZED (SELECT * FROM unnest($2::text[],"
      " $3::text[], $4::smallint[], $5::bigint[], $6::text[], $7::text[],"
      " $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[],"
      " $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],"
      " $18::jsonb[]) WITH ORDINALITY AS b(shop_id, event_id, event_type,"
      " occurred_at_micros, product_id, session_id, order_amount_cents, page,"
      " referrer_host, utm_source, utm_medium, utm_campaign, device_class,"
      " browser, os, event_name, properties, batch_index)),"
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
      " AS occurred_at, product_id, session_id, order_amount_cents, page,"
      " referrer_host, utm_source, utm_medium, utm_campaign, device_class,"
      " browser, os, event_name, properties"
      " FROM batch ORDER BY shop_id, event_id, batch_index),"
      " claimed AS (INSERT INTO event_keys (shop_id, event_id, occurred_at)"
      " SELECT shop_id, event_id, occurred_at FROM candidates"
      " ORDER BY shop_id, event_id"
      " ON CONFLICT (shop_id, event_id) DO NOTHING"
      " RETURNING shop_id, event_id),"
      // Only rows whose key this batch claimed are stored.
      " fresh AS MATERIALIZED (SELECT c.* FROM candidates c"
      " JOIN claimed USING (shop_id, event_id)),"
      " stored AS (INSERT INTO events (shop_id, event_id, event_type,"
      " occurred_at, product_id, session_id, order_amount_cents, page,"
      " referrer_host, utm_source, utm_medium, utm_campaign, device_class,"
      " browser, os, event_name, properties, append_xid)"
      " SELECT shop_id, event_id, event_type, occurred_at, product_id,"
      " session_id, order_amount_cents, page, referrer_host, utm_source,"
      " utm_medium, utm_campaign, device_class, browser, os, event_name,"
      " properties, pg_current_xact_id()::text::bigint"
      " FROM fresh),"
      // Watchers of these shops hear of it once the batch is committed, and
      // not at all if it is not; duplicates change nothing worth
      // announcing. One payload per shop: ids are at most 64 bytes, far
      // below NOTIFY's limit.
      " notices AS (SELECT pg_notify($1, octet_length(shop_id) || ':' ||"
      " shop_id) FROM (SELECT DISTINCT shop_id FROM fresh) s)"
      // The uncorrelated count runs once, before any row is returned.
      " SELECT s.batch_index FROM batch s"
      " WHERE (SELECT count(*) FROM notices) >= 0"
      " AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.batch_index = "
      "s.batch_index)";
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
        TextColumn(events, &StoredEvent::product_id),
        TextColumn(events, &StoredEvent::session_id),
        IntegerArray(events,
                     [](const StoredEvent& e) -> std::optional<int64_t> {
                       if (!e.has_order_amount_cents()) return std::nullopt;
                       return e.order_amount_cents();
                     }),
        TextColumn(events, &StoredEvent::page),
        TextColumn(events, &StoredEvent::referrer_host),
        TextColumn(events, &StoredEvent::utm_source),
        TextColumn(events, &StoredEvent::utm_medium),
        TextColumn(events, &StoredEvent::utm_campaign),
        TextColumn(events, &StoredEvent::device_class),
        TextColumn(events, &StoredEvent::browser),
        TextColumn(events, &StoredEvent::os),
        TextColumn(events, &StoredEvent::event_name), PropertiesArray(events));
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
