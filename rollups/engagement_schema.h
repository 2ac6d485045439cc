#ifndef SHOPSTREAM_ROLLUPS_ENGAGEMENT_SCHEMA_H_
#define SHOPSTREAM_ROLLUPS_ENGAGEMENT_SCHEMA_H_

#include <string>

#include "absl/strings/string_view.h"

// What the session engagement rollups hold (migrations/0020, 0023): one row
// per session with its first and last event, its events and how far it went
// through the funnel, and per shop and UTC day of a session's first event
// the sums bounce rate, durations, pages per session and the funnel need,
// with a histogram of durations for the median.
// A session is counted on the day it starts and measured whole, so a fold
// that extends a session or moves its start replaces the session's old
// contribution with its new one.
namespace shopstream::rollups {

// Duration buckets: 0 holds sessions of no duration, 1 those under a
// second, k >= 2 those of [2^((k-2)/4), 2^((k-1)/4)) seconds, four per
// doubling; the last one is open above (from about ten days).
inline constexpr int kDurationBuckets = 82;

// The bounds of bucket `k` in seconds; the last one's upper bound is its
// lower one.
double DurationBucketLowSeconds(int k);
double DurationBucketHighSeconds(int k);

// SQL: the bucket of a duration given as whole microseconds.
std::string DurationBucketOf(absl::string_view micros);

// The columns of a session row, in shop_session_stats' order, prefixed
// with `alias`.
std::string SessionColumns(absl::string_view alias);

// SELECT of per-session rows from `source` (a FROM item of events aliased
// e), for events with a session, grouped by session: shop_id, session_id,
// started_at, last_at, page_views, other_events, and the funnel state
// viewed_at (first page view), carts_before_view (earlier carts, sorted),
// carted_at (first cart at or after viewed_at), last_purchase_at.
std::string SessionStatsFromEvents(absl::string_view source);

// Select-list items summing `alias`.sign over the sessions that reached
// each funnel step in order: viewed_sessions, carted_sessions,
// bought_sessions (a purchase at or after carted_at).
std::string FunnelSums(absl::string_view alias);

// SELECT of shop_engagement_day_rollup rows from `stats`, a FROM item of
// session rows aliased s (as SessionStatsFromEvents makes them) with a
// column `sign`, +1 or -1: each session counted on the day it started.
std::string EngagementDaysFrom(absl::string_view stats);

// The same for shop_session_duration_buckets: shop_id, day, bucket,
// sessions; buckets whose sum is zero are left out.
std::string DurationBucketsFrom(absl::string_view stats);

// SELECT of the session rows that result from adding `fresh` (session
// rows of new events, aliased f) to `before` (the same sessions as stored,
// aliased b; sessions not stored yet are missing there): the earliest
// start, the latest end, the events summed, the funnel state of both
// sides' events together (exact whatever order they arrived in).
std::string MergedSessions(absl::string_view fresh, absl::string_view before);

// CTEs (each starting with ", ") that fold the events of the CTE `fresh`
// into shop_session_stats, shop_engagement_day_rollup and
// shop_session_duration_buckets, for FoldStatement.
std::string EngagementFoldCtes();

}  // namespace shopstream::rollups

#endif  // SHOPSTREAM_ROLLUPS_ENGAGEMENT_SCHEMA_H_
