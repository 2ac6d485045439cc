#include "query/analytics_filter.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/event_validator.h"
#include "query/analytics_requests.h"

namespace shopstream {

absl::StatusOr<EventFilter> EventFilter::Parse(
    const v1::AnalyticsFilter& filter, absl::string_view prefix) {
  EventFilter parsed;
  if (!filter.event_type().empty()) {
    int type = 0;
    for (int t = 1; t <= 4; ++t) {
      if (filter.event_type() == EventTypeName(t)) type = t;
    }
    if (type == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          prefix,
          ".event_type: must be one of page_view, add_to_cart,"
          " purchase or custom (got \"",
          absl::CEscape(filter.event_type().substr(0, kMaxFilterValueBytes)),
          "\")"));
    }
    parsed.terms_.push_back(
        {"event_type", filter.event_type(), absl::StrCat(type)});
  }
  // Field order is the events' column order, so equal filters give equal
  // SQL.
  const std::pair<const char*, const std::string*> texts[] = {
      {"product_id", &filter.product_id()},
      {"page", &filter.page()},
      {"referrer_host", &filter.referrer_host()},
      {"utm_source", &filter.utm_source()},
      {"utm_medium", &filter.utm_medium()},
      {"utm_campaign", &filter.utm_campaign()},
      {"device_class", &filter.device_class()},
      {"browser", &filter.browser()},
      {"os", &filter.os()},
  };
  for (const auto& [name, value] : texts) {
    if (value->empty()) continue;
    if (absl::Status s = CheckTextField(absl::StrCat(prefix, ".", name), *value,
                                        kMaxFilterValueBytes);
        !s.ok()) {
      return s;
    }
    parsed.terms_.push_back({name, *value, *value});
  }
  return parsed;
}

std::optional<EventFilter::Term> EventFilter::single() const {
  if (terms_.size() != 1) return std::nullopt;
  return terms_.front();
}

std::string EventFilter::Predicate(absl::string_view alias,
                                   int first_param) const {
  if (terms_.empty()) return "true";
  std::string sql;
  int param = first_param;
  for (const Term& term : terms_) {
    absl::StrAppend(&sql, sql.empty() ? "" : " AND ", alias, ".",
                    term.dimension, " = $", param++,
                    term.dimension == std::string_view("event_type")
                        ? "::smallint"
                        : "::text");
  }
  return sql;
}

std::vector<std::string> EventFilter::parameters() const {
  std::vector<std::string> values;
  values.reserve(terms_.size());
  for (const Term& term : terms_) values.push_back(term.column_value);
  return values;
}

}  // namespace shopstream
