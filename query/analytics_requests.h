#ifndef SHOPSTREAM_QUERY_ANALYTICS_REQUESTS_H_
#define SHOPSTREAM_QUERY_ANALYTICS_REQUESTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

inline constexpr int kMaxBuckets = 100000;

// [from, to) in whole microseconds, as events are stored; absent ends open.
struct MicrosRange {
  std::optional<int64_t> from;
  std::optional<int64_t> to;
};

// Checks shop_id (`required` or at most its length), from and to.
absl::StatusOr<MicrosRange> CheckScope(const std::string& shop_id,
                                       bool required,
                                       const google::protobuf::Timestamp* from,
                                       const google::protobuf::Timestamp* to);

struct TimeSeriesQuery {
  MicrosRange range;  // both ends set, from < to
  v1::BucketSize bucket = v1::HOUR;
  absl::TimeZone zone;
  std::string zone_name;  // as asked, "UTC" when empty
};
absl::StatusOr<TimeSeriesQuery> CheckTimeSeries(
    const v1::GetTimeSeriesRequest& r);

struct TopProductsQuery {
  MicrosRange range;
  v1::ProductMetric order_by = v1::PAGE_VIEWS;
  int limit = 10;
};
absl::StatusOr<TopProductsQuery> CheckTopProducts(
    const v1::GetTopProductsRequest& r);

// Where a page of ListEvents resumes: after this event in newest-first
// order.
struct EventCursor {
  int64_t occurred_at_micros = 0;
  std::string event_id;
};
std::string EncodeCursor(const EventCursor& cursor);
absl::StatusOr<EventCursor> DecodeCursor(const std::string& token);

struct ListEventsQuery {
  MicrosRange range;
  std::optional<int> event_type;  // 1..3
  std::optional<std::string> product_id;
  std::optional<std::string> session_id;
  int page_size = 100;
  std::optional<EventCursor> after;
};
absl::StatusOr<ListEventsQuery> CheckListEvents(const v1::ListEventsRequest& r);

// "page_view", "add_to_cart", "purchase" for 1, 2, 3.
const char* EventTypeName(int event_type);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_REQUESTS_H_
