#include "query/analytics_router.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "query/analytics_comparison.h"
#include "query/analytics_filter.h"
#include "query/analytics_requests.h"
#include "query/answer_values.h"

namespace shopstream {
namespace {

// The request over the compared range, asking for no comparison itself.
template <typename Request>
Request ComparedRequest(const Request& request, const MicrosRange& range) {
  Request compared = request;
  compared.clear_compare();
  compared.clear_compare_from();
  compared.clear_compare_to();
  SetTimestampMicros(*range.from, compared.mutable_from());
  SetTimestampMicros(*range.to, compared.mutable_to());
  return compared;
}

struct SummaryOptions {
  EventFilter filter;
  std::optional<MicrosRange> compared;
};

absl::StatusOr<SummaryOptions> CheckSummary(
    const v1::GetSummaryRequest& request) {
  auto range = CheckScope(request.shop_id(), false,
                          request.has_from() ? &request.from() : nullptr,
                          request.has_to() ? &request.to() : nullptr);
  if (!range.ok()) return range.status();
  auto filter = EventFilter::Parse(request.filter());
  if (!filter.ok()) return filter.status();
  // Summaries have no time zone: years are UTC years.
  auto compared =
      ComparedRange(CompareParametersOf(request), *range, absl::UTCTimeZone());
  if (!compared.ok()) return compared.status();
  return SummaryOptions{*std::move(filter), *compared};
}

}  // namespace

absl::Status CheckSummaryOptions(const v1::GetSummaryRequest& request) {
  return CheckSummary(request).status();
}

absl::StatusOr<v1::Summary> AnalyticsRouter::Summary(
    const v1::GetSummaryRequest& request) const {
  auto options = CheckSummary(request);
  if (!options.ok()) return options.status();
  auto answer = [&](const v1::GetSummaryRequest& r) {
    return options->filter.empty() ? unfiltered_->Summary(r)
                                   : filtered_->Summary(r, options->filter);
  };
  if (!options->compared) return answer(request);
  const v1::GetSummaryRequest compared_request =
      ComparedRequest(request, *options->compared);
  absl::StatusOr<v1::Summary> summary;
  if (options->filter.empty()) {
    // Both from one snapshot, which reads the totals and tail once.
    summary = unfiltered_->ComparedSummary(request, compared_request);
    if (!summary.ok()) return summary;
  } else {
    summary = answer(request);
    if (!summary.ok()) return summary;
    absl::StatusOr<v1::Summary> earlier = answer(compared_request);
    if (!earlier.ok()) return ForComparison(earlier.status());
    *summary->mutable_comparison()->mutable_summary() = *std::move(earlier);
  }
  v1::SummaryComparison* comparison = summary->mutable_comparison();
  SetTimestampMicros(*options->compared->from, comparison->mutable_from());
  SetTimestampMicros(*options->compared->to, comparison->mutable_to());
  return summary;
}

absl::StatusOr<v1::TimeSeries> AnalyticsRouter::TimeSeries(
    const v1::GetTimeSeriesRequest& request) const {
  auto query = CheckTimeSeries(request);
  if (!query.ok()) return query.status();
  auto filter = EventFilter::Parse(request.filter());
  if (!filter.ok()) return filter.status();
  auto compared =
      ComparedRange(CompareParametersOf(request), query->range, query->zone);
  if (!compared.ok()) return compared.status();
  auto answer = [&](const v1::GetTimeSeriesRequest& r) {
    return filter->empty() ? unfiltered_->TimeSeries(r)
                           : filtered_->TimeSeries(r, *filter);
  };
  if (!compared->has_value()) return answer(request);
  const MicrosRange& range = **compared;
  if (*range.to == *range.from) {
    return absl::InvalidArgumentError("compare_to: must be after compare_from");
  }
  absl::StatusOr<v1::TimeSeries> series = answer(request);
  if (!series.ok()) return series;
  absl::StatusOr<v1::TimeSeries> earlier =
      answer(ComparedRequest(request, range));
  if (!earlier.ok()) return ForComparison(earlier.status());
  v1::SeriesComparison* comparison = series->mutable_comparison();
  SetTimestampMicros(*range.from, comparison->mutable_from());
  SetTimestampMicros(*range.to, comparison->mutable_to());
  *comparison->mutable_points() = std::move(*earlier->mutable_points());
  return series;
}

absl::StatusOr<v1::TopProducts> AnalyticsRouter::TopProducts(
    const v1::GetTopProductsRequest& request) const {
  auto filter = EventFilter::Parse(request.filter());
  if (!filter.ok()) return filter.status();
  if (filter->empty()) return unfiltered_->TopProducts(request);
  return filtered_->TopProducts(request, *filter);
}

absl::StatusOr<v1::Funnel> AnalyticsRouter::Funnel(
    const v1::GetFunnelRequest& request) const {
  auto filter = EventFilter::Parse(request.filter());
  if (!filter.ok()) return filter.status();
  if (filter->empty()) return unfiltered_->Funnel(request);
  return filtered_->Funnel(request, *filter);
}

}  // namespace shopstream
