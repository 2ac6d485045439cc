#ifndef SHOPSTREAM_GATEWAY_BROWSER_COLLECT_H_
#define SHOPSTREAM_GATEWAY_BROWSER_COLLECT_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/traffic_context.h"

namespace shopstream::gateway {

// What the gateway adds for routes browsers post to from shops' pages
// (shopstream.api.browser_collect): their keys are public, so each client
// address gets a share of requests, and the page's Origin goes to the
// backend, which holds the origins each collect key may be used from.

// The Origin header as sent, or INVALID_ARGUMENT naming it when it is
// missing, "null" (sandboxed pages, files) or not printable ASCII.
absl::StatusOr<std::string> CollectOrigin(
    std::optional<absl::string_view> origin_header);

// The address a client's share is counted by: the peer's, or behind a proxy
// that appends the peer to X-Forwarded-For, the last entry there. Only ever
// held in memory.
std::string CollectClientAddress(absl::string_view peer,
                                 std::optional<absl::string_view> forwarded_for,
                                 bool from_forwarded_for);

// A token bucket per client address: `per_second` requests a second with
// bursts of twice that. Thread-safe.
class AddressRateLimiter {
 public:
  // Past `max_addresses`, addresses whose bucket has filled up again are
  // forgotten; if all are busy, every one is (a flood of addresses opens
  // the limit for a moment rather than shutting out new visitors).
  AddressRateLimiter(double per_second, const Clock& clock,
                     size_t max_addresses = 100000);

  // Takes one request from the address's share; when none is left, returns
  // how long until one is.
  std::optional<absl::Duration> Admit(absl::string_view address);

  size_t TrackedAddresses() const;

 private:
  struct Bucket {
    double tokens;
    absl::Time updated;
  };
  void ForgetIdle(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const double per_second_;
  const double burst_;
  const Clock& clock_;
  const size_t max_addresses_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_BROWSER_COLLECT_H_
