#include "query/breakdown_queries.h"

#include <algorithm>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "query/analytics_filter.h"
#include "query/analytics_requests.h"
#include "query/answer_values.h"
#include "query/session_settings.h"
#include "rollups/rollup_schema.h"

namespace shopstream {
namespace {

using rollups::FloorTo;
using rollups::kDayMicros;
using rollups::kWeekMicros;
using rollups::kWeekOriginMicros;
using rollups::MicrosOf;

constexpr int64_t kHourMicros = 3'600'000'000;

int64_t CeilTo(int64_t micros, int64_t unit) {
  return FloorTo(micros + unit - 1, unit);
}

// The events column and the rollups' dimension name of each Dimension;
// null for none.
const char* DimensionColumn(v1::Dimension dimension) {
  switch (dimension) {
    case v1::PAGE:
      return "page";
    case v1::REFERRER_HOST:
      return "referrer_host";
    case v1::UTM_SOURCE:
      return "utm_source";
    case v1::UTM_MEDIUM:
      return "utm_medium";
    case v1::UTM_CAMPAIGN:
      return "utm_campaign";
    case v1::DEVICE_CLASS:
      return "device_class";
    case v1::BROWSER:
      return "browser";
    case v1::OS:
      return "os";
    default:
      return nullptr;
  }
}

// Which source answers which part of [from, to): whole UTC days (one run),
// of them whole weeks from the week rollup and the days beside those from
// the day rollup, whole hours beside the days from the hour rollup (two
// runs), raw events for the rest (two runs). Empty runs have lo == hi.
struct Plan {
  int64_t from = 0, to = 0;
  int64_t days_lo = 0, days_hi = 0;
  int64_t weeks_lo = 0, weeks_hi = 0;
  int64_t hours_lo[2] = {0, 0}, hours_hi[2] = {0, 0};
  int64_t raw_lo[2] = {0, 0}, raw_hi[2] = {0, 0};
};

Plan MakePlan(int64_t from, int64_t to) {
  Plan p;
  p.from = from;
  p.to = to;
  const int64_t h0 = CeilTo(from, kHourMicros), h1 = FloorTo(to, kHourMicros);
  if (h0 >= h1) {
    p.days_lo = p.days_hi = p.weeks_lo = p.weeks_hi = to;
    p.hours_lo[0] = p.hours_hi[0] = p.hours_lo[1] = p.hours_hi[1] = to;
    p.raw_lo[0] = from;
    p.raw_hi[0] = to;
    p.raw_lo[1] = p.raw_hi[1] = to;
    return p;
  }
  const int64_t d0 = CeilTo(from, kDayMicros), d1 = FloorTo(to, kDayMicros);
  if (d0 >= d1) {
    p.days_lo = p.days_hi = p.weeks_lo = p.weeks_hi = h1;
    p.hours_lo[0] = h0;
    p.hours_hi[0] = h1;
    p.hours_lo[1] = p.hours_hi[1] = h1;
  } else {
    p.days_lo = d0;
    p.days_hi = d1;
    const int64_t w0 =
        FloorTo(d0 + kWeekMicros - 1, kWeekMicros, kWeekOriginMicros);
    const int64_t w1 = FloorTo(d1, kWeekMicros, kWeekOriginMicros);
    if (w0 < w1) {
      p.weeks_lo = w0;
      p.weeks_hi = w1;
    } else {
      p.weeks_lo = p.weeks_hi = d1;
    }
    p.hours_lo[0] = h0;
    p.hours_hi[0] = d0;
    p.hours_lo[1] = d1;
    p.hours_hi[1] = h1;
  }
  p.raw_lo[0] = from;
  p.raw_hi[0] = h0;
  p.raw_lo[1] = h1;
  p.raw_hi[1] = to;
  return p;
}

// The parameters every statement takes: $1 shop, $2 and $3 the range,
// $4 and $5 the days, $6 to $9 the hours, $10 and $11 the raw runs' inner
// ends (the outer ones are $2 and $3).
std::vector<std::string> PlanParams(const Plan& p) {
  std::vector<std::string> out;
  for (int64_t t :
       {p.from, p.to, p.days_lo, p.days_hi, p.hours_lo[0], p.hours_hi[0],
        p.hours_lo[1], p.hours_hi[1], p.raw_hi[0], p.raw_lo[1]}) {
    out.push_back(TimestampText(t));
  }
  return out;
}

constexpr char kInDays[] = "(@ >= $4::timestamptz AND @ < $5::timestamptz)";
// Of the days, the weeks ($12 to $13, rows statement only) and the days
// beside them.
constexpr char kInWeeks[] = "(@ >= $12::timestamptz AND @ < $13::timestamptz)";
constexpr char kInDaysBesideWeeks[] =
    "((@ >= $4::timestamptz AND @ < $12::timestamptz)"
    " OR (@ >= $13::timestamptz AND @ < $5::timestamptz))";
constexpr char kInHours[] =
    "((@ >= $6::timestamptz AND @ < $7::timestamptz)"
    " OR (@ >= $8::timestamptz AND @ < $9::timestamptz))";
constexpr char kInRaw[] =
    "((@ >= $2::timestamptz AND @ < $10::timestamptz)"
    " OR (@ >= $11::timestamptz AND @ < $3::timestamptz))";

// Everything of the range but its whole days, as two index ranges: "in the
// range and not in its days" had PostgreSQL walk every event of the days
// (a breakdown by page took 480 ms at 10M events).
constexpr char kBesideDays[] =
    "((e.occurred_at >= $2::timestamptz AND e.occurred_at < $4::timestamptz)"
    " OR (e.occurred_at >= $5::timestamptz AND e.occurred_at < "
    "$3::timestamptz))";

// `condition` on `column`.
std::string On(absl::string_view condition, absl::string_view column) {
  return absl::StrReplaceAll(condition, {{"@", column}});
}

// The shop's tail events with a value for `column`, as a CTE, after one
// that gives every parameter of the plan its type (each statement uses
// some).
std::string TailCte(const char* column) {
  return absl::StrCat(
      "WITH typed AS (SELECT $1::text, $2::timestamptz, $3::timestamptz,"
      " $4::timestamptz, $5::timestamptz, $6::timestamptz, $7::timestamptz,"
      " $8::timestamptz, $9::timestamptz, $10::timestamptz,"
      " $11::timestamptz),"
      " tail AS MATERIALIZED (SELECT e.",
      column,
      " AS value, e.event_type, e.order_amount_cents, e.occurred_at,"
      " e.session_id, e.shop_id FROM ",
      rollups::TailEvents("$1::text", "e"), " WHERE e.", column, " <> '') ");
}

// Branches for empty runs are left out: the rollups' keys put the value
// before the time, so an hour condition the index cannot bound had
// PostgreSQL read every hour row of the dimension (a 30-day breakdown by
// page took 375 ms at 10M events for hours it did not need). The week
// rollup's key puts the week before the value.
std::string RowsSql(const char* column, int limit, const Plan& plan) {
  const bool weeks = plan.weeks_lo < plan.weeks_hi;
  const bool days =
      plan.days_lo < plan.weeks_lo || plan.weeks_hi < plan.days_hi;
  const bool hours = plan.hours_lo[0] < plan.hours_hi[0] ||
                     plan.hours_lo[1] < plan.hours_hi[1];
  const bool raw =
      plan.raw_lo[0] < plan.raw_hi[0] || plan.raw_lo[1] < plan.raw_hi[1];
  const std::string rollup_rows = absl::StrCat(
      " SELECT value, ", rollups::kDimensionCountColumns, " FROM ");
  const std::string dimension =
      absl::StrCat(" WHERE shop_id = $1::text AND dimension = '", column, "'");
  // The tail's events in the parts the rollups answer.
  std::string parts =
      absl::StrCat(" SELECT e.value, ", rollups::DimensionCountAggregates(),
                   " FROM tail e WHERE ", On(kInDays, "e.occurred_at"), " OR ",
                   On(kInHours, "e.occurred_at"), " GROUP BY 1");
  if (weeks) {
    absl::StrAppend(&parts, " UNION ALL", rollup_rows,
                    "shop_dimension_week_rollup", dimension, " AND ",
                    On(kInWeeks, "bucket_start"));
  }
  if (days) {
    absl::StrAppend(&parts, " UNION ALL", rollup_rows,
                    "shop_dimension_day_rollup", dimension, " AND ",
                    On(kInDaysBesideWeeks, "bucket_start"));
  }
  if (hours) {
    absl::StrAppend(&parts, " UNION ALL", rollup_rows,
                    "shop_dimension_hour_rollup", dimension, " AND ",
                    On(kInHours, "bucket_start"));
  }
  if (raw) {
    absl::StrAppend(&parts, " UNION ALL SELECT e.", column, ", ",
                    rollups::DimensionCountAggregates(),
                    " FROM events e WHERE e.shop_id = $1::text AND e.", column,
                    " <> '' AND ", On(kInRaw, "e.occurred_at"), " GROUP BY 1");
  }
  // The week bounds typed whichever branches use them, as in TailCte.
  return absl::StrCat(
      TailCte(column),
      ", week_bounds AS (SELECT $12::timestamptz, $13::timestamptz),"
      " parts AS (",
      parts,
      ") SELECT value, sum(page_views)::bigint,"
      " sum(add_to_carts)::bigint, sum(purchases)::bigint,"
      " sum(custom_events)::bigint, sum(revenue_cents) FROM parts"
      " GROUP BY value ORDER BY 2 DESC, sum(page_views + add_to_carts"
      " + purchases + custom_events) DESC, value COLLATE \"C\" LIMIT ",
      limit);
}

// Distinct sessions per value ($12, text[]) over the range, from raw events.
std::string ExactSessionsSql(const char* column) {
  return absl::StrCat(
      TailCte(column), "SELECT e.", column,
      ", count(DISTINCT e.session_id) FROM events e"
      " WHERE e.shop_id = $1::text AND e.occurred_at >= $2::timestamptz"
      " AND e.occurred_at < $3::timestamptz AND e.",
      column, " = ANY($12::text[]) AND e.session_id IS NOT NULL GROUP BY 1");
}

// The same estimated: the union of the whole days' sketches and sketches
// of the raw events beside them and of the tail's on those days.
std::string EstimatedSessionsSql(const char* column) {
  const std::string sketch =
      rollups::SessionSketch(rollups::kDimensionSketchLog2Registers);
  return absl::StrCat(
      TailCte(column),
      "SELECT x.value, round(hll_cardinality(hll_union_agg(x.sketch)))::bigint"
      " FROM (SELECT value, sessions AS sketch FROM shop_dimension_day_rollup"
      " WHERE shop_id = $1::text AND dimension = '",
      column, "' AND value = ANY($12::text[]) AND ",
      On(kInDays, "bucket_start"), " UNION ALL SELECT e.value, ", sketch,
      " FROM tail e WHERE e.session_id IS NOT NULL"
      " AND e.value = ANY($12::text[]) AND ",
      On(kInDays, "e.occurred_at"), " GROUP BY 1 UNION ALL SELECT e.", column,
      ", ", sketch,
      " FROM events e WHERE e.shop_id = $1::text AND e.session_id IS NOT NULL"
      " AND e.",
      column, " = ANY($12::text[]) AND ", kBesideDays,
      " GROUP BY 1) x GROUP BY 1");
}

std::string ArrayOf(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& v : values) {
    std::string q = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    q.push_back('"');
    quoted.push_back(std::move(q));
  }
  return absl::StrCat("{", absl::StrJoin(quoted, ","), "}");
}

void AddRow(const pqxx::row& row, v1::Breakdown& breakdown) {
  v1::BreakdownRow* out = breakdown.add_rows();
  out->set_value(row[0].as<std::string>());
  out->set_page_views(row[1].as<int64_t>());
  out->set_add_to_carts(row[2].as<int64_t>());
  out->set_purchases(row[3].as<int64_t>());
  out->set_events(out->page_views() + out->add_to_carts() + out->purchases() +
                  row[4].as<int64_t>());
  out->set_revenue(static_cast<double>(CentsOf(row[5])) / 100.0);
}

// The rows of the events `filter` matches in [from, to), sessions
// included, from raw events.
void LoadFilteredRows(pqxx::transaction_base& tx, const std::string& shop,
                      const char* column, int64_t from, int64_t to,
                      const EventFilter& filter, int limit,
                      v1::Breakdown& breakdown) {
  const std::string sql = absl::StrCat(
      "SELECT e.", column,
      ", count(*) FILTER (WHERE e.event_type = 1),"
      " count(*) FILTER (WHERE e.event_type = 2),"
      " count(*) FILTER (WHERE e.event_type = 3),"
      " count(*) FILTER (WHERE e.event_type = 4),"
      " coalesce(sum(e.order_amount_cents) FILTER (WHERE e.event_type = 3),"
      " 0), count(DISTINCT e.session_id) FROM events e"
      " WHERE e.shop_id = $1::text AND e.occurred_at >= $2::timestamptz"
      " AND e.occurred_at < $3::timestamptz AND e.",
      column, " <> '' AND ", filter.Predicate("e", 4),
      " GROUP BY 1 ORDER BY 2 DESC, count(*) DESC, e.", column,
      " COLLATE \"C\" LIMIT ", limit);
  std::vector<std::string> params = {shop, TimestampText(from),
                                     TimestampText(to)};
  for (std::string& p : filter.parameters()) params.push_back(std::move(p));
  for (const pqxx::row& row :
       tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params))) {
    AddRow(row, breakdown);
    breakdown.mutable_rows()->rbegin()->set_sessions(row[6].as<int64_t>());
  }
}

// The raw events before `horizon` are gone.
absl::Status RefuseBefore(int64_t horizon) {
  return absl::InvalidArgumentError(absl::StrCat(
      "from: raw events before ",
      absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(horizon),
                       absl::UTCTimeZone()),
      " are no longer kept; a breakdown there must start and end on whole"
      " UTC days"));
}

}  // namespace

absl::StatusOr<v1::Breakdown> BreakdownQueries::Breakdown(
    const v1::GetBreakdownRequest& request) const {
  auto range = CheckScope(request.shop_id(), /*required=*/true,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  const char* column = DimensionColumn(request.dimension());
  if (column == nullptr) {
    return absl::InvalidArgumentError(
        request.dimension() == v1::DIMENSION_UNSPECIFIED
            ? "dimension: required"
            : absl::StrCat("dimension: unknown value ",
                           static_cast<int>(request.dimension())));
  }
  if (request.limit() < 0 || request.limit() > 1000) {
    return absl::InvalidArgumentError("limit: must be between 1 and 1000");
  }
  const int limit = request.limit() == 0 ? 10 : request.limit();
  auto filter = EventFilter::Parse(request.filter());
  if (!filter.ok()) return filter.status();
  v1::Breakdown breakdown;
  breakdown.set_dimension(request.dimension());
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    static const std::string span_sql = absl::StrCat(
        "WITH tail AS MATERIALIZED (SELECT min(e.occurred_at) AS first_at,"
        " max(e.occurred_at) AS last_at FROM ",
        rollups::TailEvents("$1::text", "e"), ") SELECT ",
        MicrosOf("least(s.first_event_at, t.first_at)"), ", ",
        MicrosOf("greatest(s.last_event_at, t.last_at)"), ", ",
        MicrosOf(rollups::kShopRawHorizon),
        " FROM tail t LEFT JOIN shop_totals s ON s.shop_id = $1::text");
    const pqxx::row span = tx.exec_params1(span_sql, request.shop_id());
    if (span[0].is_null()) return;
    // Narrowed to the days that hold events: open ends become day edges.
    const int64_t first_day = FloorTo(span[0].as<int64_t>(), kDayMicros);
    const int64_t end_day =
        FloorTo(span[1].as<int64_t>(), kDayMicros) + kDayMicros;
    const int64_t from =
        range->from ? std::max(*range->from, first_day) : first_day;
    const int64_t to = range->to ? std::min(*range->to, end_day) : end_day;
    if (from >= to) return;
    const std::optional<int64_t> horizon =
        span[2].is_null() ? std::nullopt
                          : std::optional<int64_t>(span[2].as<int64_t>());
    if (!filter->empty()) {
      if (horizon && from < *horizon) {
        refused = RefuseBefore(*horizon);
        return;
      }
      tx.exec(kRawScanSettings);
      LoadFilteredRows(tx, request.shop_id(), column, from, to, *filter, limit,
                       breakdown);
      tx.commit();
      return;
    }
    const Plan plan = MakePlan(from, to);
    const bool raw_needed =
        plan.raw_lo[0] < plan.raw_hi[0] || plan.raw_lo[1] < plan.raw_hi[1];
    if (horizon && raw_needed &&
        std::min(plan.raw_lo[0] < plan.raw_hi[0] ? plan.raw_lo[0] : to,
                 plan.raw_lo[1] < plan.raw_hi[1] ? plan.raw_lo[1] : to) <
            *horizon) {
      refused = RefuseBefore(*horizon);
      return;
    }
    const std::vector<std::string> p = PlanParams(plan);
    const pqxx::result rows = tx.exec_params(
        RowsSql(column, limit, plan), request.shop_id(), p[0], p[1], p[2], p[3],
        p[4], p[5], p[6], p[7], p[8], p[9], TimestampText(plan.weeks_lo),
        TimestampText(plan.weeks_hi));
    std::vector<std::string> values;
    int64_t events = 0;
    for (const pqxx::row& row : rows) {
      AddRow(row, breakdown);
      values.push_back(breakdown.rows().rbegin()->value());
      events += breakdown.rows().rbegin()->events();
    }
    if (values.empty()) return;
    const bool have_days = plan.days_lo < plan.days_hi;
    // Exact counts read every event of the rows; sketches a few hundred
    // bytes per value and day.
    const bool estimate =
        have_days && (events > options_.exact_sessions_max_events ||
                      (horizon && from < *horizon));
    if (!estimate && horizon && from < *horizon) {
      refused = RefuseBefore(*horizon);
      return;
    }
    std::map<std::string, int64_t> sessions;
    for (const pqxx::row& row : tx.exec_params(
             estimate ? EstimatedSessionsSql(column) : ExactSessionsSql(column),
             request.shop_id(), p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
             p[8], p[9], ArrayOf(values))) {
      sessions[row[0].as<std::string>()] = row[1].as<int64_t>();
    }
    for (v1::BreakdownRow& row : *breakdown.mutable_rows()) {
      row.set_sessions(sessions[row.value()]);
    }
    if (estimate) breakdown.set_sessions_estimated(true);
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  return breakdown;
}

}  // namespace shopstream
