#include "rollups/rollup_schema.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "rollups/engagement_schema.h"

namespace shopstream::rollups {
namespace {

constexpr char kAddCounts[] =
    "page_views = r.page_views + excluded.page_views,"
    " add_to_carts = r.add_to_carts + excluded.add_to_carts,"
    " purchases = r.purchases + excluded.purchases,"
    " revenue_cents = r.revenue_cents + excluded.revenue_cents";
constexpr char kAddCustomEvents[] =
    ", custom_events = r.custom_events + excluded.custom_events";
constexpr char kMergeExtremes[] =
    ", max_purchase_cents ="
    " greatest(r.max_purchase_cents, excluded.max_purchase_cents),"
    " min_purchase_cents ="
    " least(r.min_purchase_cents, excluded.min_purchase_cents)";

std::string ShopBucket(absl::string_view stride) {
  return absl::StrCat("date_bin('", stride,
                      "', e.occurred_at, 'epoch'::timestamptz)");
}

std::vector<EventRollup> MakeEventRollups() {
  // Weeks start on Monday 00:00 UTC, as the query side cuts them.
  static const std::string kWeek = WeekOf("e.occurred_at");
  static const std::string minute = ShopBucket("1 minute");
  static const std::string hour = ShopBucket("1 hour");
  static const std::string day = ShopBucket("1 day");
  return {
      {"shop_minute_rollup",
       {"shop_id", "bucket_start"},
       {"e.shop_id", minute},
       "",
       Measures::kShopCounts,
       "bucket_start"},
      {"shop_hour_rollup",
       {"shop_id", "bucket_start"},
       {"e.shop_id", hour},
       "",
       Measures::kShopCounts,
       "bucket_start"},
      {"shop_day_rollup",
       {"shop_id", "bucket_start"},
       {"e.shop_id", day},
       "",
       Measures::kShopCounts,
       "bucket_start"},
      {"product_day_rollup",
       {"shop_id", "bucket_start", "product_id"},
       {"e.shop_id", day, "e.product_id"},
       "e.product_id IS NOT NULL",
       Measures::kProductCounts,
       "bucket_start"},
      {"product_week_rollup",
       {"shop_id", "bucket_start", "product_id"},
       {"e.shop_id", kWeek, "e.product_id"},
       "e.product_id IS NOT NULL",
       Measures::kProductCounts,
       "bucket_start",
       7,
       "",
       "product_day_rollup"},
      {"shop_session_days",
       {"shop_id", "day", "session_id"},
       {"e.shop_id", day, "e.session_id"},
       "e.session_id IS NOT NULL",
       Measures::kPresence,
       "day"},
      {"shop_session_sketches",
       {"shop_id", "day"},
       {"e.shop_id", day},
       "e.session_id IS NOT NULL",
       Measures::kSessionSketch,
       "day"},
      {"shop_dimension_hour_rollup",
       {"shop_id", "dimension", "value", "bucket_start"},
       {"e.shop_id", "d.dimension", "d.value", hour},
       "d.value <> ''",
       Measures::kDimensionCounts,
       "bucket_start",
       0,
       kDimensionsOfEvent},
      {"shop_dimension_day_rollup",
       {"shop_id", "dimension", "value", "bucket_start"},
       {"e.shop_id", "d.dimension", "d.value", day},
       "d.value <> ''",
       Measures::kDimensionCountsAndSketch,
       "bucket_start",
       0,
       kDimensionsOfEvent},
      // Weeks of the traffic dimensions, without sketches: a breakdown over
      // a month reads about 4 narrow rows per value instead of 30 rows
      // that each carry a sketch (a breakdown by page took 71 ms at 10M
      // events from days alone).
      {"shop_dimension_week_rollup",
       {"shop_id", "dimension", "value", "bucket_start"},
       {"e.shop_id", "d.dimension", "d.value", kWeek},
       "d.value <> ''",
       Measures::kDimensionCounts,
       "bucket_start",
       7,
       kTrafficDimensionsOfEvent,
       "shop_dimension_day_rollup"},
      {"product_dimension_day_rollup",
       {"shop_id", "dimension", "value", "bucket_start", "product_id"},
       {"e.shop_id", "d.dimension", "d.value", day, "e.product_id"},
       "d.value <> '' AND e.product_id IS NOT NULL",
       Measures::kProductCounts,
       "bucket_start",
       0,
       kTrafficDimensionsOfEvent},
      {"product_dimension_week_rollup",
       {"shop_id", "dimension", "value", "bucket_start", "product_id"},
       {"e.shop_id", "d.dimension", "d.value", kWeek, "e.product_id"},
       "d.value <> '' AND e.product_id IS NOT NULL",
       Measures::kProductCounts,
       "bucket_start",
       7,
       kTrafficDimensionsOfEvent,
       "product_dimension_day_rollup"},
  };
}

std::string Upsert(const EventRollup& rollup, absl::string_view source) {
  std::string sql = absl::StrCat(
      "INSERT INTO ", rollup.table, " AS r ", RowsFromEvents(rollup, source),
      " ON CONFLICT (", absl::StrJoin(rollup.key_columns, ", "), ") DO ");
  switch (rollup.measures) {
    case Measures::kShopCounts:
      absl::StrAppend(&sql, "UPDATE SET ", kAddCounts, kMergeExtremes);
      break;
    case Measures::kProductCounts:
      absl::StrAppend(&sql, "UPDATE SET ", kAddCounts);
      break;
    case Measures::kPresence:
      absl::StrAppend(&sql, "NOTHING");
      break;
    case Measures::kSessionSketch:
      // A union counts a session that is in both once, so folding the same
      // events twice would change nothing either.
      absl::StrAppend(&sql,
                      "UPDATE SET sessions = hll_union(r.sessions,"
                      " excluded.sessions)");
      break;
    case Measures::kDimensionCounts:
      absl::StrAppend(&sql, "UPDATE SET ", kAddCounts, kAddCustomEvents,
                      kMergeExtremes);
      break;
    case Measures::kDimensionCountsAndSketch:
      absl::StrAppend(&sql, "UPDATE SET ", kAddCounts, kAddCustomEvents,
                      kMergeExtremes,
                      ", sessions = hll_union(r.sessions, excluded.sessions)");
      break;
  }
  return sql;
}

}  // namespace

const char kDimensionsOfEvent[] =
    " CROSS JOIN LATERAL (VALUES ('event_type', CASE e.event_type"
    " WHEN 1 THEN 'page_view' WHEN 2 THEN 'add_to_cart'"
    " WHEN 3 THEN 'purchase' WHEN 4 THEN 'custom' END),"
    " ('product_id', e.product_id), ('page', e.page),"
    " ('referrer_host', e.referrer_host), ('utm_source', e.utm_source),"
    " ('utm_medium', e.utm_medium), ('utm_campaign', e.utm_campaign),"
    " ('device_class', e.device_class), ('browser', e.browser),"
    " ('os', e.os)) AS d(dimension, value)";

const char kTrafficDimensionsOfEvent[] =
    " CROSS JOIN LATERAL (VALUES ('page', e.page),"
    " ('referrer_host', e.referrer_host), ('utm_source', e.utm_source),"
    " ('utm_medium', e.utm_medium), ('utm_campaign', e.utm_campaign),"
    " ('device_class', e.device_class), ('browser', e.browser),"
    " ('os', e.os)) AS d(dimension, value)";

std::string DimensionCountAggregates() {
  return absl::StrCat(
      "count(*) FILTER (WHERE e.event_type = 1) AS page_views,"
      " count(*) FILTER (WHERE e.event_type = 2) AS add_to_carts,"
      " count(*) FILTER (WHERE e.event_type = 3) AS purchases,"
      " count(*) FILTER (WHERE e.event_type = 4) AS custom_events,"
      " coalesce(sum(e.order_amount_cents)"
      " FILTER (WHERE e.event_type = 3), 0) AS revenue_cents,"
      " max(e.order_amount_cents) FILTER (WHERE e.event_type = 3)"
      " AS max_purchase_cents,"
      " min(e.order_amount_cents) FILTER (WHERE e.event_type = 3)"
      " AS min_purchase_cents");
}

std::string TimestampText(int64_t micros) {
  return absl::FormatTime("%E4Y-%m-%d %H:%M:%E6S+00",
                          absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string SessionSketch(int log2_registers) {
  // The shop's id, prefixed by its length so that no two pairs hash the
  // same text, then the session id. expthresh -1 keeps exact hashes while
  // they take less room than the registers, sparseon 1 then only the
  // registers set while those do.
  return absl::StrCat(
      "hll_add_agg(hll_hash_text(length(e.shop_id) || ':' || e.shop_id"
      " || e.session_id), ",
      log2_registers, ", ", kSketchRegisterBits, ", -1, 1)");
}

const std::vector<EventRollup>& EventRollups() {
  static const std::vector<EventRollup>* rollups =
      new std::vector<EventRollup>(MakeEventRollups());
  return *rollups;
}

const EventRollup* FindEventRollup(absl::string_view table) {
  for (const EventRollup& rollup : EventRollups()) {
    if (rollup.table == table) return &rollup;
  }
  return nullptr;
}

std::string CountAggregates(bool extremes) {
  std::string sql =
      "count(*) FILTER (WHERE e.event_type = 1) AS page_views,"
      " count(*) FILTER (WHERE e.event_type = 2) AS add_to_carts,"
      " count(*) FILTER (WHERE e.event_type = 3) AS purchases,"
      " coalesce(sum(e.order_amount_cents)"
      " FILTER (WHERE e.event_type = 3), 0) AS revenue_cents";
  if (extremes) {
    absl::StrAppend(&sql,
                    ", max(e.order_amount_cents) FILTER (WHERE e.event_type ="
                    " 3) AS max_purchase_cents,"
                    " min(e.order_amount_cents) FILTER (WHERE e.event_type ="
                    " 3) AS min_purchase_cents");
  }
  return sql;
}

std::string RowsFromEvents(const EventRollup& rollup,
                           absl::string_view source) {
  std::vector<std::string> keys, positions;
  for (size_t i = 0; i < rollup.key_of_event.size(); ++i) {
    keys.push_back(
        absl::StrCat(rollup.key_of_event[i], " AS ", rollup.key_columns[i]));
    positions.push_back(absl::StrCat(i + 1));
  }
  const std::string group = absl::StrJoin(positions, ", ");
  std::string sql = absl::StrCat("SELECT ", absl::StrJoin(keys, ", "));
  switch (rollup.measures) {
    case Measures::kShopCounts:
    case Measures::kProductCounts:
      absl::StrAppend(
          &sql, ", ",
          CountAggregates(rollup.measures == Measures::kShopCounts));
      break;
    case Measures::kPresence:
      break;
    case Measures::kSessionSketch:
      absl::StrAppend(&sql, ", ", SessionSketch(), " AS sessions");
      break;
    case Measures::kDimensionCounts:
      absl::StrAppend(&sql, ", ", DimensionCountAggregates());
      break;
    case Measures::kDimensionCountsAndSketch:
      // Events without a session add nothing to the sketch, but an empty
      // aggregate is NULL, and the column is not.
      absl::StrAppend(
          &sql, ", ", DimensionCountAggregates(), ", coalesce(",
          SessionSketch(kDimensionSketchLog2Registers),
          absl::StrCat(" FILTER (WHERE e.session_id IS NOT NULL), hll_empty(",
                       kDimensionSketchLog2Registers, ", ", kSketchRegisterBits,
                       ", -1, 1)) AS sessions"));
      break;
  }
  absl::StrAppend(&sql, " FROM ", source, rollup.per_event);
  if (!rollup.event_filter.empty()) {
    absl::StrAppend(&sql, " WHERE ", rollup.event_filter);
  }
  absl::StrAppend(&sql, " GROUP BY ", group, " ORDER BY ", group);
  return sql;
}

std::string FoldStatement(absl::string_view source) {
  // Every upsert sorts by key, so two statements writing the same rollup
  // rows lock them in one order and wait for each other instead of
  // deadlocking.
  std::string sql = absl::StrCat(
      "WITH fresh AS MATERIALIZED (SELECT e.shop_id, e.event_type,"
      " e.occurred_at, e.product_id, e.session_id, e.order_amount_cents,"
      " e.received_at, e.page, e.referrer_host, e.utm_source, e.utm_medium,"
      " e.utm_campaign, e.device_class, e.browser, e.os FROM ",
      source, ")");
  for (size_t i = 0; i < EventRollups().size(); ++i) {
    absl::StrAppend(&sql, ", rollup", i, " AS (",
                    Upsert(EventRollups()[i], "fresh e"), ")");
  }
  absl::StrAppend(&sql, EngagementFoldCtes());
  absl::StrAppend(
      &sql,
      // The shop's top product is offered from the product rows just
      // updated; counts only grow, so the larger pair wins.
      ", products AS (INSERT INTO product_totals AS r"
      " SELECT e.shop_id, e.product_id, ",
      CountAggregates(false),
      " FROM fresh e WHERE e.product_id IS NOT NULL"
      " GROUP BY 1, 2 ORDER BY 1, 2"
      " ON CONFLICT (shop_id, product_id) DO UPDATE SET ",
      kAddCounts,
      " RETURNING shop_id, product_id, page_views),"
      " leaders AS (SELECT DISTINCT ON (shop_id) shop_id, product_id,"
      " page_views FROM products WHERE page_views > 0"
      " ORDER BY shop_id, page_views DESC, product_id COLLATE \"C\"),"
      " new_sessions AS (INSERT INTO shop_sessions"
      " SELECT DISTINCT e.shop_id, e.session_id FROM fresh e"
      " WHERE e.session_id IS NOT NULL ORDER BY 1, 2"
      " ON CONFLICT DO NOTHING RETURNING shop_id),"
      " session_counts AS (SELECT shop_id, count(*) AS n FROM new_sessions"
      " GROUP BY shop_id),"
      " totals AS (SELECT e.shop_id, min(e.occurred_at) AS first_at,"
      " max(e.occurred_at) AS last_at, ",
      CountAggregates(true),
      " FROM fresh e GROUP BY e.shop_id),"
      " shop_totals_rollup AS (INSERT INTO shop_totals AS r"
      " (shop_id, first_event_at, last_event_at, page_views, add_to_carts,"
      " purchases, revenue_cents, max_purchase_cents, min_purchase_cents,"
      " sessions, top_product_id, top_product_views)"
      " SELECT t.shop_id, t.first_at, t.last_at, t.page_views,"
      " t.add_to_carts, t.purchases, t.revenue_cents, t.max_purchase_cents,"
      " t.min_purchase_cents, coalesce(s.n, 0), l.product_id,"
      " coalesce(l.page_views, 0)"
      " FROM totals t LEFT JOIN session_counts s USING (shop_id)"
      " LEFT JOIN leaders l USING (shop_id) ORDER BY t.shop_id"
      " ON CONFLICT (shop_id) DO UPDATE SET"
      " first_event_at = least(r.first_event_at, excluded.first_event_at),"
      " last_event_at = greatest(r.last_event_at, excluded.last_event_at),"
      " sessions = r.sessions + excluded.sessions,"
      " top_product_id = CASE WHEN excluded.top_product_views >"
      " r.top_product_views OR (excluded.top_product_views ="
      " r.top_product_views AND excluded.top_product_id COLLATE \"C\" <"
      " r.top_product_id COLLATE \"C\") THEN excluded.top_product_id"
      " ELSE r.top_product_id END,"
      " top_product_views ="
      " greatest(r.top_product_views, excluded.top_product_views), ",
      kAddCounts, kMergeExtremes,
      ")"
      // How long the oldest folded event waited since its append.
      " SELECT count(*), extract(epoch FROM clock_timestamp()"
      " - min(received_at))::float8 FROM fresh");
  return sql;
}

std::string TailEvents(absl::string_view shop_expr, absl::string_view alias) {
  return absl::StrCat(
      "(SELECT t.* FROM events t"
      " WHERE t.append_xid >= (SELECT watermark FROM rollup_watermark)"
      " AND (",
      shop_expr, " IS NULL OR t.shop_id = ", shop_expr,
      ")"
      " UNION ALL SELECT t.* FROM rollup_pending p JOIN events t"
      " ON t.shop_id = p.shop_id AND t.append_xid >= p.xid_lo"
      " AND t.append_xid < p.xid_hi WHERE (",
      shop_expr, " IS NULL OR p.shop_id = ", shop_expr, ")) AS ", alias);
}

}  // namespace shopstream::rollups
