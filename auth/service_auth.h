#ifndef SHOPSTREAM_AUTH_SERVICE_AUTH_H_
#define SHOPSTREAM_AUTH_SERVICE_AUTH_H_

#include <memory>
#include <string>

#include "auth/api_key_store.h"
#include "auth/api_key_verifier.h"
#include "auth/request_authorizer.h"
#include "storage/pg_connection_pool.h"

namespace shopstream::auth {

// What ingest and query need to check keys, wired from the shared flags
// --auth, --api_key_cache_ttl_ms, --rate_limit_per_key and
// --rate_limit_burst (defined in service_auth.cc).
class ServiceAuth {
 public:
  // `conninfo` is the database holding api_keys; unused with --auth=false.
  static std::unique_ptr<ServiceAuth> FromFlags(const std::string& conninfo);

  const RequestAuthorizer& authorizer() const { return authorizer_; }

 private:
  ServiceAuth(const std::string& conninfo, bool enabled,
              VerifierOptions options);

  std::unique_ptr<PgConnectionPool> pool_;
  std::unique_ptr<ApiKeyStore> store_;
  std::unique_ptr<ApiKeyVerifier> verifier_;
  RequestAuthorizer authorizer_;
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_SERVICE_AUTH_H_
