#include "auth/api_key_verifier.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace shopstream::auth {

ApiKeyVerifier::ApiKeyVerifier(Lookup lookup, VerifierOptions options,
                               Clock clock)
    : lookup_(std::move(lookup)), options_(options), clock_(std::move(clock)) {}

absl::StatusOr<Principal> ApiKeyVerifier::Verify(absl::string_view key) {
  absl::StatusOr<ApiKeyParts> parts = ParseApiKey(key);
  if (!parts.ok()) return parts.status();
  const absl::Time now = clock_();
  std::optional<ApiKeyRecord> record;
  bool cached = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(parts->key_id);
    if (it != cache_.end() && it->second.expires > now) {
      record = it->second.record;
      cached = true;
    }
  }
  if (!cached) {
    // Looked up outside the lock: concurrent misses for one key may both
    // ask, which costs a query, not correctness.
    absl::StatusOr<std::optional<ApiKeyRecord>> found = lookup_(parts->key_id);
    if (!found.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "cannot verify the API key now: ", found.status().message()));
    }
    record = *std::move(found);
    absl::MutexLock lock(&mu_);
    EvictIfFull(now);
    cache_[parts->key_id] = CacheEntry{record, now + options_.cache_ttl};
  }
  if (!record.has_value() ||
      !ConstantTimeEquals(HashSecret(parts->secret), record->secret_sha256)) {
    return absl::UnauthenticatedError("API key is not valid");
  }
  if (record->revoked_at.has_value()) {
    return absl::UnauthenticatedError(
        absl::StrCat("API key ", record->key_id, " is revoked"));
  }
  return Principal{record->key_id, record->shop_id, record->scope};
}

void ApiKeyVerifier::EvictIfFull(absl::Time now) {
  if (cache_.size() < options_.max_cache_entries) return;
  absl::erase_if(
      cache_, [now](const auto& entry) { return entry.second.expires <= now; });
  if (cache_.size() >= options_.max_cache_entries) cache_.clear();
}

absl::Status ApiKeyVerifier::Charge(const Principal& principal, double cost) {
  // Free checks (a stream's key checked again) pass even when in debt.
  if (options_.rate_per_second <= 0 || cost <= 0) return absl::OkStatus();
  const double capacity =
      options_.burst > 0 ? options_.burst : options_.rate_per_second;
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = buckets_.try_emplace(principal.key_id);
  Bucket& bucket = it->second;
  if (inserted) {
    bucket.tokens = capacity;
  } else {
    const double elapsed = absl::ToDoubleSeconds(now - bucket.refilled);
    bucket.tokens =
        std::min(capacity, bucket.tokens + std::max(0.0, elapsed) *
                                               options_.rate_per_second);
  }
  bucket.refilled = now;
  // A request larger than the whole bucket could never pass; let it through
  // when the bucket is full rather than refusing it forever, and charge it
  // in full: the bucket goes into debt, so the key's next requests wait
  // until the rate has paid for it.
  const double needed = std::min(cost, capacity);
  if (bucket.tokens < needed) {
    const double wait = (needed - bucket.tokens) / options_.rate_per_second;
    return WithRetryDelay(
        absl::ResourceExhaustedError(absl::StrCat(
            "rate limit of API key ", principal.key_id, " exceeded (",
            options_.rate_per_second, "/s); retry in ",
            std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait))), " s")),
        absl::Seconds(wait));
  }
  bucket.tokens -= cost;
  return absl::OkStatus();
}

}  // namespace shopstream::auth
