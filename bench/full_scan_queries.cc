#include "bench/full_scan_queries.h"

#include <pqxx/pqxx>

namespace shopstream::bench {
namespace {

constexpr char kRange[] =
    " AND occurred_at >= 'epoch'::timestamptz + $2 * interval '1 microsecond'"
    " AND occurred_at < 'epoch'::timestamptz + $3 * interval '1 microsecond'";

}  // namespace

absl::Status FullScanQueries::Summary(const std::string& shop_id) const {
  return pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    tx.exec_params1(
        "SELECT count(*) FILTER (WHERE event_type = 1),"
        " count(*) FILTER (WHERE event_type = 2),"
        " count(*) FILTER (WHERE event_type = 3),"
        " coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), 0),"
        " max(order_amount_cents) FILTER (WHERE event_type = 3),"
        " min(order_amount_cents) FILTER (WHERE event_type = 3),"
        " count(DISTINCT session_id)"
        " FROM events WHERE shop_id = $1",
        shop_id);
    tx.exec_params(
        "SELECT product_id FROM events WHERE shop_id = $1 AND event_type = 1"
        " AND product_id IS NOT NULL GROUP BY product_id"
        " ORDER BY count(*) DESC, product_id COLLATE \"C\" LIMIT 1",
        shop_id);
    tx.commit();
  });
}

absl::Status FullScanQueries::HourlySeries(const std::string& shop_id,
                                           int64_t from, int64_t to) const {
  return pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec_params(
        std::string(
            "SELECT date_bin('1 hour', occurred_at, 'epoch'::timestamptz),"
            " count(*) FILTER (WHERE event_type = 1),"
            " count(*) FILTER (WHERE event_type = 2),"
            " count(*) FILTER (WHERE event_type = 3),"
            " coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), "
            "0)"
            " FROM events WHERE shop_id = $1") +
            kRange + " GROUP BY 1 ORDER BY 1",
        shop_id, from, to);
    tx.commit();
  });
}

absl::Status FullScanQueries::TopProducts(const std::string& shop_id,
                                          int64_t from, int64_t to,
                                          int limit) const {
  return pool_->Run([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    tx.exec_params(
        std::string(
            "SELECT product_id, count(*) FILTER (WHERE event_type = 1),"
            " count(*) FILTER (WHERE event_type = 2),"
            " count(*) FILTER (WHERE event_type = 3),"
            " coalesce(sum(order_amount_cents) FILTER (WHERE event_type = 3), "
            "0)"
            " FROM events WHERE shop_id = $1 AND product_id IS NOT NULL") +
            kRange + " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $4",
        shop_id, from, to, limit);
    tx.commit();
  });
}

}  // namespace shopstream::bench
