#include "query/filtered_analytics.h"

#include <algorithm>
#include <array>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "query/analytics_requests.h"
#include "query/answer_values.h"
#include "query/session_settings.h"
#include "query/summary_formulas.h"
#include "query/time_buckets.h"
#include "rollups/rollup_schema.h"

namespace shopstream {
namespace {

using OptText = std::optional<std::string>;
using rollups::MicrosOf;

// The matching events of shop $1 (NULL: every shop) in [$2, $3) (NULL:
// open), the filter's values from $4 on.
std::string MatchingEvents(const EventFilter& filter) {
  return absl::StrCat(
      " FROM events e WHERE ($1::text IS NULL OR e.shop_id = $1)"
      " AND ($2::bigint IS NULL OR e.occurred_at >= ",
      InstantOfMicros("$2"), ") AND ($3::bigint IS NULL OR e.occurred_at < ",
      InstantOfMicros("$3"), ") AND ", filter.Predicate("e", 4));
}

OptText ShopOf(const std::string& shop_id) {
  if (shop_id.empty()) return std::nullopt;
  return shop_id;
}

// Opens the answer's snapshot and checks that retention kept every raw
// event of the range: INVALID_ARGUMENT naming from otherwise.
absl::Status BeginRawSnapshot(pqxx::transaction_base& tx, const OptText& shop,
                              const MicrosRange& range) {
  tx.exec(absl::StrCat(kReadOnlySnapshot, "; ", kRawScanSettings));
  static const std::string sql =
      absl::StrCat("SELECT ", MicrosOf(rollups::kShopRawHorizon));
  const pqxx::row row = tx.exec_params1(sql, shop);
  if (row[0].is_null()) return absl::OkStatus();
  const int64_t horizon = row[0].as<int64_t>();
  if (range.from && *range.from >= horizon) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "from: raw events before ",
      absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(horizon),
                       absl::UTCTimeZone()),
      " are no longer kept; filtered answers read raw events, so the range"
      " must start at or after that"));
}

// The position of a metric's column among product id, page views, carts,
// purchases and revenue.
int SumPosition(v1::ProductMetric metric) {
  switch (metric) {
    case v1::ADD_TO_CARTS:
      return 3;
    case v1::PURCHASES:
      return 4;
    case v1::REVENUE:
      return 5;
    default:
      return 2;
  }
}

}  // namespace

absl::StatusOr<v1::Summary> FilteredAnalytics::Summary(
    const v1::GetSummaryRequest& request, const EventFilter& filter) const {
  auto range = CheckScope(request.shop_id(), false,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  if (DimensionAnalytics::Answers(request.shop_id(), *range, filter)) {
    return dimensions_.Summary(request.shop_id(), *range, *filter.single());
  }
  const OptText shop = ShopOf(request.shop_id());
  // One pass over the matching events feeds both the counts and the most
  // viewed product. A session is a (shop, session id) pair, as in the
  // rollups.
  const std::string sql = absl::StrCat(
      "WITH m AS MATERIALIZED (SELECT e.shop_id, e.event_type, e.product_id,"
      " e.session_id, e.order_amount_cents",
      MatchingEvents(filter), "), counts AS (SELECT ",
      rollups::CountAggregates(true),
      ", count(DISTINCT length(e.shop_id) || ':' || e.shop_id"
      " || e.session_id) AS sessions FROM m e),"
      " top AS (SELECT e.product_id FROM m e WHERE e.event_type = 1"
      " AND e.product_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC,"
      " e.product_id COLLATE \"C\" LIMIT 1)"
      " SELECT c.*, (SELECT product_id FROM top) FROM counts c");
  const auto values = filter.parameters();
  SummaryCounts counts;
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    refused = BeginRawSnapshot(tx, shop, *range);
    if (!refused.ok()) return;
    const pqxx::row row =
        tx.exec_params1(sql, shop, range->from, range->to,
                        pqxx::prepare::make_dynamic_params(values));
    counts.page_views = row[0].as<int64_t>();
    counts.add_to_carts = row[1].as<int64_t>();
    counts.purchases = row[2].as<int64_t>();
    counts.revenue_cents = CentsOf(row[3]);
    counts.max_purchase_cents = row[4].is_null() ? 0 : row[4].as<int64_t>();
    counts.min_purchase_cents = row[5].is_null() ? 0 : row[5].as<int64_t>();
    counts.unique_sessions = row[6].as<int64_t>();
    if (!row[7].is_null()) counts.top_product_id = row[7].as<std::string>();
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  v1::Summary summary = BuildSummary(counts);
  SetTimestampMicros(absl::ToUnixMicros(absl::Now()), summary.mutable_as_of());
  return summary;
}

absl::StatusOr<v1::TimeSeries> FilteredAnalytics::TimeSeries(
    const v1::GetTimeSeriesRequest& request, const EventFilter& filter) const {
  auto query = CheckTimeSeries(request);
  if (!query.ok()) return query.status();
  auto edges = BucketEdges(*query->range.from, *query->range.to, query->bucket,
                           query->zone, kMaxBuckets);
  if (!edges.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: at most ", kMaxBuckets, " buckets between from and to"));
  }
  if (DimensionAnalytics::Answers(request.shop_id(), query->range, filter)) {
    std::vector<int64_t> starts;
    for (size_t i = 0; i + 1 < edges->size(); ++i) {
      starts.push_back(std::max((*edges)[i], *query->range.from));
    }
    auto buckets = dimensions_.Buckets(request.shop_id(), starts,
                                       *query->range.to, *filter.single());
    if (!buckets.ok()) return buckets.status();
    v1::TimeSeries series;
    series.set_bucket(query->bucket);
    series.set_time_zone(query->zone_name);
    for (size_t i = 0; i < buckets->size(); ++i) {
      v1::TimeSeriesPoint* point = series.add_points();
      SetTimestampMicros((*edges)[i], point->mutable_start());
      point->set_page_views((*buckets)[i].page_views);
      point->set_add_to_carts((*buckets)[i].add_to_carts);
      point->set_purchases((*buckets)[i].purchases);
      point->set_revenue(Units((*buckets)[i].revenue_cents));
    }
    return series;
  }
  // One pass over the matching events, each binned by the bucket edges.
  const std::string sql = absl::StrCat(
      "SELECT width_bucket(", MicrosOf("e.occurred_at"), ", $",
      4 + filter.dimension_count(), "::bigint[]), ",
      rollups::CountAggregates(false), MatchingEvents(filter), " GROUP BY 1");
  const std::string edge_array =
      absl::StrCat("{", absl::StrJoin(*edges, ","), "}");
  const size_t buckets = edges->size() - 1;
  std::vector<int64_t> page_views(buckets), add_to_carts(buckets),
      purchases(buckets);
  std::vector<absl::int128> revenue(buckets);
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    const OptText shop = request.shop_id();
    pqxx::work tx(conn);
    refused = BeginRawSnapshot(tx, shop, query->range);
    if (!refused.ok()) return;
    for (const pqxx::row& row :
         tx.exec_params(sql, shop, query->range.from, query->range.to,
                        pqxx::prepare::make_dynamic_params(filter.parameters()),
                        edge_array)) {
      const int64_t i = row[0].as<int64_t>() - 1;
      if (i < 0 || i >= static_cast<int64_t>(buckets)) continue;
      page_views[i] = row[1].as<int64_t>();
      add_to_carts[i] = row[2].as<int64_t>();
      purchases[i] = row[3].as<int64_t>();
      revenue[i] = CentsOf(row[4]);
    }
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  v1::TimeSeries series;
  series.set_bucket(query->bucket);
  series.set_time_zone(query->zone_name);
  for (size_t i = 0; i < buckets; ++i) {
    v1::TimeSeriesPoint* point = series.add_points();
    SetTimestampMicros((*edges)[i], point->mutable_start());
    point->set_page_views(page_views[i]);
    point->set_add_to_carts(add_to_carts[i]);
    point->set_purchases(purchases[i]);
    point->set_revenue(Units(revenue[i]));
  }
  return series;
}

absl::StatusOr<v1::TopProducts> FilteredAnalytics::TopProducts(
    const v1::GetTopProductsRequest& request, const EventFilter& filter) const {
  auto query = CheckTopProducts(request);
  if (!query.ok()) return query.status();
  if (DimensionAnalytics::Answers(request.shop_id(), query->range, filter) &&
      std::string_view(filter.single()->dimension) == "product_id") {
    // Filtered on one product, the list is that product's own row.
    auto counts = dimensions_.Buckets(request.shop_id(), {*query->range.from},
                                      *query->range.to, *filter.single());
    if (!counts.ok()) return counts.status();
    v1::TopProducts top;
    top.set_order_by(query->order_by);
    const DimensionAnalytics::BucketCounts& c = (*counts)[0];
    if (c.events > 0) {
      AddProductStats({.product_id = filter.single()->value,
                       .page_views = c.page_views,
                       .add_to_carts = c.add_to_carts,
                       .purchases = c.purchases,
                       .revenue_cents = c.revenue_cents},
                      &top);
    }
    return top;
  }
  if (DimensionAnalytics::Answers(request.shop_id(), query->range, filter)) {
    auto products = dimensions_.TopProducts(
        request.shop_id(), *query->range.from, *query->range.to,
        *filter.single(), SumPosition(query->order_by), query->limit);
    if (!products.ok()) return products.status();
    v1::TopProducts top;
    top.set_order_by(query->order_by);
    for (const ProductCounts& row : *products) AddProductStats(row, &top);
    return top;
  }
  const std::string sql = absl::StrCat(
      "SELECT e.product_id, ", rollups::CountAggregates(false),
      MatchingEvents(filter),
      " AND e.product_id IS NOT NULL GROUP BY e.product_id ORDER BY ",
      SumPosition(query->order_by), " DESC, e.product_id COLLATE \"C\" LIMIT ",
      query->limit);
  v1::TopProducts top;
  top.set_order_by(query->order_by);
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    const OptText shop = request.shop_id();
    pqxx::work tx(conn);
    refused = BeginRawSnapshot(tx, shop, query->range);
    if (!refused.ok()) return;
    const pqxx::result rows =
        tx.exec_params(sql, shop, query->range.from, query->range.to,
                       pqxx::prepare::make_dynamic_params(filter.parameters()));
    tx.commit();
    for (const pqxx::row& row : rows) {
      AddProductStats({.product_id = row[0].as<std::string>(),
                       .page_views = row[1].as<int64_t>(),
                       .add_to_carts = row[2].as<int64_t>(),
                       .purchases = row[3].as<int64_t>(),
                       .revenue_cents = CentsOf(row[4])},
                      &top);
    }
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  return top;
}

absl::StatusOr<v1::Funnel> FilteredAnalytics::Funnel(
    const v1::GetFunnelRequest& request, const EventFilter& filter) const {
  auto range = CheckScope(request.shop_id(), true,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  // The unfiltered funnel's rule on the matching events: a session reaches
  // a step when an event of the step's type follows (at the same instant or
  // later) the earliest time it reached the previous step.
  const std::string sql = absl::StrCat(
      "WITH e AS MATERIALIZED (SELECT e.session_id, e.event_type,"
      " e.occurred_at",
      MatchingEvents(filter),
      " AND e.event_type <= 3),"
      " viewed AS (SELECT session_id, min(occurred_at) AS t FROM e"
      " WHERE event_type = 1 AND session_id IS NOT NULL GROUP BY session_id),"
      " carted AS (SELECT e.session_id, min(e.occurred_at) AS t"
      " FROM e JOIN viewed v USING (session_id)"
      " WHERE e.event_type = 2 AND e.occurred_at >= v.t GROUP BY e.session_id),"
      " bought AS (SELECT DISTINCT e.session_id"
      " FROM e JOIN carted c USING (session_id)"
      " WHERE e.event_type = 3 AND e.occurred_at >= c.t)"
      " SELECT (SELECT count(*) FROM e WHERE event_type = 1),"
      " (SELECT count(*) FROM e WHERE event_type = 2),"
      " (SELECT count(*) FROM e WHERE event_type = 3),"
      " (SELECT count(*) FROM viewed), (SELECT count(*) FROM carted),"
      " (SELECT count(*) FROM bought)");
  std::array<int64_t, 3> events = {0, 0, 0};
  std::array<int64_t, 3> sessions = {0, 0, 0};
  absl::Status refused;
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    const OptText shop = request.shop_id();
    pqxx::work tx(conn);
    refused = BeginRawSnapshot(tx, shop, *range);
    if (!refused.ok()) return;
    const pqxx::row row = tx.exec_params1(
        sql, shop, range->from, range->to,
        pqxx::prepare::make_dynamic_params(filter.parameters()));
    for (int i = 0; i < 3; ++i) {
      events[i] = row[i].as<int64_t>();
      sessions[i] = row[3 + i].as<int64_t>();
    }
    tx.commit();
  });
  if (!status.ok()) return status;
  if (!refused.ok()) return refused;
  v1::Funnel funnel;
  for (int i = 0; i < 3; ++i) {
    v1::FunnelStep* step = funnel.add_steps();
    step->set_event_type(EventTypeName(i + 1));
    step->set_events(events[i]);
    step->set_sessions(sessions[i]);
    step->set_conversion_from_previous(
        i == 0 ? (sessions[0] > 0 ? 100 : 0)
               : ConversionRatePercent(sessions[i], sessions[i - 1]));
  }
  funnel.set_overall_conversion(
      ConversionRatePercent(sessions[2], sessions[0]));
  return funnel;
}

}  // namespace shopstream
