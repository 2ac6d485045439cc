#ifndef SHOPSTREAM_AUTH_API_KEY_VERIFIER_H_
#define SHOPSTREAM_AUTH_API_KEY_VERIFIER_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/api_key.h"
#include "auth/api_key_store.h"

namespace shopstream::auth {

// Who a verified key speaks for.
struct Principal {
  std::string key_id;
  std::string shop_id;
  Scope scope = Scope::kRead;
};

struct VerifierOptions {
  // How long a looked-up key (found, unknown or revoked) is trusted before
  // it is looked up again: the most a revocation takes to apply.
  absl::Duration cache_ttl = absl::Seconds(10);
  // Entries beyond this are dropped (expired ones first) so that a flood of
  // made-up key ids cannot grow memory.
  size_t max_cache_entries = 100000;
  // Token bucket per key: sustained requests per second and burst; 0 turns
  // rate limiting off.
  double rate_per_second = 0;
  double burst = 0;  // 0: one second's worth
};

// Verifies keys against the store, remembering answers for cache_ttl so
// that a busy service queries PostgreSQL once per key and TTL, not per
// request. Thread-safe.
class ApiKeyVerifier {
 public:
  using Lookup = std::function<absl::StatusOr<std::optional<ApiKeyRecord>>(
      const std::string& key_id)>;
  using Clock = std::function<absl::Time()>;

  ApiKeyVerifier(Lookup lookup, VerifierOptions options,
                 Clock clock = &absl::Now);

  // UNAUTHENTICATED for a malformed, unknown or revoked key or a wrong
  // secret; UNAVAILABLE when the store cannot be asked (not cached).
  absl::StatusOr<Principal> Verify(absl::string_view key);

  // Takes `cost` tokens from the key's bucket; RESOURCE_EXHAUSTED when it
  // has too few. Always OK with rate limiting off or a cost of 0.
  absl::Status Charge(const Principal& principal, double cost);

 private:
  struct CacheEntry {
    std::optional<ApiKeyRecord> record;
    absl::Time expires;
  };
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };

  void EvictIfFull(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Lookup lookup_;
  const VerifierOptions options_;
  const Clock clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, CacheEntry> cache_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_API_KEY_VERIFIER_H_
