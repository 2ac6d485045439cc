// The whole pipeline as real processes over a real PostgreSQL: the case
// study's documented requests through the REST gateway, and the same flow
// over gRPC.
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The case study's curl examples, verbatim bodies.
constexpr char kPageView[] = R"({
    "event_type": "page_view",
    "timestamp": "2025-10-02T10:30:00Z",
    "product_id": "prod-123"
  })";
constexpr char kAddToCart[] = R"({
    "event_type": "add_to_cart",
    "timestamp": "2025-10-02T10:35:00Z",
    "product_id": "prod-123"
  })";
constexpr char kPurchase[] = R"({
    "event_type": "purchase",
    "timestamp": "2025-10-02T10:40:00Z",
    "product_id": "prod-123",
    "order_amount": 99.99
  })";
// Its two invalid examples: an unknown type, a purchase without an amount.
constexpr char kUnknownType[] = R"({
    "event_type": "invalid_type",
    "timestamp": "2025-10-02T10:30:00Z",
    "product_id": "prod-123"
  })";
constexpr char kPurchaseWithoutAmount[] = R"({
    "event_type": "purchase",
    "timestamp": "2025-10-02T10:40:00Z",
    "product_id": "prod-123"
  })";

// The case study's eight fields, in its order; later fields are additions.
constexpr char kExpectedAnalytics[] =
    R"({"total_page_views":1,"total_add_to_carts":1,"total_purchases":1,)"
    R"("conversion_rate":100.0,"average_purchase_value":99.99,)"
    R"("max_purchase_value":99.99,"min_purchase_value":99.99,)"
    R"("top_product_id":"prod-123",)";

TEST(EndToEndTest, CaseStudyCurlExamplesThroughTheRestGateway) {
  LocalStack stack;
  const int port = stack.http_port();

  // An empty shop: zeros and a null top product.
  HttpResponse empty = stack.Get("/api/analytics");
  EXPECT_EQ(empty.status, 200);
  EXPECT_THAT(
      empty.body,
      StartsWith(
          R"({"total_page_views":0,"total_add_to_carts":0,"total_purchases":0,)"
          R"("conversion_rate":0.0,"average_purchase_value":0.0,)"
          R"("max_purchase_value":0.0,"min_purchase_value":0.0,)"
          R"("top_product_id":null,)"));

  for (const char* body : {kPageView, kAddToCart, kPurchase}) {
    HttpResponse r = stack.Post("/v1/events", body);
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.body, R"({"status":"accepted"})");
    EXPECT_EQ(r.headers["content-type"], "application/json");
  }
  // Acknowledged means committed: the rows are there before any wait.
  EXPECT_EQ(stack.StoredEvents(), 3);

  HttpResponse bad_type = stack.Post("/v1/events", kUnknownType);
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_THAT(bad_type.body, HasSubstr(R"({"error":"event_type: )"));
  EXPECT_THAT(bad_type.body, HasSubstr("invalid_type"));
  HttpResponse no_amount = stack.Post("/v1/events", kPurchaseWithoutAmount);
  EXPECT_EQ(no_amount.status, 400);
  EXPECT_THAT(no_amount.body, HasSubstr(R"({"error":"order_amount: )"));
  EXPECT_EQ(stack.StoredEvents(), 3);

  HttpResponse analytics = stack.Get("/api/analytics");
  EXPECT_EQ(analytics.status, 200);
  EXPECT_THAT(analytics.body, StartsWith(kExpectedAnalytics));
  EXPECT_EQ(analytics.headers["access-control-allow-origin"], "*");

  // The case study's status, then what each service needs.
  for (const char* path : {"/v1/health", "/api/health"}) {
    HttpResponse health = HttpRequest(port, "GET", path);
    EXPECT_EQ(health.status, 200);
    EXPECT_THAT(health.body,
                StartsWith(R"({"status":"healthy","dependencies":{)"));
    EXPECT_THAT(health.body, HasSubstr(R"("postgres":"up")"));
  }
  EXPECT_THAT(HttpRequest(port, "GET", "/v1/health").body,
              HasSubstr(R"("processor":"up")"));
}

TEST(EndToEndTest, BadInputIsRefusedNamingTheFieldAndStoresNothing) {
  LocalStack stack;
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"event_type": "page_view"})", "timestamp"},
      {R"({"event_type": "page_view", "timestamp": "yesterday"})", "timestamp"},
      {R"({"event_type": "page_view", "timestamp": 17})", "timestamp"},
      {R"({"event_type": 3, "timestamp": "2025-10-02T10:30:00Z"})",
       "event_type"},
      {R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z",
           "product_id": 123})",
       "product_id"},
      {R"({"event_type": "purchase", "timestamp": "2025-10-02T10:30:00Z",
           "order_amount": -1})",
       "order_amount"},
      {R"({"event_type": "purchase", "timestamp": "2025-10-02T10:30:00Z",
           "order_amount": "12.50"})",
       "order_amount"},
      {R"({"event_type": "purchase", "timestamp": "2025-10-02T10:30:00Z",
           "order_amount": 1.234})",
       "order_amount"},
      {R"({"event_type": "page_view", "timestamp": )", "JSON"},
      {R"([1, 2])", "object"},
  };
  for (const Case& c : cases) {
    HttpResponse r = stack.Post("/v1/events", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_THAT(r.body, HasSubstr(R"({"error":")")) << c.body;
    EXPECT_THAT(r.body, HasSubstr(c.field)) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(stack.StoredEvents(), 0);
  // And it keeps serving.
  EXPECT_EQ(stack.Post("/v1/events", kPageView).status, 202);
  EXPECT_EQ(stack.StoredEvents(), 1);
}

TEST(EndToEndTest, RetriedEventIdIsCountedOnceOverRest) {
  LocalStack stack;
  const std::string body = R"({"event_id": "order-42-view", "shop_id": "shop-a",
      "event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z",
      "product_id": "prod-1"})";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(stack.Post("/v1/events", body, "shop-a").status, 202);
  }
  EXPECT_EQ(stack.StoredEvents(), 1);
  HttpResponse shop = stack.Get("/v1/shops/shop-a/summary", "shop-a");
  EXPECT_EQ(shop.status, 200);
  EXPECT_THAT(shop.body, HasSubstr(R"("total_page_views":1,)"));
  HttpResponse other = stack.Get("/api/analytics?shop_id=shop-b", "shop-b");
  EXPECT_THAT(other.body, HasSubstr(R"("total_page_views":0,)"));
}

TEST(EndToEndTest, FiltersAndComparisonsThroughTheRestGateway) {
  LocalStack stack;
  for (const char* body : {
           R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z",
               "product_id": "p1", "page": "/x"})",
           R"({"event_type": "page_view", "timestamp": "2025-10-02T11:00:00Z",
               "product_id": "p2", "page": "/y"})",
           R"({"event_type": "page_view", "timestamp": "2025-10-01T09:00:00Z",
               "product_id": "p1", "page": "/x"})",
           R"({"event_type": "purchase", "timestamp": "2025-10-01T09:10:00Z",
               "product_id": "p1", "page": "/x", "order_amount": 10})",
       }) {
    ASSERT_EQ(stack.Post("/v1/events", body).status, 202) << body;
  }
  const std::string day = "from=2025-10-02T00:00:00Z&to=2025-10-03T00:00:00Z";

  // Without the new parameters the answers keep their shape.
  HttpResponse plain = stack.Get("/v1/shops/default/summary?" + day);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_THAT(plain.body, HasSubstr(R"("total_page_views":2,)"));
  EXPECT_THAT(plain.body, Not(HasSubstr("comparison")));
  const std::string series = "/v1/shops/default/timeseries?bucket=DAY&" + day;
  HttpResponse plain_series = stack.Get(series);
  ASSERT_EQ(plain_series.status, 200) << plain_series.body;
  EXPECT_THAT(plain_series.body, Not(HasSubstr("comparison")));
  EXPECT_EQ(
      stack.Get(series + "&filter.page=&compare=COMPARE_UNSPECIFIED").body,
      plain_series.body);

  HttpResponse summary = stack.Get("/v1/shops/default/summary?" + day +
                                   "&filter.page=/x&compare=PREVIOUS_PERIOD");
  ASSERT_EQ(summary.status, 200) << summary.body;
  EXPECT_THAT(summary.body, StartsWith(R"({"total_page_views":1,)"));
  EXPECT_THAT(summary.body,
              HasSubstr(R"("comparison":{"from":"2025-10-01T00:00:00Z",)"
                        R"("to":"2025-10-02T00:00:00Z","summary":{)"
                        R"("total_page_views":1,"total_add_to_carts":0,)"
                        R"("total_purchases":1,"conversion_rate":100.0,)"));

  HttpResponse compared =
      stack.Get(series + "&filter.page=/x&compare=PREVIOUS_PERIOD");
  ASSERT_EQ(compared.status, 200) << compared.body;
  EXPECT_THAT(compared.body,
              HasSubstr(R"("points":[{"start":"2025-10-02T00:00:00Z",)"
                        R"("page_views":1,"add_to_carts":0,"purchases":0,)"));
  EXPECT_THAT(compared.body,
              HasSubstr(R"("comparison":{"from":"2025-10-01T00:00:00Z",)"
                        R"("to":"2025-10-02T00:00:00Z","points":[)"
                        R"({"start":"2025-10-01T00:00:00Z","page_views":1,)"
                        R"("add_to_carts":0,"purchases":1,"revenue":10.0}]})"));

  HttpResponse top =
      stack.Get("/v1/shops/default/products/top?filter.page=/y&" + day);
  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_THAT(top.body, HasSubstr(R"("product_id":"p2")"));
  EXPECT_THAT(top.body, Not(HasSubstr(R"("product_id":"p1")")));

  // Bad values are refused naming the field.
  for (const auto& [query, field] :
       std::vector<std::pair<std::string, std::string>>{
           {"&filter.event_type=refund", "filter.event_type: "},
           {"&compare_from=2025-09-01T00:00:00Z", "compare_to: "},
           {"&compare=PREVIOUS_YEAR&compare_from=2025-09-01T00:00:00Z"
            "&compare_to=2025-09-02T00:00:00Z",
            "compare: "}}) {
    HttpResponse refused =
        stack.Get("/v1/shops/default/summary?" + day + query);
    EXPECT_EQ(refused.status, 400) << query << " -> " << refused.body;
    EXPECT_THAT(refused.body, HasSubstr(R"({"error":")" + field)) << query;
  }
  // WatchSummary takes the same filter and comparison, and refuses a bad
  // filter naming it.
  auto analytics = v1::AnalyticsService::NewStub(stack.QueryChannel());
  v1::GetSummaryRequest watch;
  watch.set_shop_id("default");
  watch.mutable_from()->set_seconds(1759363200);  // 2025-10-02T00:00:00Z
  watch.mutable_to()->set_seconds(1759449600);
  watch.mutable_filter()->set_page("/x");
  watch.set_compare(v1::PREVIOUS_PERIOD);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    auto reader = analytics->WatchSummary(&context, watch);
    v1::Summary pushed;
    ASSERT_TRUE(reader->Read(&pushed));
    EXPECT_EQ(pushed.total_page_views(), 1);
    EXPECT_EQ(pushed.comparison().summary().total_purchases(), 1);
    context.TryCancel();
  }
  {
    watch.mutable_filter()->set_event_type("refund");
    grpc::ClientContext context;
    auto reader = analytics->WatchSummary(&context, watch);
    v1::Summary pushed;
    EXPECT_FALSE(reader->Read(&pushed));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("filter.event_type: "));
  }
  HttpResponse open = stack.Get(
      "/v1/shops/default/summary?from=2025-10-02T00:00:00Z"
      "&compare=PREVIOUS_PERIOD");
  EXPECT_EQ(open.status, 400);
  EXPECT_THAT(open.body, HasSubstr(R"({"error":"to: )"));
  EXPECT_EQ(stack.StoredEvents(), 4);
}

TEST(EndToEndTest, EngagementBreakdownAndRangeThroughTheRestGateway) {
  LocalStack stack;
  // Session s1 views two pages ten minutes apart; s2 views one and leaves.
  for (const char* body : {
           R"({"event_type": "page_view", "timestamp": "2025-10-02T10:00:00Z",
               "session_id": "s1", "page": "/home"})",
           R"({"event_type": "page_view", "timestamp": "2025-10-02T10:10:00Z",
               "session_id": "s1", "page": "/shoe"})",
           R"({"event_type": "page_view", "timestamp": "2025-10-02T11:00:00Z",
               "session_id": "s2", "page": "/home"})",
       }) {
    HttpResponse r = stack.Post("/v1/events", body);
    EXPECT_EQ(r.status, 202) << r.body;
  }
  HttpResponse engagement = stack.Get(
      "/v1/shops/default/engagement"
      "?from=2025-10-02T00:00:00Z&to=2025-10-03T00:00:00Z");
  EXPECT_EQ(engagement.status, 200) << engagement.body;
  EXPECT_EQ(engagement.body,
            R"({"sessions":2,"bounced_sessions":1,"bounce_rate":50.0,)"
            R"("average_session_duration_seconds":300.0,)"
            R"("median_session_duration_seconds":300.0,)"
            R"("pages_per_session":1.5})");

  HttpResponse breakdown =
      stack.Get("/v1/shops/default/breakdown?dimension=PAGE");
  EXPECT_EQ(breakdown.status, 200) << breakdown.body;
  EXPECT_EQ(breakdown.body,
            R"({"dimension":"PAGE","rows":[)"
            R"({"value":"/home","page_views":2,"add_to_carts":0,)"
            R"("purchases":0,"revenue":0.0,"events":2,"sessions":2},)"
            R"({"value":"/shoe","page_views":1,"add_to_carts":0,)"
            R"("purchases":0,"revenue":0.0,"events":1,"sessions":1}]})");
  HttpResponse no_dimension = stack.Get("/v1/shops/default/breakdown");
  EXPECT_EQ(no_dimension.status, 400);
  EXPECT_THAT(no_dimension.body, HasSubstr(R"({"error":"dimension: )"));

  // A read key of another shop opens none of them.
  EXPECT_EQ(stack.Get("/v1/shops/default/engagement", "other").status, 403);
  EXPECT_EQ(stack.Get("/v1/shops/default/range", "other").status, 403);

  HttpResponse range = stack.Get("/v1/shops/default/range");
  EXPECT_EQ(range.status, 200) << range.body;
  EXPECT_EQ(range.body, R"({"first_event_at":"2025-10-02T10:00:00Z",)"
                        R"("last_event_at":"2025-10-02T11:00:00Z"})");
}

// docs/analytics.md's seven events and its engagement and range answers.
TEST(EndToEndTest, TheDocumentedEngagementAnswer) {
  LocalStack stack;
  HttpResponse sent = stack.Post("/v1/events:batch", R"({"events": [
  {"event_id":"e1","shop_id":"default","event_type":"page_view","timestamp":"2025-10-02T10:30:00Z","product_id":"prod-123","session_id":"s1"},
  {"event_id":"e2","shop_id":"default","event_type":"add_to_cart","timestamp":"2025-10-02T10:35:00Z","product_id":"prod-123","session_id":"s1"},
  {"event_id":"e3","shop_id":"default","event_type":"purchase","timestamp":"2025-10-02T10:40:00Z","product_id":"prod-123","session_id":"s1","order_amount":99.99},
  {"event_id":"e4","shop_id":"default","event_type":"page_view","timestamp":"2025-10-02T11:05:00Z","product_id":"prod-9","session_id":"s2"},
  {"event_id":"e5","shop_id":"default","event_type":"page_view","timestamp":"2025-10-02T23:30:00Z","product_id":"prod-9","session_id":"s3"},
  {"event_id":"e6","shop_id":"default","event_type":"add_to_cart","timestamp":"2025-10-02T23:31:00Z","product_id":"prod-9","session_id":"s3"},
  {"event_id":"e7","shop_id":"default","event_type":"purchase","timestamp":"2025-10-02T23:40:00Z","product_id":"prod-9","session_id":"s3","order_amount":19.5}]})");
  EXPECT_EQ(sent.status, 200) << sent.body;
  HttpResponse engagement = stack.Get(
      "/v1/shops/default/engagement"
      "?from=2025-10-02T00:00:00Z&to=2025-10-03T00:00:00Z");
  EXPECT_EQ(engagement.status, 200) << engagement.body;
  EXPECT_EQ(engagement.body,
            R"({"sessions":3,"bounced_sessions":1,"bounce_rate":33.33,)"
            R"("average_session_duration_seconds":400.0,)"
            R"("median_session_duration_seconds":600.0,)"
            R"("pages_per_session":1.0})");
  HttpResponse range = stack.Get("/v1/shops/default/range");
  EXPECT_EQ(range.body, R"({"first_event_at":"2025-10-02T10:30:00Z",)"
                        R"("last_event_at":"2025-10-02T23:40:00Z"})");
}

v1::Event CaseStudyEvent(const std::string& type, int64_t seconds,
                         double amount = -1) {
  v1::Event e;
  e.set_event_type(type);
  e.mutable_timestamp()->set_seconds(seconds);
  e.set_product_id("prod-123");
  if (amount >= 0) e.set_order_amount(amount);
  return e;
}

TEST(EndToEndTest, TheSameFlowOverGrpc) {
  LocalStack stack;
  auto ingest = v1::IngestService::NewStub(stack.IngestChannel());
  auto analytics = v1::AnalyticsService::NewStub(stack.QueryChannel());

  // 2025-10-02T10:30:00Z and the minutes after it, as in the case study.
  const int64_t t = 1759401000;
  for (const v1::Event& e :
       {CaseStudyEvent("page_view", t), CaseStudyEvent("add_to_cart", t + 300),
        CaseStudyEvent("purchase", t + 600, 99.99)}) {
    grpc::ClientContext ctx;
    v1::IngestRequest req;
    *req.mutable_event() = e;
    v1::IngestResponse resp;
    grpc::Status s = ingest->Ingest(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.acceptance().status(), "accepted");
    EXPECT_FALSE(resp.event_id().empty());
  }
  {
    grpc::ClientContext ctx;
    v1::IngestRequest req;
    *req.mutable_event() = CaseStudyEvent("purchase", t);
    v1::IngestResponse resp;
    grpc::Status s = ingest->Ingest(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("order_amount"));
  }
  {
    grpc::ClientContext ctx;
    v1::Summary summary;
    ASSERT_TRUE(
        analytics->GetSummary(&ctx, v1::GetSummaryRequest(), &summary).ok());
    EXPECT_EQ(summary.total_page_views(), 1);
    EXPECT_EQ(summary.total_add_to_carts(), 1);
    EXPECT_EQ(summary.total_purchases(), 1);
    EXPECT_DOUBLE_EQ(summary.conversion_rate(), 100.0);
    EXPECT_DOUBLE_EQ(summary.average_purchase_value(), 99.99);
    EXPECT_EQ(summary.top_product_id(), "prod-123");
  }

  // A batch, retried whole: each event is stored once.
  v1::IngestBatchRequest batch;
  for (int i = 0; i < 10; ++i) {
    v1::Event e = CaseStudyEvent("page_view", t + i);
    e.set_shop_id("batch-shop");
    e.set_event_id("b" + std::to_string(i));
    *batch.add_events() = e;
  }
  auto batch_ingest =
      v1::IngestService::NewStub(stack.IngestChannel("batch-shop"));
  for (int attempt = 0; attempt < 2; ++attempt) {
    grpc::ClientContext ctx;
    v1::IngestBatchResponse resp;
    ASSERT_TRUE(batch_ingest->IngestBatch(&ctx, batch, &resp).ok());
    EXPECT_EQ(resp.accepted(), attempt == 0 ? 10 : 0);
    EXPECT_EQ(resp.duplicates(), attempt == 0 ? 0 : 10);
  }

  // A client stream of purchases, one of them invalid.
  {
    grpc::ClientContext ctx;
    v1::StreamEventsResponse resp;
    auto stream_ingest =
        v1::IngestService::NewStub(stack.IngestChannel("stream-shop"));
    auto writer = stream_ingest->StreamEvents(&ctx, &resp);
    for (int i = 0; i < 2000; ++i) {
      v1::Event e = CaseStudyEvent("purchase", t + i, i == 5 ? -1 : 10.5);
      e.set_shop_id("stream-shop");
      e.set_event_id("s" + std::to_string(i));
      ASSERT_TRUE(writer->Write(e));
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.accepted(), 1999);
    EXPECT_EQ(resp.rejected(), 1);
    ASSERT_EQ(resp.rejections_size(), 1);
    EXPECT_EQ(resp.rejections(0).index(), 5);
  }
  EXPECT_EQ(stack.StoredEvents("shop_id = 'batch-shop'"), 10);
  EXPECT_EQ(stack.StoredEvents("shop_id = 'stream-shop'"), 1999);
  {
    grpc::ClientContext ctx;
    v1::GetSummaryRequest req;
    req.set_shop_id("stream-shop");
    v1::Summary summary;
    ASSERT_TRUE(v1::AnalyticsService::NewStub(stack.QueryChannel("stream-shop"))
                    ->GetSummary(&ctx, req, &summary)
                    .ok());
    EXPECT_EQ(summary.total_purchases(), 1999);
    EXPECT_DOUBLE_EQ(summary.average_purchase_value(), 10.5);
    EXPECT_FALSE(summary.has_top_product_id());
  }
}

TEST(EndToEndTest, SigtermStopsEveryServiceCleanly) {
  LocalStack stack;
  EXPECT_EQ(stack.Post("/v1/events", kPageView).status, 202);
  for (ServiceProcess* service : {&stack.gateway(), &stack.ingest(),
                                  &stack.query(), &stack.processor()}) {
    const int status = service->Terminate();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  EXPECT_EQ(stack.StoredEvents(), 1);
}

}  // namespace
}  // namespace shopstream::testing
