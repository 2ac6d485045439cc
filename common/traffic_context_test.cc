#include "common/traffic_context.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

std::string Page(absl::string_view page) {
  absl::StatusOr<std::string> normalized = NormalizePage(page);
  EXPECT_TRUE(normalized.ok()) << page << ": " << normalized.status();
  return normalized.value_or("");
}

TEST(TrafficContextTest, PagesKeepTheirPathAndOnlyTheirCampaign) {
  EXPECT_EQ(Page(""), "");
  EXPECT_EQ(Page("/cart"), "/cart");
  EXPECT_EQ(Page("/cart?id=7&email=a%40b.c#top"), "/cart");
  EXPECT_EQ(Page("/p?utm_source=news&x=1&utm_campaign=fall%20sale"),
            "/p?utm_source=news&utm_campaign=fall%20sale");
  EXPECT_EQ(Page("https://shop.example/p/1?ref=x&utm_medium=mail"),
            "/p/1?utm_medium=mail");
  EXPECT_EQ(Page("https://shop.example"), "/");
  EXPECT_EQ(Page("https://shop.example?utm_source=a&b=c"), "/?utm_source=a");
}

TEST(TrafficContextTest, PagesThatAreNotPathsAreRefusedNamingPage) {
  for (absl::string_view bad :
       {"cart", "/with space", "/\xc3\xa9", "?utm_source=x"}) {
    absl::StatusOr<std::string> page = NormalizePage(bad);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(page.status().message(), HasSubstr("page:")) << bad;
  }
  EXPECT_THAT(NormalizePage("/" + std::string(1000, 'a')).status().message(),
              HasSubstr("page: at most 1000 bytes"));
}

TEST(TrafficContextTest, ReferrersKeepOnlyTheirHost) {
  EXPECT_EQ(*ReferrerHost(""), "");
  EXPECT_EQ(*ReferrerHost("https://www.Google.com/search?q=shoes"),
            "www.google.com");
  EXPECT_EQ(*ReferrerHost("http://user:pw@news.example:8080/a"),
            "news.example");
  EXPECT_EQ(*ReferrerHost("t.co"), "t.co");
  EXPECT_EQ(*ReferrerHost("https://[2001:db8::1]:443/x"), "[2001:db8::1]");
  EXPECT_THAT(ReferrerHost("https:///path").status().message(),
              HasSubstr("referrer: no host"));
  EXPECT_THAT(ReferrerHost("exa mple.com").status().message(),
              HasSubstr("referrer:"));
}

TEST(TrafficContextTest, DeviceClassesByScreenWidth) {
  EXPECT_EQ(*DeviceClassOf(375), "mobile");
  EXPECT_EQ(*DeviceClassOf(767), "mobile");
  EXPECT_EQ(*DeviceClassOf(768), "tablet");
  EXPECT_EQ(*DeviceClassOf(1023), "tablet");
  EXPECT_EQ(*DeviceClassOf(1024), "desktop");
  EXPECT_THAT(DeviceClassOf(0).status().message(), HasSubstr("screen_width"));
  EXPECT_THAT(DeviceClassOf(-5).status().message(), HasSubstr("screen_width"));
}

TEST(TrafficContextTest, NamesAndPropertiesAreBounded) {
  EXPECT_TRUE(CheckName("name", "newsletter_signup").ok());
  EXPECT_TRUE(CheckName("name", "checkout:step-2.v1").ok());
  EXPECT_THAT(CheckName("name", "").message(), HasSubstr("name: 1 to 64"));
  EXPECT_THAT(CheckName("name", std::string(65, 'a')).message(),
              HasSubstr("name: 1 to 64"));
  EXPECT_THAT(CheckName("name", "sign up").message(),
              HasSubstr("name: letters"));

  google::protobuf::Map<std::string, std::string> properties;
  properties["plan"] = "pro";
  EXPECT_TRUE(CheckProperties(properties).ok());
  properties["note"] = std::string(201, 'x');
  EXPECT_THAT(CheckProperties(properties).message(),
              HasSubstr("properties.note: at most 200 bytes"));
  properties.erase("note");
  properties["bad key"] = "v";
  EXPECT_THAT(CheckProperties(properties).message(),
              HasSubstr("properties: letters"));
  properties.erase("bad key");
  for (int i = 0; i < 20; ++i) properties["p" + std::to_string(i)] = "v";
  EXPECT_THAT(CheckProperties(properties).message(),
              HasSubstr("properties: at most 20 (got 21)"));
}

TEST(TrafficContextTest, StoredFormsAreCheckedAgain) {
  EXPECT_TRUE(CheckStoredPage("/p?utm_source=a").ok());
  EXPECT_THAT(CheckStoredPage("p").message(), HasSubstr("page:"));
  EXPECT_THAT(CheckStoredPage("/p#frag").message(), HasSubstr("page:"));
  EXPECT_TRUE(CheckStoredHost("news.example").ok());
  EXPECT_THAT(CheckStoredHost("News.example").message(),
              HasSubstr("referrer_host"));
  EXPECT_TRUE(CheckDeviceClass("").ok());
  EXPECT_THAT(CheckDeviceClass("phone").message(), HasSubstr("device_class"));
}

}  // namespace
}  // namespace shopstream
