#ifndef SHOPSTREAM_AUTH_SERVICE_AUTH_H_
#define SHOPSTREAM_AUTH_SERVICE_AUTH_H_

#include <memory>
#include <optional>
#include <string>

#include "auth/api_key_store.h"
#include "auth/api_key_verifier.h"
#include "auth/link_ticket_store.h"
#include "auth/request_authorizer.h"
#include "storage/pg_connection_pool.h"

namespace shopstream::auth {

// What ingest and query need to check keys, wired from the shared flags
// --auth, --api_key_cache_ttl_ms, --rate_limit_per_key and
// --rate_limit_burst (defined in service_auth.cc).
class ServiceAuth {
 public:
  // `conninfo` is the database holding api_keys; unused with --auth=false.
  // With `link_ticket_lifetime`, the authorizer also issues and accepts
  // link tickets of that lifetime (the query service).
  static std::unique_ptr<ServiceAuth> FromFlags(
      const std::string& conninfo,
      std::optional<absl::Duration> link_ticket_lifetime = std::nullopt);

  const RequestAuthorizer& authorizer() const { return authorizer_; }

 private:
  ServiceAuth(const std::string& conninfo, bool enabled,
              VerifierOptions options,
              std::optional<absl::Duration> link_ticket_lifetime);

  std::unique_ptr<PgConnectionPool> pool_;
  std::unique_ptr<ApiKeyStore> store_;
  std::unique_ptr<ApiKeyVerifier> verifier_;
  std::unique_ptr<PgConnectionPool> ticket_pool_;
  std::unique_ptr<LinkTicketStore> tickets_;
  RequestAuthorizer authorizer_;
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_SERVICE_AUTH_H_
