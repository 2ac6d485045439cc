#include "common/commit_notice.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace shopstream {

std::vector<std::string> EncodeCommitNotices(
    const std::vector<std::string>& shop_ids) {
  std::vector<std::string> payloads;
  std::string current;
  for (const std::string& id : shop_ids) {
    std::string entry = absl::StrCat(id.size(), ":", id);
    if (!current.empty() &&
        current.size() + entry.size() > kMaxCommitNoticeBytes) {
      payloads.push_back(std::move(current));
      current.clear();
    }
    current += entry;
  }
  if (!current.empty()) payloads.push_back(std::move(current));
  return payloads;
}

absl::StatusOr<std::vector<std::string>> DecodeCommitNotice(
    absl::string_view payload) {
  std::vector<std::string> shop_ids;
  while (!payload.empty()) {
    const size_t colon = payload.find(':');
    size_t length = 0;
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(payload.substr(0, colon), &length) ||
        length > payload.size() - colon - 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "commit notice: malformed at \"", payload.substr(0, 32), "\""));
    }
    shop_ids.emplace_back(payload.substr(colon + 1, length));
    payload.remove_prefix(colon + 1 + length);
  }
  return shop_ids;
}

}  // namespace shopstream
