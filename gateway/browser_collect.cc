#include "gateway/browser_collect.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace shopstream::gateway {

absl::StatusOr<std::string> CollectOrigin(
    std::optional<absl::string_view> origin_header) {
  if (!origin_header.has_value()) {
    return absl::InvalidArgumentError(
        "Origin: required; collect keys are used from shops' pages");
  }
  const absl::string_view origin = absl::StripAsciiWhitespace(*origin_header);
  if (origin.empty() || origin == "null") {
    return absl::InvalidArgumentError(
        "Origin: a page with an opaque origin cannot use a collect key");
  }
  for (char c : origin) {
    if (c <= 0x20 || c > 0x7E) {
      return absl::InvalidArgumentError("Origin: not a web origin");
    }
  }
  return std::string(origin);
}

std::string CollectClientAddress(absl::string_view peer,
                                 std::optional<absl::string_view> forwarded_for,
                                 bool from_forwarded_for) {
  if (from_forwarded_for && forwarded_for.has_value()) {
    // The proxy appends the peer it saw: the last entry is the one that
    // the client cannot choose.
    const std::vector<absl::string_view> hops =
        absl::StrSplit(*forwarded_for, ',');
    const absl::string_view last = absl::StripAsciiWhitespace(hops.back());
    if (!last.empty()) return std::string(last);
  }
  return std::string(peer);
}

AddressRateLimiter::AddressRateLimiter(double per_second, const Clock& clock,
                                       size_t max_addresses)
    : per_second_(per_second),
      burst_(std::max(1.0, 2 * per_second)),
      clock_(clock),
      max_addresses_(std::max<size_t>(1, max_addresses)) {}

std::optional<absl::Duration> AddressRateLimiter::Admit(
    absl::string_view address) {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mutex_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_addresses_) ForgetIdle(now);
    it = buckets_.emplace(address, Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  // A clock that steps back refills nothing rather than taking tokens.
  const double elapsed =
      std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  return absl::Seconds((1 - bucket.tokens) / per_second_);
}

void AddressRateLimiter::ForgetIdle(absl::Time now) {
  const absl::Duration refill = absl::Seconds(burst_ / per_second_);
  absl::erase_if(buckets_, [&](const auto& entry) {
    return now - entry.second.updated >= refill;
  });
  if (buckets_.size() >= max_addresses_) buckets_.clear();
}

size_t AddressRateLimiter::TrackedAddresses() const {
  absl::MutexLock lock(&mutex_);
  return buckets_.size();
}

}  // namespace shopstream::gateway
