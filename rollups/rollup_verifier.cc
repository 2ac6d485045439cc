#include "rollups/rollup_verifier.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rollups/engagement_schema.h"
#include "rollups/rollup_schema.h"
#include "storage/pg_status.h"

namespace shopstream::rollups {
namespace {

// The shop's events the rollups hold, of the range [$2, $3).
constexpr char kFoldedInRange[] =
    "(SELECT e.* FROM events e WHERE e.shop_id = $1"
    " AND e.occurred_at >= $2::timestamptz AND e.occurred_at < $3::timestamptz"
    " AND ";

std::string MeasureColumns(Measures measures) {
  switch (measures) {
    case Measures::kShopCounts:
      return absl::StrCat(", ", kShopCountColumns);
    case Measures::kProductCounts:
      return ", page_views, add_to_carts, purchases, revenue_cents";
    case Measures::kPresence:
      return "";
    case Measures::kSessionSketch:
      return ", sessions";
    case Measures::kDimensionCounts:
      return absl::StrCat(", ", kDimensionCountColumns);
    case Measures::kDimensionCountsAndSketch:
      return absl::StrCat(", ", kDimensionCountColumns, ", sessions");
  }
  return "";
}

// What of a row is compared: hll has no equality PostgreSQL can group or
// sort by, but its text is canonical (the same sessions give the same
// bytes, however they were merged).
std::string ComparedColumns(const EventRollup& rollup) {
  switch (rollup.measures) {
    case Measures::kSessionSketch:
      return absl::StrCat(absl::StrJoin(rollup.key_columns, ", "),
                          ", sessions::text");
    case Measures::kDimensionCountsAndSketch:
      return absl::StrCat(absl::StrJoin(rollup.key_columns, ", "), ", ",
                          kDimensionCountColumns, ", sessions::text");
    default:
      return "*";
  }
}

// One table's comparison: the rows it should hold (`expected`, a SELECT)
// against those it holds (`actual`, a SELECT of the same columns), both
// over the parameters $1 (shop), $2 and $3 (range).
struct Comparison {
  std::string table;
  std::string expected;
  std::string actual;
  // Deletes the rows `actual` selects.
  std::string remove;
  // The columns of both that must be equal.
  std::string compared = "*";
};

// A week rollup's comparison with the sums of its day rollup's rows over
// the weeks $4 to $5.
Comparison WeekFromDays(const EventRollup& week) {
  std::vector<std::string> keys, positions;
  for (size_t i = 0; i < week.key_columns.size(); ++i) {
    keys.push_back(week.key_columns[i] == week.period_column
                       ? absl::StrCat(WeekOf(week.period_column), " AS ",
                                      week.period_column)
                       : std::string(week.key_columns[i]));
    positions.push_back(absl::StrCat(i + 1));
  }
  std::string sums =
      week.measures == Measures::kDimensionCounts
          ? ", sum(page_views)::bigint, sum(add_to_carts)::bigint,"
            " sum(purchases)::bigint, sum(custom_events)::bigint,"
            " sum(revenue_cents), max(max_purchase_cents),"
            " min(min_purchase_cents)"
          : ", sum(page_views)::bigint, sum(add_to_carts)::bigint,"
            " sum(purchases)::bigint, sum(revenue_cents)";
  const EventRollup* day = FindEventRollup(week.day_table);
  // A week of the traffic dimensions sums only those of its days.
  const std::string dimensions =
      day != nullptr && week.per_event != day->per_event
          ? absl::StrCat(" AND dimension IN (", kTrafficDimensionNames, ")")
          : "";
  const std::string where = absl::StrCat(
      " WHERE shop_id = $1 AND ", week.period_column,
      " >= $4::timestamptz AND ", week.period_column, " < $5::timestamptz");
  return {
      std::string(week.table),
      absl::StrCat("SELECT ", absl::StrJoin(keys, ", "), sums, " FROM ",
                   week.day_table, where, dimensions, " GROUP BY ",
                   absl::StrJoin(positions, ", ")),
      absl::StrCat("SELECT ", absl::StrJoin(week.key_columns, ", "),
                   MeasureColumns(week.measures), " FROM ", week.table, where),
      absl::StrCat("DELETE FROM ", week.table, where)};
}

std::vector<Comparison> Comparisons(bool whole_history) {
  std::vector<Comparison> comparisons;
  const std::string folded =
      absl::StrCat(kFoldedInRange, kFoldedCondition, ") e");
  for (const EventRollup& rollup : EventRollups()) {
    if (rollup.period_days != 0) continue;
    const std::string keys = absl::StrJoin(rollup.key_columns, ", ");
    const std::string where = absl::StrCat(
        " WHERE shop_id = $1 AND ", rollup.period_column,
        " >= $2::timestamptz AND ", rollup.period_column, " < $3::timestamptz");
    comparisons.push_back(
        {std::string(rollup.table), RowsFromEvents(rollup, folded),
         absl::StrCat("SELECT ", keys, MeasureColumns(rollup.measures),
                      " FROM ", rollup.table, where),
         absl::StrCat("DELETE FROM ", rollup.table, where),
         ComparedColumns(rollup)});
  }
  // Sessions that started in the range, measured whole (also past it).
  const std::string sessions =
      absl::StrCat("SELECT * FROM (",
                   SessionStatsFromEvents(absl::StrCat(
                       "(SELECT e.* FROM events e WHERE e.shop_id = $1 AND ",
                       kFoldedCondition, ") e")),
                   ") s WHERE s.started_at >= $2::timestamptz"
                   " AND s.started_at < $3::timestamptz");
  const std::string signed_sessions =
      absl::StrCat("(SELECT s.*, 1 AS sign FROM (", sessions, ") s) s");
  comparisons.push_back(
      {"shop_session_stats", sessions,
       absl::StrCat("SELECT ", SessionColumns("s"),
                    " FROM shop_session_stats s WHERE shop_id = $1"
                    " AND started_at >= $2::timestamptz"
                    " AND started_at < $3::timestamptz"),
       // A session stored with another start is replaced too.
       absl::StrCat("DELETE FROM shop_session_stats WHERE shop_id = $1"
                    " AND ((started_at >= $2::timestamptz"
                    " AND started_at < $3::timestamptz) OR session_id IN"
                    " (SELECT session_id FROM (",
                    sessions, ") x))")});
  // Rows all of whose sessions moved to another day are zeros.
  comparisons.push_back(
      {"shop_engagement_day_rollup", EngagementDaysFrom(signed_sessions),
       "SELECT shop_id, day, sessions, bounces, duration_micros, page_views,"
       " viewed_sessions, carted_sessions, bought_sessions"
       " FROM shop_engagement_day_rollup WHERE shop_id = $1"
       " AND day >= $2::timestamptz AND day < $3::timestamptz"
       " AND (sessions, bounces, duration_micros, page_views, viewed_sessions,"
       " carted_sessions, bought_sessions) <> (0, 0, 0, 0, 0, 0, 0)",
       "DELETE FROM shop_engagement_day_rollup WHERE shop_id = $1"
       " AND day >= $2::timestamptz AND day < $3::timestamptz"});
  comparisons.push_back(
      {"shop_session_duration_buckets", DurationBucketsFrom(signed_sessions),
       "SELECT shop_id, day, bucket, sessions"
       " FROM shop_session_duration_buckets WHERE shop_id = $1"
       " AND day >= $2::timestamptz AND day < $3::timestamptz"
       " AND sessions <> 0",
       "DELETE FROM shop_session_duration_buckets WHERE shop_id = $1"
       " AND day >= $2::timestamptz AND day < $3::timestamptz"});
  // Weeks are the sums of their days: $4 and $5 bound the weeks that
  // overlap the range.
  for (const EventRollup& rollup : EventRollups()) {
    if (rollup.period_days == 0) continue;
    comparisons.push_back(WeekFromDays(rollup));
  }
  if (whole_history) {
    comparisons.push_back(
        {"shop_sessions",
         absl::StrCat("SELECT DISTINCT e.shop_id, e.session_id FROM events e"
                      " WHERE e.shop_id = $1 AND e.session_id IS NOT NULL"
                      " AND ",
                      kFoldedCondition),
         "SELECT shop_id, session_id FROM shop_sessions WHERE shop_id = $1",
         "DELETE FROM shop_sessions WHERE shop_id = $1"});
  }
  comparisons.push_back(
      {"product_totals",
       "SELECT shop_id, product_id, sum(page_views)::bigint,"
       " sum(add_to_carts)::bigint, sum(purchases)::bigint, sum(revenue_cents)"
       " FROM product_day_rollup WHERE shop_id = $1 GROUP BY 1, 2",
       "SELECT shop_id, product_id, page_views, add_to_carts, purchases,"
       " revenue_cents FROM product_totals WHERE shop_id = $1",
       "DELETE FROM product_totals WHERE shop_id = $1"});
  // First and last event come from the raw events when all are kept, and
  // are taken as they stand otherwise.
  const std::string first_last =
      whole_history
          ? absl::StrCat(
                "(SELECT min(e.occurred_at) FROM events e"
                " WHERE e.shop_id = $1 AND ",
                kFoldedCondition,
                "), (SELECT max(e.occurred_at) FROM events e"
                " WHERE e.shop_id = $1 AND ",
                kFoldedCondition, ")")
          : "(SELECT first_event_at FROM shop_totals WHERE shop_id = $1),"
            " (SELECT last_event_at FROM shop_totals WHERE shop_id = $1)";
  comparisons.push_back(
      {"shop_totals",
       absl::StrCat(
           "SELECT $1::text, ", first_last,
           ", sum(page_views)::bigint, sum(add_to_carts)::bigint,"
           " sum(purchases)::bigint, sum(revenue_cents),"
           " max(max_purchase_cents), min(min_purchase_cents),"
           " (SELECT count(*) FROM shop_sessions WHERE shop_id = $1),"
           " (SELECT product_id FROM product_totals WHERE shop_id = $1"
           " AND page_views > 0"
           " ORDER BY page_views DESC, product_id COLLATE \"C\" LIMIT 1),"
           " coalesce((SELECT max(page_views) FROM product_totals"
           " WHERE shop_id = $1), 0)"
           " FROM shop_day_rollup WHERE shop_id = $1 HAVING count(*) > 0"),
       "SELECT shop_id, first_event_at, last_event_at, page_views,"
       " add_to_carts, purchases, revenue_cents, max_purchase_cents,"
       " min_purchase_cents, sessions, top_product_id, top_product_views"
       " FROM shop_totals WHERE shop_id = $1",
       "DELETE FROM shop_totals WHERE shop_id = $1"});
  return comparisons;
}

absl::Status WholeDay(absl::string_view field, absl::Time t) {
  if (absl::ToUnixMicros(t) % kDayMicros != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must be a whole UTC day (00:00:00Z), not ",
        absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone())));
  }
  return absl::OkStatus();
}

}  // namespace

RollupVerifier::RollupVerifier(std::string conninfo)
    : conninfo_(std::move(conninfo)) {}

absl::StatusOr<VerifyReport> RollupVerifier::Verify(
    const std::string& shop, std::optional<absl::Time> from,
    std::optional<absl::Time> to) const {
  return Run(shop, from, to, /*repair=*/false);
}

absl::StatusOr<VerifyReport> RollupVerifier::Rebuild(
    const std::string& shop, std::optional<absl::Time> from,
    std::optional<absl::Time> to) const {
  return Run(shop, from, to, /*repair=*/true);
}

absl::StatusOr<VerifyReport> RollupVerifier::RunIn(
    pqxx::transaction_base& tx, const std::string& shop,
    std::optional<absl::Time> from, std::optional<absl::Time> to, bool repair) {
  const pqxx::row kept =
      tx.exec_params1(absl::StrCat("SELECT ", MicrosOf(kShopRawHorizon), ", ",
                                   MicrosOf("min(occurred_at)"), ", ",
                                   MicrosOf("max(occurred_at)"),
                                   " FROM events WHERE shop_id = $1"),
                      shop);
  const std::optional<int64_t> horizon =
      kept[0].is_null() ? std::nullopt
                        : std::optional<int64_t>(kept[0].as<int64_t>());
  VerifyReport report;
  report.whole_history = !from && !to && !horizon;
  int64_t lo = 0, hi = 0;
  if (!kept[1].is_null()) {
    lo = FloorTo(kept[1].as<int64_t>(), kDayMicros);
    hi = FloorTo(kept[2].as<int64_t>(), kDayMicros) + kDayMicros;
  }
  if (from) lo = absl::ToUnixMicros(*from);
  if (to) hi = absl::ToUnixMicros(*to);
  if (horizon && lo < *horizon) {
    if (from) {
      return absl::InvalidArgumentError(
          absl::StrCat("from: raw events before ", TimestampText(*horizon),
                       " are no longer kept; their rollups cannot be checked"));
    }
    lo = *horizon;
  }
  if (hi < lo) hi = lo;
  report.from = absl::FromUnixMicros(lo);
  report.to = absl::FromUnixMicros(hi);
  const int64_t week_lo = FloorTo(lo, kWeekMicros, kWeekOriginMicros);
  const int64_t week_hi =
      hi > lo ? FloorTo(hi - 1, kWeekMicros, kWeekOriginMicros) + kWeekMicros
              : week_lo;
  const std::string p2 = TimestampText(lo), p3 = TimestampText(hi),
                    p4 = TimestampText(week_lo), p5 = TimestampText(week_hi);
  // Every statement takes the same five parameters; each uses some,
  // and PostgreSQL must learn the type of all.
  const std::string all_params =
      " $2::timestamptz IS NOT NULL AND $3::timestamptz IS NOT NULL"
      " AND $4::timestamptz IS NOT NULL AND $5::timestamptz IS NOT NULL";
  for (const Comparison& c : Comparisons(report.whole_history)) {
    const pqxx::row diff = tx.exec_params1(
        absl::StrCat("WITH expected AS (", c.expected, "), actual AS (",
                     c.actual, ") SELECT (SELECT count(*) FROM (SELECT ",
                     c.compared, " FROM expected EXCEPT ALL SELECT ",
                     c.compared,
                     " FROM actual) m), (SELECT count(*)"
                     " FROM (SELECT ",
                     c.compared,
                     " FROM actual"
                     " EXCEPT ALL SELECT ",
                     c.compared, " FROM expected) u) WHERE", all_params),
        shop, p2, p3, p4, p5);
    TableDifference d{c.table, diff[0].as<int64_t>(), diff[1].as<int64_t>()};
    if (d.missing == 0 && d.unexpected == 0) continue;
    report.differences.push_back(d);
    if (!repair) continue;
    // The rows it should hold are kept aside first: some are
    // computed from the table itself.
    tx.exec0(absl::StrCat("CREATE TEMP TABLE rebuilt (LIKE ", c.table,
                          ") ON COMMIT DROP"));
    tx.exec_params0(absl::StrCat("INSERT INTO rebuilt SELECT * FROM (",
                                 c.expected, ") x WHERE", all_params),
                    shop, p2, p3, p4, p5);
    tx.exec_params0(absl::StrCat(c.remove, " AND", all_params), shop, p2, p3,
                    p4, p5);
    tx.exec0(absl::StrCat("INSERT INTO ", c.table, " SELECT * FROM rebuilt"));
    tx.exec0("DROP TABLE rebuilt");
  }
  return report;
}

absl::Status RollupVerifier::CheckArguments(const std::string& shop,
                                            std::optional<absl::Time> from,
                                            std::optional<absl::Time> to) {
  if (shop.empty()) return absl::InvalidArgumentError("shop: required");
  if (from) {
    if (absl::Status s = WholeDay("from", *from); !s.ok()) return s;
  }
  if (to) {
    if (absl::Status s = WholeDay("to", *to); !s.ok()) return s;
  }
  if (from && to && *from >= *to) {
    return absl::InvalidArgumentError("to: must be after from");
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifyReport> RollupVerifier::Run(const std::string& shop,
                                                 std::optional<absl::Time> from,
                                                 std::optional<absl::Time> to,
                                                 bool repair) const {
  if (absl::Status s = CheckArguments(shop, from, to); !s.ok()) return s;
  absl::StatusOr<absl::StatusOr<VerifyReport>> outcome =
      RunPg([&]() -> absl::StatusOr<VerifyReport> {
        pqxx::connection conn(conninfo_);
        if (repair) {
          // Waits for the fold in progress; folds wait for the rebuild.
          pqxx::nontransaction lock(conn);
          lock.exec_params("SELECT pg_advisory_lock($1)", kFoldLock);
        }
        pqxx::transaction<pqxx::repeatable_read> tx(conn);
        absl::StatusOr<VerifyReport> report = RunIn(tx, shop, from, to, repair);
        if (report.ok()) tx.commit();
        return report;
      });
  if (!outcome.ok()) return outcome.status();
  return *outcome;
}

}  // namespace shopstream::rollups
