#include "common/event_validator.h"

#include <cmath>
#include <iomanip>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

v1::Event Valid(const std::string& type) {
  v1::Event e;
  e.set_event_type(type);
  e.mutable_timestamp()->set_seconds(1759401000);  // 2025-10-02T10:30:00Z
  e.set_product_id("prod-123");
  if (type == "purchase") e.set_order_amount(99.99);
  return e;
}

absl::Status ErrorOf(const v1::Event& e) {
  return EventValidator().Validate(e).status();
}

TEST(EventValidatorTest, AcceptsTheCaseStudyEvents) {
  for (const char* type : {"page_view", "add_to_cart", "purchase"}) {
    auto stored = EventValidator().Validate(Valid(type));
    ASSERT_TRUE(stored.ok()) << type << ": " << stored.status();
    EXPECT_EQ(stored->shop_id(), "default");
    EXPECT_EQ(stored->event_id().size(), 36u);
    EXPECT_EQ(stored->product_id(), "prod-123");
    EXPECT_EQ(stored->occurred_at_micros(), 1759401000LL * 1000000);
  }
  auto purchase = EventValidator().Validate(Valid("purchase"));
  ASSERT_TRUE(purchase.ok());
  EXPECT_EQ(purchase->event_type(), internal::v1::PURCHASE);
  EXPECT_EQ(purchase->order_amount_cents(), 9999);
}

TEST(EventValidatorTest, KeepsClientIdsAndAssignsFreshOnes) {
  auto e = Valid("page_view");
  e.set_event_id("client-1");
  e.set_shop_id("shop-a");
  auto stored = EventValidator().Validate(e);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->event_id(), "client-1");
  EXPECT_EQ(stored->shop_id(), "shop-a");
  EXPECT_NE(NewEventId(), NewEventId());
}

TEST(EventValidatorTest, AssignedIdsAreVersion7UuidsInTimeOrder) {
  const absl::Time t = absl::FromUnixSeconds(1759401000);
  const std::string first = NewEventId(t);
  const std::string second = NewEventId(t + absl::Milliseconds(2));
  ASSERT_EQ(first.size(), 36u);
  EXPECT_EQ(first[8], '-');
  EXPECT_EQ(first[14], '7');                                          // version
  EXPECT_NE(std::string("89ab").find(first[19]), std::string::npos);  // variant
  EXPECT_LT(first, second);  // a later millisecond sorts later
  // The first 48 bits are the millisecond it was made at.
  const int64_t millis =
      std::stoll(first.substr(0, 8) + first.substr(9, 4), nullptr, 16);
  EXPECT_EQ(millis, absl::ToUnixMillis(t));
}

TEST(EventValidatorTest, RejectsUnknownOrMissingType) {
  auto e = Valid("page_view");
  e.set_event_type("click");
  EXPECT_EQ(ErrorOf(e).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("event_type"));
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("click"));
  e.clear_event_type();
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("event_type: required"));
}

TEST(EventValidatorTest, RequiresTimestamp) {
  auto e = Valid("page_view");
  e.clear_timestamp();
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("timestamp: required"));
  e.mutable_timestamp()->set_seconds(253402300800);
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("timestamp"));
}

TEST(EventValidatorTest, TimestampMustLieWithinTheWindowAroundArrival) {
  const EventValidator validator(
      {.max_age = absl::Hours(24 * 30), .max_ahead = absl::Minutes(90)});
  const absl::Time now = absl::FromUnixSeconds(1759401000);
  auto at = [&](absl::Time t) {
    v1::Event e = Valid("page_view");
    e.mutable_timestamp()->set_seconds(absl::ToUnixSeconds(t));
    return validator.Validate(e, now).status();
  };
  auto message_at = [&](absl::Time t) { return std::string(at(t).message()); };
  EXPECT_TRUE(at(now).ok());
  EXPECT_TRUE(at(now + absl::Minutes(90)).ok());
  EXPECT_TRUE(at(now - absl::Hours(24 * 30)).ok());
  EXPECT_EQ(message_at(now + absl::Minutes(91)),
            "timestamp: more than 90 minutes ahead of the server's clock "
            "(2025-10-02T10:30:00Z)");
  EXPECT_EQ(message_at(now - absl::Hours(24 * 30) - absl::Seconds(1)),
            "timestamp: more than 30 days in the past");
  EXPECT_EQ(at(absl::FromUnixSeconds(-62135596800)).code(),
            absl::StatusCode::kInvalidArgument);
  // The default window: ten years back, a day ahead.
  EXPECT_EQ(EventValidator()
                .Validate(Valid("page_view"), now + absl::Hours(24 * 3651))
                .status()
                .message(),
            "timestamp: more than 3650 days in the past");
  EXPECT_THAT(EventValidator()
                  .Validate(Valid("page_view"), now - absl::Hours(25))
                  .status()
                  .message(),
              HasSubstr("more than 1 day ahead"));
}

TEST(EventValidatorTest, PurchaseNeedsAFiniteNonNegativeTwoDecimalAmount) {
  auto e = Valid("purchase");
  e.clear_order_amount();
  EXPECT_THAT(ErrorOf(e).message(),
              HasSubstr("order_amount: required for purchase"));
  e.set_order_amount(-0.01);
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("order_amount: must be >= 0"));
  e.set_order_amount(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("finite"));
  e.set_order_amount(std::numeric_limits<double>::infinity());
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("finite"));
  e.set_order_amount(1.005);
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("2 decimal places"));
  e.set_order_amount(0);
  EXPECT_TRUE(ErrorOf(e).ok());
}

TEST(EventValidatorTest, AmountsBecomeExactCents) {
  EXPECT_EQ(*AmountToCents(0.1), 10);
  EXPECT_EQ(*AmountToCents(0.29), 29);
  EXPECT_EQ(*AmountToCents(299.99), 29999);
  EXPECT_EQ(*AmountToCents(9.99), 999);
  EXPECT_EQ(*AmountToCents(12345678901.23), 1234567890123);
  EXPECT_EQ(*AmountToCents(20000.12), 2000012);
  EXPECT_EQ(*AmountToCents(9999999999999.99), 999999999999999);
  EXPECT_FALSE(AmountToCents(1e14).ok());
}

TEST(EventValidatorTest, AThirdDecimalIsRefusedAtAnySize) {
  for (double amount : {0.001, 1.005, 99.999, 20000.123, 5000000.001,
                        123456789.125, 1e12 + 0.125}) {
    absl::StatusOr<int64_t> cents = AmountToCents(amount);
    EXPECT_FALSE(cents.ok())
        << std::setprecision(17) << amount << " -> " << cents.value_or(-1);
    EXPECT_EQ(cents.status().message(),
              "order_amount: at most 2 decimal places");
  }
  // Every two-decimal amount is taken exactly, small and large.
  for (int64_t cents :
       {int64_t{1}, int64_t{999}, int64_t{2000012}, int64_t{500000001},
        int64_t{12345678912}, int64_t{999999999999999}}) {
    const double amount = std::stod(
        absl::StrCat(cents / 100, ".", absl::StrFormat("%02d", cents % 100)));
    EXPECT_EQ(*AmountToCents(amount), cents) << cents;
  }
  // Sums a client computed in doubles are a unit in the last place off.
  EXPECT_EQ(*AmountToCents(0.1 + 0.2), 30);
  EXPECT_EQ(*AmountToCents(19.99 + 5.01), 2500);
  EXPECT_EQ(*AmountToCents(1234567.89 * 3), 370370367);
}

TEST(EventValidatorTest, AmountOnOtherTypesIsDropped) {
  auto e = Valid("page_view");
  e.set_order_amount(5);
  auto stored = EventValidator().Validate(e);
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_order_amount_cents());
}

TEST(EventValidatorTest, RejectsOversizedAndNulStrings) {
  auto e = Valid("page_view");
  e.set_product_id(std::string(129, 'p'));
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("product_id: at most 128"));
  e.set_product_id(std::string("a\0b", 3));
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("product_id: must not contain"));
  e.set_product_id("ok");
  e.set_shop_id(std::string(65, 's'));
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("shop_id"));
  e.set_shop_id("s");
  e.set_session_id(std::string(200, 'x'));
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("session_id"));
}

TEST(EventValidatorTest, KeepsHostileLookingStringsVerbatim) {
  auto e = Valid("page_view");
  e.set_product_id("'; DROP TABLE events; -- ünïcode");
  auto stored = EventValidator().Validate(e);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->product_id(), "'; DROP TABLE events; -- ünïcode");
}

// A stand-in classifier: the real one reads uap-core's patterns.
class FixedClassifier : public UserAgentClassifier {
 public:
  Families Classify(absl::string_view user_agent) const override {
    if (user_agent.find("Firefox") != absl::string_view::npos) {
      return {"Firefox", "Linux"};
    }
    return {"Other", "Other"};
  }
};

TEST(EventValidatorTest, KeepsTheTrafficContextNormalised) {
  v1::Event e = Valid("page_view");
  e.set_page("https://shop.example/p/7?ref=mail&utm_source=news#reviews");
  e.set_referrer("https://www.Google.com/search?q=prod-123");
  e.set_utm_source("news");
  e.set_utm_medium("email");
  e.set_utm_campaign("fall");
  e.set_screen_width(390);
  e.set_user_agent("Mozilla/5.0 (X11; Linux x86_64) Firefox/131.0");
  const FixedClassifier classifier;
  auto stored = EventValidator({}, &classifier).Validate(e);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->page(), "/p/7?utm_source=news");
  EXPECT_EQ(stored->referrer_host(), "www.google.com");
  EXPECT_EQ(stored->utm_source(), "news");
  EXPECT_EQ(stored->utm_medium(), "email");
  EXPECT_EQ(stored->utm_campaign(), "fall");
  EXPECT_EQ(stored->device_class(), "mobile");
  EXPECT_EQ(stored->browser(), "Firefox");
  EXPECT_EQ(stored->os(), "Linux");
  // Without a classifier the families stay unknown; the text is never kept.
  stored = EventValidator().Validate(e);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->browser(), "");
  EXPECT_EQ(stored->SerializeAsString().find("Mozilla"), std::string::npos);
}

TEST(EventValidatorTest, TheCaseStudysEventsHaveNoContext) {
  auto stored = EventValidator().Validate(Valid("purchase"));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->page(), "");
  EXPECT_EQ(stored->referrer_host(), "");
  EXPECT_EQ(stored->device_class(), "");
  EXPECT_EQ(stored->event_name(), "");
}

TEST(EventValidatorTest, CustomEventsHaveANameAndBoundedProperties) {
  v1::Event e = Valid("custom");
  e.clear_product_id();
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("name: 1 to 64 bytes"));
  e.set_name("newsletter_signup");
  (*e.mutable_properties())["plan"] = "pro";
  auto stored = EventValidator().Validate(e);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->event_type(), internal::v1::CUSTOM);
  EXPECT_EQ(stored->event_name(), "newsletter_signup");
  EXPECT_EQ(stored->properties().at("plan"), "pro");
  (*e.mutable_properties())["plan"] = std::string(201, 'p');
  EXPECT_THAT(ErrorOf(e).message(),
              HasSubstr("properties.plan: at most 200 bytes"));

  // The tracker sends a custom event as a name alone.
  e.clear_event_type();
  (*e.mutable_properties())["plan"] = "pro";
  stored = EventValidator().Validate(e);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->event_type(), internal::v1::CUSTOM);

  v1::Event view = Valid("page_view");
  view.set_name("x");
  EXPECT_THAT(ErrorOf(view).message(), HasSubstr("name: only custom events"));
  view.clear_name();
  (*view.mutable_properties())["a"] = "b";
  EXPECT_THAT(ErrorOf(view).message(),
              HasSubstr("properties: only custom events"));
}

TEST(EventValidatorTest, ContextFieldsAreRefusedNamingThem) {
  v1::Event e = Valid("page_view");
  e.set_page("no-slash");
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("page:"));
  e = Valid("page_view");
  e.set_referrer("not a host");
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("referrer:"));
  e = Valid("page_view");
  e.set_utm_campaign(std::string(201, 'c'));
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("utm_campaign: at most 200"));
  e = Valid("page_view");
  e.set_screen_width(0);
  EXPECT_THAT(ErrorOf(e).message(), HasSubstr("screen_width:"));
}

// The processor's check of events in their stored form.
class StoredEventCheckTest : public ::testing::Test {
 protected:
  const absl::Time now_ = absl::FromUnixSeconds(1759401000);
  const EventValidator validator_;

  internal::v1::StoredEvent Stored(const std::string& type) const {
    auto stored = validator_.Validate(Valid(type), now_);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return *stored;
  }
  std::string ErrorOf(const internal::v1::StoredEvent& e) const {
    return std::string(validator_.Check(e, now_).message());
  }
};

TEST_F(StoredEventCheckTest, WhatValidateProducesPasses) {
  for (const char* type : {"page_view", "add_to_cart", "purchase"}) {
    EXPECT_TRUE(validator_.Check(Stored(type), now_).ok()) << type;
  }
}

TEST_F(StoredEventCheckTest, EachRuleNamesItsField) {
  auto e = Stored("page_view");
  e.set_event_type(internal::v1::EVENT_TYPE_UNSPECIFIED);
  EXPECT_THAT(ErrorOf(e), HasSubstr("event_type: "));

  e = Stored("page_view");
  e.set_occurred_at_micros(absl::ToUnixMicros(
      absl::FromCivil(absl::CivilDay(9998, 1, 1), absl::UTCTimeZone())));
  EXPECT_THAT(ErrorOf(e), HasSubstr("timestamp: more than 1 day ahead"));
  e.set_occurred_at_micros(std::numeric_limits<int64_t>::min());
  EXPECT_THAT(ErrorOf(e), HasSubstr("timestamp: outside years 0001 to 9999"));
  e.set_occurred_at_micros(absl::ToUnixMicros(now_ - absl::Hours(24 * 3651)));
  EXPECT_THAT(ErrorOf(e), HasSubstr("timestamp: more than 3650 days"));

  e = Stored("page_view");
  e.clear_event_id();
  EXPECT_THAT(ErrorOf(e), HasSubstr("event_id: required"));
  e = Stored("page_view");
  e.clear_shop_id();
  EXPECT_THAT(ErrorOf(e), HasSubstr("shop_id: required"));
  e = Stored("page_view");
  e.set_shop_id(std::string(65, 's'));
  EXPECT_THAT(ErrorOf(e), HasSubstr("shop_id: at most 64 bytes"));
  e = Stored("page_view");
  e.set_product_id(std::string("a\0b", 3));
  EXPECT_THAT(ErrorOf(e), HasSubstr("product_id: must not contain NUL"));
  e = Stored("page_view");
  e.set_session_id(std::string(129, 's'));
  EXPECT_THAT(ErrorOf(e), HasSubstr("session_id: at most"));
}

TEST_F(StoredEventCheckTest, ContextAndCustomFieldsAreCheckedAgain) {
  auto e = Stored("page_view");
  e.set_page("/p?utm_source=x");
  e.set_referrer_host("news.example");
  e.set_device_class("tablet");
  EXPECT_TRUE(validator_.Check(e, now_).ok());
  e.set_page("relative");
  EXPECT_THAT(ErrorOf(e), HasSubstr("page:"));
  e = Stored("page_view");
  e.set_referrer_host("UPPER.example");
  EXPECT_THAT(ErrorOf(e), HasSubstr("referrer_host:"));
  e = Stored("page_view");
  e.set_device_class("watch");
  EXPECT_THAT(ErrorOf(e), HasSubstr("device_class:"));
  e = Stored("page_view");
  e.set_browser(std::string(65, 'b'));
  EXPECT_THAT(ErrorOf(e), HasSubstr("browser: at most 64"));
  e = Stored("page_view");
  e.set_event_name("signup");
  EXPECT_THAT(ErrorOf(e), HasSubstr("event_name: only custom events"));
  e.set_event_type(internal::v1::CUSTOM);
  EXPECT_TRUE(validator_.Check(e, now_).ok());
  e.clear_event_name();
  EXPECT_THAT(ErrorOf(e), HasSubstr("event_name: 1 to 64"));
}

TEST_F(StoredEventCheckTest, AmountsBelongToPurchasesAndAreNeverNegative) {
  auto purchase = Stored("purchase");
  purchase.set_order_amount_cents(-1);
  EXPECT_THAT(ErrorOf(purchase), HasSubstr("order_amount_cents: must be >= 0"));
  purchase.set_order_amount_cents(std::numeric_limits<int64_t>::max());
  EXPECT_THAT(ErrorOf(purchase), HasSubstr("order_amount_cents: at most"));
  purchase.clear_order_amount_cents();
  EXPECT_THAT(ErrorOf(purchase), HasSubstr("order_amount_cents: required"));

  auto view = Stored("page_view");
  view.set_order_amount_cents(100);
  EXPECT_THAT(ErrorOf(view), HasSubstr("order_amount_cents: only purchase"));
}

}  // namespace
}  // namespace shopstream
