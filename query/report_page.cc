#include "query/report_page.h"

#include <cstdint>
#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "query/csv_export.h"

namespace shopstream {
namespace {

// Only inline styles: the page loads nothing, whatever its text says.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'";

constexpr char kStyle[] = R"css(
@page {
  size: A4;
  margin: 16mm 14mm 18mm 14mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 8pt sans-serif; color: #555; }
}
body { font: 10pt/1.35 "DejaVu Sans", "Liberation Sans", sans-serif;
       color: #111; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 2mm 0; overflow-wrap: anywhere; }
h2 { font-size: 13pt; margin: 8mm 0 2mm 0; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1mm 0; break-after: avoid; }
.scope { color: #333; margin: 0; }
.scope dt { float: left; clear: left; width: 28mm; color: #555; }
.scope dd { margin: 0 0 0 30mm; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 1.2mm 2mm; border-bottom: 0.3mm solid #ccc;
         text-align: left; vertical-align: top; }
thead th { border-bottom: 0.5mm solid #666; }
th { font-weight: 600; }
td.n, th.n { text-align: right; white-space: nowrap;
             font-variant-numeric: tabular-nums; }
/* break-word, not anywhere: long ids wrap without squeezing the column
   to one character. */
td.text { overflow-wrap: break-word; }
td.why { color: #555; font-size: 9pt; }
tfoot td { border-top: 0.5mm solid #666; font-weight: 600; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.month, .keep { break-inside: avoid; }
.empty { color: #555; font-style: italic; }
@media screen {
  body { max-width: 182mm; margin: 10mm auto; }
}
@media print {
  body { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  a { color: inherit; text-decoration: none; }
}
)css";

std::string Grouped(int64_t value) {
  const uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value)
                                       : static_cast<uint64_t>(value);
  const std::string digits = absl::StrCat(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? absl::StrCat("-", out) : out;
}

// Two decimals, thousands grouped: "12,345.60".
std::string Money(double value) {
  const std::string plain = TwoDecimals(value);
  const bool negative = plain.front() == '-';
  const size_t dot = plain.find('.');
  int64_t whole = 0;
  for (size_t i = negative ? 1 : 0; i < dot; ++i) {
    whole = whole * 10 + (plain[i] - '0');
  }
  return absl::StrCat(negative ? "-" : "", Grouped(whole), plain.substr(dot));
}

std::string Percent(double value) {
  return absl::StrCat(TwoDecimals(value), " %");
}

std::string Seconds(double seconds) {
  const int64_t whole = std::llround(seconds);
  if (whole < 60) return absl::StrCat(whole, " s");
  if (whole < 3600) {
    return absl::StrFormat("%d min %02d s", whole / 60, whole % 60);
  }
  return absl::StrFormat("%d h %02d min", whole / 3600, (whole % 3600) / 60);
}

std::string Num(absl::string_view text) {
  return absl::StrCat("<td class=\"n\">", HtmlEscape(text), "</td>");
}
std::string Text(absl::string_view text) {
  return absl::StrCat("<td class=\"text\">", HtmlEscape(text), "</td>");
}

bool AtMidnight(absl::Time t, absl::TimeZone zone) {
  const absl::CivilSecond civil = absl::ToCivilSecond(t, zone);
  return civil == absl::CivilSecond(absl::CivilDay(civil));
}

std::string RangeText(const ReportContents& r) {
  if (AtMidnight(r.from, r.zone) && AtMidnight(r.to, r.zone)) {
    const absl::CivilDay first = absl::ToCivilDay(r.from, r.zone);
    const absl::CivilDay last = absl::ToCivilDay(r.to, r.zone) - 1;
    const int64_t days = last - first + 1;
    const std::string from_text = absl::FormatCivilTime(first);
    if (days == 1) return absl::StrCat(from_text, " (1 day)");
    return absl::StrCat(from_text, " to ", absl::FormatCivilTime(last), " (",
                        days, " days)");
  }
  constexpr char kMinute[] = "%Y-%m-%d %H:%M";
  return absl::StrCat(absl::FormatTime(kMinute, r.from, r.zone), " to ",
                      absl::FormatTime(kMinute, r.to, r.zone),
                      " (end not included)");
}

// "event_type: purchase; page: /cart", or "none".
std::string FilterText(const v1::AnalyticsFilter& filter) {
  std::vector<std::string> parts;
  const google::protobuf::Descriptor* descriptor = filter.GetDescriptor();
  const google::protobuf::Reflection* reflection = filter.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
      continue;
    }
    const std::string value = reflection->GetString(filter, field);
    if (!value.empty())
      parts.push_back(absl::StrCat(field->name(), ": ", value));
  }
  return parts.empty() ? "none (every event)" : absl::StrJoin(parts, "; ");
}

void AppendScope(const ReportContents& r, std::string* html) {
  absl::StrAppend(
      html, "<h1>Shop report: ", HtmlEscape(r.shop_id), "</h1>\n",
      "<dl class=\"scope\">\n", "<dt>Shop</dt><dd>", HtmlEscape(r.shop_id),
      "</dd>\n", "<dt>Range</dt><dd>", HtmlEscape(RangeText(r)), "</dd>\n",
      "<dt>Time zone</dt><dd>", HtmlEscape(r.zone_name), "</dd>\n",
      "<dt>Filter</dt><dd>", HtmlEscape(FilterText(r.filter)), "</dd>\n",
      "<dt>Generated</dt><dd>",
      HtmlEscape(absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", r.generated_at,
                                  absl::UTCTimeZone())),
      "</dd>\n</dl>\n");
}

void AppendRow(absl::string_view label, absl::string_view value,
               absl::string_view why, std::string* html) {
  absl::StrAppend(html, "<tr><th scope=\"row\">", HtmlEscape(label), "</th>",
                  Num(value), "<td class=\"why\">", HtmlEscape(why),
                  "</td></tr>\n");
}

void AppendSummary(const v1::Summary& s, std::string* html) {
  absl::StrAppend(html,
                  "<section class=\"keep\"><h2>Summary</h2>\n<table>\n"
                  "<tbody>\n");
  AppendRow("Page views", Grouped(s.total_page_views()), "", html);
  AppendRow("Add-to-carts", Grouped(s.total_add_to_carts()), "", html);
  AppendRow("Purchases", Grouped(s.total_purchases()), "", html);
  AppendRow("Revenue", Money(s.revenue()), "sum of purchase amounts", html);
  AppendRow("Unique sessions",
            absl::StrCat(s.unique_sessions_estimated() ? "about " : "",
                         Grouped(s.unique_sessions())),
            s.unique_sessions_estimated()
                ? "distinct sessions with an event; an estimate"
                : "distinct sessions with an event",
            html);
  AppendRow("Conversion rate", Percent(s.conversion_rate()),
            "purchases ÷ page views", html);
  AppendRow("Add-to-cart rate", Percent(s.add_to_cart_rate()),
            "add-to-carts ÷ page views", html);
  AppendRow("Average purchase", Money(s.average_purchase_value()),
            "revenue ÷ purchases", html);
  AppendRow("Largest purchase", Money(s.max_purchase_value()), "", html);
  AppendRow("Smallest purchase", Money(s.min_purchase_value()), "", html);
  absl::StrAppend(
      html, "<tr><th scope=\"row\">Most viewed product</th>",
      s.has_top_product_id() ? Text(s.top_product_id()) : Text("none"),
      "<td class=\"why\">most page views</td></tr>\n");
  absl::StrAppend(html, "</tbody>\n</table></section>\n");
}

void AppendEngagement(const v1::Engagement& e, std::string* html) {
  absl::StrAppend(html,
                  "<section class=\"keep\"><h2>Engagement</h2>\n<table>\n"
                  "<tbody>\n");
  AppendRow("Sessions", Grouped(e.sessions()),
            "sessions that started in the range", html);
  AppendRow("Bounced sessions", Grouped(e.bounced_sessions()),
            "one page view and nothing else", html);
  AppendRow("Bounce rate", Percent(e.bounce_rate()),
            "bounced sessions ÷ sessions", html);
  AppendRow("Average session", Seconds(e.average_session_duration_seconds()),
            "first to last event", html);
  AppendRow("Median session",
            absl::StrCat(e.median_session_duration_estimated() ? "about " : "",
                         Seconds(e.median_session_duration_seconds())),
            e.median_session_duration_estimated()
                ? "first to last event; an estimate"
                : "first to last event",
            html);
  AppendRow("Pages per session", TwoDecimals(e.pages_per_session()),
            "page views ÷ sessions", html);
  absl::StrAppend(html, "</tbody>\n</table></section>\n");
}

constexpr char kCountsHeader[] =
    "<th class=\"n\">Page views</th><th class=\"n\">Add-to-carts</th>"
    "<th class=\"n\">Purchases</th><th class=\"n\">Revenue</th>";

std::string CountCells(int64_t views, int64_t carts, int64_t purchases,
                       double revenue) {
  return absl::StrCat(Num(Grouped(views)), Num(Grouped(carts)),
                      Num(Grouped(purchases)), Num(Money(revenue)));
}

void AppendDaily(const ReportContents& r, std::string* html) {
  absl::StrAppend(html, "<section><h2>Day by day</h2>\n");
  if (r.daily.points().empty()) {
    absl::StrAppend(html, "<p class=\"empty\">No days in this range.</p>");
  }
  // One table per calendar month: at most 31 rows, which fit on a page.
  std::map<absl::CivilMonth, std::vector<const v1::TimeSeriesPoint*>> months;
  for (const v1::TimeSeriesPoint& point : r.daily.points()) {
    const absl::Time start = absl::FromUnixSeconds(point.start().seconds());
    months[absl::ToCivilMonth(start, r.zone)].push_back(&point);
  }
  for (const auto& [month, points] : months) {
    absl::StrAppend(html, "<div class=\"month\"><h3>",
                    HtmlEscape(absl::FormatTime(
                        "%B %Y", absl::FromCivil(month, r.zone), r.zone)),
                    "</h3>\n<table>\n<thead><tr><th>Day</th>", kCountsHeader,
                    "</tr></thead>\n<tbody>\n");
    int64_t views = 0, carts = 0, purchases = 0;
    double revenue = 0;
    for (const v1::TimeSeriesPoint* point : points) {
      const absl::Time start = absl::FromUnixSeconds(point->start().seconds());
      absl::StrAppend(html, "<tr>",
                      Text(absl::FormatTime("%Y-%m-%d %a", start, r.zone)),
                      CountCells(point->page_views(), point->add_to_carts(),
                                 point->purchases(), point->revenue()),
                      "</tr>\n");
      views += point->page_views();
      carts += point->add_to_carts();
      purchases += point->purchases();
      revenue += point->revenue();
    }
    absl::StrAppend(html, "</tbody>\n<tfoot><tr><td>Month total</td>",
                    CountCells(views, carts, purchases, revenue),
                    "</tr></tfoot>\n</table></div>\n");
  }
  absl::StrAppend(html, "</section>\n");
}

void AppendTopProducts(const v1::TopProducts& top, std::string* html) {
  absl::StrAppend(html,
                  "<section class=\"keep\"><h2>Top products</h2>\n<table>\n"
                  "<thead><tr><th>Product</th>",
                  kCountsHeader,
                  "<th class=\"n\">Conversion<br>(purchases ÷ page views)</th>"
                  "</tr></thead>\n<tbody>\n");
  for (const v1::ProductStats& p : top.products()) {
    absl::StrAppend(html, "<tr>", Text(p.product_id()),
                    CountCells(p.page_views(), p.add_to_carts(), p.purchases(),
                               p.revenue()),
                    Num(Percent(p.conversion_rate())), "</tr>\n");
  }
  if (top.products().empty()) {
    absl::StrAppend(html,
                    "<tr><td class=\"empty\" colspan=\"6\">No products in "
                    "this range.</td></tr>\n");
  }
  absl::StrAppend(html, "</tbody>\n</table></section>\n");
}

const char* DimensionTitle(v1::Dimension dimension) {
  switch (dimension) {
    case v1::PAGE:
      return "Top pages";
    case v1::REFERRER_HOST:
      return "Referrers";
    case v1::UTM_SOURCE:
      return "UTM sources";
    case v1::UTM_MEDIUM:
      return "UTM mediums";
    case v1::UTM_CAMPAIGN:
      return "UTM campaigns";
    case v1::DEVICE_CLASS:
      return "Devices";
    case v1::BROWSER:
      return "Browsers";
    case v1::OS:
      return "Operating systems";
    default:
      return "Breakdown";
  }
}

void AppendBreakdown(const v1::Breakdown& b, std::string* html) {
  absl::StrAppend(html, "<section class=\"keep\"><h2>",
                  DimensionTitle(b.dimension()),
                  "</h2>\n<table>\n<thead><tr><th>Value</th>",
                  "<th class=\"n\">Page views</th><th class=\"n\">Events</th>"
                  "<th class=\"n\">Sessions</th><th class=\"n\">Purchases</th>"
                  "<th class=\"n\">Revenue</th></tr></thead>\n<tbody>\n");
  for (const v1::BreakdownRow& row : b.rows()) {
    absl::StrAppend(html, "<tr>", Text(row.value()),
                    Num(Grouped(row.page_views())), Num(Grouped(row.events())),
                    Num(absl::StrCat(b.sessions_estimated() ? "about " : "",
                                     Grouped(row.sessions()))),
                    Num(Grouped(row.purchases())), Num(Money(row.revenue())),
                    "</tr>\n");
  }
  if (b.rows().empty()) {
    absl::StrAppend(html,
                    "<tr><td class=\"empty\" colspan=\"6\">No events with a "
                    "value in this range.</td></tr>\n");
  }
  absl::StrAppend(html, "</tbody>\n</table></section>\n");
}

}  // namespace

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";  // U+FFFD, as an HTML parser would read it
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string ReportPage(const ReportContents& r) {
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"",
      kContentSecurityPolicy,
      "\">\n<title>shopstream report: ", HtmlEscape(r.shop_id), ", ",
      HtmlEscape(RangeText(r)), "</title>\n<style>", kStyle,
      "</style>\n</head>\n<body>\n");
  AppendScope(r, &html);
  AppendSummary(r.summary, &html);
  if (r.engagement.has_value()) AppendEngagement(*r.engagement, &html);
  AppendTopProducts(r.top_products, &html);
  for (const v1::Breakdown& breakdown : r.breakdowns) {
    AppendBreakdown(breakdown, &html);
  }
  AppendDaily(r, &html);
  absl::StrAppend(&html, "</body>\n</html>\n");
  return html;
}

}  // namespace shopstream
