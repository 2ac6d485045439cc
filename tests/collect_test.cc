// Events from shops' pages over POST /v1/collect, against the real stack:
// collect keys bound to origins, the tracker's text/plain body, the time
// and traffic context the server gives them, CORS for the allowed origin
// only, each client address's share, and unknown fields named, not lost.
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using auth::Scope;
using ::testing::HasSubstr;

constexpr char kShop[] = "shop-a";
constexpr char kChromeOnWindows[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/120.0.0.0 Safari/537.36";
// What the tracker sends: no shop, no time (a wrong one is overruled).
constexpr char kPageEvents[] =
    R"({"events": [{"event_type": "page_view", "session_id": "s-1",)"
    R"( "page": "/p/1?utm_source=news&secret=1", "utm_source": "news",)"
    R"( "screen_width": 390,)"
    R"( "referrer": "https://www.google.com/search?q=shoes",)"
    R"( "timestamp": "2020-01-01T00:00:00Z"},)"
    R"( {"name": "newsletter_signup", "properties": {"plan": "free"},)"
    R"( "session_id": "s-1"}]})";

HttpResponse Collect(LocalStack& stack, const std::string& key,
                     const std::string& body, HttpHeaders headers,
                     const std::string& content_type = "text/plain") {
  return HttpRequest(stack.http_port(), "POST",
                     absl::StrCat("/v1/collect?key=", key), body, content_type,
                     headers);
}

std::string Text(LocalStack& stack, const std::string& sql) {
  pqxx::connection c(stack.db().conninfo());
  pqxx::work tx(c);
  const pqxx::row row = tx.exec1(sql);
  return row[0].is_null() ? "NULL" : row[0].as<std::string>();
}

TEST(CollectTest, PageEventsAreStoredWithTheServersTimeAndTheirContext) {
  LocalStack stack;
  const std::string key = stack.Key(kShop, Scope::kCollect);
  HttpResponse r = Collect(
      stack, key, kPageEvents,
      {{"Origin", LocalStack::kPageOrigin}, {"User-Agent", kChromeOnWindows}});
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"("accepted":2)"));
  EXPECT_EQ(r.headers["access-control-allow-origin"], LocalStack::kPageOrigin);
  EXPECT_EQ(stack.StoredEvents("shop_id = 'shop-a'"), 2);
  // Received now, whatever the page said.
  EXPECT_EQ(Text(stack,
                 "SELECT count(*) FROM events WHERE occurred_at > now() - "
                 "interval '5 minutes'"),
            "2");
  EXPECT_EQ(Text(stack,
                 "SELECT concat_ws('|', page, referrer_host, device_class, "
                 "browser, os, utm_source) FROM events WHERE event_type = 1"),
            "/p/1?utm_source=news|www.google.com|mobile|Chrome|Windows|news");
  EXPECT_EQ(Text(stack,
                 "SELECT concat_ws('|', event_name, properties->>'plan') "
                 "FROM events WHERE event_type = 4"),
            "newsletter_signup|free");
}

TEST(CollectTest, OnlyTheKeysOriginsMayUseIt) {
  LocalStack stack;
  const std::string key = stack.Key(kShop, Scope::kCollect);
  HttpResponse none = Collect(stack, key, kPageEvents, {});
  EXPECT_EQ(none.status, 403) << none.body;
  EXPECT_THAT(none.body, HasSubstr("Origin"));
  HttpResponse other =
      Collect(stack, key, kPageEvents, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_THAT(other.body, HasSubstr("Origin"));
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
  // A preflight gets no CORS grant: the tracker never needs one.
  HttpResponse preflight =
      HttpRequest(stack.http_port(), "OPTIONS", "/v1/collect", "", "text/plain",
                  {{"Origin", "https://evil.example"},
                   {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.headers.count("access-control-allow-origin"), 0u);
  EXPECT_EQ(stack.StoredEvents(), 0);
}

TEST(CollectTest, EachKeyStaysOnItsOwnRoute) {
  LocalStack stack;
  const HttpHeaders page = {{"Origin", LocalStack::kPageOrigin}};
  // A write key is a secret: pages cannot use it, even from a good origin.
  EXPECT_EQ(Collect(stack, stack.WriteKey(kShop), kPageEvents, page).status,
            403);
  // A collect key is public: it cannot send what backends send.
  HttpResponse backend = HttpRequest(
      stack.http_port(), "POST", "/v1/events",
      R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z"})",
      "application/json",
      {{"Authorization", "Bearer " + stack.Key(kShop, Scope::kCollect)}});
  EXPECT_EQ(backend.status, 403) << backend.body;
  // text/plain is the collect route's alone.
  HttpResponse plain = HttpRequest(
      stack.http_port(), "POST", "/v1/events",
      R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z"})",
      "text/plain", {{"Authorization", "Bearer " + stack.WriteKey(kShop)}});
  EXPECT_EQ(plain.status, 415) << plain.body;
  // Another shop's events are refused whole.
  HttpResponse other_shop =
      Collect(stack, stack.Key(kShop, Scope::kCollect),
              R"({"events": [{"event_type": "page_view"},)"
              R"( {"event_type": "page_view", "shop_id": "shop-b"}]})",
              page);
  EXPECT_EQ(other_shop.status, 403);
  EXPECT_THAT(other_shop.body, HasSubstr("events[1].shop_id"));
  EXPECT_EQ(stack.StoredEvents(), 0);
}

TEST(CollectTest, BadEventsAreRejectedByNameAndTheRestStored) {
  LocalStack stack;
  HttpResponse r = Collect(stack, stack.Key(kShop, Scope::kCollect),
                           R"({"events": [{"event_type": "page_view"},)"
                           R"( {"event_type": "purchase", "order_amount": -1},)"
                           R"( {"name": "x", "properties": {"k": 1}}]})",
                           {{"Origin", LocalStack::kPageOrigin}});
  EXPECT_EQ(r.status, 400) << r.body;  // a property must be a string
  EXPECT_THAT(r.body, HasSubstr("events[2].properties"));
  r = Collect(stack, stack.Key(kShop, Scope::kCollect),
              R"({"events": [{"event_type": "page_view"},)"
              R"( {"event_type": "purchase", "order_amount": -1}]})",
              {{"Origin", LocalStack::kPageOrigin}});
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"("accepted":1)"));
  EXPECT_THAT(r.body, HasSubstr("events[1].order_amount"));
  EXPECT_EQ(stack.StoredEvents(), 1);
}

TEST(CollectTest, EachClientAddressHasItsShare) {
  LocalStackOptions options;
  options.gateway_flags = {"--collect_requests_per_address=1"};
  LocalStack stack(options);
  const std::string key = stack.Key(kShop, Scope::kCollect);
  const HttpHeaders page = {{"Origin", LocalStack::kPageOrigin}};
  const std::string one = R"({"events": [{"event_type": "page_view"}]})";
  // A burst of two, then the address waits.
  EXPECT_EQ(Collect(stack, key, one, page).status, 202);
  EXPECT_EQ(Collect(stack, key, one, page).status, 202);
  HttpResponse refused = Collect(stack, key, one, page);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.headers["retry-after"], "1");
  // Backends' routes are not limited by address.
  EXPECT_EQ(stack
                .Post("/v1/events",
                      R"({"event_type": "page_view",)"
                      R"( "timestamp": "2025-10-02T10:30:00Z"})",
                      kShop)
                .status,
            202);
  EXPECT_EQ(stack.StoredEvents(), 3);
}

TEST(IgnoredFieldsTest, TheAnswerNamesThemAndCleanEventsKeepTheirAnswer) {
  LocalStack stack;
  HttpResponse clean =
      stack.Post("/v1/events", R"({"event_type": "page_view",)"
                               R"( "timestamp": "2025-10-02T10:30:00Z"})");
  ASSERT_EQ(clean.status, 202);
  EXPECT_EQ(clean.body, R"({"status":"accepted"})");
  HttpResponse extra =
      stack.Post("/v1/events", R"({"event_type": "page_view", "colour": "red",)"
                               R"( "timestamp": "2025-10-02T10:31:00Z"})");
  ASSERT_EQ(extra.status, 202);
  EXPECT_EQ(extra.body, R"({"status":"accepted","ignored_fields":["colour"]})");
  HttpResponse batch =
      stack.Post("/v1/events:batch",
                 R"({"events": [{"event_type": "page_view", "size": 3,)"
                 R"( "timestamp": "2025-10-02T10:32:00Z"}], "dry_run": true})");
  ASSERT_EQ(batch.status, 200);
  EXPECT_THAT(batch.body,
              HasSubstr(R"("ignored_fields":["events[0].size","dry_run"])"));
  EXPECT_EQ(stack.StoredEvents(), 3);
  HttpResponse metrics =
      HttpRequest(stack.metrics_port("gateway"), "GET", "/metrics", "", "", {});
  EXPECT_THAT(metrics.body,
              HasSubstr("shopstream_http_ignored_fields_total{route=\"/v1/"
                        "events\"} 1"));
}

TEST(IgnoredFieldsTest, StrictModeRefusesThemByName) {
  LocalStackOptions options;
  options.gateway_flags = {"--strict_fields"};
  LocalStack stack(options);
  HttpResponse r =
      stack.Post("/v1/events", R"({"event_type": "page_view", "colour": "red",)"
                               R"( "timestamp": "2025-10-02T10:31:00Z"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("colour: unknown field"));
  EXPECT_EQ(stack.StoredEvents(), 0);
}

}  // namespace
}  // namespace shopstream::testing
