#ifndef SHOPSTREAM_QUERY_COMPARISON_RANGE_H_
#define SHOPSTREAM_QUERY_COMPARISON_RANGE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "google/protobuf/timestamp.pb.h"
#include "query/analytics_requests.h"
#include "shopstream/v1/analytics.pb.h"

namespace shopstream {

// The range an answer over `asked` is compared with, or none when the
// request asks for no comparison: compare_from and compare_to when both are
// set, else for PREVIOUS_PERIOD the range of the same length that ends at
// `from`, for PREVIOUS_YEAR the same range one calendar year earlier (in
// UTC; February 29 becomes February 28). A comparison needs both ends of
// the asked range; INVALID_ARGUMENT names the field that is missing or
// wrong.
absl::StatusOr<std::optional<MicrosRange>> ComparisonRange(
    const MicrosRange& asked, v1::Compare compare,
    const google::protobuf::Timestamp* compare_from,
    const google::protobuf::Timestamp* compare_to);

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_COMPARISON_RANGE_H_
