#ifndef SHOPSTREAM_AUTH_API_KEY_VERIFIER_H_
#define SHOPSTREAM_AUTH_API_KEY_VERIFIER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  // A collect key's origins ("https://shop.example"); empty for the others.
  std::vector<std::string> allowed_origins;
};

struct VerifierOptions {
  // How long a looked-up key (found, unknown or revoked) is trusted before
  // it is looked up again: the most a revocation takes to apply.
  absl::Duration cache_ttl = absl::Seconds(10);
  // Keys found in the store, and ids found to be unknown, are remembered
  // apart: entries beyond these bounds are dropped (expired ones first), and
  // a flood of made-up ids only ever displaces other unknown ids.
  size_t max_cache_entries = 100000;
  size_t max_unknown_entries = 10000;
  // Lookups of ids this process has not found before, at once; more are
  // refused with UNAVAILABLE. Kept below the lookup pool's size so that
  // made-up ids cannot hold every connection while known keys' cached
  // answers expire and need looking up again.
  int max_unknown_lookups = 2;
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
  // secret; UNAVAILABLE when the store cannot be asked (not cached), or
  // when too many ids not found before are being looked up. Concurrent
  // callers of one uncached key share one lookup.
  absl::StatusOr<Principal> Verify(absl::string_view key);

  // The key with this id, already verified once (a link ticket's, or an
  // open stream's), if it still exists and is not revoked; UNAUTHENTICATED
  // otherwise. Cached like Verify.
  absl::StatusOr<Principal> VerifyId(const std::string& key_id);

  // Takes `cost` tokens from the key's bucket; RESOURCE_EXHAUSTED when it
  // has too few. Always OK with rate limiting off or a cost of 0.
  absl::Status Charge(const Principal& principal, double cost);

 private:
  // Null for an unknown id. Shared, so that a cached answer costs a request
  // a reference count, not a copy of the record's strings.
  using LookupResult = absl::StatusOr<std::shared_ptr<const ApiKeyRecord>>;
  struct KnownKey {
    std::shared_ptr<const ApiKeyRecord> record;
    absl::Time expires;
  };
  // One lookup in progress, awaited by every caller of its key.
  struct PendingLookup {
    bool unknown_id = false;  // counted in unknown_lookups_
    bool done = false;
    LookupResult result;
  };
  struct Bucket {
    double tokens = 0;
    absl::Time refilled;
  };

  // The cached answer, or a lookup's: null for an unknown id.
  LookupResult Find(const std::string& key_id, absl::Time now);
  void Remember(const std::string& key_id, const LookupResult& found,
                absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Lookup lookup_;
  const VerifierOptions options_;
  const Clock clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, KnownKey> known_ ABSL_GUARDED_BY(mu_);
  // Unknown ids and when that answer expires.
  absl::flat_hash_map<std::string, absl::Time> unknown_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<PendingLookup>> pending_
      ABSL_GUARDED_BY(mu_);
  int unknown_lookups_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_API_KEY_VERIFIER_H_
