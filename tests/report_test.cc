// GET /v1/shops/{shop}/report.pdf through the gateway, printed by the query
// service's Chromium, read back with pdftotext (Debian's poppler-utils).
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kShop[] = "report-shop";
constexpr char kWeek[] =
    "from=2025-09-30T22:00:00Z&to=2025-10-07T22:00:00Z"
    "&time_zone=Europe/Paris";

std::string Event(const std::string& id, const std::string& type,
                  const std::string& product, const std::string& extra = "") {
  return absl::StrCat(
      R"({"shop_id":")", kShop, R"(","event_id":")", id, R"(","event_type":")",
      type,
      R"(","timestamp":"2025-10-02T10:30:00Z","session_id":"s1","product_id":")",
      product, "\"", extra, "}");
}

std::string ReportPath(const std::string& query) {
  return absl::StrCat("/v1/shops/", kShop, "/report.pdf?", query);
}

// pdftotext's reading of `pdf`, every run of blanks one space.
std::string PdfText(const std::string& pdf) {
  const std::string base =
      absl::StrCat(::testing::TempDir(), "/report-test-", getpid());
  std::ofstream(base + ".pdf", std::ios::binary) << pdf;
  const int rc = std::system(
      absl::StrCat("timeout 60 pdftotext -layout ", base, ".pdf ", base, ".txt")
          .c_str());
  EXPECT_EQ(rc, 0) << "pdftotext (Debian's poppler-utils) failed";
  std::ifstream in(base + ".txt");
  std::ostringstream text;
  text << in.rdbuf();
  std::remove((base + ".pdf").c_str());
  std::remove((base + ".txt").c_str());
  return absl::StrJoin(
      absl::StrSplit(text.str(), absl::ByAnyChar(" \t"), absl::SkipEmpty()),
      " ");
}

int64_t PageViews(LocalStack& stack) {
  HttpResponse r =
      stack.Get(absl::StrCat("/v1/shops/", kShop, "/summary?", kWeek), kShop);
  rapidjson::Document doc;
  doc.Parse(r.body.c_str());
  if (r.status != 200 || doc.HasParseError() || !doc.IsObject() ||
      !doc.HasMember("total_page_views")) {
    return -1;
  }
  return doc["total_page_views"].GetInt64();
}

TEST(ReportTest, AReadKeyGetsAPdfWithTheSummarysNumbers) {
  LocalStack stack;
  for (const std::string& body :
       {Event("v1", "page_view", "shoe"), Event("v2", "page_view", "shoe"),
        Event("v3", "page_view", "<b>hat</b>"),
        Event("c1", "add_to_cart", "shoe"),
        Event("p1", "purchase", "shoe", R"(,"order_amount":42.5)")}) {
    HttpResponse r = stack.Post("/v1/events", body, kShop);
    ASSERT_EQ(r.status, 202) << r.body;
  }
  // Accepted events are queryable once committed; bounded wait for that.
  const auto give_up =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (PageViews(stack) != 3 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(PageViews(stack), 3);

  HttpResponse r = stack.Get(ReportPath(kWeek), kShop);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/pdf");
  EXPECT_EQ(r.headers["content-disposition"],
            "attachment; filename=\"report.pdf\"");
  ASSERT_THAT(r.body, StartsWith("%PDF-"));
  const std::string text = PdfText(r.body);
  EXPECT_THAT(text, HasSubstr("Shop report: report-shop"));
  EXPECT_THAT(text, HasSubstr("2025-10-01 to 2025-10-07 (7 days)"));
  EXPECT_THAT(text, HasSubstr("Europe/Paris"));
  EXPECT_THAT(text, HasSubstr("Page views 3"));
  EXPECT_THAT(text, HasSubstr("Add-to-carts 1"));
  EXPECT_THAT(text, HasSubstr("Purchases 1"));
  EXPECT_THAT(text, HasSubstr("Revenue 42.50"));
  EXPECT_THAT(text,
              HasSubstr("Conversion rate 33.33 % purchases ÷ page views"));
  EXPECT_THAT(text,
              HasSubstr("Add-to-cart rate 33.33 % add-to-carts ÷ page views"));
  // The product a visitor named, as text.
  EXPECT_THAT(text, HasSubstr("<b>hat</b>")) << text;
  // 2025-10-02 in the daily table: 3 views, 1 cart, 1 purchase, 42.50.
  EXPECT_THAT(text, HasSubstr("2025-10-02 Thu 3 1 1 42.50"));

  // Filtered to purchases, the same report counts only those.
  HttpResponse purchases = stack.Get(
      ReportPath(absl::StrCat(kWeek, "&filter.event_type=purchase")), kShop);
  ASSERT_EQ(purchases.status, 200) << purchases.body;
  const std::string filtered = PdfText(purchases.body);
  EXPECT_THAT(filtered, HasSubstr("Page views 0"));
  EXPECT_THAT(filtered, HasSubstr("Purchases 1"));
  EXPECT_THAT(filtered, HasSubstr("purchase")) << filtered;
}

TEST(ReportTest, BadInputIs400NamingTheFieldAndNoKeyIs401) {
  LocalStack stack;
  HttpResponse too_long = stack.Get(
      ReportPath("from=2024-01-01T00:00:00Z&to=2025-01-02T00:00:00Z"), kShop);
  EXPECT_EQ(too_long.status, 400) << too_long.body;
  EXPECT_THAT(too_long.body, HasSubstr("to: a report covers at most 366 days"));

  HttpResponse no_from =
      stack.Get(ReportPath("to=2025-01-02T00:00:00Z"), kShop);
  EXPECT_EQ(no_from.status, 400) << no_from.body;
  EXPECT_THAT(no_from.body, HasSubstr("from: required"));

  HttpResponse filtered = stack.Get(
      ReportPath(absl::StrCat(kWeek, "&filter.event_type=checkout")), kShop);
  EXPECT_EQ(filtered.status, 400) << filtered.body;
  EXPECT_THAT(filtered.body, HasSubstr("filter.event_type"));

  HttpResponse anonymous =
      HttpRequest(stack.http_port(), "GET", ReportPath(kWeek));
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;

  HttpResponse other_shop = HttpRequest(
      stack.http_port(), "GET", ReportPath(kWeek), "", "application/json",
      {{"Authorization", "Bearer " + stack.ReadKey("another-shop")}});
  EXPECT_EQ(other_shop.status, 403) << other_shop.body;
}

TEST(ReportTest, ADownloadLinkWorksWithALinkTicket) {
  LocalStack stack;
  HttpResponse issued = HttpRequest(
      stack.http_port(), "POST", absl::StrCat("/v1/shops/", kShop, "/tickets"),
      "{}", "application/json",
      {{"Authorization", "Bearer " + stack.ReadKey(kShop)}});
  ASSERT_EQ(issued.status, 200) << issued.body;
  rapidjson::Document ticket;
  ticket.Parse(issued.body.c_str());
  ASSERT_TRUE(ticket.IsObject() && ticket.HasMember("ticket")) << issued.body;
  const std::string link =
      ReportPath(absl::StrCat(kWeek, "&ticket=", ticket["ticket"].GetString()));
  HttpResponse r = HttpRequest(stack.http_port(), "GET", link);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_THAT(r.body, StartsWith("%PDF-"));
  // Good once.
  EXPECT_EQ(HttpRequest(stack.http_port(), "GET", link).status, 401);
}

TEST(ReportTest, WithoutChromiumTheAnswerSaysSo) {
  const std::string logs =
      absl::StrCat(::testing::TempDir(), "/report-test-logs-", getpid());
  std::filesystem::create_directories(logs);
  std::string log;
  {
    LocalStack stack(LocalStackOptions{
        .query_flags = {"--chromium_path=/nonexistent/chromium"},
        .log_dir = logs});
    HttpResponse r = stack.Get(ReportPath(kWeek), kShop);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_THAT(
        r.body,
        HasSubstr("report: PDF rendering is not available on this server"));
    log = stack.Log("query");
  }
  std::filesystem::remove_all(logs);
  // Said at start, and the request's cause is in the log under its id.
  EXPECT_THAT(log, HasSubstr("PDF reports are not available"));
  EXPECT_THAT(log, HasSubstr("report: PDF rendering failed"));
  EXPECT_THAT(log, HasSubstr("chromium: /nonexistent/chromium: No such file"));
}

}  // namespace
}  // namespace shopstream::testing
