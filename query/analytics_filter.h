#ifndef SHOPSTREAM_QUERY_ANALYTICS_FILTER_H_
#define SHOPSTREAM_QUERY_ANALYTICS_FILTER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// The longest filter value accepted; longer ones could match no stored
// event anyway.
inline constexpr size_t kMaxFilterValueBytes = 200;

// A checked AnalyticsFilter: the events it matches, as SQL on the raw
// `events` table and, when it sets one dimension, as the (dimension, value)
// key of the dimension rollups (migrations/0019).
class EventFilter {
 public:
  // One field that is set.
  struct Term {
    // The rollups' dimension name, which is also the events column.
    const char* dimension;
    // As the rollups store it ("purchase" for event_type).
    std::string value;
    // As the events column holds it ("3" for event_type).
    std::string column_value;
  };

  // INVALID_ARGUMENT naming the field, "<prefix>.<field>: ...", for an
  // unknown event_type or a value past kMaxFilterValueBytes or with NUL.
  static absl::StatusOr<EventFilter> Parse(const v1::AnalyticsFilter& filter,
                                           absl::string_view prefix = "filter");

  EventFilter() = default;

  bool empty() const { return terms_.empty(); }
  // How many fields are set.
  int dimension_count() const { return static_cast<int>(terms_.size()); }
  const std::vector<Term>& terms() const { return terms_; }

  // The one set field; nullopt unless exactly one is set.
  std::optional<Term> single() const;

  // A condition on the events aliased `alias`, ANDing every set field with
  // the values as parameters $first_param, $first_param + 1, ... in the
  // order of parameters(); "true" when nothing is set.
  std::string Predicate(absl::string_view alias, int first_param) const;
  // The values Predicate numbers, as text (pass them with
  // pqxx::prepare::make_dynamic_params).
  std::vector<std::string> parameters() const;

 private:
  std::vector<Term> terms_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_FILTER_H_
