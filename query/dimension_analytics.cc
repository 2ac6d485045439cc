#include "query/dimension_analytics.h"

#include <algorithm>
#include <array>
#include <pqxx/pqxx>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "query/answer_values.h"
#include "query/session_settings.h"
#include "query/summary_formulas.h"
#include "query/time_buckets.h"
#include "rollups/rollup_schema.h"

namespace shopstream {
namespace {

using rollups::MicrosOf;
using Counts = DimensionAnalytics::BucketCounts;

// Raw, minute, hour, day, week: the dimension rollups have hours and days.
constexpr std::array<bool, kSourceCount> kDimensionSources = {true, false, true,
                                                              true, false};

// Products per dimension value have days and weeks.
constexpr std::array<bool, kSourceCount> kProductSources = {true, false, false,
                                                            true, true};

std::string ArrayOf(const std::vector<int64_t>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// Adds a row laid out as page_views, add_to_carts, purchases,
// revenue_cents, max, min, events from column `first` on.
void Add(const pqxx::row& row, int first, Counts& c) {
  c.page_views += row[first].as<int64_t>();
  c.add_to_carts += row[first + 1].as<int64_t>();
  c.purchases += row[first + 2].as<int64_t>();
  c.revenue_cents += CentsOf(row[first + 3]);
  if (!row[first + 4].is_null()) {
    const int64_t max = row[first + 4].as<int64_t>();
    c.max_cents = c.max_cents ? std::max(*c.max_cents, max) : max;
  }
  if (!row[first + 5].is_null()) {
    const int64_t min = row[first + 5].as<int64_t>();
    c.min_cents = c.min_cents ? std::min(*c.min_cents, min) : min;
  }
  c.events += row[first + 6].as<int64_t>();
}

struct Pieces {
  std::vector<int64_t> lo, hi, index;
  bool empty() const { return lo.empty(); }
};

Pieces PiecesOf(const RangePlan& plan, std::initializer_list<Source> sources) {
  Pieces p;
  for (Source source : sources) {
    for (const Segment& s : plan.segments(source)) {
      p.lo.push_back(s.begin);
      p.hi.push_back(s.end);
      p.index.push_back(s.bucket);
    }
  }
  return p;
}

// INVALID_ARGUMENT naming from when raw events from `begin` on are needed
// and retention dropped some of them.
absl::Status CheckRawKept(pqxx::transaction_base& tx, const std::string& shop,
                          int64_t begin) {
  static const std::string sql =
      absl::StrCat("SELECT ", MicrosOf(rollups::kShopRawHorizon));
  const pqxx::row row = tx.exec_params1(sql, shop);
  if (row[0].is_null() || begin >= row[0].as<int64_t>()) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "from: raw events before ",
      absl::FormatTime(absl::RFC3339_full,
                       absl::FromUnixMicros(row[0].as<int64_t>()),
                       absl::UTCTimeZone()),
      " are no longer kept; this answer needs them (filtered ranges there"
      " must start and end on whole UTC days)"));
}

// The plan's counts per bucket: rollup rows placed by their start among
// `starts`, the tail's events in the rollups' pieces likewise, and the raw
// pieces by their bucket.
absl::StatusOr<std::vector<Counts>> LoadCounts(
    pqxx::transaction_base& tx, const std::string& shop,
    const EventFilter::Term& term, const RangePlan& plan,
    const std::vector<int64_t>& starts) {
  std::vector<Counts> buckets(starts.size());
  auto place = [&](int64_t start) -> Counts& {
    const auto it = std::upper_bound(starts.begin(), starts.end(), start);
    return buckets[it - starts.begin() - 1];
  };
  const std::string predicate = absl::StrCat(
      "e.", term.dimension, " = $4::",
      std::string_view(term.dimension) == "event_type" ? "smallint" : "text");
  for (const auto& [source, table] :
       {std::pair(Source::kHour, "shop_dimension_hour_rollup"),
        std::pair(Source::kDay, "shop_dimension_day_rollup")}) {
    const Pieces pieces = PiecesOf(plan, {source});
    if (pieces.empty()) continue;
    const std::string sql = absl::StrCat(
        "SELECT ", MicrosOf("r.bucket_start"),
        ", r.page_views, r.add_to_carts, r.purchases, r.revenue_cents,"
        " r.max_purchase_cents, r.min_purchase_cents,"
        " r.page_views + r.add_to_carts + r.purchases + r.custom_events"
        " FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi)"
        " JOIN ",
        table,
        " r ON r.shop_id = $1 AND r.dimension = $4 AND r.value = $5"
        " AND r.bucket_start >= ",
        InstantOfMicros("s.lo"), " AND r.bucket_start < ",
        InstantOfMicros("s.hi"));
    for (const pqxx::row& row :
         tx.exec_params(sql, shop, ArrayOf(pieces.lo), ArrayOf(pieces.hi),
                        std::string(term.dimension), term.value)) {
      Add(row, 1, place(row[0].as<int64_t>()));
    }
  }
  // The tail's matching events in the rollups' pieces, by hour: the pieces
  // are whole UTC hours at least, so an hour lies in one answer bucket.
  if (const Pieces folded = PiecesOf(plan, {Source::kHour, Source::kDay});
      !folded.empty()) {
    const std::string sql = absl::StrCat(
        "SELECT ",
        MicrosOf("date_bin('1 hour', e.occurred_at, 'epoch'::timestamptz)"),
        ", ", rollups::CountAggregates(true),
        ", count(*) FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi) JOIN ",
        rollups::TailEvents("$1::text", "e"),
        " ON e.occurred_at >= ", InstantOfMicros("s.lo"),
        " AND e.occurred_at < ", InstantOfMicros("s.hi"), " WHERE ", predicate,
        " GROUP BY 1");
    for (const pqxx::row& row :
         tx.exec_params(sql, shop, ArrayOf(folded.lo), ArrayOf(folded.hi),
                        term.column_value)) {
      Add(row, 1, place(row[0].as<int64_t>()));
    }
  }
  if (const Pieces raw = PiecesOf(plan, {Source::kRaw}); !raw.empty()) {
    if (absl::Status s = CheckRawKept(tx, shop, raw.lo.front()); !s.ok()) {
      return s;
    }
    const std::string sql = absl::StrCat(
        "SELECT s.idx, ", rollups::CountAggregates(true),
        ", count(*) FROM unnest($2::bigint[], $3::bigint[], $5::bigint[])"
        " AS s(lo, hi, idx) JOIN events e ON e.shop_id = $1"
        " AND e.occurred_at >= ",
        InstantOfMicros("s.lo"), " AND e.occurred_at < ",
        InstantOfMicros("s.hi"), " WHERE ", predicate, " GROUP BY s.idx");
    for (const pqxx::row& row :
         tx.exec_params(sql, shop, ArrayOf(raw.lo), ArrayOf(raw.hi),
                        term.column_value, ArrayOf(raw.index))) {
      Add(row, 1, buckets[row[0].as<int64_t>()]);
    }
  }
  return buckets;
}

struct Sessions {
  int64_t count = 0;
  bool estimated = false;
};

// Whole days from the days' sketches, with the tail's events on those days
// and the raw events of the rest sketched alike; without whole days, an
// exact count of the raw events.
Sessions LoadSessions(pqxx::transaction_base& tx, const std::string& shop,
                      const EventFilter::Term& term, const RangePlan& plan,
                      int64_t from, int64_t to) {
  const std::string predicate =
      absl::StrCat("e.", term.dimension, " = $6::text");
  const Pieces days = PiecesOf(plan, {Source::kDay});
  if (days.empty()) {
    static const std::string* const exact = new std::string(absl::StrCat(
        "SELECT count(DISTINCT e.session_id) FROM events e"
        " WHERE e.shop_id = $1 AND e.occurred_at >= ",
        InstantOfMicros("$2"), " AND e.occurred_at < ", InstantOfMicros("$3"),
        " AND e.session_id IS NOT NULL AND "));
    const pqxx::row row = tx.exec_params1(
        absl::StrCat(*exact, "e.", term.dimension, " = $4::text"), shop, from,
        to, term.column_value);
    return {row[0].as<int64_t>(), false};
  }
  const Pieces rest = PiecesOf(plan, {Source::kHour, Source::kRaw});
  const std::string sketch =
      rollups::SessionSketch(rollups::kDimensionSketchLog2Registers);
  const std::string sql = absl::StrCat(
      "SELECT coalesce(round(hll_cardinality(hll_union_agg(x.sketch))), 0)"
      "::bigint FROM (SELECT r.sessions AS sketch"
      " FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi)"
      " JOIN shop_dimension_day_rollup r ON r.shop_id = $1"
      " AND r.dimension = $7 AND r.value = $8 AND r.bucket_start >= ",
      InstantOfMicros("s.lo"), " AND r.bucket_start < ",
      InstantOfMicros("s.hi"), " UNION ALL SELECT ", sketch,
      " FROM unnest($2::bigint[], $3::bigint[]) AS s(lo, hi) JOIN ",
      rollups::TailEvents("$1::text", "e"),
      " ON e.occurred_at >= ", InstantOfMicros("s.lo"), " AND e.occurred_at < ",
      InstantOfMicros("s.hi"), " WHERE e.session_id IS NOT NULL AND ",
      predicate, " UNION ALL SELECT ", sketch,
      " FROM unnest($4::bigint[], $5::bigint[]) AS s(lo, hi) JOIN events e"
      " ON e.shop_id = $1 AND e.occurred_at >= ",
      InstantOfMicros("s.lo"), " AND e.occurred_at < ", InstantOfMicros("s.hi"),
      " WHERE e.session_id IS NOT NULL AND ", predicate, ") AS x");
  const pqxx::row row =
      tx.exec_params1(sql, shop, ArrayOf(days.lo), ArrayOf(days.hi),
                      ArrayOf(rest.lo), ArrayOf(rest.hi), term.column_value,
                      std::string(term.dimension), term.value);
  return {row[0].as<int64_t>(), true};
}

// The products of the events matching `term` in [from, to): whole weeks
// and days from product_dimension_week_rollup and
// product_dimension_day_rollup with the tail's events on them, the
// rest from raw events; ordered by the column at `order_position` (2 page
// views, 3 carts, 4 purchases, 5 revenue) then id, at most `limit`, only
// those viewed when `viewed_only`.
absl::StatusOr<std::vector<ProductCounts>> LoadProducts(
    pqxx::transaction_base& tx, const std::string& shop,
    const EventFilter::Term& term, int64_t from, int64_t to, int order_position,
    int limit, bool viewed_only) {
  RangePlan plan(kProductSources);
  plan.Add(from, to, 0);
  const Pieces days = PiecesOf(plan, {Source::kDay});
  const Pieces weeks = PiecesOf(plan, {Source::kWeek});
  const Pieces folded = PiecesOf(plan, {Source::kDay, Source::kWeek});
  const Pieces raw = PiecesOf(plan, {Source::kRaw});
  if (!raw.empty()) {
    if (absl::Status s = CheckRawKept(tx, shop, raw.lo.front()); !s.ok()) {
      return s;
    }
  }
  const std::string predicate =
      absl::StrCat("e.", term.dimension, " = $6::text");
  auto rollup_rows = [](const char* table, const char* lo, const char* hi) {
    return absl::StrCat(
        "SELECT r.product_id, r.page_views, r.add_to_carts, r.purchases,"
        " r.revenue_cents FROM unnest(",
        lo, "::bigint[], ", hi, "::bigint[]) AS s(lo, hi) JOIN ", table,
        " r ON r.shop_id = $1 AND r.dimension = $7 AND r.value = $8"
        " AND r.bucket_start >= ",
        InstantOfMicros("s.lo"), " AND r.bucket_start < ",
        InstantOfMicros("s.hi"));
  };
  const std::string sql = absl::StrCat(
      "SELECT x.product_id, sum(x.page_views)::bigint,"
      " sum(x.add_to_carts)::bigint, sum(x.purchases)::bigint,"
      " sum(x.revenue_cents) FROM (",
      rollup_rows("product_dimension_week_rollup", "$9", "$10"), " UNION ALL ",
      rollup_rows("product_dimension_day_rollup", "$2", "$3"),
      " UNION ALL SELECT e.product_id, ", rollups::CountAggregates(false),
      " FROM unnest($11::bigint[], $12::bigint[]) AS s(lo, hi) JOIN ",
      rollups::TailEvents("$1::text", "e"),
      " ON e.occurred_at >= ", InstantOfMicros("s.lo"), " AND e.occurred_at < ",
      InstantOfMicros("s.hi"), " WHERE e.product_id IS NOT NULL AND ",
      predicate, " GROUP BY 1 UNION ALL SELECT e.product_id, ",
      rollups::CountAggregates(false),
      " FROM unnest($4::bigint[], $5::bigint[]) AS s(lo, hi) JOIN events e"
      " ON e.shop_id = $1 AND e.occurred_at >= ",
      InstantOfMicros("s.lo"), " AND e.occurred_at < ", InstantOfMicros("s.hi"),
      " WHERE e.product_id IS NOT NULL AND ", predicate,
      " GROUP BY 1) x GROUP BY 1",
      viewed_only ? " HAVING sum(x.page_views) > 0" : "", " ORDER BY ",
      order_position, " DESC, x.product_id COLLATE \"C\" LIMIT ", limit);
  std::vector<ProductCounts> products;
  for (const pqxx::row& row : tx.exec_params(
           sql, shop, ArrayOf(days.lo), ArrayOf(days.hi), ArrayOf(raw.lo),
           ArrayOf(raw.hi), term.column_value, std::string(term.dimension),
           term.value, ArrayOf(weeks.lo), ArrayOf(weeks.hi), ArrayOf(folded.lo),
           ArrayOf(folded.hi))) {
    ProductCounts& p = products.emplace_back();
    p.product_id = row[0].as<std::string>();
    p.page_views = row[1].as<int64_t>();
    p.add_to_carts = row[2].as<int64_t>();
    p.purchases = row[3].as<int64_t>();
    p.revenue_cents = CentsOf(row[4]);
  }
  return products;
}

}  // namespace

bool DimensionAnalytics::Answers(const std::string& shop_id,
                                 const MicrosRange& range,
                                 const EventFilter& filter) {
  const std::optional<EventFilter::Term> term = filter.single();
  return term.has_value() &&
         std::string_view(term->dimension) != "event_type" &&
         !shop_id.empty() && range.from.has_value() && range.to.has_value();
}

absl::StatusOr<v1::Summary> DimensionAnalytics::Summary(
    const std::string& shop_id, const MicrosRange& range,
    const EventFilter::Term& term) const {
  const int64_t from = *range.from;
  const int64_t to = *range.to;
  RangePlan plan(kDimensionSources);
  if (from < to) plan.Add(from, to, 0);
  const bool product = std::string_view(term.dimension) == "product_id";
  SummaryCounts counts;
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    if (from >= to) return;
    absl::StatusOr<std::vector<Counts>> loaded =
        LoadCounts(tx, shop_id, term, plan, {from});
    if (!loaded.ok()) {
      refused = loaded.status();
      return;
    }
    const Counts& c = (*loaded)[0];
    counts.page_views = c.page_views;
    counts.add_to_carts = c.add_to_carts;
    counts.purchases = c.purchases;
    counts.revenue_cents = c.revenue_cents;
    counts.max_purchase_cents = c.max_cents.value_or(0);
    counts.min_purchase_cents = c.min_cents.value_or(0);
    const Sessions sessions = LoadSessions(tx, shop_id, term, plan, from, to);
    counts.unique_sessions = sessions.count;
    counts.unique_sessions_estimated = sessions.estimated;
    if (product) {
      if (c.page_views > 0) counts.top_product_id = term.value;
    } else {
      // The most viewed product among the matching page views.
      auto top = LoadProducts(tx, shop_id, term, from, to, 2, 1,
                              /*viewed_only=*/true);
      refused = top.status();
      if (!refused.ok()) return;
      if (!top->empty()) counts.top_product_id = top->front().product_id;
    }
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  v1::Summary summary = BuildSummary(counts);
  SetTimestampMicros(absl::ToUnixMicros(absl::Now()), summary.mutable_as_of());
  return summary;
}

absl::StatusOr<std::vector<DimensionAnalytics::BucketCounts>>
DimensionAnalytics::Buckets(const std::string& shop_id,
                            const std::vector<int64_t>& starts, int64_t to,
                            const EventFilter::Term& term) const {
  RangePlan plan(kDimensionSources);
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t end = i + 1 < starts.size() ? starts[i + 1] : to;
    if (starts[i] < end) plan.Add(starts[i], end, static_cast<int>(i));
  }
  absl::StatusOr<std::vector<Counts>> loaded;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    loaded = LoadCounts(tx, shop_id, term, plan, starts);
    tx.commit();
  });
  if (!status.ok()) return status;
  return loaded;
}

absl::StatusOr<std::vector<ProductCounts>> DimensionAnalytics::TopProducts(
    const std::string& shop_id, int64_t from, int64_t to,
    const EventFilter::Term& term, int order_position, int limit) const {
  absl::StatusOr<std::vector<ProductCounts>> products;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    products = from < to ? LoadProducts(tx, shop_id, term, from, to,
                                        order_position, limit,
                                        /*viewed_only=*/false)
                         : std::vector<ProductCounts>();
    tx.commit();
  });
  if (!status.ok()) return status;
  return products;
}

}  // namespace shopstream
