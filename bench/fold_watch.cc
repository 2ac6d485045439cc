#include "bench/fold_watch.h"

#include <algorithm>
#include <optional>
#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/pg_status.h"

namespace shopstream::bench {

FoldWatch::FoldWatch(std::string conninfo) : conninfo_(std::move(conninfo)) {}

FoldWatch::~FoldWatch() = default;

absl::Status FoldWatch::Connect() {
  if (conn_ != nullptr && conn_->is_open()) return absl::OkStatus();
  conn_.reset();
  return RunPgVoid(
      [&] { conn_ = std::make_unique<pqxx::connection>(conninfo_); });
}

absl::StatusOr<int64_t> FoldWatch::Watermark() {
  if (absl::Status s = Connect(); !s.ok()) return s;
  absl::StatusOr<int64_t> watermark = RunPg([&] {
    pqxx::nontransaction tx(*conn_);
    return tx.exec1("SELECT watermark FROM rollup_watermark")[0].as<int64_t>();
  });
  if (!watermark.ok()) conn_.reset();
  return watermark;
}

absl::StatusOr<int64_t> FoldWatch::NextTransactionId() {
  if (absl::Status s = Connect(); !s.ok()) return s;
  absl::StatusOr<int64_t> next = RunPg([&] {
    pqxx::nontransaction tx(*conn_);
    return tx
        .exec1(
            "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")[0]
        .as<int64_t>();
  });
  if (!next.ok()) conn_.reset();
  return next;
}

absl::StatusOr<int64_t> FoldWatch::AppendXid(const std::string& shop_id,
                                             const std::string& event_id) {
  if (absl::Status s = Connect(); !s.ok()) return s;
  absl::StatusOr<std::optional<int64_t>> xid = RunPg([&] {
    pqxx::nontransaction tx(*conn_);
    const pqxx::result rows = tx.exec_params(
        "SELECT append_xid FROM events WHERE shop_id = $1 AND event_id = $2",
        shop_id, event_id);
    std::optional<int64_t> found;
    if (!rows.empty() && !rows[0][0].is_null()) {
      found = rows[0][0].as<int64_t>();
    }
    return found;
  });
  if (!xid.ok()) {
    conn_.reset();
    return xid.status();
  }
  if (!xid->has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no append_xid for ", shop_id, "/", event_id));
  }
  return **xid;
}

absl::StatusOr<absl::Duration> FoldWatch::WaitForWatermark(
    int64_t xid, absl::Duration limit, absl::Duration poll_interval) {
  const absl::Time start = absl::Now();
  while (true) {
    absl::StatusOr<int64_t> watermark = Watermark();
    if (!watermark.ok()) return watermark.status();
    const absl::Time now = absl::Now();
    if (*watermark >= xid) return now - start;
    if (now - start >= limit) {
      return absl::DeadlineExceededError(
          absl::StrCat("rollup watermark ", *watermark, " still below ", xid,
                       " after ", absl::FormatDuration(limit)));
    }
    absl::SleepFor(poll_interval);
  }
}

absl::StatusOr<absl::Duration> FoldWatch::WaitForFoldOfEverything(
    absl::Duration limit) {
  absl::StatusOr<int64_t> next = NextTransactionId();
  if (!next.ok()) return next.status();
  return WaitForWatermark(*next, limit);
}

void FoldLagTracker::Add(int64_t append_xid, absl::Time acked_at) {
  pending_.push_back({append_xid, acked_at});
}

void FoldLagTracker::Observe(int64_t watermark, absl::Time now) {
  const auto folded = std::stable_partition(
      pending_.begin(), pending_.end(),
      [watermark](const Pending& p) { return p.append_xid >= watermark; });
  for (auto it = folded; it != pending_.end(); ++it) {
    lag_us_.Record(absl::ToInt64Microseconds(now - it->acked_at));
  }
  pending_.erase(folded, pending_.end());
}

void FoldLagTracker::GiveUp(absl::Time now) {
  for (const Pending& p : pending_) {
    lag_us_.Record(absl::ToInt64Microseconds(now - p.acked_at));
    ++not_folded_;
  }
  pending_.clear();
}

}  // namespace shopstream::bench
