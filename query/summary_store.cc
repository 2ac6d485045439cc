#include "query/summary_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace shopstream {
namespace {

constexpr int kPageView = 1;
constexpr int kAddToCart = 2;
constexpr int kPurchase = 3;

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// Absent parts of the scope are NULL parameters; PostgreSQL plans each
// unnamed statement with its values, so "$1 IS NULL OR ..." folds away and
// the (shop_id, occurred_at) index still serves.
constexpr char kWhere[] =
    " WHERE ($1::text IS NULL OR shop_id = $1)"
    " AND ($2::bigint IS NULL OR occurred_at >= 'epoch'::timestamptz"
    " + $2 * interval '1 microsecond')"
    " AND ($3::bigint IS NULL OR occurred_at < 'epoch'::timestamptz"
    " + $3 * interval '1 microsecond')";

}  // namespace

absl::StatusOr<SummaryCounts> SummaryStore::Load(const SummaryScope& scope) const {
  SummaryCounts counts;
  std::optional<std::string> shop;
  if (!scope.shop_id.empty()) shop = scope.shop_id;
  std::optional<int64_t> from, to;
  if (scope.from) from = Micros(*scope.from);
  if (scope.to) to = Micros(*scope.to);
  static const std::string totals_sql = absl::StrCat(
      "SELECT count(*) FILTER (WHERE event_type = ", kPageView, "),"
      " count(*) FILTER (WHERE event_type = ", kAddToCart, "),"
      " count(*) FILTER (WHERE event_type = ", kPurchase, "),"
      " coalesce(sum(order_amount_cents) FILTER (WHERE event_type = ", kPurchase,
      "), 0),"
      " coalesce(max(order_amount_cents) FILTER (WHERE event_type = ", kPurchase,
      "), 0),"
      " coalesce(min(order_amount_cents) FILTER (WHERE event_type = ", kPurchase,
      "), 0)"
      " FROM events",
      kWhere);
  // Ties go to the smallest id in byte order, whatever the database's
  // collation.
  static const std::string top_sql = absl::StrCat(
      "SELECT product_id FROM events", kWhere, " AND event_type = ", kPageView,
      " AND product_id IS NOT NULL"
      " GROUP BY product_id ORDER BY count(*) DESC, product_id COLLATE \"C\""
      " LIMIT 1");
  absl::Status status = pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    pqxx::row totals = tx.exec_params1(totals_sql, shop, from, to);
    counts.page_views = totals[0].as<int64_t>();
    counts.add_to_carts = totals[1].as<int64_t>();
    counts.purchases = totals[2].as<int64_t>();
    counts.revenue_cents = totals[3].as<int64_t>();
    counts.max_purchase_cents = totals[4].as<int64_t>();
    counts.min_purchase_cents = totals[5].as<int64_t>();
    pqxx::result top = tx.exec_params(top_sql, shop, from, to);
    if (!top.empty()) counts.top_product_id = top[0][0].as<std::string>();
    tx.commit();
  });
  if (!status.ok()) return status;
  return counts;
}

}  // namespace shopstream
