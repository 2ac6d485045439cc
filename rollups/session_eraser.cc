#include "rollups/session_eraser.h"

#include <algorithm>
#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "rollups/rollup_schema.h"
#include "rollups/rollup_verifier.h"
#include "storage/pg_status.h"

namespace shopstream::rollups {

SessionEraser::SessionEraser(std::string conninfo)
    : conninfo_(std::move(conninfo)) {}

absl::StatusOr<ErasedSession> SessionEraser::Erase(
    const std::string& shop, const std::string& session) const {
  if (shop.empty()) return absl::InvalidArgumentError("shop: required");
  if (session.empty()) return absl::InvalidArgumentError("session: required");
  absl::StatusOr<absl::StatusOr<ErasedSession>> outcome =
      RunPg([&]() -> absl::StatusOr<ErasedSession> {
        pqxx::connection conn(conninfo_);
        {
          // Waits for the fold in progress; folds wait for the erasure.
          pqxx::nontransaction lock(conn);
          lock.exec_params("SELECT pg_advisory_lock($1)", kFoldLock);
        }
        pqxx::transaction<pqxx::repeatable_read> tx(conn);
        // The session's events, folded or not: with the fold lock held no
        // fold moves between here and the commit.
        const pqxx::row erased = tx.exec_params1(
            absl::StrCat("WITH gone AS (DELETE FROM events WHERE shop_id = $1"
                         " AND session_id = $2 RETURNING occurred_at)"
                         " SELECT count(*), ",
                         MicrosOf("min(occurred_at)"), ", ",
                         MicrosOf("max(occurred_at)"), ", ",
                         MicrosOf(kShopRawHorizon), " FROM gone"),
            shop, session);
        tx.exec_params0(
            "DELETE FROM shop_sessions WHERE shop_id = $1 AND session_id = $2",
            shop, session);
        tx.exec_params0(
            "DELETE FROM shop_session_days WHERE shop_id = $1"
            " AND session_id = $2",
            shop, session);
        tx.exec_params0(
            "DELETE FROM shop_session_stats WHERE shop_id = $1"
            " AND session_id = $2",
            shop, session);
        ErasedSession result;
        result.events = erased[0].as<int64_t>();
        if (result.events > 0) {
          int64_t lo = FloorTo(erased[1].as<int64_t>(), kDayMicros);
          const int64_t hi =
              FloorTo(erased[2].as<int64_t>(), kDayMicros) + kDayMicros;
          // Days whose raw events retention dropped cannot be recounted.
          if (!erased[3].is_null()) lo = std::max(lo, erased[3].as<int64_t>());
          if (lo < hi) {
            absl::StatusOr<VerifyReport> rebuilt = RollupVerifier::RunIn(
                tx, shop, absl::FromUnixMicros(lo), absl::FromUnixMicros(hi),
                /*repair=*/true);
            if (!rebuilt.ok()) return rebuilt.status();
            result.tables_rebuilt =
                static_cast<int64_t>(rebuilt->differences.size());
          }
        }
        // The session count, whether or not raw events were left to erase.
        tx.exec_params0(
            "UPDATE shop_totals SET sessions = (SELECT count(*)"
            " FROM shop_sessions WHERE shop_id = $1) WHERE shop_id = $1",
            shop);
        // The shop's first and last event may have been the session's: from
        // the events that remain, when retention has dropped none of them.
        tx.exec_params0(
            absl::StrCat(
                "UPDATE shop_totals t SET first_event_at = r.first_at,"
                " last_event_at = r.last_at FROM (SELECT min(occurred_at)"
                " AS first_at, max(occurred_at) AS last_at FROM events e"
                " WHERE e.shop_id = $1 AND ",
                kFoldedCondition,
                ") r WHERE t.shop_id = $1 AND r.first_at IS NOT NULL AND ",
                kShopRawHorizon, " IS NULL"),
            shop);
        tx.commit();
        return result;
      });
  if (!outcome.ok()) return outcome.status();
  return *outcome;
}

}  // namespace shopstream::rollups
