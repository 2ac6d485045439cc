#include "query/shop_report.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/caller_status.h"
#include "common/log.h"
#include "query/analytics_filter.h"
#include "query/analytics_requests.h"

namespace shopstream {
namespace {

// Rows of top products in a report, as the dashboard shows.
constexpr int kTopProducts = 10;
// Where visitors came from and what they used; UTM medium is left to the
// dashboard, a page has only so much room.
constexpr v1::Dimension kReportDimensions[] = {
    v1::PAGE,         v1::REFERRER_HOST, v1::UTM_SOURCE, v1::UTM_CAMPAIGN,
    v1::DEVICE_CLASS, v1::BROWSER,       v1::OS};

google::protobuf::Timestamp TimestampOf(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t micros = absl::ToUnixMicros(t);
  ts.set_seconds(micros / 1000000);
  ts.set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
  if (ts.nanos() < 0) {
    ts.set_seconds(ts.seconds() - 1);
    ts.set_nanos(ts.nanos() + 1000000000);
  }
  return ts;
}

}  // namespace

absl::StatusOr<ReportScope> CheckReport(const v1::GetReportRequest& request) {
  // The daily table is this series: its checks are the report's.
  v1::GetTimeSeriesRequest daily;
  daily.set_shop_id(request.shop_id());
  if (request.has_from()) *daily.mutable_from() = request.from();
  if (request.has_to()) *daily.mutable_to() = request.to();
  daily.set_bucket(v1::DAY);
  daily.set_time_zone(request.time_zone());
  absl::StatusOr<TimeSeriesQuery> checked = CheckTimeSeries(daily);
  if (!checked.ok()) return checked.status();

  ReportScope scope;
  scope.shop_id = request.shop_id();
  scope.from = absl::FromUnixMicros(*checked->range.from);
  scope.to = absl::FromUnixMicros(*checked->range.to);
  scope.zone = checked->zone;
  scope.zone_name = checked->zone_name;
  const absl::CivilDay first = absl::ToCivilDay(scope.from, scope.zone);
  const absl::CivilDay last =
      absl::ToCivilDay(scope.to - absl::Microseconds(1), scope.zone);
  if (const int64_t days = last - first + 1; days > kMaxReportDays) {
    return absl::InvalidArgumentError(absl::StrCat(
        "to: a report covers at most ", kMaxReportDays, " days of ",
        scope.zone_name, "; this range touches ", days));
  }
  absl::StatusOr<EventFilter> filter = EventFilter::Parse(request.filter());
  if (!filter.ok()) return filter.status();
  scope.filter = request.filter();
  return scope;
}

absl::StatusOr<ReportContents> GatherReport(const AnalyticsQueries& queries,
                                            const ReportScope& scope,
                                            absl::Time now) {
  ReportContents report;
  report.shop_id = scope.shop_id;
  report.from = scope.from;
  report.to = scope.to;
  report.zone = scope.zone;
  report.zone_name = scope.zone_name;
  report.filter = scope.filter;
  report.generated_at = now;
  const google::protobuf::Timestamp from = TimestampOf(scope.from);
  const google::protobuf::Timestamp to = TimestampOf(scope.to);

  v1::GetSummaryRequest summary;
  summary.set_shop_id(scope.shop_id);
  *summary.mutable_from() = from;
  *summary.mutable_to() = to;
  *summary.mutable_filter() = scope.filter;
  absl::StatusOr<v1::Summary> summarized = queries.Summary(summary);
  if (!summarized.ok()) return summarized.status();
  report.summary = *std::move(summarized);

  v1::GetTimeSeriesRequest daily;
  daily.set_shop_id(scope.shop_id);
  *daily.mutable_from() = from;
  *daily.mutable_to() = to;
  daily.set_bucket(v1::DAY);
  daily.set_time_zone(scope.zone_name);
  *daily.mutable_filter() = scope.filter;
  absl::StatusOr<v1::TimeSeries> series = queries.TimeSeries(daily);
  if (!series.ok()) return series.status();
  report.daily = *std::move(series);

  v1::GetTopProductsRequest top;
  top.set_shop_id(scope.shop_id);
  *top.mutable_from() = from;
  *top.mutable_to() = to;
  top.set_limit(kTopProducts);
  *top.mutable_filter() = scope.filter;
  absl::StatusOr<v1::TopProducts> products = queries.TopProducts(top);
  if (!products.ok()) return products.status();
  report.top_products = *std::move(products);

  v1::GetEngagementRequest engagement;
  engagement.set_shop_id(scope.shop_id);
  *engagement.mutable_from() = from;
  *engagement.mutable_to() = to;
  *engagement.mutable_filter() = scope.filter;
  absl::StatusOr<v1::Engagement> engaged = queries.Engagement(engagement);
  if (!engaged.ok()) return engaged.status();
  report.engagement = *std::move(engaged);

  for (v1::Dimension dimension : kReportDimensions) {
    v1::GetBreakdownRequest breakdown;
    breakdown.set_shop_id(scope.shop_id);
    *breakdown.mutable_from() = from;
    *breakdown.mutable_to() = to;
    breakdown.set_dimension(dimension);
    *breakdown.mutable_filter() = scope.filter;
    breakdown.set_limit(kTopProducts);
    absl::StatusOr<v1::Breakdown> rows = queries.Breakdown(breakdown);
    if (!rows.ok()) return rows.status();
    report.breakdowns.push_back(*std::move(rows));
  }
  return report;
}

absl::StatusOr<std::string> ReportPdf(const AnalyticsQueries& queries,
                                      const PdfPrinter* printer,
                                      const v1::GetReportRequest& request,
                                      absl::Time now,
                                      absl::string_view request_id) {
  // Bad input is refused whether or not this server can print.
  absl::StatusOr<ReportScope> scope = CheckReport(request);
  if (!scope.ok()) return scope.status();
  const absl::Status no_pdf = CallerFacing(
      absl::UnavailableError(kNoPdfMessage), "PDF_RENDERING_UNAVAILABLE");
  if (printer == nullptr) {
    LogWarning("report: no PDF printer (--chromium_path is empty)",
               {{"request_id", std::string(request_id)}});
    return no_pdf;
  }
  absl::StatusOr<ReportContents> contents = GatherReport(queries, *scope, now);
  if (!contents.ok()) return contents.status();
  absl::StatusOr<std::string> pdf = printer->Print(ReportPage(*contents));
  if (pdf.ok() || pdf.status().code() != absl::StatusCode::kUnavailable) {
    return pdf;
  }
  LogWarning("report: PDF rendering failed",
             {{"request_id", std::string(request_id)},
              {"error", std::string(pdf.status().message())}});
  return no_pdf;
}

}  // namespace shopstream
