#ifndef SHOPSTREAM_QUERY_SHOP_REPORT_H_
#define SHOPSTREAM_QUERY_SHOP_REPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "query/analytics_queries.h"
#include "query/pdf_printer.h"
#include "query/report_page.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

inline constexpr char kPdfContentType[] = "application/pdf";

// Local days one report may cover, a leap year's.
inline constexpr int kMaxReportDays = 366;

// What the caller is told when a server cannot print; the cause is logged.
inline constexpr char kNoPdfMessage[] =
    "report: PDF rendering is not available on this server";

// A GetReportRequest checked, as the API's other requests are
// (INVALID_ARGUMENT naming the field): shop_id, from and to required, at
// most kMaxReportDays local days of the time zone, a filter as
// query/analytics_filter.h checks it. A valid filter that sets a field is
// refused for now: the queries a report shows do not apply filters yet.
struct ReportScope {
  std::string shop_id;
  absl::Time from;
  absl::Time to;
  absl::TimeZone zone;
  std::string zone_name;
  v1::AnalyticsFilter filter;
};
absl::StatusOr<ReportScope> CheckReport(const v1::GetReportRequest& request);

// The report's answers, from the queries the API answers with, so a report
// never disagrees with the dashboard.
absl::StatusOr<ReportContents> GatherReport(const AnalyticsQueries& queries,
                                            const ReportScope& scope,
                                            absl::Time now);

// The whole report as PDF. Without a printer, or when printing fails,
// UNAVAILABLE kNoPdfMessage marked for the caller (common/caller_status.h),
// with the cause logged under `request_id`.
absl::StatusOr<std::string> ReportPdf(const AnalyticsQueries& queries,
                                      const PdfPrinter* printer,
                                      const v1::GetReportRequest& request,
                                      absl::Time now,
                                      absl::string_view request_id);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_SHOP_REPORT_H_
