#include "gateway/credentials.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/v1/analytics.pb.h"
#include "shopstream/v1/ingest.pb.h"

namespace shopstream::gateway {
namespace {

TEST(CredentialsTest, HeadersAndQueryBecomeBearerAuthorization) {
  EXPECT_EQ(AuthorizationFor("Bearer abc", std::nullopt, "/v1/events"),
            "Bearer abc");
  EXPECT_EQ(AuthorizationFor(std::nullopt, "abc", "/v1/events"), "Bearer abc");
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt,
                             "/v1/shops/a/summary:watch?key=ssk_1_2&from=x"),
            "Bearer ssk_1_2");
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, "/x?a=1&key=k%2Bv"),
            "Bearer k+v");
  // The header wins over the query.
  EXPECT_EQ(AuthorizationFor("Bearer h", "x", "/x?key=q"), "Bearer h");
  EXPECT_EQ(AuthorizationFor(std::nullopt, "x", "/x?key=q"), "Bearer x");
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, "/x?keys=q&akey=r"),
            std::nullopt);
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, "/x"), std::nullopt);
}

TEST(CredentialsTest, ATicketIsTakenOnlyOnLinkRoutesAndAfterAKey) {
  const absl::string_view target = "/v1/shops/a/summary:watch?ticket=sst_1_2";
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, target, true),
            "Ticket sst_1_2");
  EXPECT_EQ(AuthorizationFor(std::nullopt, std::nullopt, target, false),
            std::nullopt);
  EXPECT_EQ(
      AuthorizationFor(std::nullopt, std::nullopt, "/x?ticket=t&key=k", true),
      "Bearer k");
  EXPECT_EQ(AuthorizationFor("Bearer h", std::nullopt, target, true),
            "Bearer h");
}

TEST(CredentialsTest, LinkRoutesAreTheGetsOfStreamsAndFiles) {
  // Link the generated files so their services are in the generated pool.
  shopstream::v1::IngestRequest::descriptor();
  shopstream::v1::GetSummaryRequest::descriptor();
  absl::StatusOr<RouteTable> routes = RouteTable::Build(
      {"shopstream.v1.IngestService", "shopstream.v1.AnalyticsService"});
  ASSERT_TRUE(routes.ok()) << routes.status();
  std::vector<std::string> links;
  for (const Route& route : routes->routes()) {
    if (IsLinkRoute(route)) links.push_back(route.grpc_method_path);
  }
  EXPECT_THAT(links, ::testing::UnorderedElementsAre(
                         "/shopstream.v1.AnalyticsService/WatchSummary",
                         "/shopstream.v1.AnalyticsService/ExportTimeSeries",
                         "/shopstream.v1.AnalyticsService/ExportTopProducts",
                         "/shopstream.v1.AnalyticsService/GetReport"));
}

TEST(CredentialsTest, CredentialsLongerThanAnyKeyAreRefusedNamingWhere) {
  const std::string key = "ssk_0123456789abcdef_" + std::string(64, 'a');
  const std::string padded = std::string(9000, ' ') + key;
  EXPECT_EQ(OversizedCredential("Bearer " + key, key, "/x?key=" + key),
            std::nullopt);
  EXPECT_EQ(OversizedCredential(std::nullopt, std::nullopt, "/x"),
            std::nullopt);

  auto refusal = OversizedCredential("Bearer " + padded, std::nullopt, "/x");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->http_status, 431);
  EXPECT_EQ(refusal->message.rfind("Authorization: ", 0), 0u);

  refusal = OversizedCredential(std::nullopt, padded, "/x");
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->http_status, 431);
  EXPECT_EQ(refusal->message.rfind("X-API-Key: ", 0), 0u);

  // Decoded, as the backend would get it: 3,000 "%20" are 3,000 bytes.
  std::string encoded;
  for (int i = 0; i < 3000; ++i) encoded += "%20";
  refusal = OversizedCredential(std::nullopt, std::nullopt,
                                "/x?a=1&key=" + encoded + key);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->http_status, 400);
  EXPECT_EQ(refusal->message.rfind("key: ", 0), 0u);
  EXPECT_EQ(OversizedCredential(std::nullopt, std::nullopt,
                                "/x?key=" + std::string(300, '%') + key),
            std::nullopt);
  // A link ticket is a credential too.
  refusal = OversizedCredential(std::nullopt, std::nullopt,
                                "/x?ticket=" + std::string(2000, 't'));
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->http_status, 400);
  EXPECT_EQ(refusal->message.rfind("ticket: ", 0), 0u);
}

}  // namespace
}  // namespace shopstream::gateway
