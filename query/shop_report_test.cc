#include "query/shop_report.h"

#include <string>

#include "absl/time/civil_time.h"
#include "common/caller_status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::HasSubstr;

// Fixed answers, and how many questions were asked.
class CannedQueries final : public AnalyticsQueries {
 public:
  absl::StatusOr<v1::Summary> Summary(
      const v1::GetSummaryRequest& request) const override {
    ++asked_;
    v1::Summary summary;
    summary.set_total_page_views(3);
    return summary;
  }
  absl::StatusOr<v1::TimeSeries> TimeSeries(
      const v1::GetTimeSeriesRequest& request) const override {
    ++asked_;
    last_series_ = request;
    return v1::TimeSeries();
  }
  absl::StatusOr<v1::TopProducts> TopProducts(
      const v1::GetTopProductsRequest& request) const override {
    ++asked_;
    last_top_ = request;
    return v1::TopProducts();
  }
  absl::StatusOr<v1::Funnel> Funnel(
      const v1::GetFunnelRequest&) const override {
    return absl::UnimplementedError("not in reports");
  }
  absl::StatusOr<v1::ListEventsResponse> ListEvents(
      const v1::ListEventsRequest&) const override {
    return absl::UnimplementedError("not in reports");
  }
  absl::StatusOr<v1::Engagement> Engagement(
      const v1::GetEngagementRequest& request) const override {
    ++asked_;
    last_engagement_ = request;
    v1::Engagement engagement;
    engagement.set_sessions(2);
    return engagement;
  }
  absl::StatusOr<v1::Breakdown> Breakdown(
      const v1::GetBreakdownRequest& request) const override {
    ++asked_;
    breakdowns_.push_back(request);
    v1::Breakdown breakdown;
    breakdown.set_dimension(request.dimension());
    return breakdown;
  }
  absl::StatusOr<v1::DataRange> DataRange(
      const v1::GetDataRangeRequest&) const override {
    return absl::UnimplementedError("not in reports");
  }

  mutable int asked_ = 0;
  mutable v1::GetEngagementRequest last_engagement_;
  mutable std::vector<v1::GetBreakdownRequest> breakdowns_;
  mutable v1::GetTimeSeriesRequest last_series_;
  mutable v1::GetTopProductsRequest last_top_;
};

google::protobuf::Timestamp At(absl::CivilSecond when, absl::TimeZone zone) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(absl::FromCivil(when, zone)));
  return ts;
}

v1::GetReportRequest Request(absl::CivilDay first, int days,
                             const std::string& zone_name = "") {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(zone_name.empty() ? "UTC" : zone_name, &zone));
  v1::GetReportRequest request;
  request.set_shop_id("shop");
  *request.mutable_from() = At(absl::CivilSecond(first), zone);
  *request.mutable_to() = At(absl::CivilSecond(first + days), zone);
  request.set_time_zone(zone_name);
  return request;
}

void ExpectRefused(const v1::GetReportRequest& request,
                   const std::string& message) {
  absl::StatusOr<ReportScope> scope = CheckReport(request);
  EXPECT_EQ(scope.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(scope.status().message(), HasSubstr(message));
}

TEST(CheckReportTest, ShopAndBothEndsAreRequired) {
  v1::GetReportRequest request = Request(absl::CivilDay(2026, 3, 1), 1);
  v1::GetReportRequest no_shop = request;
  no_shop.clear_shop_id();
  ExpectRefused(no_shop, "shop_id: required");
  v1::GetReportRequest no_from = request;
  no_from.clear_from();
  ExpectRefused(no_from, "from: required");
  v1::GetReportRequest no_to = request;
  no_to.clear_to();
  ExpectRefused(no_to, "to: required");
  v1::GetReportRequest backwards = request;
  std::swap(*backwards.mutable_from(), *backwards.mutable_to());
  ExpectRefused(backwards, "to: must not be before from");
  v1::GetReportRequest bad_zone = request;
  bad_zone.set_time_zone("Mars/Olympus");
  ExpectRefused(bad_zone, "time_zone: unknown time zone");
}

TEST(CheckReportTest, AtMost366DaysOfTheReportsZone) {
  EXPECT_TRUE(CheckReport(Request(absl::CivilDay(2024, 1, 1), 366)).ok());
  ExpectRefused(Request(absl::CivilDay(2024, 1, 1), 367),
                "to: a report covers at most 366 days of UTC; this range "
                "touches 367");
  // A year of Paris days, a fall-back night (25 hours) included.
  EXPECT_TRUE(
      CheckReport(Request(absl::CivilDay(2024, 1, 1), 366, "Europe/Paris"))
          .ok());
  // One second into a 367th day counts.
  v1::GetReportRequest spill = Request(absl::CivilDay(2024, 1, 1), 366);
  spill.mutable_to()->set_seconds(spill.to().seconds() + 1);
  ExpectRefused(spill, "touches 367");
}

TEST(CheckReportTest, AFilterIsCheckedAndKept) {
  v1::GetReportRequest request = Request(absl::CivilDay(2026, 3, 1), 7);
  request.mutable_filter();  // present but empty: no filter
  EXPECT_TRUE(CheckReport(request).ok());
  request.mutable_filter()->set_device_class("mobile");
  absl::StatusOr<ReportScope> scope = CheckReport(request);
  ASSERT_TRUE(scope.ok()) << scope.status();
  EXPECT_EQ(scope->filter.device_class(), "mobile");
  request.mutable_filter()->set_event_type("checkout");
  ExpectRefused(request, "filter.event_type: ");
}

TEST(CheckReportTest, TheScopeIsTheRequestsInItsZone) {
  absl::StatusOr<ReportScope> scope =
      CheckReport(Request(absl::CivilDay(2026, 3, 1), 31, "Europe/Paris"));
  ASSERT_TRUE(scope.ok()) << scope.status();
  EXPECT_EQ(scope->shop_id, "shop");
  EXPECT_EQ(scope->zone_name, "Europe/Paris");
  EXPECT_EQ(absl::ToCivilDay(scope->from, scope->zone),
            absl::CivilDay(2026, 3, 1));
  EXPECT_EQ(absl::ToCivilDay(scope->to, scope->zone),
            absl::CivilDay(2026, 4, 1));
}

TEST(GatherReportTest, AsksForDaysOfTheZoneAndTenProducts) {
  CannedQueries queries;
  absl::StatusOr<ReportScope> scope =
      CheckReport(Request(absl::CivilDay(2026, 3, 1), 31, "Europe/Paris"));
  ASSERT_TRUE(scope.ok());
  absl::StatusOr<ReportContents> report =
      GatherReport(queries, *scope, absl::UnixEpoch());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->summary.total_page_views(), 3);
  EXPECT_EQ(queries.last_series_.bucket(), v1::DAY);
  EXPECT_EQ(queries.last_series_.time_zone(), "Europe/Paris");
  EXPECT_EQ(queries.last_series_.from().seconds(),
            absl::ToUnixSeconds(scope->from));
  EXPECT_EQ(queries.last_top_.limit(), 10);
  EXPECT_EQ(queries.last_top_.to().seconds(), absl::ToUnixSeconds(scope->to));
  ASSERT_TRUE(report->engagement.has_value());
  EXPECT_EQ(report->engagement->sessions(), 2);
  EXPECT_EQ(queries.last_engagement_.from().seconds(),
            absl::ToUnixSeconds(scope->from));
  ASSERT_EQ(report->breakdowns.size(), queries.breakdowns_.size());
  ASSERT_FALSE(queries.breakdowns_.empty());
  EXPECT_EQ(queries.breakdowns_.front().dimension(), v1::PAGE);
  EXPECT_EQ(queries.breakdowns_.front().limit(), 10);
}

TEST(GatherReportTest, EveryQueryGetsTheReportsFilter) {
  CannedQueries queries;
  v1::GetReportRequest request = Request(absl::CivilDay(2026, 3, 1), 7);
  request.mutable_filter()->set_browser("Firefox");
  absl::StatusOr<ReportScope> scope = CheckReport(request);
  ASSERT_TRUE(scope.ok()) << scope.status();
  absl::StatusOr<ReportContents> report =
      GatherReport(queries, *scope, absl::UnixEpoch());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(queries.last_series_.filter().browser(), "Firefox");
  EXPECT_EQ(queries.last_top_.filter().browser(), "Firefox");
  EXPECT_EQ(queries.last_engagement_.filter().browser(), "Firefox");
  for (const v1::GetBreakdownRequest& asked : queries.breakdowns_) {
    EXPECT_EQ(asked.filter().browser(), "Firefox");
  }
  EXPECT_EQ(report->filter.browser(), "Firefox");
}

TEST(ReportPdfTest, BadInputIsRefusedBeforeAnythingElse) {
  CannedQueries queries;
  v1::GetReportRequest request = Request(absl::CivilDay(2026, 3, 1), 400);
  absl::StatusOr<std::string> pdf =
      ReportPdf(queries, nullptr, request, absl::UnixEpoch(), "req");
  EXPECT_EQ(pdf.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queries.asked_, 0);
}

TEST(ReportPdfTest, WithoutChromiumTheCallerIsToldSoAndTheLogWhy) {
  CannedQueries queries;
  const v1::GetReportRequest request = Request(absl::CivilDay(2026, 3, 1), 1);
  absl::StatusOr<std::string> none =
      ReportPdf(queries, nullptr, request, absl::UnixEpoch(), "req-1");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(none.status().message(), kNoPdfMessage);
  // Marked as the service's own words: not replaced by a generic message.
  EXPECT_EQ(ForCaller(none.status(), "req-1").message(), kNoPdfMessage);

  PdfPrinter missing(
      PdfPrinterOptions{.chromium_path = "/nonexistent/chromium-for-test"});
  ::testing::internal::CaptureStderr();
  absl::StatusOr<std::string> failed =
      ReportPdf(queries, &missing, request, absl::UnixEpoch(), "req-2");
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(failed.status().message(), kNoPdfMessage);
  EXPECT_THAT(log, HasSubstr("req-2"));
  EXPECT_THAT(log, HasSubstr("/nonexistent/chromium-for-test"));
}

}  // namespace
}  // namespace shopstream
