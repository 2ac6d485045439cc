#ifndef SHOPSTREAM_QUERY_REPORT_PAGE_H_
#define SHOPSTREAM_QUERY_REPORT_PAGE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// What a printed report shows: the answers the query service gives for one
// shop, range, filter and time zone.
struct ReportContents {
  std::string shop_id;
  // [from, to), both set.
  absl::Time from;
  absl::Time to;
  absl::TimeZone zone;
  std::string zone_name;  // "UTC" when the request named none
  v1::AnalyticsFilter filter;
  v1::Summary summary;
  // DAY buckets of `zone`.
  v1::TimeSeries daily;
  v1::TopProducts top_products;
  // Sections shown only when set (when the server computes them).
  std::optional<v1::Engagement> engagement;
  std::vector<v1::Breakdown> breakdowns;
  absl::Time generated_at;
};

// One self-contained HTML document for printing on A4: inline CSS, no
// script, no external resource, and a Content-Security-Policy that forbids
// loading any (so even a value that escaped escaping could fetch nothing).
// Every value is HTML-escaped: shop, product and page names come from the
// shops' visitors. The daily table is cut into one table per calendar month
// of the report's zone, each kept on one page, so 1 to 366 days read well.
std::string ReportPage(const ReportContents& report);

// `text` safe as HTML element content and as a double- or single-quoted
// attribute value.
std::string HtmlEscape(absl::string_view text);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_REPORT_PAGE_H_
