#include "rollups/engagement_schema.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "rollups/rollup_schema.h"

namespace shopstream::rollups {
namespace {

constexpr char kStartDay[] =
    "date_bin('1 day', s.started_at, 'epoch'::timestamptz)";

// The funnel columns of a session row from `alias`.viewed_at, its first
// view, `alias`.carts, an array of cart times holding at least every cart
// before that view and the first one at or after it (NULLs allowed), and
// `alias`.last_purchase_at: carts before the first view (they count if an
// earlier view arrives later), the first cart at or after it, the last
// purchase. A session reached the cart step when carted_at is set, the
// purchase step when its last purchase is at or after carted_at; the first
// view only moves earlier and carted_at with it, so these merge exactly.
std::string FunnelStateOf(absl::string_view alias) {
  return absl::StrCat(
      "ARRAY(SELECT x FROM unnest(", alias, ".carts) x WHERE x IS NOT NULL",
      " AND (", alias, ".viewed_at IS NULL OR x < ", alias,
      ".viewed_at) ORDER BY x)::timestamptz[] AS carts_before_view,"
      " (SELECT min(x) FROM unnest(",
      alias, ".carts) x WHERE x >= ", alias, ".viewed_at) AS carted_at, ",
      alias, ".last_purchase_at");
}

}  // namespace

double DurationBucketLowSeconds(int k) {
  if (k <= 1) return 0;
  return std::exp2((k - 2) / 4.0);
}

double DurationBucketHighSeconds(int k) {
  if (k == 0) return 0;
  if (k == 1) return 1;
  if (k >= kDurationBuckets - 1) return DurationBucketLowSeconds(k);
  return std::exp2((k - 1) / 4.0);
}

std::string DurationBucketOf(absl::string_view micros) {
  // numeric's log is exact enough that a bound falls in the bucket it
  // opens.
  return absl::StrCat("(CASE WHEN ", micros, " <= 0 THEN 0 WHEN ", micros,
                      " < 1000000 THEN 1 ELSE least(2 + floor(4 * log(2,", " (",
                      micros, ")::numeric / 1000000)), ", kDurationBuckets - 1,
                      ") END)::smallint");
}

std::string SessionColumns(absl::string_view alias) {
  std::string out;
  for (const char* column :
       {"shop_id", "session_id", "started_at", "last_at", "page_views",
        "other_events", "viewed_at", "carts_before_view", "carted_at",
        "last_purchase_at"}) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", alias, ".", column);
  }
  return out;
}

std::string SessionStatsFromEvents(absl::string_view source) {
  // Carts are gathered first: which of them count depends on the first
  // view, known only once the session's events are all seen.
  return absl::StrCat(
      "SELECT g.shop_id, g.session_id, g.started_at, g.last_at, g.page_views,"
      " g.other_events, g.viewed_at, ",
      FunnelStateOf("g"),
      " FROM (SELECT e.shop_id, e.session_id, min(e.occurred_at) AS started_at,"
      " max(e.occurred_at) AS last_at,"
      " count(*) FILTER (WHERE e.event_type = 1) AS page_views,"
      " count(*) FILTER (WHERE e.event_type <> 1) AS other_events,"
      " min(e.occurred_at) FILTER (WHERE e.event_type = 1) AS viewed_at,"
      " array_agg(e.occurred_at) FILTER (WHERE e.event_type = 2) AS carts,"
      " max(e.occurred_at) FILTER (WHERE e.event_type = 3)"
      " AS last_purchase_at FROM ",
      source, " WHERE e.session_id IS NOT NULL GROUP BY 1, 2) g");
}

std::string EngagementDaysFrom(absl::string_view stats) {
  return absl::StrCat("SELECT s.shop_id, ", kStartDay, " AS day, ",
                      // FILTER over no row is NULL.
                      "sum(s.sign)::bigint AS sessions, coalesce(sum(s.sign)",
                      " FILTER (WHERE s.page_views = 1 AND s.other_events = 0),"
                      " 0)::bigint AS bounces, sum(s.sign * ",
                      MicrosOf("s.last_at - s.started_at"),
                      ")::bigint AS duration_micros,"
                      " sum(s.sign * s.page_views)::bigint AS page_views, ",
                      FunnelSums("s"), " FROM ", stats,
                      " GROUP BY 1, 2 ORDER BY 1, 2");
}

std::string DurationBucketsFrom(absl::string_view stats) {
  return absl::StrCat("SELECT s.shop_id, ", kStartDay, " AS day, ",
                      DurationBucketOf(MicrosOf("s.last_at - s.started_at")),
                      " AS bucket, sum(s.sign)::bigint AS sessions FROM ",
                      stats,
                      " GROUP BY 1, 2, 3 HAVING sum(s.sign) <> 0"
                      " ORDER BY 1, 2, 3");
}

std::string FunnelSums(absl::string_view alias) {
  const std::string a(alias);
  return absl::StrCat("coalesce(sum(", a, ".sign) FILTER (WHERE ", a,
                      ".viewed_at IS NOT NULL), 0)::bigint AS viewed_sessions,"
                      " coalesce(sum(",
                      a, ".sign) FILTER (WHERE ", a,
                      ".carted_at IS NOT NULL), 0)::bigint AS carted_sessions,"
                      " coalesce(sum(",
                      a, ".sign) FILTER (WHERE ", a, ".last_purchase_at >= ", a,
                      ".carted_at), 0)::bigint AS bought_sessions");
}

std::string MergedSessions(absl::string_view fresh, absl::string_view before) {
  // Every cart that can still be the first after a view: each side's carts
  // before its first view and its first one after.
  return absl::StrCat(
      "SELECT m.shop_id, m.session_id, m.started_at, m.last_at, m.page_views,"
      " m.other_events, m.viewed_at, ",
      FunnelStateOf("m"),
      " FROM (SELECT f.shop_id, f.session_id,"
      " least(f.started_at, b.started_at) AS started_at,"
      " greatest(f.last_at, b.last_at) AS last_at,"
      " f.page_views + coalesce(b.page_views, 0) AS page_views,"
      " f.other_events + coalesce(b.other_events, 0) AS other_events,"
      " least(f.viewed_at, b.viewed_at) AS viewed_at,"
      " f.carts_before_view || coalesce(b.carts_before_view, '{}')"
      " || ARRAY[f.carted_at, b.carted_at] AS carts,"
      " greatest(f.last_purchase_at, b.last_purchase_at) AS last_purchase_at"
      " FROM ",
      fresh, " LEFT JOIN ", before,
      " ON b.shop_id = f.shop_id AND b.session_id = f.session_id) m");
}

std::string EngagementFoldCtes() {
  // Every CTE reads the snapshot from before the statement's writes, so
  // session_before is each session as the rollups held it.
  return absl::StrCat(
      ", session_fresh AS (", SessionStatsFromEvents("fresh e"),
      "), session_before AS (SELECT ", SessionColumns("s"),
      " FROM session_fresh f"
      " JOIN shop_session_stats s ON s.shop_id = f.shop_id"
      " AND s.session_id = f.session_id),"
      " session_after AS (",
      MergedSessions("session_fresh f", "session_before b"),
      "),"
      " session_stats AS (INSERT INTO shop_session_stats"
      " SELECT * FROM session_after ORDER BY 1, 2"
      " ON CONFLICT (shop_id, session_id) DO UPDATE SET"
      " started_at = excluded.started_at, last_at = excluded.last_at,"
      " page_views = excluded.page_views,"
      " other_events = excluded.other_events,"
      " viewed_at = excluded.viewed_at,"
      " carts_before_view = excluded.carts_before_view,"
      " carted_at = excluded.carted_at,"
      " last_purchase_at = excluded.last_purchase_at),"
      // A session the rollups held leaves its old day and bucket, and
      // joins its new ones.
      " session_change AS (SELECT *, -1 AS sign FROM session_before"
      " UNION ALL SELECT *, 1 AS sign FROM session_after),"
      " engagement_days AS (INSERT INTO shop_engagement_day_rollup AS r ",
      EngagementDaysFrom("session_change s"),
      " ON CONFLICT (shop_id, day) DO UPDATE SET"
      " sessions = r.sessions + excluded.sessions,"
      " bounces = r.bounces + excluded.bounces,"
      " duration_micros = r.duration_micros + excluded.duration_micros,"
      " page_views = r.page_views + excluded.page_views,"
      " viewed_sessions = r.viewed_sessions + excluded.viewed_sessions,"
      " carted_sessions = r.carted_sessions + excluded.carted_sessions,"
      " bought_sessions = r.bought_sessions + excluded.bought_sessions),"
      " duration_buckets AS (INSERT INTO shop_session_duration_buckets AS r ",
      DurationBucketsFrom("session_change s"),
      " ON CONFLICT (shop_id, day, bucket) DO UPDATE SET"
      " sessions = r.sessions + excluded.sessions)");
}

}  // namespace shopstream::rollups
