#include "auth/service_auth.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/metrics.h"

ABSL_FLAG(bool, auth, true,
          "Require API keys. Turn off only for local experiments: without "
          "keys any caller may write to and read any shop.");
ABSL_FLAG(int, api_key_cache_ttl_ms, 10000,
          "How long a verified (or unknown, or revoked) key is remembered: "
          "the longest a revocation takes to apply.");
ABSL_FLAG(double, rate_limit_per_key, 0,
          "Sustained requests per second per API key (ingest counts each "
          "event of a batch); 0: no limit.");
ABSL_FLAG(double, rate_limit_burst, 0,
          "Requests a key may make at once above its rate; 0: one second's "
          "worth.");

namespace shopstream::auth {
namespace {

// Key lookups are rare (once per key and TTL). Lookups of ids not found
// before may hold all but one connection, which stays for known keys.
constexpr int kKeyLookupConnections = 3;
// Tickets have connections of their own, so that made-up tickets cannot
// hold the ones keys are looked up on; each is checked once, at a stream's
// start or a download.
constexpr int kTicketConnections = 2;

}  // namespace

std::unique_ptr<ServiceAuth> ServiceAuth::FromFlags(
    const std::string& conninfo,
    std::optional<absl::Duration> link_ticket_lifetime) {
  VerifierOptions options;
  options.cache_ttl =
      absl::Milliseconds(absl::GetFlag(FLAGS_api_key_cache_ttl_ms));
  options.rate_per_second = absl::GetFlag(FLAGS_rate_limit_per_key);
  options.burst = absl::GetFlag(FLAGS_rate_limit_burst);
  options.max_unknown_lookups = kKeyLookupConnections - 1;
  const bool enabled = absl::GetFlag(FLAGS_auth);
  if (!enabled) {
    LogWarning(
        "authentication is off (--auth=false): any caller may write "
        "to and read any shop");
  }
  return std::unique_ptr<ServiceAuth>(
      new ServiceAuth(conninfo, enabled, options, link_ticket_lifetime));
}

ServiceAuth::ServiceAuth(const std::string& conninfo, bool enabled,
                         VerifierOptions options,
                         std::optional<absl::Duration> link_ticket_lifetime)
    : authorizer_(nullptr) {
  if (!enabled) {
    // Links need no ticket then; IssueLinkTicket answers an empty one.
    authorizer_ = RequestAuthorizer(
        nullptr, nullptr, link_ticket_lifetime.value_or(absl::ZeroDuration()));
    return;
  }
  DeclareApiKeyMetrics();
  pool_ = std::make_unique<PgConnectionPool>(conninfo, kKeyLookupConnections);
  store_ = std::make_unique<ApiKeyStore>(pool_.get());
  verifier_ = std::make_unique<ApiKeyVerifier>(
      [store = store_.get()](const std::string& key_id) {
        return store->Find(key_id);
      },
      options);
  if (link_ticket_lifetime.has_value()) {
    ticket_pool_ =
        std::make_unique<PgConnectionPool>(conninfo, kTicketConnections);
    tickets_ = std::make_unique<LinkTicketStore>(ticket_pool_.get(),
                                                 kTicketConnections);
  }
  authorizer_ =
      RequestAuthorizer(verifier_.get(), tickets_.get(),
                        link_ticket_lifetime.value_or(absl::ZeroDuration()));
}

}  // namespace shopstream::auth
