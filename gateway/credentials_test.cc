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
                         "/shopstream.v1.AnalyticsService/ExportTopProducts"));
}

}  // namespace
}  // namespace shopstream::gateway
