#include "ingest/dead_letter_store.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace shopstream {
namespace {

constexpr char kColumns[] =
    "id, event_id, payload, reason, "
    "(extract(epoch FROM dead_lettered_at) * 1000000)::int8, "
    "(extract(epoch FROM replayed_at) * 1000000)::int8, "
    "coalesce(replayed_by, '')";

DeadLetterRecord FromRow(const pqxx::row& row) {
  DeadLetterRecord record;
  record.id = row[0].as<int64_t>();
  const pqxx::binarystring payload(row[2]);
  record.payload_parsed = record.event.ParseFromString(payload.str());
  if (!record.payload_parsed) {
    record.event.Clear();
    record.event.set_event_id(row[1].as<std::string>());
  }
  record.reason = row[3].as<std::string>();
  record.dead_lettered_at = absl::FromUnixMicros(row[4].as<int64_t>());
  if (!row[5].is_null()) {
    record.replayed_at = absl::FromUnixMicros(row[5].as<int64_t>());
  }
  record.replayed_by = row[6].as<std::string>();
  return record;
}

}  // namespace

absl::StatusOr<DeadLetterPage> DeadLetterStore::List(
    const std::string& shop, bool include_replayed, int page_size,
    std::optional<int64_t> before_id) {
  DeadLetterPage page;
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    // One row more than the page tells whether another page follows.
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kColumns,
                     " FROM dead_letter_events WHERE shop_id = $1"
                     " AND ($2 OR replayed_at IS NULL)"
                     " AND ($3::int8 IS NULL OR id < $3)"
                     " ORDER BY id DESC LIMIT $4"),
        absl::CEscape(shop), include_replayed, before_id, page_size + 1);
    for (const pqxx::row& row : rows) {
      if (static_cast<int>(page.records.size()) == page_size) {
        page.next_before_id = page.records.back().id;
        break;
      }
      page.records.push_back(FromRow(row));
    }
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<DeadLetterRecord> DeadLetterStore::Replay(
    const std::string& shop, int64_t id, const std::string& actor,
    const StoreAgain& store_again) {
  absl::StatusOr<DeadLetterRecord> result =
      absl::InternalError("replay did not run");
  absl::Status status = pool_->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    // The lock is what makes a second, concurrent replay wait for this one
    // and then find the row marked.
    pqxx::result rows = tx.exec_params(
        absl::StrCat("SELECT ", kColumns,
                     " FROM dead_letter_events WHERE id = $1 AND shop_id = $2"
                     " FOR UPDATE"),
        id, absl::CEscape(shop));
    if (rows.empty()) {
      result = absl::NotFoundError(absl::StrCat(
          "dead_letter_id: no dead letter ", id, " in shop \"", shop, "\""));
      return;
    }
    DeadLetterRecord record = FromRow(rows[0]);
    if (record.replayed_at.has_value()) {
      result = absl::FailedPreconditionError(
          absl::StrCat("dead_letter_id: dead letter ", id,
                       " was already replayed by ", record.replayed_by));
      return;
    }
    if (!record.payload_parsed) {
      result = absl::InvalidArgumentError(
          absl::StrCat("dead_letter_id: the payload of dead letter ", id,
                       " is not a stored event"));
      return;
    }
    if (absl::Status stored = store_again(record.event); !stored.ok()) {
      result = stored;
      return;
    }
    pqxx::result marked = tx.exec_params(
        "UPDATE dead_letter_events SET replayed_at = now(), replayed_by = $2 "
        "WHERE id = $1 AND replayed_at IS NULL "
        "RETURNING (extract(epoch FROM replayed_at) * 1000000)::int8",
        id, actor);
    record.replayed_at = absl::FromUnixMicros(marked[0][0].as<int64_t>());
    record.replayed_by = actor;
    tx.commit();
    result = std::move(record);
  });
  if (!status.ok()) return status;
  return result;
}

}  // namespace shopstream
