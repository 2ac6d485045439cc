#include "rollups/rollup_folder.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "rollups/rollup_schema.h"
#include "storage/pg_status.h"

namespace shopstream::rollups {
namespace {

constexpr char kFoldAll[] = "shopstream_fold_all";
constexpr char kFoldShop[] = "shopstream_fold_shop";

// A fold's transaction: its snapshot decides which appends have ended.
using FoldTransaction = pqxx::transaction<pqxx::repeatable_read>;

struct Folded {
  int64_t events = 0;
  std::optional<absl::Duration> oldest_wait;
};

Folded ReadFolded(const pqxx::row& row) {
  Folded folded;
  folded.events = row[0].as<int64_t>();
  if (!row[1].is_null()) {
    folded.oldest_wait = absl::Seconds(row[1].as<double>());
  }
  return folded;
}

// The fold statement over events of [$1, $2), of one shop ($3) or all.
std::string FoldSql(bool one_shop) {
  return FoldStatement(
      absl::StrCat("events e WHERE e.append_xid >= $1::bigint"
                   " AND e.append_xid < $2::bigint",
                   one_shop ? " AND e.shop_id = $3::text" : ""));
}

// The watermark, and how far a fold may take it: the oldest transaction
// that was running when this transaction's snapshot was taken (its first
// statement, this one) and may belong to this database; every transaction
// below it has ended, and the committed ones are visible. A transaction of
// another database cannot append here, so it does not hold the fold back;
// one whose database cannot be told (it ended since, or its session is
// not visible to this role) counts as this database's.
constexpr char kBoundsSql[] =
    "SELECT w.watermark, coalesce((SELECT min(x::text::bigint)"
    " FROM pg_snapshot_xip(s.snap) AS x WHERE NOT EXISTS (SELECT 1"
    " FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL"
    " AND a.backend_xid::text::bigint = x::text::bigint % 4294967296"
    " AND a.datname IS DISTINCT FROM current_database())),"
    " pg_snapshot_xmax(s.snap)::text::bigint)"
    " FROM rollup_watermark w, (SELECT pg_current_snapshot() AS snap) s";

struct SetAside {
  std::string shop;
  std::string error;
};

}  // namespace

RollupFolder::RollupFolder(FolderOptions options)
    : options_(std::move(options)) {}

RollupFolder::~RollupFolder() = default;

absl::Status RollupFolder::EnsureConnected() {
  return RunPgVoid([&] {
    if (conn_ != nullptr && conn_->is_open()) return;
    conn_.reset();
    auto conn = std::make_unique<pqxx::connection>(options_.conninfo);
    // The statements' plans do not depend on the parameters' values.
    pqxx::nontransaction tx(*conn);
    tx.exec("SET plan_cache_mode = force_generic_plan");
    tx.commit();
    conn->prepare(kFoldAll, FoldSql(false));
    conn->prepare(kFoldShop, FoldSql(true));
    conn_ = std::move(conn);
  });
}

// Holds the fold lock from before a transaction begins (so its snapshot
// sees every fold committed before) until after it ends. The lock is the
// session's: it ends with the connection if that breaks.
class RollupFolder::FoldLock {
 public:
  explicit FoldLock(pqxx::connection& conn) : conn_(conn) {
    pqxx::nontransaction tx(conn_);
    held_ = tx.exec_params1("SELECT pg_try_advisory_lock($1)", kFoldLock)[0]
                .as<bool>();
  }
  ~FoldLock() {
    if (!held_) return;
    try {
      pqxx::nontransaction tx(conn_);
      tx.exec_params("SELECT pg_advisory_unlock($1)", kFoldLock);
    } catch (const std::exception&) {
      // The connection is gone, and the lock with it.
    }
  }
  bool held() const { return held_; }

 private:
  pqxx::connection& conn_;
  bool held_ = false;
};

absl::StatusOr<FoldResult> RollupFolder::FoldOnce() {
  if (absl::Status s = EnsureConnected(); !s.ok()) {
    conn_.reset();
    return s;
  }
  FoldResult result;
  const absl::Time started = absl::Now();
  absl::Status status = RunPgVoid([&] {
    FoldLock lock(*conn_);
    if (!lock.held()) return;
    result.leader = true;
    FoldTransaction tx(*conn_);
    const pqxx::row bounds = tx.exec1(kBoundsSql);
    const int64_t lo = bounds[0].as<int64_t>();
    const int64_t xmin = bounds[1].as<int64_t>();
    const int64_t hi = std::min(xmin, lo + options_.max_transactions);
    result.watermark = lo;
    if (hi <= lo) return;
    result.more = hi < xmin;
    Folded folded;
    std::optional<std::string> failure;
    // Savepoints by hand: libpqxx 6's subtransaction does not begin before
    // a prepared statement runs in it.
    tx.exec0("SAVEPOINT fold");
    try {
      folded = ReadFolded(tx.exec_prepared1(kFoldAll, lo, hi));
      tx.exec0("RELEASE SAVEPOINT fold");
    } catch (const std::exception& e) {
      const absl::Status s = StatusFromPgException(e);
      // A lost connection or a conflict fails the whole transaction; only
      // a failure of the data is one shop's to carry.
      if (IsTransientPgStatus(s)) throw;
      failure = std::string(s.message());
      tx.exec0("ROLLBACK TO SAVEPOINT fold");
    }
    if (failure.has_value()) {
      LogWarning("fold failed; folding each shop alone", {{"error", *failure}});
      const pqxx::result shops = tx.exec_params(
          "SELECT DISTINCT shop_id FROM events"
          " WHERE append_xid >= $1 AND append_xid < $2",
          lo, hi);
      std::vector<SetAside> set_aside;
      for (const pqxx::row& row : shops) {
        const std::string shop = row[0].as<std::string>();
        std::optional<Folded> part;
        tx.exec0("SAVEPOINT fold_shop");
        try {
          part = ReadFolded(tx.exec_prepared1(kFoldShop, lo, hi, shop));
          tx.exec0("RELEASE SAVEPOINT fold_shop");
        } catch (const std::exception& e) {
          const absl::Status s = StatusFromPgException(e);
          if (IsTransientPgStatus(s)) throw;
          set_aside.push_back({shop, std::string(s.message())});
          tx.exec0("ROLLBACK TO SAVEPOINT fold_shop");
        }
        if (!part.has_value()) continue;
        folded.events += part->events;
        if (part->oldest_wait &&
            (!folded.oldest_wait || *part->oldest_wait > *folded.oldest_wait)) {
          folded.oldest_wait = part->oldest_wait;
        }
      }
      for (const SetAside& s : set_aside) {
        tx.exec_params0(
            "INSERT INTO rollup_pending (shop_id, xid_lo, xid_hi, last_error,"
            " retry_at) VALUES ($1, $2, $3, $4, now() + $5 * interval '1 ms')",
            s.shop, lo, hi, s.error,
            absl::ToInt64Milliseconds(options_.retry_pause));
        ++result.shops_set_aside;
        RollupShopsSetAside().Increment();
        LogError("shop's events set aside: their fold failed",
                 {{"shop_id", s.shop},
                  {"xid_lo", absl::StrCat(lo)},
                  {"xid_hi", absl::StrCat(hi)},
                  {"error", s.error}});
      }
    }
    // Conditional, so that a fold that raced another (it cannot while the
    // lock holds) counts nothing twice.
    const pqxx::result moved = tx.exec_params(
        "UPDATE rollup_watermark SET watermark = $2, folded_at = now()"
        " WHERE watermark = $1",
        lo, hi);
    if (moved.affected_rows() != 1) {
      throw pqxx::serialization_failure("the watermark moved under the fold");
    }
    tx.commit();
    result.events = folded.events;
    result.watermark = hi;
    result.oldest_wait = folded.oldest_wait;
  });
  if (!status.ok()) {
    if (status.code() == absl::StatusCode::kUnavailable) conn_.reset();
    RollupFolds(/*ok=*/false).Increment();
    return status;
  }
  if (!result.leader) return result;
  RollupFolds(/*ok=*/true).Increment();
  RollupFoldDuration().Observe(absl::ToDoubleSeconds(absl::Now() - started));
  RollupFoldedEvents().Increment(static_cast<double>(result.events));
  RollupLag().Set(
      result.oldest_wait ? absl::ToDoubleSeconds(*result.oldest_wait) : 0.0);
  RollupLastFold().SetToCurrentTime();
  return result;
}

absl::StatusOr<int> RollupFolder::RetrySetAside() {
  if (absl::Status s = EnsureConnected(); !s.ok()) {
    conn_.reset();
    return s;
  }
  int folded = 0;
  absl::Status status = RunPgVoid([&] {
    FoldLock lock(*conn_);
    if (!lock.held()) return;
    pqxx::result due;
    {
      pqxx::nontransaction tx(*conn_);
      due = tx.exec(
          "SELECT shop_id, xid_lo, xid_hi, failures FROM rollup_pending"
          " WHERE retry_at <= now() ORDER BY retry_at LIMIT 20");
    }
    for (const pqxx::row& row : due) {
      const std::string shop = row[0].as<std::string>();
      const int64_t lo = row[1].as<int64_t>();
      const int64_t hi = row[2].as<int64_t>();
      const int failures = row[3].as<int>();
      try {
        FoldTransaction tx(*conn_);
        tx.exec_prepared1(kFoldShop, lo, hi, shop);
        const pqxx::result gone = tx.exec_params(
            "DELETE FROM rollup_pending WHERE shop_id = $1 AND xid_lo = $2",
            shop, lo);
        if (gone.affected_rows() != 1) {
          throw pqxx::serialization_failure("the set-aside range moved");
        }
        tx.commit();
        ++folded;
        LogInfo("set-aside events folded", {{"shop_id", shop},
                                            {"xid_lo", absl::StrCat(lo)},
                                            {"xid_hi", absl::StrCat(hi)}});
      } catch (const std::exception& e) {
        const absl::Status s = StatusFromPgException(e);
        if (IsTransientPgStatus(s)) throw;
        const absl::Duration pause =
            std::min(options_.retry_pause * (1 << std::min(failures, 6)),
                     absl::Minutes(1));
        pqxx::nontransaction tx(*conn_);
        tx.exec_params0(
            "UPDATE rollup_pending SET failures = failures + 1,"
            " last_error = $3, retry_at = now() + $4 * interval '1 ms'"
            " WHERE shop_id = $1 AND xid_lo = $2",
            shop, lo, std::string(s.message()),
            absl::ToInt64Milliseconds(pause));
        LogError("set-aside events still fail to fold",
                 {{"shop_id", shop}, {"error", std::string(s.message())}});
      }
    }
    pqxx::nontransaction tx(*conn_);
    RollupPendingShops().Set(
        tx.exec1("SELECT count(DISTINCT shop_id) FROM rollup_pending")[0]
            .as<double>());
  });
  if (!status.ok()) {
    if (status.code() == absl::StatusCode::kUnavailable) conn_.reset();
    return status;
  }
  return folded;
}

void RollupFolder::Run(absl::Notification& stop) {
  absl::Duration pause = options_.interval;
  while (!stop.HasBeenNotified()) {
    absl::StatusOr<FoldResult> result = FoldOnce();
    bool more = false;
    if (result.ok()) {
      more = result->more;
      if (absl::StatusOr<int> retried = RetrySetAside(); !retried.ok()) {
        LogWarning("cannot retry set-aside folds",
                   {{"error", std::string(retried.status().message())}});
      }
      pause = options_.interval;
    } else {
      LogWarning("fold failed; trying again",
                 {{"error", std::string(result.status().message())}});
      pause = std::min(pause * 2, absl::Seconds(5));
    }
    if (!more) stop.WaitForNotificationWithTimeout(pause);
  }
}

}  // namespace shopstream::rollups
