// Link tickets against the real services: what a ticket opens (the live
// stream and the CSV exports of its shop, once, for a short while) and
// everything it does not open.
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/api_key_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "storage/pg_connection_pool.h"
#include "tests/event_stream_client.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kShop[] = "shop-a";
constexpr char kOtherShop[] = "shop-b";
constexpr char kRange[] = "from=2025-10-01T00:00:00Z&to=2025-10-03T00:00:00Z";
constexpr char kEventJson[] =
    R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", )"
    R"("product_id": "prod-1"})";

struct Ticket {
  std::string text;
  absl::Time expires;
};

// POST /v1/shops/{shop}/tickets with `key`; the ticket and its expiry.
Ticket NewTicket(LocalStack& stack, const std::string& shop,
                 const std::string& key) {
  HttpResponse r = HttpRequest(
      stack.http_port(), "POST", absl::StrCat("/v1/shops/", shop, "/tickets"),
      "{}", "application/json", {{"Authorization", "Bearer " + key}});
  EXPECT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  Ticket ticket;
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("ticket") ||
      !doc.HasMember("expire_time")) {
    ADD_FAILURE() << "not a ticket: " << r.body;
    return ticket;
  }
  ticket.text = doc["ticket"].GetString();
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full,
                              doc["expire_time"].GetString(), &ticket.expires,
                              &error))
      << error;
  return ticket;
}

Ticket NewTicket(LocalStack& stack, const std::string& shop = kShop) {
  return NewTicket(stack, shop, stack.ReadKey(shop));
}

int64_t PageViews(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.HasMember("total_page_views")) return -1;
  return doc["total_page_views"].GetInt64();
}

std::string Watch(const std::string& shop, const std::string& ticket) {
  return absl::StrCat("/v1/shops/", shop, "/summary:watch?ticket=", ticket);
}
std::string TimeSeriesCsv(const std::string& shop, const std::string& ticket) {
  return absl::StrCat("/v1/shops/", shop, "/timeseries.csv?", kRange,
                      "&bucket=HOUR&ticket=", ticket);
}
std::string TopProductsCsv(const std::string& shop, const std::string& ticket) {
  return absl::StrCat("/v1/shops/", shop, "/products/top.csv?", kRange,
                      "&ticket=", ticket);
}

// The status line of an event stream's answer. Only the headers are read:
// a stream that was wrongly accepted would never end.
std::string StreamStatus(LocalStack& stack, const std::string& target) {
  EventStreamClient client(stack.http_port(), target);
  const std::string& headers = client.ReadHeaders();
  return headers.substr(0, headers.find("\r\n"));
}

HttpResponse Get(LocalStack& stack, const std::string& target,
                 const HttpHeaders& headers = {}) {
  return HttpRequest(stack.http_port(), "GET", target, "", "application/json",
                     headers);
}

TEST(LinkTicketTest, OpensTheLiveStreamAndTheCsvExportsOfItsShopOnce) {
  LocalStack stack;
  ASSERT_EQ(stack.Post("/v1/events", kEventJson, kShop).status, 202);

  const Ticket for_stream = NewTicket(stack);
  EXPECT_THAT(for_stream.text, ::testing::StartsWith("sst_"));
  EXPECT_EQ(for_stream.text.find(stack.ReadKey(kShop)), std::string::npos);
  {
    EventStreamClient client(stack.http_port(), Watch(kShop, for_stream.text));
    std::optional<std::string> first = client.NextData();
    ASSERT_TRUE(first.has_value()) << client.headers();
    EXPECT_EQ(PageViews(*first), 1);
  }
  EXPECT_EQ(StreamStatus(stack, Watch(kShop, for_stream.text)),
            "HTTP/1.1 401 Unauthorized");

  const Ticket for_series = NewTicket(stack);
  HttpResponse series = Get(stack, TimeSeriesCsv(kShop, for_series.text));
  EXPECT_EQ(series.status, 200) << series.body;
  EXPECT_EQ(series.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_THAT(series.body, HasSubstr("2025-10-02T10:00:00Z,1,0,0,0.00"));
  HttpResponse again = Get(stack, TimeSeriesCsv(kShop, for_series.text));
  EXPECT_EQ(again.status, 401);
  EXPECT_THAT(again.body, HasSubstr("used"));

  const Ticket for_products = NewTicket(stack);
  HttpResponse products = Get(stack, TopProductsCsv(kShop, for_products.text));
  EXPECT_EQ(products.status, 200) << products.body;
  EXPECT_THAT(products.body, HasSubstr("prod-1,1,"));
  EXPECT_EQ(Get(stack, TopProductsCsv(kShop, for_products.text)).status, 401);
}

TEST(LinkTicketTest, OpensNoOtherRouteNoOtherShopAndNoWrite) {
  LocalStack stack;
  const Ticket ticket = NewTicket(stack);
  const std::string t = ticket.text;
  const HttpHeaders as_header = {{"Authorization", "Ticket " + t}};

  // Reads that are not links: the gateway does not take a ticket there, and
  // the query service refuses one sent as a header.
  for (const std::string& path :
       {absl::StrCat("/v1/shops/", kShop, "/summary?", kRange),
        absl::StrCat("/api/analytics?", kRange),
        absl::StrCat("/v1/shops/", kShop, "/timeseries?", kRange),
        absl::StrCat("/v1/shops/", kShop, "/products/top?", kRange),
        absl::StrCat("/v1/shops/", kShop, "/funnel?", kRange),
        absl::StrCat("/v1/shops/", kShop, "/events?", kRange)}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(Get(stack, absl::StrCat(path, "&ticket=", t)).status, 401);
    HttpResponse header = Get(stack, path, as_header);
    EXPECT_EQ(header.status, 403) << header.body;
    EXPECT_THAT(header.body, HasSubstr("ticket"));
  }

  // Writes: neither way, and nothing is stored.
  for (const HttpHeaders& headers :
       {HttpHeaders{}, as_header, HttpHeaders{{"Authorization", "Bearer " + t}},
        HttpHeaders{{"X-API-Key", t}}}) {
    EXPECT_EQ(HttpRequest(stack.http_port(), "POST",
                          absl::StrCat("/v1/events?ticket=", t), kEventJson,
                          "application/json", headers)
                  .status,
              401);
    EXPECT_EQ(HttpRequest(stack.http_port(), "POST",
                          absl::StrCat("/v1/events:batch?ticket=", t),
                          absl::StrCat(R"({"events": [)", kEventJson, "]}"),
                          "application/json", headers)
                  .status,
              401);
  }
  EXPECT_EQ(stack.StoredEvents(), 0);

  // A ticket does not make another.
  const std::string tickets = absl::StrCat("/v1/shops/", kShop, "/tickets");
  EXPECT_EQ(
      HttpRequest(stack.http_port(), "POST", tickets + "?ticket=" + t, "{}")
          .status,
      401);
  EXPECT_EQ(HttpRequest(stack.http_port(), "POST", tickets, "{}",
                        "application/json", as_header)
                .status,
            403);

  // Another shop's links.
  EXPECT_EQ(StreamStatus(stack, Watch(kOtherShop, t)),
            "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(Get(stack, TimeSeriesCsv(kOtherShop, t)).status, 403);
  EXPECT_EQ(Get(stack, TopProductsCsv(kOtherShop, t)).status, 403);

  // None of that used the ticket up: it still opens its own shop's link.
  EXPECT_EQ(Get(stack, TimeSeriesCsv(kShop, t)).status, 200);

  // Only a read key of the shop gets a ticket.
  EXPECT_EQ(HttpRequest(stack.http_port(), "POST", tickets, "{}").status, 401);
  for (const std::string& key :
       {stack.WriteKey(kShop), stack.ReadKey(kOtherShop)}) {
    EXPECT_EQ(
        HttpRequest(stack.http_port(), "POST", tickets, "{}",
                    "application/json", {{"Authorization", "Bearer " + key}})
            .status,
        403);
  }
}

TEST(LinkTicketTest, ExpiresButAStreamItOpenedGoesOn) {
  constexpr absl::Duration kLifetime = absl::Seconds(1);
  LocalStack stack(LocalStackOptions{
      .query_flags = {absl::StrCat("--link_ticket_ttl_ms=",
                                   absl::ToInt64Milliseconds(kLifetime))}});
  const absl::Time asked = absl::Now();
  const Ticket unused = NewTicket(stack);
  EXPECT_GT(unused.expires, asked);
  EXPECT_LE(unused.expires, absl::Now() + kLifetime);

  EventStreamClient client(stack.http_port(),
                           Watch(kShop, NewTicket(stack).text));
  std::optional<std::string> first = client.NextData();
  ASSERT_TRUE(first.has_value()) << client.headers();
  EXPECT_EQ(PageViews(*first), 0);

  absl::SleepFor(unused.expires - absl::Now() + absl::Milliseconds(200));
  HttpResponse expired = Get(stack, TimeSeriesCsv(kShop, unused.text));
  EXPECT_EQ(expired.status, 401);
  EXPECT_THAT(expired.body, HasSubstr("expired"));

  // The stream was opened in time; it keeps its pushes.
  ASSERT_EQ(stack.Post("/v1/events", kEventJson, kShop).status, 202);
  std::optional<std::string> update;
  while ((update = client.NextData()).has_value() && PageViews(*update) != 1) {
  }
  EXPECT_TRUE(update.has_value()) << "no push after the ticket expired";
}

TEST(LinkTicketTest, AStreamItOpensCountsAgainstItsKeysShare) {
  LocalStack stack(
      LocalStackOptions{.query_flags = {"--max_watchers_per_key=1"}});
  EventStreamClient client(stack.http_port(),
                           Watch(kShop, NewTicket(stack).text));
  ASSERT_TRUE(client.NextData().has_value()) << client.headers();
  // A second stream, with the key itself.
  EXPECT_EQ(StreamStatus(
                stack, absl::StrCat("/v1/shops/", kShop, "/summary:watch?key=",
                                    stack.ReadKey(kShop))),
            "HTTP/1.1 429 Too Many Requests");
}

TEST(LinkTicketTest, ARevokedKeysTicketsOpenNothing) {
  LocalStack stack(
      LocalStackOptions{.query_flags = {"--api_key_cache_ttl_ms=200"}});
  PgConnectionPool pool(stack.db().conninfo(), 1);
  auth::ApiKeyStore store(&pool);
  absl::StatusOr<auth::CreatedApiKey> key =
      store.Create(kShop, auth::Scope::kRead, "dashboard");
  ASSERT_TRUE(key.ok()) << key.status();
  const Ticket ticket = NewTicket(stack, kShop, key->text);
  ASSERT_TRUE(store.Revoke(key->record.key_id).ok());
  absl::SleepFor(absl::Milliseconds(400));  // past the cached answer
  HttpResponse refused = Get(stack, TimeSeriesCsv(kShop, ticket.text));
  EXPECT_EQ(refused.status, 401);
  EXPECT_THAT(refused.body, HasSubstr("revoked"));
}

TEST(LinkTicketTest, WithoutAuthenticationLinksNeedNoTicket) {
  LocalStack stack(LocalStackOptions{.auth = false});
  HttpResponse r =
      HttpRequest(stack.http_port(), "POST", "/v1/shops/any/tickets", "{}");
  ASSERT_EQ(r.status, 200) << r.body;
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("ticket")) << r.body;
  EXPECT_STREQ(doc["ticket"].GetString(), "");
  EXPECT_EQ(Get(stack, TimeSeriesCsv("any", "")).status, 200);
}

}  // namespace
}  // namespace shopstream::testing
