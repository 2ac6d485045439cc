#include "query/engagement_queries.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <pqxx/pqxx>
#include <vector>

#include "absl/strings/str_cat.h"
#include "query/analytics_comparison.h"
#include "query/analytics_filter.h"
#include "query/analytics_requests.h"
#include "query/answer_values.h"
#include "query/session_settings.h"
#include "query/summary_formulas.h"
#include "rollups/engagement_schema.h"
#include "rollups/rollup_schema.h"

namespace shopstream {
namespace {

using rollups::FloorTo;
using rollups::kDayMicros;
using rollups::MicrosOf;

// The shop's first and last event, in microseconds.
struct Span {
  int64_t first = 0;
  int64_t last = 0;
};

// From shop_totals and the tail, in one statement.
std::optional<Span> LoadSpan(pqxx::transaction_base& tx,
                             const std::string& shop) {
  static const std::string sql = absl::StrCat(
      "WITH tail AS MATERIALIZED (SELECT min(e.occurred_at) AS first_at,"
      " max(e.occurred_at) AS last_at FROM ",
      rollups::TailEvents("$1::text", "e"), ") SELECT ",
      MicrosOf("least(s.first_event_at, t.first_at)"), ", ",
      MicrosOf("greatest(s.last_event_at, t.last_at)"),
      " FROM tail t LEFT JOIN shop_totals s ON s.shop_id = $1::text");
  const pqxx::row row = tx.exec_params1(sql, shop);
  if (row[0].is_null()) return std::nullopt;
  return Span{row[0].as<int64_t>(), row[1].as<int64_t>()};
}

// A range of session starts, narrowed to the days that hold events, with
// the whole UTC days inside it: [days_from, days_to), empty when there
// are none (both at `to`).
struct StartRange {
  int64_t from = 0;
  int64_t to = 0;
  int64_t days_from = 0;
  int64_t days_to = 0;
};

std::optional<StartRange> Narrow(const Span& span, const MicrosRange& range) {
  const int64_t first_day = FloorTo(span.first, kDayMicros);
  const int64_t end_day = FloorTo(span.last, kDayMicros) + kDayMicros;
  StartRange r;
  r.from = range.from ? std::max(*range.from, first_day) : first_day;
  r.to = range.to ? std::min(*range.to, end_day) : end_day;
  if (r.from >= r.to) return std::nullopt;
  r.days_from = FloorTo(r.from + kDayMicros - 1, kDayMicros);
  r.days_to = FloorTo(r.to, kDayMicros);
  if (r.days_from >= r.days_to) r.days_from = r.days_to = r.to;
  return r;
}

// The sessions of shop $1 that started in [$2, $3), as signed session rows
// (rollups/engagement_schema.h) besides the day rollups of [$4, $5):
// the stored sessions of the partial days at the edges, and for every
// session the tail touches its stored row taken out and its row with the
// tail's events put in.
const std::string& SessionsSql() {
  static const std::string* const sql = new std::string(absl::StrCat(
      "WITH touched AS MATERIALIZED (",
      rollups::SessionStatsFromEvents(rollups::TailEvents("$1::text", "e")),
      "), before AS (SELECT ", rollups::SessionColumns("s"),
      " FROM touched t JOIN shop_session_stats s ON s.shop_id = t.shop_id"
      " AND s.session_id = t.session_id),"
      " after AS (",
      rollups::MergedSessions("touched f", "before b"),
      "), change AS (SELECT *, -1 AS sign FROM before"
      " WHERE started_at >= $2::timestamptz AND started_at < $3::timestamptz"
      " UNION ALL SELECT *, 1 AS sign FROM after"
      " WHERE started_at >= $2::timestamptz AND started_at < $3::timestamptz),"
      " edges AS (SELECT ",
      rollups::SessionColumns("s"),
      ", 1 AS sign FROM shop_session_stats s"
      " WHERE s.shop_id = $1::text AND ((s.started_at >= $2::timestamptz"
      " AND s.started_at < $4::timestamptz) OR (s.started_at >= "
      "$5::timestamptz AND s.started_at < $3::timestamptz))),"
      " signed AS (SELECT * FROM edges UNION ALL SELECT * FROM change) "));
  return *sql;
}

// The longest a stored session of shop $1 started before $2 can last,
// in microseconds, from the duration buckets of its days (an upper bound);
// none when one may last longer than the buckets tell.
std::optional<int64_t> LoadLongestSession(pqxx::transaction_base& tx,
                                          const std::string& shop,
                                          const std::string& before) {
  const pqxx::row row = tx.exec_params1(
      "SELECT max(bucket) FROM shop_session_duration_buckets"
      " WHERE shop_id = $1 AND day < $2::timestamptz AND sessions > 0",
      shop, before);
  if (row[0].is_null()) return 0;
  const int k = row[0].as<int>();
  if (k >= rollups::kDurationBuckets - 1) return std::nullopt;
  return static_cast<int64_t>(
             std::ceil(rollups::DurationBucketHighSeconds(k) * 1e6)) +
         1;
}

struct EngagementCounts {
  int64_t sessions = 0;
  int64_t bounces = 0;
  double duration_micros = 0;
  int64_t page_views = 0;
  double median_seconds = 0;
  bool median_estimated = false;
};

// The median of `n` sessions from their duration buckets: the value at
// the middle rank (the mean of the two middle ones for even n), each read
// as its bucket's geometric middle.
double MedianOfBuckets(const std::vector<int64_t>& buckets, int64_t n) {
  auto at_rank = [&](int64_t rank) {
    int64_t seen = 0;
    for (int k = 0; k < rollups::kDurationBuckets; ++k) {
      seen += buckets[k];
      if (seen < rank) continue;
      if (k == 0) return 0.0;
      if (k == 1) return 0.5;
      if (k == rollups::kDurationBuckets - 1) {
        return rollups::DurationBucketLowSeconds(k);
      }
      return std::sqrt(rollups::DurationBucketLowSeconds(k) *
                       rollups::DurationBucketHighSeconds(k));
    }
    return 0.0;
  };
  if (n <= 0) return 0;
  if (n % 2 == 1) return at_rank((n + 1) / 2);
  return (at_rank(n / 2) + at_rank(n / 2 + 1)) / 2;
}

EngagementCounts LoadEngagement(pqxx::transaction_base& tx,
                                const std::string& shop, const StartRange& r,
                                int64_t exact_median_max_sessions) {
  static const std::string sums_sql = absl::StrCat(
      SessionsSql(),
      "SELECT coalesce(sum(x.sessions), 0)::bigint,"
      " coalesce(sum(x.bounces), 0)::bigint,"
      " coalesce(sum(x.duration_micros), 0)::float8,"
      " coalesce(sum(x.page_views), 0)::bigint FROM (SELECT sessions,"
      " bounces, duration_micros, page_views FROM shop_engagement_day_rollup"
      " WHERE shop_id = $1::text AND day >= $4::timestamptz"
      " AND day < $5::timestamptz UNION ALL SELECT sessions, bounces,"
      " duration_micros, page_views FROM (",
      rollups::EngagementDaysFrom("signed s"), ") d) x");
  static const std::string buckets_sql = absl::StrCat(
      SessionsSql(),
      "SELECT x.bucket, sum(x.sessions)::bigint FROM (SELECT bucket,"
      " sessions FROM shop_session_duration_buckets WHERE shop_id = $1::text"
      " AND day >= $4::timestamptz AND day < $5::timestamptz"
      " UNION ALL SELECT bucket, sessions FROM (",
      rollups::DurationBucketsFrom("signed s"), ") b) x GROUP BY 1");
  static const std::string median_sql = absl::StrCat(
      SessionsSql(),
      "SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.d), 0)"
      " FROM (SELECT ",
      MicrosOf("s.last_at - s.started_at"),
      " AS d FROM shop_session_stats s WHERE s.shop_id = $1::text"
      " AND s.started_at >= $2::timestamptz AND s.started_at < "
      "$3::timestamptz"
      " AND NOT EXISTS (SELECT 1 FROM touched t"
      " WHERE t.session_id = s.session_id) UNION ALL SELECT ",
      MicrosOf("a.last_at - a.started_at"),
      " FROM after a WHERE a.started_at >= $2::timestamptz"
      " AND a.started_at < $3::timestamptz) x");
  const std::string from = TimestampText(r.from), to = TimestampText(r.to),
                    days_from = TimestampText(r.days_from),
                    days_to = TimestampText(r.days_to);
  EngagementCounts c;
  const pqxx::row sums =
      tx.exec_params1(sums_sql, shop, from, to, days_from, days_to);
  c.sessions = sums[0].as<int64_t>();
  c.bounces = sums[1].as<int64_t>();
  c.duration_micros = sums[2].as<double>();
  c.page_views = sums[3].as<int64_t>();
  if (c.sessions == 0) return c;
  if (c.sessions <= exact_median_max_sessions) {
    c.median_seconds =
        tx.exec_params1(median_sql, shop, from, to, days_from, days_to)[0]
            .as<double>() /
        1e6;
    return c;
  }
  std::vector<int64_t> buckets(rollups::kDurationBuckets, 0);
  int64_t counted = 0;
  for (const pqxx::row& row :
       tx.exec_params(buckets_sql, shop, from, to, days_from, days_to)) {
    const int k = row[0].as<int>();
    if (k < 0 || k >= rollups::kDurationBuckets) continue;
    buckets[k] += row[1].as<int64_t>();
    counted += row[1].as<int64_t>();
  }
  c.median_seconds = MedianOfBuckets(buckets, counted);
  c.median_estimated = true;
  return c;
}

void Fill(const EngagementCounts& c, v1::Engagement* out) {
  out->set_sessions(c.sessions);
  out->set_bounced_sessions(c.bounces);
  out->set_bounce_rate(ConversionRatePercent(c.bounces, c.sessions));
  if (c.sessions > 0) {
    out->set_average_session_duration_seconds(c.duration_micros / 1e6 /
                                              c.sessions);
    out->set_pages_per_session(
        DivideRoundingHalfUp(c.page_views * 100, c.sessions) / 100.0);
  }
  out->set_median_session_duration_seconds(c.median_seconds);
  if (c.median_estimated) out->set_median_session_duration_estimated(true);
}

// The sessions of the shop with an event `filter` matches, from raw
// events: each measured whole, counted in the range where it starts.
EngagementCounts LoadFilteredEngagement(pqxx::transaction_base& tx,
                                        const std::string& shop,
                                        const StartRange& r,
                                        const EventFilter& filter) {
  const std::string duration = MicrosOf("s.last_at - s.started_at");
  // A session starting in the range has all its events from its start on.
  const std::string sql = absl::StrCat(
      "WITH matching AS MATERIALIZED (SELECT DISTINCT e.session_id"
      " FROM events e WHERE e.shop_id = $1::text AND e.session_id IS NOT NULL"
      " AND e.occurred_at >= $2::timestamptz AND ",
      filter.Predicate("e", 4),
      ") SELECT count(*), count(*) FILTER (WHERE s.page_views = 1"
      " AND s.other_events = 0), coalesce(sum(",
      duration,
      "), 0)::float8, coalesce(sum(s.page_views), 0)::bigint,"
      " coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY ",
      duration, "), 0) FROM (",
      rollups::SessionStatsFromEvents(
          "(SELECT * FROM events WHERE shop_id = $1::text"
          " AND session_id IN (SELECT session_id FROM matching)) e"),
      ") s WHERE s.started_at >= $2::timestamptz"
      " AND s.started_at < $3::timestamptz");
  std::vector<std::string> params = {shop, TimestampText(r.from),
                                     TimestampText(r.to)};
  for (std::string& p : filter.parameters()) params.push_back(std::move(p));
  const pqxx::row row =
      tx.exec_params1(sql, pqxx::prepare::make_dynamic_params(params));
  EngagementCounts c;
  c.sessions = row[0].as<int64_t>();
  c.bounces = row[1].as<int64_t>();
  c.duration_micros = row[2].as<double>();
  c.page_views = row[3].as<int64_t>();
  c.median_seconds = row[4].as<double>() / 1e6;
  return c;
}

// Before when shop $1's raw events are gone; none when all are kept.
std::optional<int64_t> LoadRawHorizon(pqxx::transaction_base& tx,
                                      const std::string& shop) {
  static const std::string sql =
      absl::StrCat("SELECT ", MicrosOf(rollups::kShopRawHorizon));
  const pqxx::row row = tx.exec_params1(sql, shop);
  if (row[0].is_null()) return std::nullopt;
  return row[0].as<int64_t>();
}

}  // namespace

std::array<int64_t, 3> LoadFunnelSessions(pqxx::transaction_base& tx,
                                          const std::string& shop, int64_t from,
                                          int64_t to) {
  // Sessions that started in the range are summed from the day rollups
  // (plus the partial days and the tail, as engagement counts them). Those
  // that cross one of its ends reach steps through their events inside it
  // only: their whole-session state is taken out and their steps within
  // the range are read from raw events near that end.
  static const std::string sql = absl::StrCat(
      SessionsSql(), ", nearby AS (SELECT ", rollups::SessionColumns("s"),
      " FROM shop_session_stats s WHERE s.shop_id = $1::text"
      " AND ((s.started_at >= $6::timestamptz AND s.started_at < "
      "$2::timestamptz"
      " AND s.last_at >= $2::timestamptz) OR (s.started_at >= $7::timestamptz"
      " AND s.started_at < $3::timestamptz AND s.last_at >= $3::timestamptz))"
      " AND NOT EXISTS (SELECT 1 FROM touched t"
      " WHERE t.session_id = s.session_id) UNION ALL SELECT * FROM after),"
      " crossing AS MATERIALIZED (SELECT * FROM nearby WHERE (started_at <"
      " $2::timestamptz AND last_at >= $2::timestamptz) OR (started_at >="
      " $2::timestamptz AND started_at < $3::timestamptz AND last_at >="
      " $3::timestamptz)),"
      " inside AS (SELECT e.* FROM events e WHERE e.shop_id = $1::text"
      " AND e.occurred_at >= $2::timestamptz AND e.occurred_at <= (SELECT"
      " coalesce(max(last_at), '-infinity') FROM crossing WHERE started_at <"
      " $2::timestamptz) AND e.occurred_at < $3::timestamptz"
      " AND e.session_id IN (SELECT session_id FROM crossing)"
      " UNION SELECT e.* FROM events e WHERE e.shop_id = $1::text"
      " AND e.occurred_at >= (SELECT coalesce(min(started_at), 'infinity')"
      " FROM crossing WHERE started_at >= $2::timestamptz)"
      " AND e.occurred_at >= $2::timestamptz AND e.occurred_at <"
      " $3::timestamptz AND e.session_id IN (SELECT session_id FROM crossing)),"
      " replaced AS (SELECT *, -1 AS sign FROM crossing"
      " WHERE started_at >= $2::timestamptz AND started_at < $3::timestamptz"
      " UNION ALL SELECT *, 1 AS sign FROM (",
      rollups::SessionStatsFromEvents("inside e"),
      ") w) SELECT coalesce(sum(x.viewed_sessions), 0)::bigint,"
      " coalesce(sum(x.carted_sessions), 0)::bigint,"
      " coalesce(sum(x.bought_sessions), 0)::bigint FROM (SELECT"
      " viewed_sessions, carted_sessions, bought_sessions"
      " FROM shop_engagement_day_rollup WHERE shop_id = $1::text"
      " AND day >= $4::timestamptz AND day < $5::timestamptz"
      " UNION ALL SELECT ",
      rollups::FunnelSums("s"), " FROM signed s UNION ALL SELECT ",
      rollups::FunnelSums("s"), " FROM replaced s) x");
  int64_t days_from = FloorTo(from + kDayMicros - 1, kDayMicros);
  int64_t days_to = FloorTo(to, kDayMicros);
  if (days_from >= days_to) days_from = days_to = to;
  const std::string to_text = TimestampText(to);
  const std::optional<int64_t> longest = LoadLongestSession(tx, shop, to_text);
  const std::string from_text = TimestampText(from);
  // Stored sessions that may cross each end started this far before it.
  const std::string cross_from =
      longest ? TimestampText(from - *longest) : "-infinity";
  const std::string cross_to =
      longest ? TimestampText(std::max(from, to - *longest)) : from_text;
  const pqxx::row row =
      tx.exec_params1(sql, shop, from_text, to_text, TimestampText(days_from),
                      TimestampText(days_to), cross_from, cross_to);
  return {row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int64_t>()};
}

absl::StatusOr<v1::Engagement> EngagementQueries::Engagement(
    const v1::GetEngagementRequest& request) const {
  auto range = CheckScope(request.shop_id(), /*required=*/true,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  // Engagement days are UTC days, so a year earlier is too.
  auto compared =
      ComparedRange(CompareParametersOf(request), *range, absl::UTCTimeZone());
  if (!compared.ok()) return compared.status();
  auto filter = EventFilter::Parse(request.filter());
  if (!filter.ok()) return filter.status();
  EngagementCounts asked, earlier;
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec(kReadOnlySnapshot);
    const std::optional<Span> span = LoadSpan(tx, request.shop_id());
    const std::optional<int64_t> horizon =
        filter->empty() ? std::nullopt : LoadRawHorizon(tx, request.shop_id());
    if (!filter->empty()) tx.exec(kRawScanSettings);
    auto load = [&](const MicrosRange& range, EngagementCounts& out) {
      const std::optional<StartRange> r =
          span ? Narrow(*span, range) : std::nullopt;
      if (!r) return;
      if (filter->empty()) {
        out = LoadEngagement(tx, request.shop_id(), *r,
                             options_.exact_median_max_sessions);
        return;
      }
      if (horizon && r->from < *horizon) {
        refused = absl::InvalidArgumentError(
            absl::StrCat("from: raw events before ", TimestampText(*horizon),
                         " are no longer kept; a filtered answer needs them"));
        return;
      }
      out = LoadFilteredEngagement(tx, request.shop_id(), *r, *filter);
    };
    load(*range, asked);
    if (*compared) load(**compared, earlier);
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  v1::Engagement engagement;
  Fill(asked, &engagement);
  if (*compared) {
    v1::EngagementComparison* comparison = engagement.mutable_comparison();
    SetTimestampMicros(*(*compared)->from, comparison->mutable_from());
    SetTimestampMicros(*(*compared)->to, comparison->mutable_to());
    Fill(earlier, comparison->mutable_engagement());
  }
  return engagement;
}

absl::StatusOr<v1::DataRange> EngagementQueries::DataRange(
    const v1::GetDataRangeRequest& request) const {
  auto scope =
      CheckScope(request.shop_id(), /*required=*/true, nullptr, nullptr);
  if (!scope.ok()) return scope.status();
  std::optional<Span> span;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    // One statement: one snapshot.
    pqxx::nontransaction tx(conn);
    span = LoadSpan(tx, request.shop_id());
  });
  if (!status.ok()) return status;
  v1::DataRange answer;
  if (span) {
    SetTimestampMicros(span->first, answer.mutable_first_event_at());
    SetTimestampMicros(span->last, answer.mutable_last_event_at());
  }
  return answer;
}

}  // namespace shopstream
