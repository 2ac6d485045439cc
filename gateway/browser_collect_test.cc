#include "gateway/browser_collect.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

TEST(CollectOriginTest, NeedsARealOrigin) {
  EXPECT_EQ(CollectOrigin("https://shop.example").value_or(""),
            "https://shop.example");
  EXPECT_THAT(CollectOrigin(std::nullopt).status().message(),
              HasSubstr("Origin: required"));
  EXPECT_THAT(CollectOrigin("null").status().message(), HasSubstr("Origin:"));
  EXPECT_FALSE(CollectOrigin("https://a.example\r\nX: y").ok());
}

TEST(CollectClientAddressTest, ForwardedForOnlyWhenTrustedAndItsLastHop) {
  EXPECT_EQ(CollectClientAddress("10.0.0.9", "1.2.3.4", false), "10.0.0.9");
  EXPECT_EQ(CollectClientAddress("10.0.0.9", "6.6.6.6, 1.2.3.4 ", true),
            "1.2.3.4");
  EXPECT_EQ(CollectClientAddress("10.0.0.9", std::nullopt, true), "10.0.0.9");
  EXPECT_EQ(CollectClientAddress("10.0.0.9", "", true), "10.0.0.9");
}

TEST(AddressRateLimiterTest, EachAddressGetsItsBurstThenItsRate) {
  FakeClock clock;
  AddressRateLimiter limiter(2, clock);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(limiter.Admit("a"), std::nullopt) << i;
  }
  EXPECT_THAT(limiter.Admit("a"), Optional(absl::Milliseconds(500)));
  // Another address has its own share.
  EXPECT_EQ(limiter.Admit("b"), std::nullopt);
  clock.Advance(absl::Milliseconds(500));
  EXPECT_EQ(limiter.Admit("a"), std::nullopt);
  EXPECT_NE(limiter.Admit("a"), std::nullopt);
}

TEST(AddressRateLimiterTest, ForgetsIdleAddressesWhenFull) {
  FakeClock clock;
  AddressRateLimiter limiter(1, clock, /*max_addresses=*/2);
  ASSERT_EQ(limiter.Admit("a"), std::nullopt);
  clock.Advance(absl::Seconds(10));
  ASSERT_EQ(limiter.Admit("b"), std::nullopt);
  ASSERT_EQ(limiter.Admit("c"), std::nullopt);  // "a" had refilled: forgotten
  EXPECT_EQ(limiter.TrackedAddresses(), 2u);
  // All busy: a new address is still let in.
  ASSERT_EQ(limiter.Admit("d"), std::nullopt);
  EXPECT_LE(limiter.TrackedAddresses(), 2u);
}

}  // namespace
}  // namespace shopstream::gateway
