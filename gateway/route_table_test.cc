#include "gateway/route_table.h"

#include "gmock/gmock.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "shopstream/v1/analytics.pb.h"
#include "shopstream/v1/ingest.pb.h"

namespace shopstream::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const std::vector<std::string> kPublicServices = {
    "shopstream.v1.IngestService", "shopstream.v1.AnalyticsService"};

RouteTable BuildPublicRoutes() {
  // Link the generated files so their services are in the generated pool.
  shopstream::v1::IngestRequest::descriptor();
  shopstream::v1::GetSummaryRequest::descriptor();
  absl::StatusOr<RouteTable> table = RouteTable::Build(kPublicServices);
  EXPECT_TRUE(table.ok()) << table.status();
  return *std::move(table);
}

TEST(RouteTableTest, IngestIsPostEventsWithItsAnnotations) {
  const RouteTable table = BuildPublicRoutes();
  absl::StatusOr<RouteMatch> match = table.Match("POST", "/v1/events");
  ASSERT_TRUE(match.ok()) << match.status();
  const Route& route = *match->route;
  EXPECT_EQ(route.method->full_name(), "shopstream.v1.IngestService.Ingest");
  EXPECT_EQ(route.grpc_method_path, "/shopstream.v1.IngestService/Ingest");
  EXPECT_EQ(route.success_http_code, 202);
  EXPECT_EQ(route.body_field_name, "event");
  ASSERT_NE(route.body_field, nullptr);
  EXPECT_EQ(route.body_field->name(), "event");
  EXPECT_EQ(route.response_body_field_name, "acceptance");
  ASSERT_NE(route.response_body_field, nullptr);
  EXPECT_EQ(route.response_body_field->name(), "acceptance");
  EXPECT_EQ(route.request_prototype->GetDescriptor()->full_name(),
            "shopstream.v1.IngestRequest");
  EXPECT_EQ(route.response_prototype->GetDescriptor()->full_name(),
            "shopstream.v1.IngestResponse");
  EXPECT_THAT(match->variables, IsEmpty());
}

TEST(RouteTableTest, BatchIsItsOwnRoute) {
  const RouteTable table = BuildPublicRoutes();
  absl::StatusOr<RouteMatch> match = table.Match("POST", "/v1/events:batch");
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_EQ(match->route->grpc_method_path,
            "/shopstream.v1.IngestService/IngestBatch");
  EXPECT_EQ(match->route->body_field_name, "*");
  EXPECT_EQ(match->route->body_field, nullptr);
  EXPECT_EQ(match->route->success_http_code, 200);
  EXPECT_EQ(match->route->response_body_field, nullptr);
}

TEST(RouteTableTest, SummaryHasBothBindings) {
  const RouteTable table = BuildPublicRoutes();
  absl::StatusOr<RouteMatch> plain = table.Match("GET", "/api/analytics");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->route->grpc_method_path,
            "/shopstream.v1.AnalyticsService/GetSummary");
  EXPECT_EQ(plain->route->body_field_name, "");

  absl::StatusOr<RouteMatch> per_shop =
      table.Match("GET", "/v1/shops/shop%2D7/summary");
  ASSERT_TRUE(per_shop.ok()) << per_shop.status();
  EXPECT_EQ(per_shop->route->method, plain->route->method);
  EXPECT_THAT(per_shop->variables,
              ElementsAre(PathVariable{"shop_id", "shop-7"}));
}

TEST(RouteTableTest, EachServiceHasItsHealthRoute) {
  const RouteTable table = BuildPublicRoutes();
  absl::StatusOr<RouteMatch> ingest = table.Match("GET", "/v1/health");
  ASSERT_TRUE(ingest.ok()) << ingest.status();
  EXPECT_EQ(ingest->route->grpc_method_path,
            "/shopstream.v1.IngestService/Health");
  absl::StatusOr<RouteMatch> query = table.Match("GET", "/api/health");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->route->grpc_method_path,
            "/shopstream.v1.AnalyticsService/Health");
}

TEST(RouteTableTest, UnannotatedStreamingMethodIsNotRouted) {
  const RouteTable table = BuildPublicRoutes();
  // Ingest x1 + batch + collect + health; summary x2, time series and its
  // CSV, top products and their CSV, funnel, events, summary watch, link
  // tickets, engagement, breakdown, data range, report, health.
  EXPECT_EQ(table.routes().size(), 19u);
  for (const Route& route : table.routes()) {
    EXPECT_NE(route.method->name(), "StreamEvents");
  }
}

TEST(RouteTableTest, ServerStreamingMethodIsAnEventStreamRoute) {
  const RouteTable table = BuildPublicRoutes();
  absl::StatusOr<RouteMatch> watch =
      table.Match("GET", "/v1/shops/shop-7/summary:watch");
  ASSERT_TRUE(watch.ok()) << watch.status();
  EXPECT_EQ(watch->route->grpc_method_path,
            "/shopstream.v1.AnalyticsService/WatchSummary");
  EXPECT_TRUE(watch->route->server_streaming);
  EXPECT_FALSE(watch->route->http_body_response);
  EXPECT_THAT(watch->variables, ElementsAre(PathVariable{"shop_id", "shop-7"}));

  // The plain summary beside it stays unary.
  absl::StatusOr<RouteMatch> summary =
      table.Match("GET", "/v1/shops/shop-7/summary");
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_FALSE(summary->route->server_streaming);
}

TEST(RouteTableTest, HttpBodyResponsesAreDownloadsNamedByTheirPath) {
  const RouteTable table = BuildPublicRoutes();
  absl::StatusOr<RouteMatch> series =
      table.Match("GET", "/v1/shops/s/timeseries.csv");
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_EQ(series->route->grpc_method_path,
            "/shopstream.v1.AnalyticsService/ExportTimeSeries");
  EXPECT_TRUE(series->route->http_body_response);
  EXPECT_EQ(series->route->download_filename, "timeseries.csv");

  absl::StatusOr<RouteMatch> top =
      table.Match("GET", "/v1/shops/s/products/top.csv");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_TRUE(top->route->http_body_response);
  EXPECT_EQ(top->route->download_filename, "top.csv");

  // Its JSON twin is neither.
  absl::StatusOr<RouteMatch> json =
      table.Match("GET", "/v1/shops/s/timeseries");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->route->grpc_method_path,
            "/shopstream.v1.AnalyticsService/GetTimeSeries");
  EXPECT_FALSE(json->route->http_body_response);
  EXPECT_EQ(json->route->download_filename, "");
}

TEST(RouteTableTest, UnknownPathOrMethodIsNotFound) {
  const RouteTable table = BuildPublicRoutes();
  EXPECT_TRUE(absl::IsNotFound(table.Match("GET", "/v1/nothing").status()));
  EXPECT_EQ(table.Match("GET", "/v1/nothing").status().message(),
            "no route for GET /v1/nothing");
  EXPECT_TRUE(absl::IsNotFound(table.Match("GET", "/v1/events").status()));
  EXPECT_TRUE(absl::IsNotFound(table.Match("POST", "/v1/events/").status()));
}

TEST(RouteTableTest, AllowedMethodsTellsWrongMethodFromWrongPath) {
  const RouteTable table = BuildPublicRoutes();
  EXPECT_THAT(table.AllowedMethods("/v1/events"), ElementsAre("POST"));
  EXPECT_THAT(table.AllowedMethods("/v1/shops/x/summary"), ElementsAre("GET"));
  EXPECT_THAT(table.AllowedMethods("/v1/nothing"), IsEmpty());
}

TEST(RouteTableTest, UnknownServiceIsAnError) {
  absl::StatusOr<RouteTable> table =
      RouteTable::Build({"shopstream.v1.NoSuchService"});
  EXPECT_TRUE(absl::IsNotFound(table.status())) << table.status();
}

// A service in a pool of its own shows that routes come from whatever the
// annotations say, including custom verbs, literal-before-variable order and
// bad bindings.
class CustomPoolTest : public ::testing::Test {
 protected:
  absl::StatusOr<RouteTable> BuildFrom(
      absl::string_view rule_text, bool server_streaming = false,
      const std::string& output_type = ".shopstream.v1.Summary") {
    google::protobuf::FileDescriptorProto file;
    file.set_name("custom_pool_test.proto");
    file.set_package("test");
    file.set_syntax("proto3");
    // Reuse generated messages so prototypes exist.
    file.add_dependency("shopstream/v1/analytics.proto");
    file.add_dependency("google/api/annotations.proto");
    file.add_dependency("google/api/httpbody.proto");
    google::protobuf::ServiceDescriptorProto* service = file.add_service();
    service->set_name("Custom");
    google::protobuf::MethodDescriptorProto* method = service->add_method();
    method->set_name("Get");
    method->set_input_type(".shopstream.v1.GetSummaryRequest");
    method->set_output_type(output_type);
    method->set_server_streaming(server_streaming);
    google::api::HttpRule rule;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        std::string(rule_text), &rule));
    *method->mutable_options()->MutableExtension(google::api::http) = rule;
    pool_ = std::make_unique<google::protobuf::DescriptorPool>(
        google::protobuf::DescriptorPool::generated_pool());
    EXPECT_NE(pool_->BuildFile(file), nullptr);
    return RouteTable::Build({"test.Custom"}, pool_.get());
  }

  std::unique_ptr<google::protobuf::DescriptorPool> pool_;
};

TEST_F(CustomPoolTest, LiteralBindingWinsOverVariable) {
  absl::StatusOr<RouteTable> table = BuildFrom(R"pb(
    get: "/v1/shops/{shop_id}"
    additional_bindings { get: "/v1/shops/top" }
    additional_bindings { custom { kind: "HEAD" path: "/v1/shops/{shop_id}" } }
  )pb");
  ASSERT_TRUE(table.ok()) << table.status();
  absl::StatusOr<RouteMatch> top = table->Match("GET", "/v1/shops/top");
  ASSERT_TRUE(top.ok());
  EXPECT_THAT(top->variables, IsEmpty());
  absl::StatusOr<RouteMatch> shop = table->Match("GET", "/v1/shops/s1");
  ASSERT_TRUE(shop.ok());
  EXPECT_THAT(shop->variables, ElementsAre(PathVariable{"shop_id", "s1"}));
  EXPECT_TRUE(table->Match("HEAD", "/v1/shops/s1").ok());
  EXPECT_THAT(table->AllowedMethods("/v1/shops/s1"),
              UnorderedElementsAre("GET", "HEAD"));
}

TEST_F(CustomPoolTest, VariableMustNameARequestField) {
  EXPECT_FALSE(BuildFrom(R"pb(get: "/v1/{nope}")pb").ok());
  EXPECT_FALSE(BuildFrom(R"pb(get: "/v1/{shop_id.x}")pb").ok());
  EXPECT_TRUE(BuildFrom(R"pb(get: "/v1/{from.seconds}")pb").ok());
}

TEST_F(CustomPoolTest, BodyAndResponseBodyMustBeFields) {
  EXPECT_FALSE(BuildFrom(R"pb(post: "/v1/x" body: "nope")pb").ok());
  EXPECT_FALSE(BuildFrom(R"pb(post: "/v1/x" response_body: "nope")pb").ok());
  EXPECT_TRUE(BuildFrom(R"pb(post: "/v1/x"
                             body: "from"
                             response_body: "top_product_id")pb")
                  .ok());
}

TEST_F(CustomPoolTest, DuplicateBindingIsAnError) {
  EXPECT_FALSE(BuildFrom(R"pb(
                 get: "/v1/x"
                 additional_bindings { get: "/v1/x" }
               )pb")
                   .ok());
}

TEST_F(CustomPoolTest, BadTemplateIsAnError) {
  absl::StatusOr<RouteTable> table = BuildFrom(R"pb(get: "v1/x")pb");
  EXPECT_TRUE(absl::IsInvalidArgument(table.status()));
  EXPECT_THAT(std::string(table.status().message()),
              ::testing::HasSubstr("test.Custom.Get"));
}

TEST_F(CustomPoolTest, AnyAnnotatedServerStreamIsRoutedWithEachBinding) {
  absl::StatusOr<RouteTable> table =
      BuildFrom(R"pb(
                  get: "/v1/things/{shop_id}:watch"
                  additional_bindings { post: "/v1/watch" body: "*" }
                )pb",
                /*server_streaming=*/true);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->routes().size(), 2u);
  for (const Route& route : table->routes()) {
    EXPECT_TRUE(route.server_streaming) << route.path_template.text();
  }
}

TEST_F(CustomPoolTest, HttpBodyWithoutAFileNameHasNoDownloadName) {
  absl::StatusOr<RouteTable> table =
      BuildFrom(R"pb(
                  get: "/v1/things/{shop_id}"
                  additional_bindings { get: "/v1/report.txt:render" }
                )pb",
                false, ".google.api.HttpBody");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->routes().size(), 2u);
  for (const Route& route : table->routes()) {
    EXPECT_TRUE(route.http_body_response);
    EXPECT_EQ(route.download_filename,
              route.path_template.text() == "/v1/report.txt:render"
                  ? "report.txt"
                  : "");
  }
}

}  // namespace
}  // namespace shopstream::gateway
