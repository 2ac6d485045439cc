#include "query/analytics_filter.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::ElementsAre;

TEST(EventFilterTest, NothingSetMatchesEverything) {
  auto filter = EventFilter::Parse(v1::AnalyticsFilter());
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_TRUE(filter->empty());
  EXPECT_EQ(filter->dimension_count(), 0);
  EXPECT_FALSE(filter->single().has_value());
  EXPECT_EQ(filter->Predicate("e", 4), "true");
  EXPECT_TRUE(filter->parameters().empty());
}

TEST(EventFilterTest, EachFieldIsItsRollupDimensionAndColumn) {
  struct Case {
    void (v1::AnalyticsFilter::*set)(const std::string&);
    const char* value;
    const char* dimension;
    const char* column_value;
  };
  const Case cases[] = {
      {&v1::AnalyticsFilter::set_event_type, "page_view", "event_type", "1"},
      {&v1::AnalyticsFilter::set_event_type, "add_to_cart", "event_type", "2"},
      {&v1::AnalyticsFilter::set_event_type, "purchase", "event_type", "3"},
      {&v1::AnalyticsFilter::set_event_type, "custom", "event_type", "4"},
      {&v1::AnalyticsFilter::set_product_id, "p-1", "product_id", "p-1"},
      {&v1::AnalyticsFilter::set_page, "/x", "page", "/x"},
      {&v1::AnalyticsFilter::set_referrer_host, "a.example", "referrer_host",
       "a.example"},
      {&v1::AnalyticsFilter::set_utm_source, "news", "utm_source", "news"},
      {&v1::AnalyticsFilter::set_utm_medium, "email", "utm_medium", "email"},
      {&v1::AnalyticsFilter::set_utm_campaign, "w1", "utm_campaign", "w1"},
      {&v1::AnalyticsFilter::set_device_class, "mobile", "device_class",
       "mobile"},
      {&v1::AnalyticsFilter::set_browser, "Firefox", "browser", "Firefox"},
      {&v1::AnalyticsFilter::set_os, "Linux", "os", "Linux"},
  };
  for (const Case& c : cases) {
    v1::AnalyticsFilter proto;
    (proto.*c.set)(c.value);
    auto filter = EventFilter::Parse(proto);
    ASSERT_TRUE(filter.ok()) << c.value << ": " << filter.status();
    EXPECT_EQ(filter->dimension_count(), 1);
    auto single = filter->single();
    ASSERT_TRUE(single.has_value());
    EXPECT_STREQ(single->dimension, c.dimension);
    EXPECT_EQ(single->value, c.value);
    EXPECT_EQ(single->column_value, c.column_value);
    EXPECT_THAT(filter->parameters(), ElementsAre(c.column_value));
    const std::string cast =
        std::string(c.dimension) == "event_type" ? "::smallint" : "::text";
    EXPECT_EQ(filter->Predicate("e", 3),
              std::string("e.") + c.dimension + " = $3" + cast);
  }
}

TEST(EventFilterTest, SeveralFieldsAreAndedWithNumberedParameters) {
  v1::AnalyticsFilter proto;
  proto.set_os("iOS");
  proto.set_page("/cart");
  proto.set_event_type("purchase");
  auto filter = EventFilter::Parse(proto);
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_EQ(filter->dimension_count(), 3);
  EXPECT_FALSE(filter->single().has_value());
  EXPECT_EQ(filter->Predicate("ev", 2),
            "ev.event_type = $2::smallint AND ev.page = $3::text"
            " AND ev.os = $4::text");
  EXPECT_THAT(filter->parameters(), ElementsAre("3", "/cart", "iOS"));
}

TEST(EventFilterTest, BadValuesNameTheirField) {
  v1::AnalyticsFilter proto;
  proto.set_event_type("refund");
  EXPECT_EQ(EventFilter::Parse(proto).status().message(),
            "filter.event_type: must be one of page_view, add_to_cart,"
            " purchase or custom (got \"refund\")");
  // Names as the events store them, not as the case study's API spells
  // other enums.
  proto.set_event_type("PURCHASE");
  EXPECT_EQ(EventFilter::Parse(proto).status().code(),
            absl::StatusCode::kInvalidArgument);
  proto.clear_event_type();

  proto.set_page(std::string(kMaxFilterValueBytes, 'p'));
  EXPECT_TRUE(EventFilter::Parse(proto).ok());
  proto.set_page(std::string(kMaxFilterValueBytes + 1, 'p'));
  EXPECT_EQ(EventFilter::Parse(proto).status().message(),
            "filter.page: at most 200 bytes (got 201)");
  proto.clear_page();

  proto.set_utm_campaign(std::string("a\0b", 3));
  EXPECT_EQ(EventFilter::Parse(proto).status().message(),
            "filter.utm_campaign: must not contain NUL characters");
  EXPECT_EQ(EventFilter::Parse(proto, "compare.filter").status().message(),
            "compare.filter.utm_campaign: must not contain NUL characters");
}

}  // namespace
}  // namespace shopstream
