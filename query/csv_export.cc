#include "query/csv_export.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"

namespace shopstream {
namespace {

constexpr char kLineEnd[] = "\r\n";

std::string Rfc3339Utc(const google::protobuf::Timestamp& ts) {
  const absl::Time t =
      absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

}  // namespace

std::string CsvField(absl::string_view value) {
  // Spreadsheets run a cell that starts like this as a formula; the
  // apostrophe makes it text, as the dashboard's own CSV does.
  const std::string text =
      !value.empty() && absl::string_view("=+-@\t\r").find(value.front()) !=
                            absl::string_view::npos
          ? absl::StrCat("'", value)
          : std::string(value);
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string TwoDecimals(double value) {
  // Through whole cents, so 0.1 + 0.2 prints 0.30 and never 0.30000000001.
  const int64_t cents = std::llround(value * 100.0);
  const int64_t magnitude = std::llabs(cents);
  return absl::StrFormat("%s%d.%02d", cents < 0 ? "-" : "", magnitude / 100,
                         magnitude % 100);
}

std::string TimeSeriesCsv(const v1::TimeSeries& series) {
  std::string csv = absl::StrCat(
      "bucket_start,page_views,add_to_carts,purchases,revenue", kLineEnd);
  for (const v1::TimeSeriesPoint& point : series.points()) {
    absl::StrAppend(&csv, Rfc3339Utc(point.start()), ",", point.page_views(),
                    ",", point.add_to_carts(), ",", point.purchases(), ",",
                    TwoDecimals(point.revenue()), kLineEnd);
  }
  return csv;
}

std::string TopProductsCsv(const v1::TopProducts& top) {
  std::string csv = absl::StrCat(
      "product_id,page_views,add_to_carts,purchases,revenue,conversion_rate",
      kLineEnd);
  for (const v1::ProductStats& product : top.products()) {
    absl::StrAppend(&csv, CsvField(product.product_id()), ",",
                    product.page_views(), ",", product.add_to_carts(), ",",
                    product.purchases(), ",", TwoDecimals(product.revenue()),
                    ",", TwoDecimals(product.conversion_rate()), kLineEnd);
  }
  return csv;
}

}  // namespace shopstream
