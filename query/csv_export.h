#ifndef SHOPSTREAM_QUERY_CSV_EXPORT_H_
#define SHOPSTREAM_QUERY_CSV_EXPORT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// Content type of the CSV exports.
inline constexpr char kCsvContentType[] = "text/csv; charset=utf-8";

// CSV as RFC 4180 writes it, so spreadsheets read it back unchanged: a
// header row, CRLF line ends, fields with commas, quotes or line breaks in
// double quotes (quotes doubled), money and rates with two decimals,
// timestamps in RFC 3339 UTC, text that would be a formula made text.

// Columns: bucket_start, page_views, add_to_carts, purchases, revenue.
std::string TimeSeriesCsv(const v1::TimeSeries& series);

// Columns: product_id, page_views, add_to_carts, purchases, revenue,
// conversion_rate.
std::string TopProductsCsv(const v1::TopProducts& top);

// One text field, quoted when it has to be. Text that a spreadsheet would
// run as a formula (starting with =, +, -, @, a tab or a carriage return)
// gets a leading apostrophe. Numbers are written as they are, not through
// this.
std::string CsvField(absl::string_view value);

// `value` with exactly two decimals, rounded half away from zero ("99.99").
std::string TwoDecimals(double value);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_CSV_EXPORT_H_
