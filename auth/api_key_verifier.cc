#include "auth/api_key_verifier.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/metrics.h"

namespace shopstream::auth {

ApiKeyVerifier::ApiKeyVerifier(Lookup lookup, VerifierOptions options,
                               Clock clock)
    : lookup_(std::move(lookup)), options_(options), clock_(std::move(clock)) {}

namespace {

// Drops expired entries when `cache` is full, and everything if that is not
// enough: a bound, not an eviction policy worth more code.
template <typename Map, typename Expires>
void MakeRoom(Map& cache, size_t limit, absl::Time now, Expires expires) {
  if (cache.size() < limit) return;
  absl::erase_if(cache,
                 [&](const auto& entry) { return expires(entry) <= now; });
  if (cache.size() >= limit) cache.clear();
}

}  // namespace

absl::StatusOr<Principal> ApiKeyVerifier::Verify(absl::string_view key) {
  absl::StatusOr<ApiKeyParts> parts = ParseApiKey(key);
  if (!parts.ok()) return parts.status();
  LookupResult found = Find(parts->key_id, clock_());
  if (!found.ok()) return found.status();
  const std::shared_ptr<const ApiKeyRecord>& record = *found;
  if (record == nullptr ||
      !ConstantTimeEquals(HashSecret(parts->secret), record->secret_sha256)) {
    return absl::UnauthenticatedError("API key is not valid");
  }
  if (record->revoked_at.has_value()) {
    return absl::UnauthenticatedError(
        absl::StrCat("API key ", record->key_id, " is revoked"));
  }
  return Principal{record->key_id, record->shop_id, record->scope,
                   record->allowed_origins};
}

absl::StatusOr<Principal> ApiKeyVerifier::VerifyId(const std::string& key_id) {
  LookupResult found = Find(key_id, clock_());
  if (!found.ok()) return found.status();
  const std::shared_ptr<const ApiKeyRecord>& record = *found;
  if (record == nullptr) {
    return absl::UnauthenticatedError(
        absl::StrCat("API key ", key_id, " does not exist"));
  }
  if (record->revoked_at.has_value()) {
    return absl::UnauthenticatedError(
        absl::StrCat("API key ", record->key_id, " is revoked"));
  }
  return Principal{record->key_id, record->shop_id, record->scope,
                   record->allowed_origins};
}

ApiKeyVerifier::LookupResult ApiKeyVerifier::Find(const std::string& key_id,
                                                  absl::Time now) {
  std::shared_ptr<PendingLookup> pending;
  {
    absl::MutexLock lock(&mu_);
    auto known = known_.find(key_id);
    if (known != known_.end() && known->second.expires > now) {
      return known->second.record;
    }
    if (auto it = unknown_.find(key_id);
        it != unknown_.end() && it->second > now) {
      return nullptr;
    }
    auto [it, first] = pending_.try_emplace(key_id);
    if (!first) {
      // Someone is asking already: wait for their answer.
      pending = it->second;
      mu_.Await(absl::Condition(&pending->done));
      return pending->result;
    }
    it->second = std::make_shared<PendingLookup>();
    pending = it->second;
    pending->unknown_id = known == known_.end();
    if (pending->unknown_id) {
      if (unknown_lookups_ >= options_.max_unknown_lookups) {
        pending_.erase(it);
        ApiKeyLookups(KeyLookup::kRefused).Increment();
        return WithRetryDelay(
            absl::UnavailableError("too many API keys not seen before are "
                                   "being looked up; retry in 1 s"),
            absl::Seconds(1));
      }
      ++unknown_lookups_;
    }
  }
  // Looked up outside the lock; other callers of this key wait for it.
  absl::StatusOr<std::optional<ApiKeyRecord>> looked_up = lookup_(key_id);
  ApiKeyLookups(!looked_up.ok()          ? KeyLookup::kFailed
                : looked_up->has_value() ? KeyLookup::kFound
                                         : KeyLookup::kUnknown)
      .Increment();
  LookupResult found = nullptr;
  if (!looked_up.ok()) {
    found = absl::UnavailableError(absl::StrCat(
        "cannot verify the API key now: ", looked_up.status().message()));
  } else if (looked_up->has_value()) {
    found = std::make_shared<const ApiKeyRecord>(**std::move(looked_up));
  }
  absl::MutexLock lock(&mu_);
  if (pending->unknown_id) --unknown_lookups_;
  pending_.erase(key_id);
  Remember(key_id, found, now);
  pending->result = found;
  pending->done = true;
  return found;
}

void ApiKeyVerifier::Remember(const std::string& key_id,
                              const LookupResult& found, absl::Time now) {
  if (!found.ok()) return;
  const absl::Time expires = now + options_.cache_ttl;
  if (*found != nullptr) {
    MakeRoom(known_, options_.max_cache_entries, now,
             [](const auto& entry) { return entry.second.expires; });
    known_[key_id] = KnownKey{*found, expires};
    unknown_.erase(key_id);
  } else {
    MakeRoom(unknown_, options_.max_unknown_entries, now,
             [](const auto& entry) { return entry.second; });
    unknown_[key_id] = expires;
    known_.erase(key_id);
  }
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
