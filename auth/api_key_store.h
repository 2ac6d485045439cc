#ifndef SHOPSTREAM_AUTH_API_KEY_STORE_H_
#define SHOPSTREAM_AUTH_API_KEY_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/api_key.h"
#include "storage/pg_connection_pool.h"

namespace shopstream::auth {

struct ApiKeyRecord {
  std::string key_id;
  std::string shop_id;
  Scope scope = Scope::kRead;
  std::string secret_sha256;  // hex
  std::string description;
  // Collect keys: the origins whose pages may use it.
  std::vector<std::string> allowed_origins;
  absl::Time created_at;
  std::optional<absl::Time> revoked_at;
};

struct CreatedApiKey {
  std::string text;  // shown once; not stored
  ApiKeyRecord record;
};

// The api_keys table (migrations/0010_create_api_keys.sql). Every statement
// is parameterised.
class ApiKeyStore {
 public:
  explicit ApiKeyStore(PgConnectionPool* pool) : pool_(pool) {}

  // A collect key needs at least one origin (ParseOrigin); other scopes
  // take none. Errors name the flag's field.
  absl::StatusOr<CreatedApiKey> Create(
      const std::string& shop_id, Scope scope, const std::string& description,
      const std::vector<std::string>& allowed_origins = {});
  // Every key, or a shop's; oldest first.
  absl::StatusOr<std::vector<ApiKeyRecord>> List(
      const std::optional<std::string>& shop_id);
  // NOT_FOUND for an unknown key id; revoking twice keeps the first time.
  absl::Status Revoke(const std::string& key_id);
  // The key, revoked or not; nullopt when there is none.
  absl::StatusOr<std::optional<ApiKeyRecord>> Find(const std::string& key_id);

 private:
  PgConnectionPool* pool_;
};

}  // namespace shopstream::auth

#endif  // SHOPSTREAM_AUTH_API_KEY_STORE_H_
