#ifndef SHOPSTREAM_QUERY_ANALYTICS_COMPARISON_H_
#define SHOPSTREAM_QUERY_ANALYTICS_COMPARISON_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "query/analytics_requests.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// A request's comparison parameters: `compare`, or a chosen range
// [compare_from, compare_to) (both pointers set, or both null).
struct CompareParameters {
  v1::Compare compare = v1::COMPARE_UNSPECIFIED;
  const google::protobuf::Timestamp* from = nullptr;
  const google::protobuf::Timestamp* to = nullptr;
};

template <typename Request>
CompareParameters CompareParametersOf(const Request& request) {
  return {request.compare(),
          request.has_compare_from() ? &request.compare_from() : nullptr,
          request.has_compare_to() ? &request.compare_to() : nullptr};
}

// The range an answer over `asked` is compared with; nullopt when none was
// asked for. PREVIOUS_PERIOD: the same length ending at asked.from;
// PREVIOUS_YEAR: one calendar year earlier in `zone`. INVALID_ARGUMENT
// naming the field: an unknown compare, compare together with a chosen
// range, only one end of a chosen range, a bad or backwards chosen range,
// or a comparison of a range that is open at either end.
absl::StatusOr<std::optional<MicrosRange>> ComparedRange(
    const CompareParameters& parameters, const MicrosRange& asked,
    const absl::TimeZone& zone);

// A refusal of the compared range's answer names the comparison's fields
// (compare_from:, compare_to:), not the asked range's.
absl::Status ForComparison(const absl::Status& status);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_ANALYTICS_COMPARISON_H_
