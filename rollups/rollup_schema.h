#ifndef SHOPSTREAM_ROLLUPS_ROLLUP_SCHEMA_H_
#define SHOPSTREAM_ROLLUPS_ROLLUP_SCHEMA_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

// The one definition of what each rollup table holds and how events are
// counted into it. The folder adds events with it, the queries count the
// raw tail with the same expressions, and the verifier recomputes rollup
// rows from raw events with it.
namespace shopstream::rollups {

// What a rollup row measures, and so how a fold merges into it.
enum class Measures {
  // page_views, add_to_carts, purchases, revenue_cents,
  // max_purchase_cents, min_purchase_cents.
  kShopCounts,
  // page_views, add_to_carts, purchases, revenue_cents.
  kProductCounts,
  // None: the row says its key was seen.
  kPresence,
  // sessions: an hll sketch of the sessions of the row's events
  // (SessionSketch), merged by union.
  kSessionSketch,
  // kDimensionCountColumns.
  kDimensionCounts,
  // kDimensionCountColumns, then sessions as an hll sketch of
  // kDimensionSketchLog2Registers.
  kDimensionCountsAndSketch,
};

// A rollup table whose rows are aggregates of raw events grouped by key.
struct EventRollup {
  absl::string_view table;
  // Primary key columns, in order.
  std::vector<absl::string_view> key_columns;
  // Each key column's value for one event, aliased `e` (same order).
  std::vector<absl::string_view> key_of_event;
  // Which events count at all ("" for every event).
  absl::string_view event_filter;
  Measures measures;
  // The key column that holds the start of the row's period, and the
  // period's length in whole UTC days: 0 for periods within a day (a
  // day-aligned range holds them whole), 7 for weeks.
  absl::string_view period_column;
  int period_days = 0;
  // Joined to each event before grouping (e.g. a LATERAL list that makes
  // one row per dimension of the event), or "".
  absl::string_view per_event = "";
  // For a week rollup, the day rollup of the same key whose rows it sums
  // (the verifier checks it against them); "" otherwise.
  absl::string_view day_table = "";
};

// Every rollup computed from raw events: shop minutes, hours and days,
// product days and weeks, session days, session sketches per day,
// dimension hours, days and weeks, products per dimension value, day and
// week. Their
// rows over any whole UTC days can be recomputed from those days' raw
// events.
const std::vector<EventRollup>& EventRollups();

// The same rollup by table name; null when there is none.
const EventRollup* FindEventRollup(absl::string_view table);

// Columns of a kShopCounts rollup row, after its key.
inline constexpr char kShopCountColumns[] =
    "page_views, add_to_carts, purchases, revenue_cents, max_purchase_cents,"
    " min_purchase_cents";

// Columns of a dimension rollup row, after its key (and before sessions).
inline constexpr char kDimensionCountColumns[] =
    "page_views, add_to_carts, purchases, custom_events, revenue_cents,"
    " max_purchase_cents, min_purchase_cents";

// The dimensions of shop_dimension_hour_rollup and shop_dimension_day_rollup
// with each one's value for an event `e`, as a LATERAL FROM item of rows
// (dimension, value) aliased d. An empty or NULL value has no row there.
extern const char kDimensionsOfEvent[];

// The same for the traffic dimensions only (no event_type, no product_id),
// as the product dimension rollups and shop_dimension_week_rollup key their
// rows.
extern const char kTrafficDimensionsOfEvent[];

// The names of those traffic dimensions, as an SQL list.
inline constexpr char kTrafficDimensionNames[] =
    "'page', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign',"
    " 'device_class', 'browser', 'os'";

// SQL aggregates of the events of a group, aliased `e`, in the order of
// kDimensionCountColumns.
std::string DimensionCountAggregates();

// SQL aggregates of the events of a group, aliased `e`: page_views,
// add_to_carts, purchases, revenue_cents (numeric), then with `extremes`
// max_purchase_cents and min_purchase_cents.
std::string CountAggregates(bool extremes);

// The hll parameters of every session sketch: 2^14 registers of 5 bits,
// kept as a list of hashes (exact) while that is smaller, then sparse, then
// full (10 KiB). An estimate's relative standard error is
// 1.04 / sqrt(2^14), 0.81%. Sketches merge only with the same parameters,
// so changing them means recomputing every stored sketch.
inline constexpr int kSketchLog2Registers = 14;
inline constexpr int kSketchRegisterBits = 5;

// The dimension day rollup has a sketch per value and day, so a smaller
// one: 2^11 registers (at most 1.3 KiB full), relative standard error
// 1.04 / sqrt(2^11), 2.3%. Same hashing as SessionSketch.
inline constexpr int kDimensionSketchLog2Registers = 11;

// SQL aggregate: an hll sketch of the sessions of the events of a group,
// aliased `e`, whose session_id is not NULL. A session is a (shop, session
// id) pair, so sketches of several shops merge into a count of pairs.
std::string SessionSketch(int log2_registers = kSketchLog2Registers);

// SELECT of a rollup's rows from the events of `source` (a FROM item whose
// rows are events, aliased e): its key columns then its measures, grouped
// by key and sorted by it.
std::string RowsFromEvents(const EventRollup& rollup, absl::string_view source);

// A statement adding the events of `source` to every rollup: the event
// rollups, the session engagement rollups (engagement_schema.h),
// product_totals, shop_sessions and shop_totals. `source` is a FROM
// item of events aliased e (parameters allowed). Returns one row: how many
// events it folded and how many seconds the oldest of them waited since it
// was appended (NULL when none).
std::string FoldStatement(absl::string_view source);

// The events of `shop_expr` (SQL text, or a parameter) that the rollups do
// not hold yet: appended at or after the watermark, or in a range the
// folder could not fold for that shop (rollup_pending). A FROM item whose
// rows are events, aliased as `alias`. `shop_expr` NULL means every shop.
std::string TailEvents(absl::string_view shop_expr, absl::string_view alias);

// The condition that an event `e` is counted in the rollups already, for
// the verifier: appended before the watermark (or before folding existed)
// and not in a pending range.
inline constexpr char kFoldedCondition[] =
    "(e.append_xid IS NULL OR (e.append_xid < (SELECT watermark FROM "
    "rollup_watermark) AND NOT EXISTS (SELECT 1 FROM rollup_pending p"
    " WHERE p.shop_id = e.shop_id AND e.append_xid >= p.xid_lo"
    " AND e.append_xid < p.xid_hi)))";

inline constexpr int64_t kDayMicros = 86'400'000'000;

// Week rollups cut weeks from Monday 00:00 UTC: 1970-01-05 is one.
inline constexpr int64_t kWeekMicros = 7 * kDayMicros;
inline constexpr int64_t kWeekOriginMicros = 4 * kDayMicros;

// SQL: the start of the week (as above) of the timestamptz `expression`.
inline std::string WeekOf(absl::string_view expression) {
  return absl::StrCat("date_bin('7 days', ", expression,
                      ", '1970-01-05 00:00:00+00'::timestamptz)");
}

// `micros` rounded down to a whole `unit` counted from `origin`, also
// before the epoch.
inline int64_t FloorTo(int64_t micros, int64_t unit, int64_t origin = 0) {
  int64_t offset = (micros - origin) % unit;
  if (offset < 0) offset += unit;
  return micros - offset;
}

// `micros` as timestamptz input: UTC, to the microsecond.
std::string TimestampText(int64_t micros);

// SQL: the timestamptz `expression` as whole microseconds since the epoch.
inline std::string MicrosOf(absl::string_view expression) {
  return absl::StrCat("(extract(epoch FROM ", expression,
                      ") * 1000000)::bigint");
}

// Before when the raw events of shop $1 are gone (the processor's retention,
// or the shop's own): a timestamptz, NULL when all are kept. With $1 NULL
// (an answer over every shop) the latest of every shop's, so that no such
// answer reads a range some shop has lost.
inline constexpr char kShopRawHorizon[] =
    "greatest((SELECT horizon FROM event_retention),"
    " (SELECT max(raw_horizon) FROM shop_settings"
    " WHERE $1::text IS NULL OR shop_id = $1::text))";

// The session advisory lock a folder holds while it folds, and a rebuild
// while it rewrites rollups: one at a time.
inline constexpr int64_t kFoldLock = 0x73686f70666f6c64;  // "shopfold"

}  // namespace shopstream::rollups

#endif  // SHOPSTREAM_ROLLUPS_ROLLUP_SCHEMA_H_
