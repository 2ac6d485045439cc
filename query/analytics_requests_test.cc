#include "query/analytics_requests.h"

#include "gtest/gtest.h"

namespace shopstream {
namespace {

// The field an INVALID_ARGUMENT names: the text before the colon.
std::string FieldOf(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message().substr(0, status.message().find(':')));
}

TEST(AnalyticsRequestsTest, ScopeRejectsBackwardsRangesAndLongShops) {
  google::protobuf::Timestamp from, to;
  from.set_seconds(100);
  to.set_seconds(50);
  EXPECT_EQ(FieldOf(CheckScope("s", false, &from, &to).status()), "to");
  to.set_seconds(100);
  EXPECT_TRUE(CheckScope("s", false, &from, &to).ok());
  EXPECT_EQ(FieldOf(CheckScope("", true, nullptr, nullptr).status()),
            "shop_id");
  EXPECT_EQ(
      FieldOf(
          CheckScope(std::string(65, 'x'), false, nullptr, nullptr).status()),
      "shop_id");
  from.set_nanos(-1);
  EXPECT_EQ(FieldOf(CheckScope("s", false, &from, nullptr).status()), "from");
  EXPECT_EQ(CheckScope(std::string("a\0b", 3), false, nullptr, nullptr)
                .status()
                .message(),
            "shop_id: must not contain NUL characters");
}

TEST(AnalyticsRequestsTest, OnlyZonesWithAZoneFileAreLoaded) {
  v1::GetTimeSeriesRequest r;
  r.set_shop_id("s");
  r.mutable_from()->set_seconds(0);
  r.mutable_to()->set_seconds(3600);
  for (const char* zone : {"UTC", "Europe/Paris", "America/Argentina/Salta",
                           "Etc/GMT+5", "Asia/Kolkata"}) {
    r.set_time_zone(zone);
    auto q = CheckTimeSeries(r);
    ASSERT_TRUE(q.ok()) << zone << ": " << q.status();
    EXPECT_EQ(q->zone_name, zone);
  }
  // Abseil's own spellings and names no zone file has are refused, and so
  // is anything that looks like a path out of the zone directory.
  for (const char* zone :
       {"libc:Europe/Paris", "Fixed/UTC+05:00:00", "localtime", "Mars/Olympus",
        "../../etc/passwd", "/etc/localtime", "Europe", "Europe/Paris/",
        "zone with spaces"}) {
    r.set_time_zone(zone);
    EXPECT_EQ(FieldOf(CheckTimeSeries(r).status()), "time_zone") << zone;
  }
  r.set_time_zone(std::string(65, 'A'));
  EXPECT_EQ(FieldOf(CheckTimeSeries(r).status()), "time_zone");
}

TEST(AnalyticsRequestsTest, NanosecondsRoundUpToTheNextMicrosecond) {
  google::protobuf::Timestamp from;
  from.set_seconds(1);
  from.set_nanos(1);
  auto range = CheckScope("s", false, &from, nullptr);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(*range->from, 1'000'001);
}

TEST(AnalyticsRequestsTest, TimeSeriesNeedsBothEndsAKnownZoneAndFewBuckets) {
  v1::GetTimeSeriesRequest r;
  r.set_shop_id("s");
  EXPECT_EQ(FieldOf(CheckTimeSeries(r).status()), "from");
  r.mutable_from()->set_seconds(0);
  EXPECT_EQ(FieldOf(CheckTimeSeries(r).status()), "to");
  r.mutable_to()->set_seconds(0);
  EXPECT_EQ(FieldOf(CheckTimeSeries(r).status()), "to");
  r.mutable_to()->set_seconds(3600);
  r.set_time_zone("Mars/Olympus_Mons");
  EXPECT_EQ(FieldOf(CheckTimeSeries(r).status()), "time_zone");
  r.set_time_zone("Europe/Paris");
  r.set_bucket(static_cast<v1::BucketSize>(7));
  EXPECT_EQ(FieldOf(CheckTimeSeries(r).status()), "bucket");
  r.set_bucket(v1::BUCKET_SIZE_UNSPECIFIED);
  auto q = CheckTimeSeries(r);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->bucket, v1::HOUR);
  r.clear_time_zone();
  EXPECT_EQ(CheckTimeSeries(r)->zone_name, "UTC");
}

TEST(AnalyticsRequestsTest, TopProductsLimitsAndMetric) {
  v1::GetTopProductsRequest r;
  r.set_shop_id("s");
  EXPECT_EQ(CheckTopProducts(r)->limit, 10);
  EXPECT_EQ(CheckTopProducts(r)->order_by, v1::PAGE_VIEWS);
  r.set_limit(1001);
  EXPECT_EQ(FieldOf(CheckTopProducts(r).status()), "limit");
  r.set_limit(-1);
  EXPECT_EQ(FieldOf(CheckTopProducts(r).status()), "limit");
  r.set_limit(1000);
  r.set_order_by(static_cast<v1::ProductMetric>(9));
  EXPECT_EQ(FieldOf(CheckTopProducts(r).status()), "order_by");
}

TEST(AnalyticsRequestsTest, ListEventsFiltersAndPageTokens) {
  v1::ListEventsRequest r;
  r.set_shop_id("s");
  EXPECT_EQ(CheckListEvents(r)->page_size, 100);
  r.set_event_type("refund");
  EXPECT_EQ(FieldOf(CheckListEvents(r).status()), "event_type");
  r.set_event_type("purchase");
  EXPECT_EQ(CheckListEvents(r)->event_type, 3);
  r.set_page_size(1001);
  EXPECT_EQ(FieldOf(CheckListEvents(r).status()), "page_size");
  r.set_page_size(5);
  r.set_page_token("not a token");
  EXPECT_EQ(FieldOf(CheckListEvents(r).status()), "page_token");
  r.set_page_token(EncodeCursor({-42, "id:with:colons"}));
  auto q = CheckListEvents(r);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->after->occurred_at_micros, -42);
  EXPECT_EQ(q->after->event_id, "id:with:colons");
  // A well-formed token whose time PostgreSQL cannot hold, or whose id no
  // stored event can have.
  r.set_page_token(EncodeCursor({-900000000000000000, "x"}));
  EXPECT_EQ(FieldOf(CheckListEvents(r).status()), "page_token");
  r.set_page_token(EncodeCursor({0, std::string("a\0b", 3)}));
  EXPECT_EQ(FieldOf(CheckListEvents(r).status()), "page_token");
  r.clear_page_token();
  r.set_product_id(std::string("abc\0zzz", 7));
  EXPECT_EQ(CheckListEvents(r).status().message(),
            "product_id: must not contain NUL characters");
}

}  // namespace
}  // namespace shopstream
