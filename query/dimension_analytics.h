#ifndef SHOPSTREAM_QUERY_DIMENSION_ANALYTICS_H_
#define SHOPSTREAM_QUERY_DIMENSION_ANALYTICS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "query/analytics_filter.h"
#include "query/analytics_requests.h"
#include "query/answer_values.h"
#include "shopstream/v1/analytics.pb.h"
#include "storage/pg_connection_pool.h"

namespace shopstream {

// Answers filtered on one dimension of one shop over a bounded range, from
// the dimension rollups (migrations/0019): whole UTC days from the day
// rollup, whole hours around them from the hour rollup, the rest, and the
// events the folder has not added yet (the tail), from raw events; all in
// one REPEATABLE READ snapshot. Unique sessions of whole days come from the
// days' sketches (an estimate). Products (the summary's most viewed one, top
// products) come from the products per dimension value and week or day
// (migrations/0025, 0026), the rest of the range from raw events; the
// funnel is not answered here.
class DimensionAnalytics {
 public:
  explicit DimensionAnalytics(PgConnectionPool* pool) : pool_(pool) {}

  // Whether a request of `shop_id` over `range` filtered by `filter` is
  // answered here: one dimension, other than event_type; one shop; both
  // ends set.
  static bool Answers(const std::string& shop_id, const MicrosRange& range,
                      const EventFilter& filter);

  // `range` and the other checks done by the caller.
  absl::StatusOr<v1::Summary> Summary(const std::string& shop_id,
                                      const MicrosRange& range,
                                      const EventFilter::Term& term) const;
  // Per bucket: each [starts[i], starts[i + 1]) (the last up to `to`).
  struct BucketCounts {
    int64_t page_views = 0;
    int64_t add_to_carts = 0;
    int64_t purchases = 0;
    absl::int128 revenue_cents = 0;
    std::optional<int64_t> max_cents;
    std::optional<int64_t> min_cents;
    int64_t events = 0;  // custom ones included
  };
  // Products of the matching events in [from, to) for a traffic dimension
  // (not event_type or product_id), ordered by the column at
  // `order_position` (2 page views, 3 carts, 4 purchases, 5 revenue)
  // descending, then by id; at most `limit`.
  absl::StatusOr<std::vector<ProductCounts>> TopProducts(
      const std::string& shop_id, int64_t from, int64_t to,
      const EventFilter::Term& term, int order_position, int limit) const;

  absl::StatusOr<std::vector<BucketCounts>> Buckets(
      const std::string& shop_id, const std::vector<int64_t>& starts,
      int64_t to, const EventFilter::Term& term) const;

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_DIMENSION_ANALYTICS_H_
