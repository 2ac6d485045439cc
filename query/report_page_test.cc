#include "query/report_page.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int Count(absl::string_view haystack, absl::string_view needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != absl::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// A report of `days` local days from `first`, one page view on day i
// numbering i + 1.
ReportContents Days(absl::CivilDay first, int days,
                    const std::string& zone_name = "UTC") {
  ReportContents r;
  r.shop_id = "shop-1";
  r.zone_name = zone_name;
  EXPECT_TRUE(absl::LoadTimeZone(zone_name, &r.zone));
  r.from = absl::FromCivil(first, r.zone);
  r.to = absl::FromCivil(first + days, r.zone);
  r.generated_at = absl::FromUnixSeconds(1796688000);
  r.daily.set_bucket(v1::DAY);
  for (int i = 0; i < days; ++i) {
    v1::TimeSeriesPoint* point = r.daily.add_points();
    point->mutable_start()->set_seconds(
        absl::ToUnixSeconds(absl::FromCivil(first + i, r.zone)));
    point->set_page_views(i + 1);
  }
  return r;
}

TEST(ReportPageTest, EveryValueFromVisitorsIsEscaped) {
  ReportContents r = Days(absl::CivilDay(2026, 3, 1), 1);
  r.shop_id = "<script>alert('shop')</script>";
  r.summary.set_top_product_id("\"><img src=x onerror=alert(1)>");
  r.filter.set_page("/p?a=1&b=<i>");
  v1::ProductStats* product = r.top_products.add_products();
  product->set_product_id("<b>bold</b> & 'quoted'");
  v1::Breakdown& pages = r.breakdowns.emplace_back();
  pages.set_dimension(v1::PAGE);
  pages.add_rows()->set_value("</td></tr></table><h1>owned</h1>");

  const std::string html = ReportPage(r);
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<h1>owned")));
  EXPECT_THAT(html,
              HasSubstr("&lt;script&gt;alert(&#39;shop&#39;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(html, HasSubstr("page: /p?a=1&amp;b=&lt;i&gt;"));
  EXPECT_THAT(html,
              HasSubstr("&lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;"));
  EXPECT_THAT(html, HasSubstr("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;"));
  // The title, which names the shop, too.
  EXPECT_THAT(html, HasSubstr("<title>shopstream report: &lt;script&gt;"));
}

TEST(HtmlEscapeTest, EscapesWhatEndsTextOrAttributes) {
  EXPECT_EQ(HtmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(HtmlEscape(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(HtmlEscape("plain ü"), "plain ü");
}

TEST(ReportPageTest, TheSummaryNamesWhatEachPercentageDivides) {
  ReportContents r = Days(absl::CivilDay(2026, 3, 1), 1);
  r.summary.set_total_page_views(1234567);
  r.summary.set_total_add_to_carts(4321);
  r.summary.set_total_purchases(87);
  r.summary.set_revenue(12345.6);
  r.summary.set_conversion_rate(0.01);
  r.summary.set_add_to_cart_rate(0.35);
  r.summary.set_average_purchase_value(141.9);
  r.summary.set_unique_sessions(9876);
  r.summary.set_unique_sessions_estimated(true);
  v1::ProductStats* product = r.top_products.add_products();
  product->set_product_id("shoe");
  product->set_page_views(40);
  product->set_purchases(3);
  product->set_revenue(99.999);
  product->set_conversion_rate(7.5);

  const std::string html = ReportPage(r);
  EXPECT_THAT(html, HasSubstr(">1,234,567<"));
  EXPECT_THAT(html, HasSubstr(">4,321<"));
  EXPECT_THAT(html, HasSubstr(">87<"));
  EXPECT_THAT(html, HasSubstr(">12,345.60<"));
  EXPECT_THAT(html, HasSubstr(">about 9,876<"));
  EXPECT_THAT(html, HasSubstr(">0.01 %</td><td class=\"why\">purchases ÷ page "
                              "views<"));
  EXPECT_THAT(html, HasSubstr(">0.35 %</td><td class=\"why\">add-to-carts ÷ "
                              "page views<"));
  EXPECT_THAT(html, HasSubstr(">141.90</td><td class=\"why\">revenue ÷ "
                              "purchases<"));
  EXPECT_THAT(html, HasSubstr(">shoe<"));
  EXPECT_THAT(html, HasSubstr(">100.00<"));
  EXPECT_THAT(html, HasSubstr(">7.50 %<"));
  EXPECT_THAT(html, HasSubstr("Filter</dt><dd>none (every event)"));
}

TEST(ReportPageTest, EngagementAndBreakdownsOnlyWhenGiven) {
  ReportContents r = Days(absl::CivilDay(2026, 3, 1), 1);
  EXPECT_THAT(ReportPage(r), Not(HasSubstr("Engagement")));
  EXPECT_THAT(ReportPage(r), Not(HasSubstr("Top pages")));

  v1::Engagement engagement;
  engagement.set_sessions(200);
  engagement.set_bounced_sessions(50);
  engagement.set_bounce_rate(25);
  engagement.set_average_session_duration_seconds(125.4);
  engagement.set_median_session_duration_seconds(42);
  engagement.set_pages_per_session(3.25);
  r.engagement = engagement;
  v1::Breakdown& devices = r.breakdowns.emplace_back();
  devices.set_dimension(v1::DEVICE_CLASS);
  v1::BreakdownRow* row = devices.add_rows();
  row->set_value("mobile");
  row->set_page_views(1500);
  const std::string html = ReportPage(r);
  EXPECT_THAT(html, HasSubstr(">25.00 %</td><td class=\"why\">bounced "
                              "sessions ÷ sessions<"));
  EXPECT_THAT(html, HasSubstr(">2 min 05 s<"));
  EXPECT_THAT(html, HasSubstr(">42 s<"));
  EXPECT_THAT(html, HasSubstr(">3.25</td><td class=\"why\">page views ÷ "
                              "sessions<"));
  EXPECT_THAT(html, HasSubstr("<h2>Devices</h2>"));
  EXPECT_THAT(html, HasSubstr(">mobile<"));
  EXPECT_THAT(html, HasSubstr(">1,500<"));
}

TEST(ReportPageTest, LoadsNothingAndRunsNothing) {
  const std::string html = ReportPage(Days(absl::CivilDay(2026, 3, 1), 3));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("href=")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, HasSubstr("content=\"default-src 'none'; style-src "
                              "'unsafe-inline'\""));
  EXPECT_THAT(html, HasSubstr("size: A4"));
  EXPECT_THAT(html, HasSubstr("@media print"));
}

TEST(ReportPageTest, AYearIsOneTablePerMonthEachWithItsHeader) {
  const std::string html = ReportPage(Days(absl::CivilDay(2024, 1, 15), 366));
  // Jan 15 2024 to Jan 14 2025: 13 calendar months.
  EXPECT_EQ(Count(html, "<div class=\"month\">"), 13);
  EXPECT_EQ(Count(html, "<thead><tr><th>Day</th>"), 13);
  EXPECT_EQ(Count(html, "Month total"), 13);
  EXPECT_THAT(html, HasSubstr("<h3>January 2024</h3>"));
  EXPECT_THAT(html, HasSubstr("<h3>January 2025</h3>"));
  EXPECT_THAT(html, HasSubstr("2024-02-29 Thu"));
  // Every month's rows fit a page.
  for (absl::string_view month :
       absl::StrSplit(html, "<div class=\"month\">", absl::SkipEmpty())) {
    EXPECT_LE(Count(month, "<tr>"), 31 + 2);
  }
  // Day 366, 2025-01-14, has 366 page views; January 2024's 17 days
  // 1 + ... + 17 = 153.
  EXPECT_THAT(html, HasSubstr("2025-01-14 Tue</td><td class=\"n\">366<"));
  EXPECT_THAT(html, HasSubstr("Month total</td><td class=\"n\">153<"));
  EXPECT_THAT(html, HasSubstr("2024-01-15 to 2025-01-14 (366 days)"));
}

TEST(ReportPageTest, OneDayIsOneShortTable) {
  const std::string html = ReportPage(Days(absl::CivilDay(2026, 3, 1), 1));
  EXPECT_EQ(Count(html, "<div class=\"month\">"), 1);
  EXPECT_THAT(html, HasSubstr("2026-03-01 (1 day)"));
  EXPECT_THAT(html, HasSubstr("2026-03-01 Sun</td><td class=\"n\">1<"));
}

TEST(ReportPageTest, DaysAndRangeFollowTheReportsZone) {
  // Paris midnights are 23:00 or 22:00 UTC the day before.
  const std::string html =
      ReportPage(Days(absl::CivilDay(2026, 3, 1), 31, "Europe/Paris"));
  EXPECT_THAT(html, HasSubstr("2026-03-01 to 2026-03-31 (31 days)"));
  EXPECT_THAT(html, HasSubstr("Time zone</dt><dd>Europe/Paris"));
  EXPECT_THAT(html, HasSubstr("<h3>March 2026</h3>"));
  EXPECT_THAT(html, Not(HasSubstr("February")));
  EXPECT_THAT(html, HasSubstr("2026-03-31 Tue</td><td class=\"n\">31<"));
}

TEST(ReportPageTest, ARangeOffMidnightShowsItsMinutes) {
  ReportContents r = Days(absl::CivilDay(2026, 3, 1), 1);
  r.from += absl::Hours(10);
  r.to += absl::Minutes(90);
  EXPECT_THAT(ReportPage(r),
              HasSubstr("2026-03-01 10:00 to 2026-03-02 01:30 (end not "
                        "included)"));
}

}  // namespace
}  // namespace shopstream
