#ifndef SHOPSTREAM_COMMON_COMMIT_NOTICE_H_
#define SHOPSTREAM_COMMON_COMMIT_NOTICE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shopstream {

// The PostgreSQL NOTIFY channel on which the processor announces, inside the
// transaction that stores a batch, which shops got new events. PostgreSQL
// delivers it only once that transaction commits.
inline constexpr char kCommitNoticeChannel[] = "shopstream_events_committed";

// NOTIFY payloads must stay below 8000 bytes.
inline constexpr size_t kMaxCommitNoticeBytes = 7000;

// Shop ids may hold any character but NUL, so each is written as
// "<byte length>:<id>". Ids are spread over as many payloads as needed to
// keep each below kMaxCommitNoticeBytes; no payload for no ids.
std::vector<std::string> EncodeCommitNotices(
    const std::vector<std::string>& shop_ids);

// The shop ids of one payload, or InvalidArgument if it is not one of ours.
absl::StatusOr<std::vector<std::string>> DecodeCommitNotice(
    absl::string_view payload);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_COMMIT_NOTICE_H_
