#include "query/rollup_analytics.h"

#include <algorithm>
#include <array>
#include <functional>
#include <pqxx/pqxx>
#include <thread>

#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "query/analytics_comparison.h"
#include "query/analytics_requests.h"
#include "query/answer_values.h"
#include "query/summary_formulas.h"
#include "query/time_buckets.h"
#include "rollups/rollup_schema.h"

namespace shopstream {
namespace {

using OptText = std::optional<std::string>;

using rollups::MicrosOf;

std::string ArrayOf(const std::vector<int64_t>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// The begins and ends of a plan's pieces from one source, as SQL array
// literals for unnest.
struct PieceArrays {
  std::string lo;
  std::string hi;
  bool empty = true;
  int64_t first_begin = 0;
};
PieceArrays PiecesOf(const RangePlan& plan, Source source) {
  std::vector<int64_t> lo, hi;
  for (const Segment& s : plan.segments(source)) {
    lo.push_back(s.begin);
    hi.push_back(s.end);
  }
  return {ArrayOf(lo), ArrayOf(hi), lo.empty(), lo.empty() ? 0 : lo.front()};
}

// Every bucket start of a plan's pieces from one rollup source, as a SQL
// timestamptz[] literal, for `bucket_start = ANY(...)`: the planner sees
// each value and keeps to the primary key, where a join against unnest'ed
// ranges let it pick a full scan of the rollup at 10M events. Only for
// sources with a few buckets per plan.
std::string BucketStartsOf(const RangePlan& plan, Source source) {
  const int64_t unit = SourceUnitMicros(source);
  std::vector<std::string> starts;
  for (const Segment& s : plan.segments(source)) {
    for (int64_t t = s.begin; t < s.end; t += unit) {
      starts.push_back(absl::StrCat("\"", TimestampText(t), "\""));
    }
  }
  return absl::StrCat("{", absl::StrJoin(starts, ","), "}");
}

// Which rollups answer what, by Source (raw, minute, hour, day, week):
// shop counts have every UTC unit but weeks, products have days and weeks,
// unique sessions have session days.
constexpr std::array<bool, kSourceCount> kShopSources = {true, true, true, true,
                                                         false};
constexpr std::array<bool, kSourceCount> kProductSources = {true, false, false,
                                                            true, true};
constexpr std::array<bool, kSourceCount> kSessionSources = {true, false, false,
                                                            true, false};

std::optional<int64_t> OptInt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

// The events not yet in the rollups, of shop $1 (NULL: every shop).
std::string Tail(const char* alias) {
  return rollups::TailEvents("$1::text", alias);
}

// The shops an answer covers, aliased t: shop $1, or with $1 NULL every
// shop, folded or only in the tail.
constexpr char kShops[] =
    "(SELECT $1::text AS shop_id WHERE $1::text IS NOT NULL"
    " UNION SELECT shop_id FROM shop_totals WHERE $1::text IS NULL"
    " UNION SELECT shop_id FROM rollup_pending WHERE $1::text IS NULL"
    " UNION SELECT shop_id FROM events WHERE $1::text IS NULL"
    " AND append_xid >= (SELECT watermark FROM rollup_watermark)) t";

struct Counts {
  int64_t page_views = 0;
  int64_t add_to_carts = 0;
  int64_t purchases = 0;
  absl::int128 revenue_cents = 0;
  std::optional<int64_t> max_cents;
  std::optional<int64_t> min_cents;

  int64_t events() const { return page_views + add_to_carts + purchases; }

  // Adds a row laid out as page_views, add_to_carts, purchases,
  // revenue_cents, max, min from column `first` on.
  void Add(const pqxx::row& row, int first) {
    page_views += row[first].as<int64_t>();
    add_to_carts += row[first + 1].as<int64_t>();
    purchases += row[first + 2].as<int64_t>();
    revenue_cents += CentsOf(row[first + 3]);
    if (auto max = OptInt(row[first + 4])) {
      max_cents = max_cents ? std::max(*max_cents, *max) : *max;
    }
    if (auto min = OptInt(row[first + 5])) {
      min_cents = min_cents ? std::min(*min_cents, *min) : *min;
    }
  }
};

// What shop_totals knows about the scope (one shop, or every shop).
struct Totals {
  bool any = false;
  int64_t first = 0;  // earliest event, microseconds
  int64_t last = 0;   // latest event
  Counts counts;
  int64_t sessions = 0;
  // Raw events before this were dropped by retention.
  std::optional<int64_t> horizon;
  // Of a single shop: its most viewed product of all time.
  std::optional<std::string> top_product_id;
};

// Raw events are needed from `begin` on; INVALID_ARGUMENT (naming from) when
// retention dropped some of them.
absl::Status CheckRawKept(const Totals& totals, int64_t begin) {
  if (!totals.horizon || begin >= *totals.horizon) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "from: raw events before ",
      absl::FormatTime(absl::RFC3339_full,
                       absl::FromUnixMicros(*totals.horizon),
                       absl::UTCTimeZone()),
      " are no longer kept; this answer needs them (ranges there must start and"
      " end on whole UTC days, and unique sessions and funnels need kept "
      "events)"));
}

// shop_totals plus the tail, in one statement (one snapshot).
Totals LoadTotals(pqxx::transaction_base& tx, const OptText& shop) {
  static const std::string sql = absl::StrCat(
      "WITH tail AS MATERIALIZED (SELECT e.shop_id, e.event_type,"
      " e.occurred_at, e.product_id, e.session_id, e.order_amount_cents FROM ",
      Tail("e"),
      "),"
      " stored AS (SELECT count(*) AS shops, min(first_event_at) AS first_at,"
      " max(last_event_at) AS last_at,"
      " coalesce(sum(page_views), 0)::bigint AS page_views,"
      " coalesce(sum(add_to_carts), 0)::bigint AS add_to_carts,"
      " coalesce(sum(purchases), 0)::bigint AS purchases,"
      " coalesce(sum(revenue_cents), 0) AS revenue_cents,"
      " max(max_purchase_cents) AS max_cents,"
      " min(min_purchase_cents) AS min_cents,"
      " coalesce(sum(sessions), 0)::bigint AS sessions,"
      " CASE WHEN $1::text IS NOT NULL THEN max(top_product_id) END AS top_id,"
      " CASE WHEN $1::text IS NOT NULL THEN max(top_product_views) END"
      " AS top_views"
      " FROM shop_totals WHERE ($1::text IS NULL OR shop_id = $1)),"
      " fresh AS (SELECT count(*) AS n, min(e.occurred_at) AS first_at,"
      " max(e.occurred_at) AS last_at, ",
      rollups::CountAggregates(true),
      " FROM tail e),"
      // Sessions the tail adds: those the shop had not seen before, each
      // looked up on its own. The tail is estimated at most of the events,
      // so a NOT EXISTS became a hash anti join reading every session of
      // every shop once the tail held a single event (45-67 ms at 1M
      // events against 3 ms).
      " new_sessions AS (SELECT count(*) AS n FROM (SELECT DISTINCT"
      " e.shop_id, e.session_id FROM tail e WHERE e.session_id IS NOT NULL) x"
      " LEFT JOIN LATERAL (SELECT true AS seen FROM shop_sessions s"
      " WHERE s.shop_id = x.shop_id AND s.session_id = x.session_id LIMIT 1)"
      " s ON true WHERE s.seen IS NULL),"
      // The tail's most viewed product with its all-time views, offered
      // against the stored leader as the folder will.
      " leader AS (SELECT v.product_id, coalesce(p.page_views, 0) + v.views"
      " AS views FROM (SELECT e.product_id,"
      " count(*) FILTER (WHERE e.event_type = 1) AS views FROM tail e"
      " WHERE $1::text IS NOT NULL AND e.product_id IS NOT NULL GROUP BY 1) v"
      " LEFT JOIN product_totals p ON p.shop_id = $1"
      " AND p.product_id = v.product_id"
      " WHERE coalesce(p.page_views, 0) + v.views > 0"
      " ORDER BY 2 DESC, v.product_id COLLATE \"C\" LIMIT 1)"
      " SELECT s.shops + f.n, ",
      MicrosOf("least(s.first_at, f.first_at)"), ", ",
      MicrosOf("greatest(s.last_at, f.last_at)"),
      ", s.page_views + f.page_views, s.add_to_carts + f.add_to_carts,"
      " s.purchases + f.purchases, s.revenue_cents + f.revenue_cents,"
      " greatest(s.max_cents, f.max_purchase_cents),"
      " least(s.min_cents, f.min_purchase_cents), s.sessions + ns.n, ",
      // The shop's own retention counts too; over every shop, the latest
      // of any shop's.
      MicrosOf(rollups::kShopRawHorizon),
      ","
      " CASE WHEN l.views > coalesce(s.top_views, 0) OR (l.views = s.top_views"
      " AND l.product_id COLLATE \"C\" < s.top_id COLLATE \"C\")"
      " THEN l.product_id ELSE s.top_id END"
      " FROM stored s CROSS JOIN fresh f CROSS JOIN new_sessions ns"
      " LEFT JOIN leader l ON true");
  pqxx::row row = tx.exec_params1(sql, shop);
  Totals totals;
  totals.horizon = OptInt(row[10]);
  if (!row[11].is_null()) totals.top_product_id = row[11].as<std::string>();
  totals.any = row[0].as<int64_t>() > 0;
  if (!totals.any) return totals;
  totals.first = row[1].as<int64_t>();
  totals.last = row[2].as<int64_t>();
  totals.counts.Add(row, 3);
  totals.sessions = row[9].as<int64_t>();
  return totals;
}

// A range narrowed to the UTC days that hold stored events (open ends
// become those days' edges, so they stay aligned to the day rollups), and
// whether it holds every stored event.
struct Clipped {
  int64_t from = 0;
  int64_t to = 0;
  bool everything = false;
};

std::optional<Clipped> Clip(const Totals& totals, const MicrosRange& range) {
  if (!totals.any) return std::nullopt;
  constexpr int64_t kDay = 86'400'000'000;
  auto floor_day = [](int64_t t) {
    return t / kDay * kDay - (t % kDay < 0 ? kDay : 0);
  };
  const int64_t first_day = floor_day(totals.first);
  const int64_t end_day = floor_day(totals.last) + kDay;
  Clipped c;
  c.from = range.from ? std::max(*range.from, first_day) : first_day;
  c.to = range.to ? std::min(*range.to, end_day) : end_day;
  if (c.from >= c.to) return std::nullopt;
  c.everything = c.from <= totals.first && c.to > totals.last;
  return c;
}

const char* RollupTable(Source source) {
  switch (source) {
    case Source::kMinute:
      return "shop_minute_rollup";
    case Source::kHour:
      return "shop_hour_rollup";
    default:
      return "shop_day_rollup";
  }
}

// Sums per bucket over the plan's pieces. `starts`: each bucket's first
// microsecond, ascending, to place rollup rows.
absl::StatusOr<std::vector<Counts>> LoadShopCounts(
    pqxx::transaction_base& tx, const OptText& shop, const Totals& totals,
    const RangePlan& plan, const std::vector<int64_t>& starts) {
  std::vector<Counts> buckets(starts.size());
  for (Source source : {Source::kMinute, Source::kHour, Source::kDay}) {
    const PieceArrays pieces = PiecesOf(plan, source);
    if (pieces.empty) continue;
    const std::string sql = absl::StrCat(
        "SELECT ", MicrosOf("r.bucket_start"),
        ", r.page_views, r.add_to_carts, r.purchases, r.revenue_cents,"
        " r.max_purchase_cents, r.min_purchase_cents"
        " FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi)"
        " JOIN shop_totals t ON ($1::text IS NULL OR t.shop_id = $1)"
        " JOIN ",
        RollupTable(source),
        " r ON r.shop_id = t.shop_id AND r.bucket_start >= ",
        InstantOfMicros("s.lo"), " AND r.bucket_start < ",
        InstantOfMicros("s.hi"));
    for (const pqxx::row& row :
         tx.exec_params(sql, shop, pieces.lo, pieces.hi)) {
      const int64_t start = row[0].as<int64_t>();
      const auto it = std::upper_bound(starts.begin(), starts.end(), start);
      buckets[it - starts.begin() - 1].Add(row, 1);
    }
  }
  // The tail's events that fall in pieces the rollups answered, by
  // minute: the pieces are whole minutes at least, so a minute lies in one
  // answer bucket, and rows are placed like rollup rows.
  std::vector<int64_t> lo, hi, index;
  for (Source source : {Source::kMinute, Source::kHour, Source::kDay}) {
    for (const Segment& s : plan.segments(source)) {
      lo.push_back(s.begin);
      hi.push_back(s.end);
    }
  }
  if (!lo.empty()) {
    static const std::string sql = absl::StrCat(
        "SELECT ",
        MicrosOf("date_bin('1 minute', e.occurred_at, 'epoch'::timestamptz)"),
        ", ", rollups::CountAggregates(true),
        " FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi) JOIN ",
        Tail("e"), " ON e.occurred_at >= ", InstantOfMicros("s.lo"),
        " AND e.occurred_at < ", InstantOfMicros("s.hi"), " GROUP BY 1");
    for (const pqxx::row& row :
         tx.exec_params(sql, shop, ArrayOf(lo), ArrayOf(hi))) {
      const int64_t start = row[0].as<int64_t>();
      const auto it = std::upper_bound(starts.begin(), starts.end(), start);
      buckets[it - starts.begin() - 1].Add(row, 1);
    }
  }
  const auto& raw = plan.segments(Source::kRaw);
  if (!raw.empty()) {
    if (absl::Status s = CheckRawKept(totals, raw.front().begin); !s.ok())
      return s;
    lo.clear();
    hi.clear();
    index.clear();
    for (const Segment& s : raw) {
      lo.push_back(s.begin);
      hi.push_back(s.end);
      index.push_back(s.bucket);
    }
    static const std::string sql = absl::StrCat(
        "SELECT s.idx, ", rollups::CountAggregates(true),
        " FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS s(lo, hi, "
        "idx)"
        " CROSS JOIN ",
        kShops,
        // The shop once more on its own, so that the planner scans
        // (shop_id, occurred_at) by shop rather than every shop's events.
        " JOIN events e ON e.shop_id = t.shop_id"
        " AND ($1::text IS NULL OR e.shop_id = $1) AND e.occurred_at >= ",
        InstantOfMicros("s.lo"), " AND e.occurred_at < ",
        InstantOfMicros("s.hi"), " GROUP BY s.idx");
    for (const pqxx::row& row :
         tx.exec_params(sql, shop, ArrayOf(lo), ArrayOf(hi), ArrayOf(index))) {
      buckets[row[0].as<int64_t>()].Add(row, 1);
    }
  }
  return buckets;
}

absl::StatusOr<Counts> LoadRangeCounts(pqxx::transaction_base& tx,
                                       const OptText& shop,
                                       const Totals& totals,
                                       const Clipped& range) {
  if (range.everything) return totals.counts;
  RangePlan plan(kShopSources);
  plan.Add(range.from, range.to, 0);
  auto buckets = LoadShopCounts(tx, shop, totals, plan, {range.from});
  if (!buckets.ok()) return buckets.status();
  return (*buckets)[0];
}

using ProductRow = ProductCounts;

const char* SumColumn(v1::ProductMetric metric) {
  switch (metric) {
    case v1::ADD_TO_CARTS:
      return "3";
    case v1::PURCHASES:
      return "4";
    case v1::REVENUE:
      return "5";
    default:
      return "2";
  }
}

// Which sums a product row carries: all, or only page views (the others
// zero), which is all the most viewed product needs.
enum class ProductSums { kAll, kPageViews };

// Products ordered by `metric` descending, ties by id in byte order.
absl::StatusOr<std::vector<ProductRow>> LoadTopProducts(
    pqxx::transaction_base& tx, const OptText& shop, const Totals& totals,
    const Clipped& range, v1::ProductMetric metric, int limit,
    ProductSums sums = ProductSums::kAll) {
  const std::string order =
      absl::StrCat(" GROUP BY product_id ORDER BY ", SumColumn(metric),
                   " DESC, product_id COLLATE \"C\" LIMIT ", limit);
  const char* sums_select =
      sums == ProductSums::kAll
          ? "SELECT product_id, sum(page_views)::bigint,"
            " sum(add_to_carts)::bigint, sum(purchases)::bigint,"
            " sum(revenue_cents) FROM "
          // The other sums as zeros: summing revenue (numeric) was a fifth
          // of the most viewed product's time.
          : "SELECT product_id, sum(page_views)::bigint, 0::bigint,"
            " 0::bigint, 0::numeric FROM ";
  // One tail event as a product row.
  constexpr char kTailRow[] =
      " SELECT e.product_id, (e.event_type = 1)::int, (e.event_type = 2)::int,"
      " (e.event_type = 3)::int, CASE WHEN e.event_type = 3"
      " THEN coalesce(e.order_amount_cents, 0) ELSE 0 END FROM ";
  pqxx::result result;
  if (range.everything) {
    static const std::string sql = absl::StrCat(
        "WITH p AS (SELECT product_id, page_views, add_to_carts, purchases,"
        " revenue_cents FROM product_totals"
        " WHERE ($1::text IS NULL OR shop_id = $1) UNION ALL",
        kTailRow, Tail("e"), " WHERE e.product_id IS NOT NULL) ");
    result = tx.exec_params(absl::StrCat(sql, sums_select, "p", order), shop);
  } else {
    RangePlan plan(kProductSources);
    plan.Add(range.from, range.to, 0);
    const PieceArrays raw = PiecesOf(plan, Source::kRaw);
    if (!raw.empty) {
      if (absl::Status s = CheckRawKept(totals, raw.first_begin); !s.ok())
        return s;
    }
    // One range, so whole weeks are one run ($2, $6; none: NULL, no rows),
    // whatever its length, and whole days lie only beside it: at most six
    // on each side, listed ($3).
    std::optional<std::string> week_from, week_to;
    if (const auto& weeks = plan.segments(Source::kWeek); !weeks.empty()) {
      week_from = TimestampText(weeks.front().begin);
      week_to = TimestampText(weeks.back().end);
    }
    auto rollup_rows = [](const char* table, absl::string_view where) {
      return absl::StrCat(
          " SELECT r.product_id, r.page_views, r.add_to_carts, r.purchases,"
          " r.revenue_cents FROM shop_totals t JOIN ",
          table,
          " r ON r.shop_id = t.shop_id"
          " WHERE ($1::text IS NULL OR t.shop_id = $1) AND ",
          where);
    };
    // Edges of raw events, when there are any ($4, $5; the week's end is
    // then $6): a branch planned for none cost a third of the planning.
    const bool edges = !raw.empty;
    const std::string week_to_param = edges ? "$6" : "$4";
    std::string edge_rows;
    if (edges) {
      edge_rows = absl::StrCat(
          " UNION ALL", kTailRow,
          "unnest($4::bigint[], $5::bigint[]) AS s(lo, hi) CROSS JOIN ", kShops,
          // The shop once more on its own, so that the planner scans
          // (shop_id, occurred_at) by shop rather than every shop's events.
          " JOIN events e ON e.shop_id = t.shop_id"
          " AND ($1::text IS NULL OR e.shop_id = $1) AND e.occurred_at >= ",
          InstantOfMicros("s.lo"), " AND e.occurred_at < ",
          InstantOfMicros("s.hi"), " AND e.product_id IS NOT NULL");
    }
    const std::string sql = absl::StrCat(
        "WITH p AS (",
        rollup_rows("product_week_rollup",
                    absl::StrCat("r.bucket_start >= $2::timestamptz"
                                 " AND r.bucket_start < ",
                                 week_to_param, "::timestamptz")),
        " UNION ALL",
        rollup_rows("product_day_rollup",
                    "r.bucket_start = ANY($3::timestamptz[])"),
        // The tail's events in the weeks and days the rollups answer.
        " UNION ALL", kTailRow, Tail("e"),
        " WHERE e.product_id IS NOT NULL AND ((e.occurred_at >= $2::timestamptz"
        " AND e.occurred_at < ",
        week_to_param,
        "::timestamptz) OR date_bin('1 day',"
        " e.occurred_at, 'epoch'::timestamptz) = ANY($3::timestamptz[]))",
        edge_rows, ") ", sums_select, "p", order);
    const std::string days = BucketStartsOf(plan, Source::kDay);
    result = edges ? tx.exec_params(sql, shop, week_from, days, raw.lo, raw.hi,
                                    week_to)
                   : tx.exec_params(sql, shop, week_from, days, week_to);
  }
  std::vector<ProductRow> products;
  for (const pqxx::row& row : result) {
    products.push_back({row[0].as<std::string>(), row[1].as<int64_t>(),
                        row[2].as<int64_t>(), row[3].as<int64_t>(),
                        CentsOf(row[4])});
  }
  return products;
}

// The statements counting the sessions of shop $1 (NULL: every shop) over
// whole days $2 to $3 (unnest'ed ranges) and, with edges, raw edges $4 to
// $5.
struct SessionStatements {
  // The distinct sessions of the session days, of the tail's events on those
  // days and of the edges.
  std::string exact;
  // The same from the union of the days' sketches and sketches of the rest.
  std::string estimate;
};

SessionStatements MakeSessionSql(bool with_edges) {
  // The tail first, through its block-range index alone: joined with the
  // ranges instead, PostgreSQL combines that index with (shop_id,
  // occurred_at) and walks every event of the range (60 ms for 30 days
  // at 1M events).
  const std::string tail = absl::StrCat(
      "WITH tail AS MATERIALIZED (SELECT e.shop_id, e.session_id,"
      " e.occurred_at FROM ",
      Tail("e"), " WHERE e.session_id IS NOT NULL) ");
  auto day_rows = [](const char* table, const char* alias) {
    return absl::StrCat(
        " FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi)"
        " JOIN shop_totals t ON ($1::text IS NULL OR t.shop_id = $1) JOIN ",
        table, " ", alias, " ON ", alias, ".shop_id = t.shop_id AND ", alias,
        ".day >= ", InstantOfMicros("s.lo"), " AND ", alias, ".day < ",
        InstantOfMicros("s.hi"));
  };
  const std::string tail_on_days = absl::StrCat(
      " FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi) JOIN tail e"
      " ON e.occurred_at >= ",
      InstantOfMicros("s.lo"), " AND e.occurred_at < ",
      InstantOfMicros("s.hi"));
  // The shop once more on its own: the planner then scans (shop_id,
  // occurred_at) by shop; joined through the shop list alone, it scanned
  // every shop's events of each edge (160 ms against 25 at 1M events).
  const std::string edges = absl::StrCat(
      " FROM unnest($4::bigint[], $5::bigint[]) AS s(lo, hi) CROSS JOIN ",
      kShops,
      " JOIN events e ON e.shop_id = t.shop_id"
      " AND ($1::text IS NULL OR e.shop_id = $1) AND e.occurred_at >= ",
      InstantOfMicros("s.lo"), " AND e.occurred_at < ", InstantOfMicros("s.hi"),
      " AND e.session_id IS NOT NULL");
  return SessionStatements{
      absl::StrCat(
          tail, "SELECT count(*) FROM (SELECT d.shop_id, d.session_id",
          day_rows("shop_session_days", "d"),
          " UNION SELECT e.shop_id, e.session_id", tail_on_days,
          with_edges
              ? absl::StrCat(" UNION SELECT e.shop_id, e.session_id", edges)
              : "",
          ") AS sessions"),
      absl::StrCat(
          tail,
          "SELECT coalesce(round(hll_cardinality(hll_union_agg(x.sketch))),"
          " 0)::bigint FROM (SELECT k.sessions AS sketch",
          day_rows("shop_session_sketches", "k"), " UNION ALL SELECT ",
          rollups::SessionSketch(), tail_on_days,
          with_edges ? absl::StrCat(" UNION ALL SELECT ",
                                    rollups::SessionSketch(), edges)
                     : "",
          ") AS x")};
}

// Without edges the statement leaves their branch out: planned for none,
// it took a good part of the planning.
const SessionStatements& SessionSql(bool with_edges) {
  static const SessionStatements* const with =
      new SessionStatements(MakeSessionSql(true));
  static const SessionStatements* const without =
      new SessionStatements(MakeSessionSql(false));
  return with_edges ? *with : *without;
}

struct UniqueSessions {
  int64_t count = 0;
  bool estimated = false;
};

// The distinct sessions of a range: of all time from the totals, else of
// its whole UTC days from the session days, or with `estimate` (and whole
// days to estimate) from the days' sketches, which read a few KiB a day
// however many sessions there were. The partial days at the edges (raw
// events) and the tail count either way.
absl::StatusOr<UniqueSessions> LoadUniqueSessions(pqxx::transaction_base& tx,
                                                  const OptText& shop,
                                                  const Totals& totals,
                                                  const Clipped& range,
                                                  bool estimate) {
  if (range.everything) return UniqueSessions{totals.sessions, false};
  RangePlan plan(kSessionSources);
  plan.Add(range.from, range.to, 0);
  const PieceArrays days = PiecesOf(plan, Source::kDay);
  const PieceArrays raw = PiecesOf(plan, Source::kRaw);
  if (!raw.empty) {
    if (absl::Status s = CheckRawKept(totals, raw.first_begin); !s.ok())
      return s;
  }
  // Without a whole day, both would read the same raw events.
  if (days.empty) estimate = false;
  const SessionStatements& sql = SessionSql(!raw.empty);
  const std::string& statement = estimate ? sql.estimate : sql.exact;
  const pqxx::row row =
      raw.empty
          ? tx.exec_params1(statement, shop, days.lo, days.hi)
          : tx.exec_params1(statement, shop, days.lo, days.hi, raw.lo, raw.hi);
  return UniqueSessions{row[0].as<int64_t>(), estimate};
}

// A summary's snapshot: the isolation level goes with BEGIN in one round
// trip, where BEGIN then kReadOnlySnapshot take two.
using SummarySnapshot =
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// A thread joined when it goes out of scope, whatever way that is.
class JoinedThread {
 public:
  explicit JoinedThread(std::function<void()> fn) : thread_(std::move(fn)) {}
  ~JoinedThread() { thread_.join(); }

 private:
  std::thread thread_;
};

OptText ShopOf(const std::string& shop_id) {
  if (shop_id.empty()) return std::nullopt;
  return shop_id;
}

// A shop's summary over everything it stored, from its totals alone.
SummaryCounts TotalCounts(const Totals& totals) {
  SummaryCounts counts;
  const Counts& c = totals.counts;
  counts.page_views = c.page_views;
  counts.add_to_carts = c.add_to_carts;
  counts.purchases = c.purchases;
  counts.revenue_cents = c.revenue_cents;
  counts.max_purchase_cents = c.max_cents.value_or(0);
  counts.min_purchase_cents = c.min_cents.value_or(0);
  counts.top_product_id = totals.top_product_id;
  counts.unique_sessions = totals.sessions;
  return counts;
}

// The summary counts of `range` in the snapshot `totals` were read in;
// zeros where the range holds nothing stored. Not OK: a refusal
// (INVALID_ARGUMENT naming the field).
absl::Status LoadSummaryCounts(pqxx::transaction_base& tx, const OptText& shop,
                               const Totals& totals, const MicrosRange& range,
                               int64_t exact_sessions_max_events,
                               SummaryCounts& counts) {
  const std::optional<Clipped> clipped = Clip(totals, range);
  if (!clipped) return absl::OkStatus();
  auto loaded = LoadRangeCounts(tx, shop, totals, *clipped);
  // One shop's all-time leader is kept with its totals.
  const bool kept_leader = clipped->everything && shop.has_value();
  auto top =
      kept_leader
          ? absl::StatusOr<std::vector<ProductRow>>(std::vector<ProductRow>())
          : LoadTopProducts(tx, shop, totals, *clipped, v1::PAGE_VIEWS, 1,
                            ProductSums::kPageViews);
  // An exact count reads at most one session day per event.
  const bool estimate_sessions =
      loaded.ok() && loaded->events() > exact_sessions_max_events;
  auto sessions =
      LoadUniqueSessions(tx, shop, totals, *clipped, estimate_sessions);
  absl::Status refused;
  for (const absl::Status& s :
       {loaded.status(), top.status(), sessions.status()}) {
    if (!s.ok()) refused = s;
  }
  if (!refused.ok()) return refused;
  const Counts& c = *loaded;
  counts.page_views = c.page_views;
  counts.add_to_carts = c.add_to_carts;
  counts.purchases = c.purchases;
  counts.revenue_cents = c.revenue_cents;
  counts.max_purchase_cents = c.max_cents.value_or(0);
  counts.min_purchase_cents = c.min_cents.value_or(0);
  if (kept_leader) {
    counts.top_product_id = totals.top_product_id;
  } else if (!top->empty() && (*top)[0].page_views > 0) {
    counts.top_product_id = (*top)[0].product_id;
  }
  counts.unique_sessions = sessions->count;
  counts.unique_sessions_estimated = sessions->estimated;
  return absl::OkStatus();
}

v1::Summary SummaryOf(const SummaryCounts& counts) {
  v1::Summary summary = BuildSummary(counts);
  SetTimestampMicros(absl::ToUnixMicros(absl::Now()), summary.mutable_as_of());
  return summary;
}

}  // namespace

absl::StatusOr<v1::Summary> RollupAnalytics::Summary(
    const v1::GetSummaryRequest& request) const {
  auto range = CheckScope(request.shop_id(), false,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  const OptText shop = ShopOf(request.shop_id());
  SummaryCounts counts;
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    // One statement answers a shop's summary over everything it stored
    // (one statement is one snapshot). A range open at an end is tried
    // that way first; a bounded one seldom covers everything, and reading
    // the totals outside its snapshot too cost it a statement.
    if (!range->from || !range->to) {
      pqxx::nontransaction once(conn);
      const Totals quick = LoadTotals(once, shop);
      const std::optional<Clipped> quick_range = Clip(quick, *range);
      if (!quick_range) return;
      if (quick_range->everything && shop.has_value()) {
        counts = TotalCounts(quick);
        return;
      }
    }
    SummarySnapshot tx(conn);
    const Totals totals = LoadTotals(tx, shop);
    refused = LoadSummaryCounts(tx, shop, totals, *range,
                                options_.exact_sessions_max_events, counts);
    if (!refused.ok()) return;
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  return SummaryOf(counts);
}

absl::StatusOr<v1::Summary> RollupAnalytics::ComparedSummary(
    const v1::GetSummaryRequest& request,
    const v1::GetSummaryRequest& compared) const {
  auto range = CheckScope(request.shop_id(), false,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  auto compared_range =
      CheckScope(compared.shop_id(), false,
                 compared.has_from() ? &compared.from() : nullptr,
                 compared.has_to() ? &compared.to() : nullptr);
  if (!compared_range.ok()) return ForComparison(compared_range.status());
  const OptText shop = ShopOf(request.shop_id());
  SummaryCounts counts, compared_counts;
  absl::Status refused, compared_refused;
  auto load_compared = [&](pqxx::transaction_base& tx, const Totals& totals) {
    compared_refused = LoadSummaryCounts(
        tx, ShopOf(compared.shop_id()), totals, *compared_range,
        options_.exact_sessions_max_events, compared_counts);
  };
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    SummarySnapshot tx(conn);
    const Totals totals = LoadTotals(tx, shop);
    // The comparison is read at the same time on a second connection, in
    // this transaction's snapshot, when one is free at once (the two halves
    // were 30 ms one after the other at 10M events); else here after.
    const std::string snapshot =
        tx.exec1("SELECT pg_export_snapshot()")[0].as<std::string>();
    absl::Status beside = absl::UnavailableError("not run");
    {
      JoinedThread other([&] {
        beside = pool_->Run(
            [&](pqxx::connection& second) {
              pqxx::work imported(second);
              imported.exec(absl::StrCat(kReadOnlySnapshot,
                                         "; SET TRANSACTION SNAPSHOT ",
                                         imported.quote(snapshot)));
              load_compared(imported, totals);
              imported.commit();
            },
            absl::ZeroDuration());
      });
      refused = LoadSummaryCounts(tx, shop, totals, *range,
                                  options_.exact_sessions_max_events, counts);
    }
    if (!refused.ok()) return;
    if (!beside.ok()) load_compared(tx, totals);
    if (!compared_refused.ok()) return;
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  if (!compared_refused.ok()) return ForComparison(compared_refused);
  v1::Summary summary = SummaryOf(counts);
  *summary.mutable_comparison()->mutable_summary() = SummaryOf(compared_counts);
  return summary;
}

absl::StatusOr<v1::TimeSeries> RollupAnalytics::TimeSeries(
    const v1::GetTimeSeriesRequest& request) const {
  auto query = CheckTimeSeries(request);
  if (!query.ok()) return query.status();
  const int64_t from = *query->range.from;
  const int64_t to = *query->range.to;
  auto edges = BucketEdges(from, to, query->bucket, query->zone, kMaxBuckets);
  if (!edges.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: at most ", kMaxBuckets, " buckets between from and to"));
  }
  // Each bucket clipped to [from, to); the first and last may be partial.
  RangePlan plan(kShopSources);
  std::vector<int64_t> starts;
  for (size_t i = 0; i + 1 < edges->size(); ++i) {
    const int64_t begin = std::max((*edges)[i], from);
    starts.push_back(begin);
    plan.Add(begin, std::min((*edges)[i + 1], to), static_cast<int>(i));
  }
  absl::StatusOr<std::vector<Counts>> loaded;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    const OptText shop = request.shop_id();
    // Rollups and the tail are read in one snapshot, so that a fold
    // committing in between neither hides nor doubles events. Without raw
    // pieces there is no retention horizon to respect.
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    loaded = LoadShopCounts(
        tx, shop,
        plan.segments(Source::kRaw).empty() ? Totals() : LoadTotals(tx, shop),
        plan, starts);
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!loaded.ok()) return loaded.status();
  const std::vector<Counts>& buckets = *loaded;
  v1::TimeSeries series;
  series.set_bucket(query->bucket);
  series.set_time_zone(query->zone_name);
  for (size_t i = 0; i < buckets.size(); ++i) {
    v1::TimeSeriesPoint* point = series.add_points();
    SetTimestampMicros((*edges)[i], point->mutable_start());
    point->set_page_views(buckets[i].page_views);
    point->set_add_to_carts(buckets[i].add_to_carts);
    point->set_purchases(buckets[i].purchases);
    point->set_revenue(Units(buckets[i].revenue_cents));
  }
  return series;
}

absl::StatusOr<v1::TopProducts> RollupAnalytics::TopProducts(
    const v1::GetTopProductsRequest& request) const {
  auto query = CheckTopProducts(request);
  if (!query.ok()) return query.status();
  const OptText shop = request.shop_id();
  absl::StatusOr<std::vector<ProductRow>> loaded = std::vector<ProductRow>();
  bool whole_days = false;
  if (query->range.from && query->range.to) {
    RangePlan plan(kProductSources);
    plan.Add(*query->range.from, *query->range.to, 0);
    whole_days = plan.segments(Source::kRaw).empty();
  }
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    if (whole_days) {
      // Whole UTC days need only the week and day rollups: one statement.
      pqxx::nontransaction once(conn);
      loaded =
          LoadTopProducts(once, shop, Totals(),
                          Clipped{*query->range.from, *query->range.to, false},
                          query->order_by, query->limit);
      return;
    }
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    const Totals totals = LoadTotals(tx, shop);
    if (auto clipped = Clip(totals, query->range)) {
      loaded = LoadTopProducts(tx, shop, totals, *clipped, query->order_by,
                               query->limit);
    }
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!loaded.ok()) return loaded.status();
  const std::vector<ProductRow>& rows = *loaded;
  v1::TopProducts top;
  top.set_order_by(query->order_by);
  for (const ProductRow& row : rows) AddProductStats(row, &top);
  return top;
}

absl::StatusOr<v1::Funnel> RollupAnalytics::Funnel(
    const v1::GetFunnelRequest& request) const {
  auto range = CheckScope(request.shop_id(), true,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  const OptText shop = request.shop_id();
  Counts events;
  std::array<int64_t, 3> sessions = {0, 0, 0};
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    const Totals totals = LoadTotals(tx, shop);
    if (auto clipped = Clip(totals, *range)) {
      auto loaded = LoadRangeCounts(tx, shop, totals, *clipped);
      refused = loaded.status();
      if (refused.ok()) refused = CheckRawKept(totals, clipped->from);
      if (!refused.ok()) return;
      events = *loaded;
      sessions = LoadFunnelSessions(tx, *shop, clipped->from, clipped->to);
    }
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  v1::Funnel funnel;
  const std::array<int64_t, 3> counts = {events.page_views, events.add_to_carts,
                                         events.purchases};
  for (int i = 0; i < 3; ++i) {
    v1::FunnelStep* step = funnel.add_steps();
    step->set_event_type(EventTypeName(i + 1));
    step->set_events(counts[i]);
    step->set_sessions(sessions[i]);
    if (i == 0) {
      step->set_conversion_from_previous(sessions[0] > 0 ? 100 : 0);
    } else {
      step->set_conversion_from_previous(
          ConversionRatePercent(sessions[i], sessions[i - 1]));
    }
  }
  funnel.set_overall_conversion(
      ConversionRatePercent(sessions[2], sessions[0]));
  return funnel;
}

}  // namespace shopstream
