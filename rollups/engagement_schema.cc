#include "rollups/engagement_schema.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "rollups/rollup_schema.h"

namespace shopstream::rollups {
namespace {

constexpr char kStartDay[] =
    "date_bin('1 day', s.started_at, 'epoch'::timestamptz)";

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

std::string SessionStatsFromEvents(absl::string_view source) {
  return absl::StrCat(
      "SELECT e.shop_id, e.session_id, min(e.occurred_at) AS started_at,"
      " max(e.occurred_at) AS last_at,"
      " count(*) FILTER (WHERE e.event_type = 1) AS page_views,"
      " count(*) FILTER (WHERE e.event_type <> 1) AS other_events FROM ",
      source, " WHERE e.session_id IS NOT NULL GROUP BY 1, 2");
}

std::string EngagementDaysFrom(absl::string_view stats) {
  return absl::StrCat("SELECT s.shop_id, ", kStartDay, " AS day, ",
                      // FILTER over no row is NULL.
                      "sum(s.sign)::bigint AS sessions, coalesce(sum(s.sign)",
                      " FILTER (WHERE s.page_views = 1 AND s.other_events = 0),"
                      " 0)::bigint AS bounces, sum(s.sign * ",
                      MicrosOf("s.last_at - s.started_at"),
                      ")::bigint AS duration_micros,"
                      " sum(s.sign * s.page_views)::bigint AS page_views FROM ",
                      stats, " GROUP BY 1, 2 ORDER BY 1, 2");
}

std::string DurationBucketsFrom(absl::string_view stats) {
  return absl::StrCat("SELECT s.shop_id, ", kStartDay, " AS day, ",
                      DurationBucketOf(MicrosOf("s.last_at - s.started_at")),
                      " AS bucket, sum(s.sign)::bigint AS sessions FROM ",
                      stats,
                      " GROUP BY 1, 2, 3 HAVING sum(s.sign) <> 0"
                      " ORDER BY 1, 2, 3");
}

std::string MergedSessions(absl::string_view fresh, absl::string_view before) {
  return absl::StrCat(
      "SELECT f.shop_id, f.session_id,"
      " least(f.started_at, b.started_at) AS started_at,"
      " greatest(f.last_at, b.last_at) AS last_at,"
      " f.page_views + coalesce(b.page_views, 0) AS page_views,"
      " f.other_events + coalesce(b.other_events, 0) AS other_events FROM ",
      fresh, " LEFT JOIN ", before,
      " ON b.shop_id = f.shop_id AND b.session_id = f.session_id");
}

std::string EngagementFoldCtes() {
  // Every CTE reads the snapshot from before the statement's writes, so
  // session_before is each session as the rollups held it.
  return absl::StrCat(
      ", session_fresh AS (", SessionStatsFromEvents("fresh e"),
      "), session_before AS (SELECT s.shop_id, s.session_id, s.started_at,"
      " s.last_at, s.page_views, s.other_events FROM session_fresh f"
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
      " other_events = excluded.other_events),"
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
      " page_views = r.page_views + excluded.page_views),"
      " duration_buckets AS (INSERT INTO shop_session_duration_buckets AS r ",
      DurationBucketsFrom("session_change s"),
      " ON CONFLICT (shop_id, day, bucket) DO UPDATE SET"
      " sessions = r.sessions + excluded.sessions)");
}

}  // namespace shopstream::rollups
