#ifndef SHOPSTREAM_BENCH_FULL_SCAN_QUERIES_H_
#define SHOPSTREAM_BENCH_FULL_SCAN_QUERIES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "storage/pg_connection_pool.h"

namespace shopstream::bench {

// The baseline the analytics benchmark compares with: the case study's
// approach, every answer aggregated from the raw events on each request,
// ported to PostgreSQL (the summary is the query shopstream used before
// rollups). Answers are read and dropped; only their cost matters here.
class FullScanQueries {
 public:
  explicit FullScanQueries(PgConnectionPool* pool) : pool_(pool) {}

  // Counts, revenue, extremes and the most viewed product of a shop.
  absl::Status Summary(const std::string& shop_id) const;
  // Counts and revenue per UTC hour of [from, to), microseconds.
  absl::Status HourlySeries(const std::string& shop_id, int64_t from,
                            int64_t to) const;
  // The `limit` most viewed products of [from, to) with their counts.
  absl::Status TopProducts(const std::string& shop_id, int64_t from, int64_t to,
                           int limit) const;

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream::bench

#endif  // SHOPSTREAM_BENCH_FULL_SCAN_QUERIES_H_
