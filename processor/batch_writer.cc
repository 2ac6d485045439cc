#include "processor/batch_writer.h"

#include <optional>
#include <pqxx/pqxx>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/commit_notice.h"
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

}  // namespace

BatchWriter::BatchWriter(std::string conninfo) : conninfo_(std::move(conninfo)) {}

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
  conn_ = std::move(conn);
}

absl::StatusOr<std::vector<bool>> BatchWriter::Write(
    const std::vector<const internal::v1::StoredEvent*>& events) {
  if (events.empty()) return std::vector<bool>();
  auto inserted = RunPg([&] {
    EnsureConnected();
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
        copy << std::make_tuple(e->shop_id(), e->event_id(),
                                static_cast<int>(e->event_type()),
                                e->occurred_at_micros(),
                                NullIfEmpty(e->product_id()),
                                NullIfEmpty(e->session_id()), cents);
      }
      copy.complete();
    }
    pqxx::result rows = tx.exec(
        "INSERT INTO events (shop_id, event_id, event_type, occurred_at,"
        " product_id, session_id, order_amount_cents)"
        " SELECT shop_id, event_id, event_type,"
        " 'epoch'::timestamptz + occurred_at_micros * interval '1 microsecond',"
        " product_id, session_id, order_amount_cents FROM staging_events"
        " ON CONFLICT (shop_id, event_id) DO NOTHING"
        " RETURNING shop_id, event_id");
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
